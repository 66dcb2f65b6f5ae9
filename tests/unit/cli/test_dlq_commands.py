"""`smsflows dlq list|replay` over the three dead-letter queues: past SQS's ten messages per receive, with the
reason of each entry (a text's from the message log; a shop event's from its error attribute or its stored
webhook), the listed messages visible again at once; replay with a confirmation, a progress bar and counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from smsflows.domain import keys
from tests.unit.cli.conftest import SHOP, client, run

PER_QUEUE = 12  # more than one receive returns


def _put_message_log(made, message_id: str, reason: str) -> None:
    from boto3.dynamodb.types import TypeSerializer

    item = {**keys.message(message_id), "state": "dead_lettered", "reason": reason, "shop": SHOP}
    wire = {k: TypeSerializer().serialize(v) for k, v in item.items()}
    client("dynamodb").put_item(TableName=made.env["TABLE_NAME"], Item=wire)


def dead_letters(made) -> dict[str, int]:
    """Twelve texts in each send DLQ (their message log says why), and in the shop-events DLQ six webhooks
    whose stored record says why, six events with an error attribute, and one body that is not JSON."""
    from smsflows.adapters.webhook_inbox import DynamoWebhookInbox
    from smsflows.domain.shopify.records import InboxRecord

    sqs = client("sqs")
    inbox = DynamoWebhookInbox(client("dynamodb"), made.env["TABLE_NAME"])
    for queue, reason in (
        ("send_queue", "provider 20503: retry"),
        ("transactional_queue", "provider 20500: retry"),
    ):
        for n in range(PER_QUEUE):
            message_id = f"{queue}-m{n}"
            _put_message_log(made, message_id, reason)
            body = {"message_id": message_id, "shop": SHOP, "to": "+15125550123", "body": "Demo Shop: hi"}
            sqs.send_message(QueueUrl=made.dlq_urls[queue], MessageBody=json.dumps(body))
    events = made.dlq_urls["shop_events_queue"]
    for n in range(PER_QUEUE):
        envelope = {
            "shop": SHOP,
            "topic": "orders/create",
            "webhook_id": f"wh-{n}",
            "received_at": "2026-11-23T15:00:00+00:00",
        }
        extra = {}
        if n % 2:
            extra = {
                "MessageAttributes": {
                    "error": {"DataType": "String", "StringValue": f"KeyError: 'line_items' ({n})"}
                }
            }
        else:
            inbox.record(InboxRecord(shop=SHOP, webhook_id=f"wh-{n}", topic="orders/create", body=b"[1]", state="unparseable",
                                     reason="not a JSON object", received_at=datetime(2026, 11, 23, 15, tzinfo=UTC)))  # fmt: skip
        sqs.send_message(QueueUrl=events, MessageBody=json.dumps(envelope), **extra)
    sqs.send_message(QueueUrl=events, MessageBody="not json at all")
    step = {"kind": "campaign_step", "shop": SHOP, "campaign": "cmp_winter", "run": "once", "step": 7}
    sqs.send_message(QueueUrl=made.dlq_urls["campaign_queue"], MessageBody=json.dumps(step))
    # a webhook EventBridge delivered, whose hand-off to the shop-events queue failed 12 times
    bridged = {"version": "0", "id": "5f0b6a2e", "detail-type": "shopifyWebhook",
               "source": "aws.partner/shopify.com/1830279/smsflows-prod",
               "detail": {"payload": {"id": 1}, "metadata": {"X-Shopify-Topic": "orders/create",
                          "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Webhook-Id": "wh-eb"}}}  # fmt: skip
    sqs.send_message(QueueUrl=made.dlq_urls["shopify_eventbridge_queue"], MessageBody=json.dumps(bridged))
    return {"shop_events_queue": PER_QUEUE + 1, "send_queue": PER_QUEUE, "transactional_queue": PER_QUEUE,
            "campaign_queue": 1, "shopify_eventbridge_queue": 1}  # fmt: skip


def counts(made, urls) -> dict[str, tuple[int, int]]:
    """(visible, in flight) per queue."""
    sqs = client("sqs")
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    out = {}
    for key, url in urls.items():
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        out[key] = (int(attrs[names[0]]), int(attrs[names[1]]))
    return out


def test_dlq_list_pages_past_ten_with_reasons_for_all_three_queues_and_leaves_them_visible(stage):
    expected = dead_letters(stage)
    ran = run("dlq", "list", "--json")
    assert ran.code == 0, ran
    rows = json.loads(ran.out)
    by_queue: dict[str, list[dict]] = {}
    for row in rows:
        by_queue.setdefault(row["queue"], []).append(row)
    assert {k: len(v) for k, v in by_queue.items()} == expected
    from smsflows.admin import ROW_KEYS

    assert all(tuple(row) == ROW_KEYS for row in rows)  # the same keys on every row, in one order
    texts = by_queue["send_queue"] + by_queue["transactional_queue"]
    assert {r["message_id"] for r in by_queue["send_queue"]} == {f"send_queue-m{n}" for n in range(PER_QUEUE)}
    assert all(r["kind"] == "text" and r["state"] == "dead_lettered" and r["reason"].startswith("provider 205")
               for r in texts)  # fmt: skip
    events = {r["webhook_id"]: r for r in by_queue["shop_events_queue"] if r["kind"] == "shop_event"}
    assert len(events) == PER_QUEUE
    assert events["wh-0"]["reason"] == "not a JSON object" and events["wh-0"]["state"] == "unparseable"
    assert events["wh-1"]["reason"] == "KeyError: 'line_items' (1)"
    assert all(r["topic"] == "orders/create" and r["shop"] == SHOP for r in events.values())
    [odd] = [r for r in by_queue["shop_events_queue"] if r["kind"] == "unreadable"]
    assert odd["unreadable_body"] == "not json at all"
    [step] = by_queue["campaign_queue"]
    assert (step["kind"], step["shop"], step["campaign"]) == (
        "campaign_step",
        SHOP,
        "cmp_winter run once step 7",
    )
    [bridged] = by_queue["shopify_eventbridge_queue"]
    assert (bridged["kind"], bridged["topic"], bridged["webhook_id"], bridged["shop"]) == (
        "shop_event", "orders/create", "wh-eb", SHOP)  # fmt: skip
    # listing took nothing away: every message is visible again at once
    assert counts(stage, stage.dlq_urls) == {k: (n, 0) for k, n in expected.items()}
    table = run("dlq", "list").out
    assert (
        "39 dead letter(s)" in table
        and "orders/create demo-shop.myshopify.com" in table
        and "webhook wh-0" in table
    )
    assert "KeyError: 'line_items' (1)" in table and "not JSON: not json at all" in table
    assert "campaign cmp_winter run once step 7" in table


def test_dlq_list_keeps_to_the_limit_and_the_queue(stage):
    dead_letters(stage)
    rows = json.loads(run("dlq", "list", "--queue", "send_queue", "--limit", "11", "--json").out)
    assert len(rows) == 11 and {r["queue"] for r in rows} == {"send_queue"}
    assert counts(stage, stage.dlq_urls)["send_queue"] == (PER_QUEUE, 0)


def test_dlq_replay_asks_moves_everything_back_with_a_progress_bar_and_counts(stage):
    expected = dead_letters(stage)
    declined = run("dlq", "replay", input="n\n")
    assert declined.code == 1 and "Replay 39 dead-lettered message(s)" in declined.err
    assert counts(stage, stage.dlq_urls) == {k: (n, 0) for k, n in expected.items()}
    one = run("dlq", "replay", "--queue", "transactional_queue", "--yes", "--json")
    assert one.code == 0, one
    assert json.loads(one.out) == {"replayed": {"transactional_queue": PER_QUEUE}, "total": PER_QUEUE}
    ran = run("dlq", "replay", "--yes", "--json")
    assert ran.code == 0, ran
    assert json.loads(ran.out) == {"replayed": {**expected, "transactional_queue": 0}, "total": 27}
    assert "27/27 messages" in ran.err and "ETA" in ran.err
    assert counts(stage, stage.dlq_urls) == {k: (0, 0) for k in expected}
    assert counts(stage, stage.queue_urls) == {k: (n, 0) for k, n in expected.items()}
    from smsflows.runtime.deps import get_deps

    assert get_deps().message_log.claim("send_queue-m0")["state"] == "queued"
    assert json.loads(run("dlq", "list", "--json").out) == []
    assert "no dead letters" in run("dlq", "list").out
