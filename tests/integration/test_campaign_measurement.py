"""A campaign measured through the real handlers under moto (issue 16): its texts carry per-recipient short
links, carrier filtering among its first outcomes makes the deliverability guard pause it (and `campaign
show` says why), and orders from texted and held-out recipients feed the holdout lift of the report."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from twilio.request_validator import RequestValidator

from smsflows.domain.analytics import links
from smsflows.local import samples
from tests.integration.conftest import SHOP, TWILIO_TOKEN, api_event, shopify_headers, sqs_event
from tests.integration.test_campaign_release import PHONES, step, subscribe

BASE = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"


def _unpaced(monkeypatch: Any) -> None:
    """The sender unpaced: these tests are about what its texts measure, and a paced batch that falls behind
    its slots on a busy machine defers a text (with an SQS delay the test would wait out)."""
    from smsflows.runtime import deps as deps_module

    monkeypatch.setattr(deps_module.Deps, "pacer", property(lambda self: None))
    deps_module.reset()


def _measured_shop(min_outcomes: int) -> None:
    from smsflows.domain.shops import Measurement
    from smsflows.runtime.deps import get_deps

    configs = get_deps().shop_configs
    config = configs.get(SHOP)
    configs.put(config.model_copy(update={"measurement": Measurement(guard_min_outcomes=min_outcomes)}))


def _measured_cloud(cloud: Any, monkeypatch: Any, tmp_path: Any, phones: list[str]) -> Any:
    """Links shortened on the API's URL, the sender unpaced, `phones` subscribed, the guard judging after 10
    outcomes; the path of a segment document holding everyone."""
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE)
    _unpaced(monkeypatch)
    cloud.twilio.send_status_callbacks = False
    subscribe(cloud, phones)
    _measured_shop(min_outcomes=10)
    doc = tmp_path / "everyone.json"
    doc.write_text('{"subscribed": true}')
    return doc


def _run(cloud: Any, monkeypatch: Any, tmp_path: Any, holdout: float) -> str:
    """A campaign released whole (one window) and sent."""
    from smsflows.admin import campaigns

    doc = _measured_cloud(cloud, monkeypatch, tmp_path, PHONES)
    made = campaigns.campaign_create(SHOP, name="Winter sale", text="Demo Shop: WINTER20 today https://demo-shop.example/sale",
                                     segment_file=str(doc), by="ops", holdout_pct=holdout * 100)  # fmt: skip
    cid = str(made["id"])
    campaigns.campaign_transition(SHOP, cid, "schedule", by="ops")
    assert step(cloud) == {"batchItemFailures": []}
    bodies = cloud.queue_bodies("send_queue")
    for i in range(0, len(bodies), 10):
        assert cloud.invoke("send_message", sqs_event(*bodies[i : i + 10])) == {"batchItemFailures": []}
    return cid


def _status(cloud: Any, sms: dict, status: str, error: int | None = None) -> None:
    params = {"MessageSid": sms["sid"], "MessageStatus": status, "NumSegments": "1"}
    if error:
        params["ErrorCode"] = str(error)
    url = sms["status_callback"]
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(url, params)}  # fmt: skip
    event = api_event(urlencode(params).encode(), headers, path="/sms/status")
    mid = parse_qs(urlsplit(url).query)["mid"][0]
    event["queryStringParameters"] = {"mid": mid}
    event["multiValueQueryStringParameters"] = {"mid": [mid]}
    assert cloud.invoke("twilio_status", event)["statusCode"] == 200


def _sending_campaign(cloud: Any, monkeypatch: Any, tmp_path: Any) -> tuple[str, list[dict]]:
    """A campaign under way and the texts of its first window, sent (a larger campaign's first minutes)."""
    from smsflows.admin import campaigns
    from smsflows.domain.campaigns import fanout
    from smsflows.runtime.deps import get_deps

    doc = _measured_cloud(cloud, monkeypatch, tmp_path, PHONES)
    cid = str(campaigns.campaign_create(SHOP, name="Winter sale", text="Demo Shop: WINTER20 https://demo-shop.example/w",
                                        segment_file=str(doc), by="ops")["id"])  # fmt: skip
    store = get_deps().campaigns
    made, version = store.get(SHOP, cid)
    now = get_deps().clock()
    store.put(
        made.transition("scheduled", "ops", now).transition("sending", "release_campaign", now), version
    )
    config = get_deps().shop_configs.get(SHOP)
    texts = fanout.texts_of(made)
    bodies = [fanout._message(made, "once", config, phone, texts["A"], now, "A").model_dump_json()
              for phone in PHONES[:12]]  # fmt: skip
    for i in range(0, len(bodies), 10):
        assert cloud.invoke("send_message", sqs_event(*bodies[i : i + 10])) == {"batchItemFailures": []}
    return cid, cloud.twilio.outbox()


def test_carrier_filtering_among_the_first_outcomes_pauses_the_campaign_and_show_says_why(
    cloud, monkeypatch, tmp_path
):
    from smsflows.admin import campaigns

    cid, outbox = _sending_campaign(cloud, monkeypatch, tmp_path)
    assert len(outbox) == 12
    codes = {sms["body"].split("/l/", 1)[1][: links.CODE_LENGTH] for sms in outbox}
    assert len(codes) == len(outbox)  # a code per recipient: a click belongs to a person
    for sms in outbox[:8]:
        _status(cloud, sms, "delivered")
    _status(cloud, outbox[8], "undelivered", 30007)
    assert campaigns.campaign_show(SHOP, cid)["state"] == "sending"  # 9 outcomes: not judged yet
    _status(cloud, outbox[9], "undelivered", 30007)  # 2 of the first 10 filtered: 20 % > 5 %
    shown = campaigns.campaign_show(SHOP, cid)
    assert shown["state"] == "paused"
    assert shown["paused_because"] == "carrier filtering: 2 of the first 10 texts filtered (20.0% > 5.0%)"
    assert shown["history"][-1]["by"] == "deliverability-guard"
    [run] = [i for i in cloud.items("CAMPAIGN#") if i["sk"].startswith(f"RUN#{cid}#")]
    assert (run["n_delivered"], run["n_undelivered"], run["n_filtered"]) == (8, 2, 2)
    _status(cloud, outbox[10], "undelivered", 30007)  # paused already: nothing moves again
    assert campaigns.campaign_show(SHOP, cid)["version"] == shown["version"]
    held = fanout_message(cid)
    assert cloud.invoke("send_message", sqs_event(held)) == {"batchItemFailures": []}
    assert len(cloud.twilio.outbox()) == 12  # a queued text of the paused campaign waits


def fanout_message(cid: str) -> str:
    from smsflows.domain.campaigns import fanout
    from smsflows.runtime.deps import get_deps

    made, _ = get_deps().campaigns.get(SHOP, cid)
    config = get_deps().shop_configs.get(SHOP)
    return fanout._message(
        made, "once", config, PHONES[20], "Demo Shop: WINTER20", get_deps().clock(), "A"
    ).model_dump_json()


def test_opt_outs_answering_the_campaign_pause_it_too(cloud, monkeypatch, tmp_path):
    from smsflows.admin import campaigns
    from tests.integration.conftest import inbound_params, twilio_event

    cid, outbox = _sending_campaign(cloud, monkeypatch, tmp_path)
    for sms in outbox[:10]:
        _status(cloud, sms, "delivered")
    for n, sms in enumerate(outbox[:1]):
        params = inbound_params("stop texting me", f"SM{n:032d}", frm=sms["to"])
        assert cloud.invoke("twilio_inbound", twilio_event(params))["statusCode"] == 200
    shown = campaigns.campaign_show(SHOP, cid)
    assert shown["state"] == "paused"  # 1 of 10 delivered opted out: 10 % > 3 %
    assert shown["paused_because"].startswith("opt-outs: 1 of 10 delivered texts answered with an opt-out")


def _order(cloud: Any, order_id: int, phone: str) -> None:
    payload = samples.order(order_id, 2000 + order_id, phone)
    payload["created_at"] = "2026-11-23T20:00:00+00:00"
    payload["total_price"] = "50.00"
    body = json.dumps(payload).encode()
    cloud.invoke("shopify_webhook", api_event(body, shopify_headers(body)))
    result = cloud.invoke("process_shop_event", sqs_event(*cloud.queue_bodies("shop_events_queue")))
    assert result == {"batchItemFailures": []}


def test_orders_of_texted_and_held_out_recipients_feed_the_lift(cloud, monkeypatch, tmp_path):
    from smsflows.admin import report
    from smsflows.runtime.deps import get_deps

    cid = _run(cloud, monkeypatch, tmp_path, holdout=0.3)
    rows, _ = get_deps().campaign_runs.assignments(SHOP, cid)
    held = [r.phone for _, r in rows if r.group == "holdout"]
    texted = [p for p in PHONES if p not in held]
    assert held and texted
    for n, phone in enumerate(texted[:3] + held[:1]):
        _order(cloud, 900 + n, phone)
    _order(cloud, 900, texted[0])  # the same order again: counted once
    built = report.build(SHOP, since="2026-11-23", until="2026-11-23")
    [lift] = built["lift"]
    assert lift["sent"] == {"recipients": len(texted), "conversions": 3, "revenue": 150.0}
    assert lift["holdout"] == {"recipients": len(held), "conversions": 1, "revenue": 50.0}
    assert lift["conversion_sent"] == round(3 / len(texted), 6)
    assert built["campaigns"][0]["sent"] == len(texted)


def test_an_order_using_the_campaigns_code_is_attributed_to_its_text_without_a_click(
    cloud, monkeypatch, tmp_path
):
    from smsflows.admin import campaigns

    doc = _measured_cloud(cloud, monkeypatch, tmp_path, PHONES[:3])
    made = campaigns.campaign_create(SHOP, name="Winter", text="Demo Shop: 20% off with WINTER20 today",
                                     segment_file=str(doc), by="ops", discount_code="WINTER20")  # fmt: skip
    assert not [w for w in made["warnings"] if "discount_code" in w]  # the code is in the text
    cid = str(made["id"])
    campaigns.campaign_transition(SHOP, cid, "schedule", by="ops")
    assert step(cloud) == {"batchItemFailures": []}
    assert cloud.invoke("send_message", sqs_event(*cloud.queue_bodies("send_queue"))) == {
        "batchItemFailures": []
    }
    payload = samples.order(990, 2990, PHONES[0])
    payload["created_at"] = "2026-11-26T20:00:00+00:00"  # three days later, no click
    payload["discount_codes"] = [{"code": "winter20", "amount": "9.00", "type": "percentage"}]
    body = json.dumps(payload).encode()
    cloud.invoke("shopify_webhook", api_event(body, shopify_headers(body)))
    assert cloud.invoke("process_shop_event", sqs_event(*cloud.queue_bodies("shop_events_queue"))) == {
        "batchItemFailures": []
    }
    [found] = [i for i in cloud.items("ORDER#") if i["sk"] == "ATTRIBUTION"]
    assert (found["rule"], found["scope"]) == ("discount_code", f"campaign#{cid}#A")
    assert campaigns.campaign_show(SHOP, cid)["discount_code"] == "WINTER20"


def test_a_batch_writes_its_run_and_its_counters_once_each_with_every_text_counted(
    cloud, monkeypatch, tmp_path
):
    """domain/sending/tally.py: a batch of ten campaign texts is one UpdateItem on its run (the campaign's
    hottest item) and one on its day's counters, not ten each, and nothing goes uncounted."""
    from botocore.client import BaseClient

    from smsflows.admin import campaigns, report

    updates: list[str] = []
    original = BaseClient._make_api_call

    def recorded(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation == "UpdateItem":
            updates.append(params["Key"]["pk"]["S"] + "|" + params["Key"]["sk"]["S"])
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recorded)
    cid, outbox = _sending_campaign(cloud, monkeypatch, tmp_path)  # 12 texts: batches of 10 and 2
    assert len(outbox) == 12
    run_writes = [u for u in updates if u.startswith("CAMPAIGN#") and f"|RUN#{cid}#" in u]
    counter_writes = [u for u in updates if u.startswith("MET#")]
    assert len(run_writes) == 2 and len(counter_writes) == 2
    assert campaigns.campaign_show(SHOP, cid)["counts"]["sent"] == 12
    [row] = report.build(SHOP, since="2026-11-23", until="2026-11-23")["campaigns"]
    assert row["sent"] == 12


def test_a_batch_whose_counts_cannot_be_written_still_succeeds_and_sends_each_text_once(
    cloud, monkeypatch, tmp_path
):
    """The tally's flush is best effort: a throttled counter write is logged, never a batch item failure (SQS
    would deliver the sent texts again), and the message log still holds every text."""
    from smsflows.adapters.campaigns import DynamoCampaignRuns
    from smsflows.adapters.measurement import DynamoMeasurement
    from smsflows.runtime.errors import TransientError

    def throttled(*args: Any, **kwargs: Any) -> Any:
        raise TransientError("ProvisionedThroughputExceededException")

    monkeypatch.setattr(DynamoCampaignRuns, "count", throttled)
    monkeypatch.setattr(DynamoMeasurement, "count", throttled)
    cid, outbox = _sending_campaign(cloud, monkeypatch, tmp_path)  # asserts no batch item failures
    assert len(outbox) == 12 == len({sms["to"] for sms in outbox})
    assert len([i for i in cloud.items("MSG#") if i.get("state") == "sent"]) == 12
    [run] = [i for i in cloud.items("CAMPAIGN#") if i["sk"].startswith(f"RUN#{cid}#")] or [{}]
    assert "n_sent" not in run  # the counts were lost, as the log says; nothing else was
