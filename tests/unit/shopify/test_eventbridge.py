"""The EventBridge envelope of a Shopify webhook, mapped onto the HTTPS accept path (fixtures:
tests/events/shopify_app/eventbridge_event.json)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from smsflows.domain import json_bodies
from smsflows.domain.shopify import webhooks
from smsflows.domain.shopify.eventbridge import accept_eventbridge_event, metadata_headers, payload_body
from smsflows.domain.shopify.ingest import accept_shopify_webhook
from smsflows.domain.shopify.records import InboxRecord
from smsflows.runtime.clock import fixed_clock
from smsflows.runtime.errors import Conflict, TransientError
from tests.fakes import FakeInbox, FakeQueue

FIXTURE = json.loads(
    (Path(__file__).parents[2] / "events" / "shopify_app" / "eventbridge_event.json").read_text()
)
EXAMPLES = {example["id"]: example["event"] for example in FIXTURE["examples"]}
SOURCE = "aws.partner/shopify.com/1830279/smsflows-prod"
NOW = datetime(2026, 3, 5, 9, 30, 2, tzinfo=UTC)


def example(name: str) -> dict[str, Any]:
    return copy.deepcopy(EXAMPLES[name])


def accept(
    event: Any, inbox: FakeInbox | None = None, queue: FakeQueue | None = None, source: str | None = SOURCE
):
    return accept_eventbridge_event(
        event if isinstance(event, str | bytes) else json.dumps(event),
        source=source,
        inbox=inbox if inbox is not None else FakeInbox(),
        queue=queue if queue is not None else FakeQueue(),
        clock=fixed_clock(NOW),
    )


def test_consent_update_is_kept_and_queued_like_an_https_delivery():
    event = example("constructed_customers_marketing_consent_update")
    inbox, queue = FakeInbox(), FakeQueue()
    accepted = accept(event, inbox, queue)
    assert (accepted.outcome, accepted.shop, accepted.topic) == (
        "queued", "smsflows-demo.myshopify.com", "customers_marketing_consent/update",
    )  # fmt: skip
    # dedupe key: the webhook id of the metadata, not the envelope's per-put id
    assert accepted.webhook_id == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043" != event["id"]
    stored = inbox.items[("smsflows-demo.myshopify.com", accepted.webhook_id)]
    assert stored.state == "received" and stored.api_version == "2026-07"
    assert json.loads(stored.body) == event["detail"]["payload"]
    [message] = queue.sent
    assert (
        message["webhook_id"] == accepted.webhook_id
        and json.loads(message["body"]) == event["detail"]["payload"]
    )


def test_the_same_webhook_over_https_and_eventbridge_is_one_webhook():
    """Same accept path: the envelope's message equals what the HTTPS route queues for the same body."""
    event = example("constructed_customers_marketing_consent_update")
    body = payload_body(event["detail"]["payload"])
    secret = b"s3cret"
    https_queue, eb_queue = FakeQueue(), FakeQueue()
    headers = {**event["detail"]["metadata"], "X-Shopify-Hmac-Sha256": webhooks.sign(secret, body)}
    accept_shopify_webhook(body, headers, secret_for=lambda _: secret, inbox=FakeInbox(), queue=https_queue,
                           clock=fixed_clock(NOW))  # fmt: skip
    accept(event, queue=eb_queue)
    assert eb_queue.sent == https_queue.sent
    # delivered both ways into one inbox: the second is a duplicate
    inbox = FakeInbox()
    accept_shopify_webhook(body, headers, secret_for=lambda _: secret, inbox=inbox, queue=FakeQueue(),
                           clock=fixed_clock(NOW))  # fmt: skip
    assert accept(event, inbox).outcome == "duplicate"


def test_redelivery_with_a_new_envelope_id_is_a_duplicate_and_not_queued_again():
    event = example("constructed_customers_marketing_consent_update")
    inbox, queue = FakeInbox(), FakeQueue()
    assert accept(event, inbox, queue).outcome == "queued"
    event["id"] = "another-put-of-the-same-webhook"
    event["time"] = "2026-03-05T09:31:00Z"
    assert accept(event, inbox, queue).outcome == "duplicate"
    assert len(queue.sent) == 1


def test_oversize_fallback_is_accepted_with_its_big_id_exact():
    event = example("constructed_orders_create_oversize_fallback")
    inbox, queue = FakeInbox(), FakeQueue()
    accepted = accept(event, inbox, queue)
    assert (accepted.outcome, accepted.topic) == ("queued", "orders/create")
    stored = inbox.items[(accepted.shop, accepted.webhook_id)].body
    assert stored == b'{"id":820982911946154508}'  # 2^53 < id: no float on the way
    payload = json_bodies.loads(queue.sent[0]["body"])
    assert webhooks.id_only(payload) == 820982911946154508


def test_aws_sample_without_a_webhook_id_is_dropped_not_stored():
    """The AWS Quick Start sample has no X-Shopify-Webhook-Id: nothing to dedupe on (over HTTPS: a 400)."""
    event = example("aws_quickstart_products_update")
    inbox, queue = FakeInbox(), FakeQueue()
    accepted = accept(event, inbox, queue, source=event["source"])
    assert accepted.outcome == "dropped" and "X-Shopify-Webhook-Id" in (accepted.reason or "")
    assert (accepted.shop, accepted.topic) == ("example.myshopify.com", "products/update")
    assert inbox.items == {} and queue.sent == []


def test_aws_sample_with_a_webhook_id_maps_its_mixed_case_metadata():
    event = example("aws_quickstart_products_update")
    event["detail"]["metadata"]["x-shopify-WEBHOOK-id"] = "wh-aws-1"
    inbox, queue = FakeInbox(), FakeQueue()
    accepted = accept(event, inbox, queue, source=event["source"])
    assert (accepted.outcome, accepted.topic, accepted.webhook_id) == (
        "queued",
        "products/update",
        "wh-aws-1",
    )
    assert queue.sent[0]["api_version"] == "unstable"
    assert json.loads(queue.sent[0]["body"])["images"][0]["id"] == 123


def test_events_preview_delivery_is_kept_as_ignored_with_the_reason_and_not_queued():
    event = example("third_party_capture_events_preview_order_update")
    inbox, queue = FakeInbox(), FakeQueue()
    accepted = accept(event, inbox, queue, source=event["source"])
    assert accepted.outcome == "ignored"
    assert "Events (developer preview)" in (accepted.reason or "") and "'Order'" in (accepted.reason or "")
    stored = inbox.items[("test-shop.myshopify.com", "c00b3a6e-ce90-34a5-a80d-2eddf238d458")]
    assert (stored.state, stored.topic) == ("ignored", "events/order_update")
    assert json.loads(stored.body)["query_variables"] == {"orderId": "gid://shopify/Order/18906468024599"}
    assert queue.sent == []
    assert accept(event, inbox, queue, source=event["source"]).outcome == "duplicate"


def test_lowercase_non_x_metadata_of_a_classic_webhook_is_read():
    event = example("constructed_orders_create_oversize_fallback")
    event["detail"]["metadata"] = {
        "content-type": "application/json", "shopify-topic": "orders/create",
        "shopify-shop-domain": "smsflows-demo.myshopify.com", "shopify-webhook-id": "wh-lower",
        "shopify-api-version": "2026-07",
    }  # fmt: skip
    accepted = accept(event)
    assert (accepted.outcome, accepted.topic, accepted.webhook_id) == ("queued", "orders/create", "wh-lower")


def test_metadata_keys_are_case_insensitive_and_the_x_spelling_wins():
    headers = metadata_headers(
        {"X-SHOPIFY-TOPIC": "orders/create", "shopify-topic": "Order", "Shopify-Webhook-Id": "w1", "n": 1}
    )
    assert headers["x-shopify-topic"] == "orders/create" and headers["x-shopify-webhook-id"] == "w1"
    assert "n" not in headers


@pytest.mark.parametrize(
    "change, reason",
    [
        (
            lambda e: e.update(source="aws.partner/shopify.com/999/someone-else"),
            "not the partner event source",
        ),
        (lambda e: e.update(source="aws.partner/shopify.com/1830279/smsflows-prod-2"), "not the partner"),
        (lambda e: e.update({"detail-type": "Scheduled Event"}), "detail-type"),
        (lambda e: e.pop("detail-type"), "detail-type"),
        (lambda e: e["detail"].pop("metadata"), "metadata"),
        (lambda e: e["detail"].pop("payload"), "payload"),
        (lambda e: e.update(detail="a string"), "metadata"),
        (
            lambda e: e["detail"]["metadata"].update({"X-Shopify-Shop-Domain": "evil.example.com"}),
            "Shop-Domain",
        ),
        (lambda e: e["detail"]["metadata"].update({"X-Shopify-Topic": "Orders Create"}), "Topic"),
    ],
)
def test_what_is_not_an_acceptable_shopify_event_is_dropped_with_a_reason(change, reason):
    event = example("constructed_orders_create_oversize_fallback")
    change(event)
    inbox, queue = FakeInbox(), FakeQueue()
    accepted = accept(event, inbox, queue)
    assert accepted.outcome == "dropped" and reason in (accepted.reason or "")
    assert inbox.items == {} and queue.sent == []


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", "null", b"\xff\xfe", "[" * 100 + "]" * 100])
def test_an_sqs_body_that_is_no_event_is_dropped(raw):
    accepted = accept(raw)
    assert (
        accepted.outcome == "dropped" and accepted.reason and accepted.reason.startswith("not an EventBridge")
    )


def test_without_a_configured_source_everything_is_dropped():
    accepted = accept(example("constructed_customers_marketing_consent_update"), source=None)
    assert accepted.outcome == "dropped" and "SHOPIFY_EVENT_SOURCE" in (accepted.reason or "")


def test_a_payload_that_is_no_object_is_kept_as_unparseable():
    event = example("constructed_customers_marketing_consent_update")
    event["detail"]["payload"] = [1, 2]
    inbox, queue = FakeInbox(), FakeQueue()
    assert accept(event, inbox, queue).outcome == "unparseable"
    [stored] = inbox.items.values()
    assert stored.state == "unparseable" and stored.body == b"[1,2]" and queue.sent == []


def test_big_integers_and_unicode_survive_the_round_trip_exactly():
    raw = '{"id": 18446744073709551615, "n": -9007199254740993, "title": "Zoë 🚀", "price": "1.10", "x": 1.5}'
    payload = json_bodies.loads(raw)
    body = payload_body(payload)
    assert b"18446744073709551615" in body and b"-9007199254740993" in body
    assert json.loads(body) == json.loads(raw) and "Zoë 🚀".encode() in body


def test_a_failed_hand_off_is_raised_for_sqs_to_retry_and_leaves_the_id_retryable():
    event = example("constructed_customers_marketing_consent_update")
    inbox = FakeInbox()
    with pytest.raises(TransientError):
        accept(event, inbox, FakeQueue(fail=TransientError("sqs down")))
    assert inbox.items == {}
    assert accept(event, inbox).outcome == "queued"


def test_a_delivery_being_accepted_elsewhere_is_a_conflict_to_retry():
    """Another delivery of the same webhook (HTTPS, or a second put) is mid hand-off: raised, so SQS
    redelivers this one later instead of dropping it."""
    event = example("constructed_customers_marketing_consent_update")
    shop, webhook_id = "smsflows-demo.myshopify.com", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
    inbox = FakeInbox()
    inbox.items[(shop, webhook_id)] = InboxRecord(
        shop=shop, webhook_id=webhook_id, topic="customers_marketing_consent/update", received_at=NOW,
        body=b"{}", state="accepting",
    )  # fmt: skip
    with pytest.raises(Conflict):
        accept(event, inbox)


@pytest.mark.parametrize(
    "payload, found",
    [
        ({"id": 820982911946154508}, 820982911946154508),
        ({"id": "gid://shopify/Order/1"}, "gid://shopify/Order/1"),
        ({"id": 1, "name": "#1"}, None),
        ({"id": None}, None),
        ({"id": True}, None),
        ({"id": ""}, None),
        ({}, None),
        ([{"id": 1}], None),
        (None, None),
    ],
)
def test_id_only_payloads_are_recognised(payload, found):
    assert webhooks.id_only(payload) == found
