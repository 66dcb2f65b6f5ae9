"""Shopify's privacy webhooks end to end through the handlers: export, customer and shop redaction, uninstall."""

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

from smsflows.domain import keys
from smsflows.local import samples
from tests.integration.conftest import (
    SHOP,
    api_event,
    inbound_params,
    shopify_headers,
    sqs_event,
    twilio_event,
)
from tests.waiting import wait_until

EVENTS = Path(__file__).parents[1] / "events" / "shopify"
PHONE = "+15125550123"


def webhook(cloud, topic, payload, webhook_id):
    body = json.dumps(payload).encode()
    response = cloud.invoke(
        "shopify_webhook", api_event(body, shopify_headers(body, topic=topic, webhook_id=webhook_id))
    )
    assert response["statusCode"] == 200
    result = cloud.invoke("process_shop_event", sqs_event(*cloud.queue_bodies("shop_events_queue")))
    failures = cloud.lambdas.module("process_shop_event").processor.exceptions
    assert result == {"batchItemFailures": []}, failures


def documented(name, customer_id, phone):
    payload = json.loads((EVENTS / name).read_text())
    payload["shop_domain"] = SHOP
    if "customer" in payload:
        payload["customer"].update(id=customer_id, phone=phone)
    return payload


def a_customer_with_history(cloud):
    order = samples.order(42, 1001, PHONE, "Ada")  # customer id 7000000001001
    webhook(cloud, "orders/create", order, "wh-order")
    cloud.invoke("twilio_inbound", twilio_event(inbound_params("JOIN", "SM-join")))
    cloud.invoke("twilio_inbound", twilio_event(inbound_params("Where is my order?", "SM-q")))
    cloud.invoke("process_shop_event", sqs_event(*cloud.queue_bodies("shop_events_queue")))  # welcome starts
    cloud.wait_executions()
    sends = cloud.send_bodies()
    cloud.invoke("send_message", sqs_event(*sends))
    cloud.wait_executions()
    return "7000000001001"


def test_data_request_exports_everything_held_about_the_customer(cloud):
    customer = a_customer_with_history(cloud)
    payload = documented("customers_data_request.json", int(customer), "555-625-1199")
    webhook(cloud, "customers/data_request", payload, "wh-dr")
    [export] = cloud.items("EXPORT#")
    data = json.loads(gzip.decompress(bytes(export["export_gz"])))
    assert data["customer_id"] == customer and data["request_id"] == "9999"
    kinds = set(data["data"])
    assert {"profile", "order", "subscriber", "consent_event", "conversation", "message"} <= kinds
    assert data["data"]["conversation"][0]["body"] == "Where is my order?"


def test_customer_redact_erases_personal_data_but_keeps_evidence_and_suppression(cloud):
    customer = a_customer_with_history(cloud)
    cloud.invoke("twilio_inbound", twilio_event(inbound_params("STOP", "SM-stop")))
    payload = documented("customers_redact.json", int(customer), None)
    payload["orders_to_redact"] = [42]
    webhook(cloud, "customers/redact", payload, "wh-redact")

    assert cloud.items("PROFILE#") == [] and cloud.items("ORDER#") == [] and cloud.items("CONVO#") == []
    remaining = cloud.items(f"SUB#{SHOP}#{PHONE}")
    assert remaining and {i["type"] for i in remaining} == {"consent_event"}  # evidence kept (A8.2)
    assert cloud.items("SUPPRESS#")  # the hashed suppression outlives the customer
    messages = cloud.items("MSG#")
    assert len(messages) >= 2, messages  # the order confirmation and the welcome text, at least
    for message in messages:
        assert "to" not in message and message["redacted"] is True
    # and nothing can be sent to the number by mistake afterwards
    tx = {"message_id": "tx-after", "shop": SHOP, "to": PHONE, "body": "Demo Shop: hi", "category": "transactional",
          "created_at": "2026-11-23T15:00:00+00:00"}  # fmt: skip
    before = len(cloud.twilio.outbox())
    cloud.invoke("send_message", sqs_event(json.dumps(tx)))
    assert len(cloud.twilio.outbox()) == before


def test_uninstall_stops_sending_and_every_flow_of_the_shop(cloud):
    from smsflows.local import moto_patches
    from smsflows.runtime.deps import get_deps

    # the welcome series' waits really wait, on the application's clock (its due times are on that clock)
    moto_patches.install(cloud.lambdas.invoke, time_scale=1, clock=lambda: get_deps().clock())
    webhook(cloud, "orders/create", samples.order(43, 1002, PHONE), "wh-o2")
    cloud.invoke("twilio_inbound", twilio_event(inbound_params("JOIN", "SM-join")))
    cloud.invoke("process_shop_event", sqs_event(*cloud.queue_bodies("shop_events_queue")))  # "subscribed"
    [welcome] = cloud.executions()
    assert welcome["name"].startswith("welcome-") and welcome["status"] == "RUNNING"
    # Step 0 went out and the series waits two days for step 1: from here only a stop can end it (stopped
    # earlier, its step 0 could still see the uninstall and exit on its own, which is fine but not the point).
    sfn = cloud.client("stepfunctions")
    wait_until(
        lambda: [
            e["type"] for e in sfn.get_execution_history(executionArn=welcome["executionArn"])["events"]
        ],
        lambda types: types.count("WaitStateEntered") >= 2,
        what="the welcome series waiting for its second step",
    )

    webhook(cloud, "app/uninstalled", json.loads((EVENTS / "app_uninstalled.json").read_text()), "wh-un")
    assert [e["status"] for e in cloud.wait_executions()] == ["ABORTED"]
    before = len(cloud.twilio.outbox())
    cloud.invoke("send_message", sqs_event(*cloud.send_bodies()))
    assert len(cloud.twilio.outbox()) == before  # the queued confirmation is not sent either
    [msg] = [m for m in cloud.items("MSG#") if "order-confirmation" in m["pk"]]
    assert msg["reason"] == "shop_uninstalled"


KEPT_BY_SHOP_REDACT = ("consent_event", "suppression", "shop_config")


def test_shop_redact_erases_the_shop_but_keeps_consent_evidence(cloud):
    from smsflows.runtime.deps import get_deps

    a_customer_with_history(cloud)
    kept_before = sorted(
        (i["pk"], i["sk"]) for i in cloud.items("") if i.get("type") in ("consent_event", "suppression")
    )
    assert kept_before, "the setup made no consent evidence"
    erasable = [
        i for i in cloud.items("") if i.get("shop") == SHOP and i.get("type") not in KEPT_BY_SHOP_REDACT
    ]
    assert get_deps().privacy.store.erase_shop(SHOP) == len(erasable)
    assert (
        sorted(
            (i["pk"], i["sk"]) for i in cloud.items("") if i.get("type") in ("consent_event", "suppression")
        )
        == kept_before
    )
    assert cloud.items(
        keys.shop_config(SHOP)["pk"]
    )  # the shop's settings stay until the webhook rewrites them
    payload = json.loads((EVENTS / "shop_redact.json").read_text())
    payload["shop_domain"] = SHOP
    webhook(cloud, "shop/redact", payload, "wh-sr")
    types = {i.get("type") for i in cloud.items("")}
    # pacing buckets and daily counters are per sender and brand, hold no personal data, and expire
    assert types <= {"consent_event", "suppression", "shop_config", "sender", "webhook", "pacing",
                     "daily_counter"}, types  # fmt: skip
    [config] = cloud.items(keys.shop_config(SHOP)["pk"])
    assert json.loads(config["config"])["status"] == "redacted"


def test_the_export_is_read_back_whole_and_an_unknown_request_is_none(cloud):
    from smsflows.runtime.deps import get_deps

    customer = a_customer_with_history(cloud)
    webhook(
        cloud,
        "customers/data_request",
        documented("customers_data_request.json", int(customer), None),
        "wh-dr",
    )
    store = get_deps().privacy.store
    export = store.load_export(SHOP, "9999")
    [item] = cloud.items("EXPORT#")
    assert export == json.loads(gzip.decompress(bytes(item["export_gz"])))
    assert (item["type"], item["shop"], item["request_id"]) == ("privacy_export", SHOP, "9999")
    assert export["customer_id"] == customer and len(export["data"]["order"]) == 1
    assert store.load_export(SHOP, "nope") is None
    assert store.load_export("other-shop.myshopify.com", "9999") is None


def test_an_unreachable_number_is_kept_as_the_shop_erasure_and_the_redaction_find_it(cloud):
    from smsflows.runtime.deps import get_deps

    deps = get_deps()
    deps.message_log.mark_unreachable(
        SHOP, "+15125550123", "twilio 30003", datetime(2026, 11, 23, tzinfo=UTC)
    )
    [item] = cloud.items(keys.unreachable(SHOP, "+15125550123")["pk"])
    assert (item["type"], item["shop"], item["phone"], item["reason"], item["since"]) == (
        "unreachable", SHOP, "+15125550123", "twilio 30003", "2026-11-23T00:00:00+00:00"
    )  # fmt: skip
    assert deps.privacy.store.erase_shop(SHOP) >= 1
    assert cloud.items(keys.unreachable(SHOP, "+15125550123")["pk"]) == []


def test_a_status_for_a_message_whose_recipient_was_erased_names_no_recipient(cloud):
    from smsflows.domain.messages import OutboundMessage
    from smsflows.domain.sending.delivery import StatusUpdate
    from smsflows.ports import ProviderReceipt
    from smsflows.runtime.deps import get_deps

    log = get_deps().message_log
    now = datetime(2026, 11, 23, tzinfo=UTC)
    message = OutboundMessage(message_id="m-x", shop=SHOP, to="+15125550123", body="Demo Shop: hi",
                              category="transactional", created_at=now)  # fmt: skip
    log.begin(message, now)
    log.complete("m-x", ProviderReceipt(sid="SM" + "b" * 32, status="queued", segments=1), now)
    cloud.client("dynamodb").update_item(TableName=get_deps().settings.table_name, Key={"pk": {"S": "MSG#m-x"},
                                         "sk": {"S": "MSG"}}, UpdateExpression="REMOVE #to",
                                         ExpressionAttributeNames={"#to": "to"})  # fmt: skip
    assert log.apply_status(StatusUpdate("m-x", "SM" + "b" * 32, "undelivered", 30003), now) is None


def test_a_redaction_scrubs_every_stored_body_that_mentions_any_one_of_the_subjects_traits(cloud):
    """Bodies are scrubbed when they mention any one of the phone, the e-mail or the customer id (not only
    all of them), whatever order they are stored in; bodies about others are left; the count says so."""
    from smsflows.domain.shopify.records import InboxRecord
    from smsflows.runtime.deps import get_deps

    deps = get_deps()
    at = datetime(2026, 11, 23, tzinfo=UTC)
    bodies = {
        "wh-a-other": b'{"customer": {"id": 1, "phone": "+15125550999"}}',
        "wh-b-phone": b'{"note": "call +15125550123"}',
        "wh-c-other": b'{"customer": {"email": "bob@example.com"}}',
        "wh-d-email": b'{"email": "ada@example.com"}',
        "wh-e-id": b'{"customer": {"id": 7001}}',
    }
    for webhook_id, body in bodies.items():
        deps.webhook_inbox.record(InboxRecord(shop=SHOP, webhook_id=webhook_id, topic="orders/create",
                                              received_at=at, body=body, state="received"))  # fmt: skip
    mentions = ["+15125550123", "ada@example.com", '"id": 7001']
    erased = deps.privacy.store.erase_subject(SHOP, "7001", ["+15125550123"], [], mentions)
    assert erased == 3
    kept = {w: deps.webhook_inbox.get(SHOP, w).body for w in bodies}
    assert kept == {"wh-a-other": bodies["wh-a-other"], "wh-b-phone": b"", "wh-c-other": bodies["wh-c-other"],
                    "wh-d-email": b"", "wh-e-id": b""}  # fmt: skip
