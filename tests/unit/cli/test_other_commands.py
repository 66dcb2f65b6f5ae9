"""The remaining commands doing what they say: stored webhooks listed and replayed, a privacy export
printed, the demo's outcome as an exit status, and --verbose logging on stderr only."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.unit.cli.conftest import SHOP, client, run


def store_webhook(made, webhook_id: str, state: str, reason: str | None, hour: int) -> None:
    from smsflows.adapters.webhook_inbox import DynamoWebhookInbox
    from smsflows.domain.shopify.records import InboxRecord

    DynamoWebhookInbox(client("dynamodb"), made.env["TABLE_NAME"]).record(
        InboxRecord(
            shop=SHOP,
            webhook_id=webhook_id,
            topic="orders/create",
            body=b'{"id": 1}',
            state=state,
            reason=reason,
            received_at=datetime(2026, 11, 23, hour, tzinfo=UTC),
        )
    )


def test_webhooks_list_and_replay_the_unparseable_ones(stage):
    store_webhook(stage, "wh-old", "processed", None, 10)
    store_webhook(stage, "wh-bad", "unparseable", "v1 bug", 11)
    listed = json.loads(run("webhooks", "list", "--json").out)
    assert [r["webhook_id"] for r in listed] == ["wh-bad", "wh-old"]  # newest first
    assert set(listed[0]) == {"webhook_id", "topic", "state", "reason", "received_at"}
    only = json.loads(run("webhooks", "list", "--state", "unparseable", "--json").out)
    assert [(r["webhook_id"], r["reason"]) for r in only] == [("wh-bad", "v1 bug")]
    assert "v1 bug" in run("webhooks", "list").out
    replayed = run("webhooks", "replay", "--all-unparseable", "--json")
    assert replayed.code == 0, replayed
    assert json.loads(replayed.out) == {"shop": SHOP, "replayed": 1, "webhook_ids": ["wh-bad"]}
    sqs = client("sqs")
    [message] = sqs.receive_message(QueueUrl=stage.queue_urls["shop_events_queue"])["Messages"]
    assert json.loads(message["Body"])["webhook_id"] == "wh-bad"


def test_privacy_export_prints_the_stored_export(stage):
    from smsflows.adapters.privacy_store import DynamoPrivacyStore

    DynamoPrivacyStore(client("dynamodb"), stage.env["TABLE_NAME"]).save_export(
        SHOP, "9999", {"customer": {"id": 7}}
    )
    for argv in (
        ("privacy", "export", "--request-id", "9999"),
        ("privacy", "export", "--request-id", "9999", "--json"),
    ):
        ran = run(*argv)
        assert ran.code == 0, ran
        assert json.loads(ran.out)["customer"] == {"id": 7}


def test_demo_passes_the_port_and_a_failed_demo_is_exit_1_with_its_message(monkeypatch):
    from smsflows.local import demo

    seen = []
    monkeypatch.setattr(demo, "run_demo", lambda out, port=0: seen.append(port) or [])
    assert run("demo", "--port", "8799").code == 0 and seen == [8799]

    def fails(out, port=0):
        raise demo.DemoFailed("the outbox has 9 texts, 10 expected")

    monkeypatch.setattr(demo, "run_demo", fails)
    ran = run("demo")
    assert ran.code == 1 and ran.err_lines == ["smsflows: demo FAILED: the outbox has 9 texts, 10 expected"]


def test_verbose_logs_where_it_runs_on_stderr_and_json_stays_clean(stage):
    ran = run("--verbose", "shop", "show", "--json")
    assert ran.code == 0 and json.loads(ran.out)["shop"] == SHOP
    assert "INFO smsflows.cli: the stage with table cli-data (from TABLE_NAME)" in ran.err
    quiet = run("shop", "show", "--json")
    assert quiet.err == ""
