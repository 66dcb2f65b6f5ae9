"""Shopify webhooks delivered by EventBridge, in-process: the rule's SQS message -> shopify_eventbridge ->
shop-events queue -> process_shop_event -> send_message -> fake Twilio, beside the HTTPS route."""

from __future__ import annotations

import json
import uuid
from typing import Any

from smsflows.local import samples
from smsflows.local.provision import LOCAL_SHOPIFY_EVENT_SOURCE
from tests.integration.conftest import SHOP, api_event, shopify_headers, sqs_event


def eventbridge_event(payload: Any, webhook_id: str, topic: str = "orders/create", **envelope: Any) -> str:
    """What the partner bus's rule puts on the queue: the whole event as the message body."""
    return json.dumps({
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "shopifyWebhook",
        "source": LOCAL_SHOPIFY_EVENT_SOURCE, "account": "123456789012", "time": "2026-11-23T17:00:00Z",
        "region": "us-east-1", "resources": [],
        "detail": {"payload": payload, "metadata": {
            "Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-API-Version": "2026-07", "X-Shopify-Webhook-Id": webhook_id,
        }},
        **envelope,
    })  # fmt: skip


def deliver(cloud, *bodies: str) -> dict[str, Any]:
    return cloud.invoke("shopify_eventbridge", sqs_event(*bodies))


def run_consumers(cloud) -> None:
    bodies = cloud.queue_bodies("shop_events_queue")
    if bodies:
        assert cloud.invoke("process_shop_event", sqs_event(*bodies)) == {"batchItemFailures": []}
    sends = cloud.send_bodies()
    if sends:
        assert cloud.invoke("send_message", sqs_event(*sends)) == {"batchItemFailures": []}


def inbox(cloud, webhook_id: str) -> dict[str, Any]:
    [item] = [
        i for i in cloud.items("WEBHOOK#") if i.get("webhook_id") == webhook_id and i["sk"] == "WEBHOOK"
    ]
    return item


def test_an_order_by_eventbridge_texts_the_same_confirmation_as_by_https(cloud):
    assert deliver(cloud, eventbridge_event(samples.order(42, 1001, "+15125550123"), "wh-eb-1")) == {
        "batchItemFailures": []
    }
    run_consumers(cloud)
    body = json.dumps(samples.order(43, 1002, "+15125550199")).encode()
    cloud.invoke("shopify_webhook", api_event(body, shopify_headers(body, webhook_id="wh-https-1")))
    run_consumers(cloud)
    by_eb, by_https = sorted(cloud.twilio.outbox(), key=lambda m: m["to"])
    assert by_eb["to"] == "+15125550123" and by_https["to"] == "+15125550199"
    assert by_eb["body"] == by_https["body"].replace("#1002", "#1001")
    assert inbox(cloud, "wh-eb-1")["state"] == "processed"


def test_the_same_webhook_by_eventbridge_twice_and_by_https_texts_once(cloud):
    order = samples.order(42, 1001, "+15125550123")
    event = eventbridge_event(order, "wh-twice")
    assert deliver(cloud, event, eventbridge_event(order, "wh-twice")) == {"batchItemFailures": []}
    body = json.dumps(order).encode()
    response = cloud.invoke("shopify_webhook", api_event(body, shopify_headers(body, webhook_id="wh-twice")))
    assert json.loads(response["body"]) == {"status": "duplicate"}
    assert len(cloud.queue_bodies("shop_events_queue")) == 1


def test_an_event_from_another_source_is_dropped_not_retried(cloud):
    event = eventbridge_event(samples.order(42, 1001, "+15125550123"), "wh-other",
                              source="aws.partner/shopify.com/999/someone-else")  # fmt: skip
    assert deliver(cloud, event) == {"batchItemFailures": []}  # acknowledged: a retry would not change it
    assert cloud.items("WEBHOOK#") == [] and cloud.queue_bodies("shop_events_queue") == []


def test_a_failed_hand_off_is_retried_by_sqs_and_accepted_then(cloud, monkeypatch):
    from smsflows.runtime.deps import get_deps

    queue = get_deps().shop_events_queue
    real_send = queue.send
    calls: list[Any] = []

    def failing_once(body, **kw):
        calls.append(body)
        if len(calls) == 1:
            raise ConnectionError("SQS unreachable")
        return real_send(body, **kw)

    monkeypatch.setattr(queue, "send", failing_once)
    event = eventbridge_event(samples.order(42, 1001, "+15125550123"), "wh-retry")
    first = deliver(cloud, event)
    assert len(first["batchItemFailures"]) == 1  # SQS redelivers it
    assert cloud.items("WEBHOOK#") == []  # and the id is free for the redelivery
    assert deliver(cloud, event) == {"batchItemFailures": []}
    run_consumers(cloud)
    assert [m["to"] for m in cloud.twilio.outbox()] == ["+15125550123"]


def test_a_big_webhook_is_kept_whole_with_its_ids_exact(cloud):
    order = samples.order(820982911946154508, 1001, "+15125550123")
    order["line_items"] *= 4000  # ~360 KB: the inbox keeps it, the consumer reads it back from there
    order["note"] = "Zoë 🚀"
    assert deliver(cloud, eventbridge_event(order, "wh-big")) == {"batchItemFailures": []}
    [raw] = cloud.queue_bodies("shop_events_queue")
    assert "body" not in json.loads(raw)  # too large to travel inline: read back from the inbox
    assert cloud.invoke("process_shop_event", sqs_event(raw)) == {"batchItemFailures": []}
    run_consumers(cloud)
    [sms] = cloud.twilio.outbox()
    assert "#1001" in sms["body"]
    [stored] = [i for i in cloud.items("ORDER#") if i["sk"] == "ORDER"]
    assert stored["order_id"] == "820982911946154508"
    from smsflows.runtime.deps import get_deps

    kept = get_deps().webhook_inbox.get(SHOP, "wh-big").body
    assert json.loads(kept) == order and b"820982911946154508" in kept and "Zoë 🚀".encode() in kept
