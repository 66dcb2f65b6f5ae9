import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smsflows.domain import flows
from smsflows.domain.models import InboxRecord
from smsflows.domain.shop_events import ShopEventDeps, ShopEventEnvelope, process_shop_event
from smsflows.local import samples
from smsflows.runtime.clock import fixed_clock
from tests.fakes import FakeFlows, FakeInbox, FakeQueue, FakeShopData

SHOP = "demo-shop.myshopify.com"
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
EVENTS = Path(__file__).parents[1] / "events" / "shopify"


@pytest.fixture
def deps():
    return ShopEventDeps(
        inbox=FakeInbox(),
        data=FakeShopData(),
        send_queue=FakeQueue(),
        flows=FakeFlows(),
        clock=fixed_clock(NOW),
    )


def envelope(body, topic="orders/create", webhook_id="wh-1", inline=True):
    return ShopEventEnvelope(
        shop=SHOP,
        topic=topic,
        webhook_id=webhook_id,
        received_at=NOW.isoformat(),
        body=(body if isinstance(body, str) else json.dumps(body)) if inline else None,
    )


def store(deps, body, webhook_id="wh-1", topic="orders/create"):
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    deps.inbox.record(InboxRecord(shop=SHOP, webhook_id=webhook_id, topic=topic, received_at=NOW, body=raw))


def test_order_created_saves_profile_and_order_and_queues_a_branded_confirmation(deps):
    order = samples.order(42, 1001, "(512) 555-0123", "Ada")
    outcome = process_shop_event(envelope(order), deps)
    assert outcome.outcome == "processed"
    saved = deps.data.orders[(SHOP, "42")]
    assert (saved.name, saved.phone, saved.customer_key) == (
        "#1001",
        "+15125550123",
        "customer:7000000001001",
    )
    profile = deps.data.profiles[(SHOP, "customer:7000000001001")]
    assert (profile.phone, profile.phone_status, profile.first_name) == ("+15125550123", "usable", "Ada")
    [msg] = deps.send_queue.sent
    assert msg["to"] == "+15125550123"
    assert msg["category"] == "transactional"
    assert msg["message_id"] == f"order-confirmation:{SHOP}:42"
    assert msg["body"].startswith("Demo Shop: ") and "#1001" in msg["body"]


def test_order_created_starts_the_followup_flow_with_a_deterministic_name_and_no_pii(deps):
    process_shop_event(envelope(samples.order(42, 1001, "+15125550123")), deps)
    [(name, (flow, payload))] = deps.flows.started.items()
    assert flow == "order_followup"
    assert name == flows.execution_name(flows.ORDER_FOLLOWUP, SHOP, "42")
    assert "+1512" not in json.dumps(payload) and "Ada" not in json.dumps(payload)


def test_redelivered_event_starts_no_second_flow_and_reuses_the_message_id(deps):
    order = samples.order(42, 1001, "+15125550123")
    process_shop_event(envelope(order), deps)
    process_shop_event(envelope(order), deps)
    assert len(deps.flows.started) == 1
    ids = {m["message_id"] for m in deps.send_queue.sent}
    assert len(ids) == 1  # the sender's idempotency on this id stops the second text


def test_documented_example_with_unusable_phone_is_recorded_and_sends_nothing(deps):
    body = (EVENTS / "orders_create.json").read_text()
    outcome = process_shop_event(envelope(body), deps)
    assert outcome.outcome == "processed" and "unusable" in outcome.detail
    [profile] = deps.data.profiles.values()
    assert profile.phone_status == "unusable" and profile.phone is None and profile.phone_raw
    assert deps.send_queue.sent == [] and deps.flows.started == {}


@pytest.mark.parametrize("body", ['{"id": 1}', '{"name": "#1"}', "[]", "{not json"])
def test_malformed_authentic_order_is_marked_unparseable_not_retried(deps, body):
    store(deps, body)
    outcome = process_shop_event(envelope(body), deps)
    assert outcome.outcome == "unparseable"
    assert deps.inbox.items[(SHOP, "wh-1")].state == "unparseable"
    assert deps.send_queue.sent == []


def test_unknown_topic_is_acknowledged_and_recorded(deps):
    store(deps, {"id": 1}, topic="products/update")
    outcome = process_shop_event(envelope({"id": 1}, topic="products/update"), deps)
    assert outcome.outcome == "ignored"
    assert deps.inbox.items[(SHOP, "wh-1")].state == "ignored"


def test_large_body_is_read_back_from_the_inbox(deps):
    order = samples.order(42, 1001, "+15125550123")
    store(deps, order)
    assert process_shop_event(envelope(order, inline=False), deps).outcome == "processed"
    assert len(deps.send_queue.sent) == 1


def test_a_later_order_without_phone_keeps_the_known_phone(deps):
    process_shop_event(envelope(samples.order(42, 1001, "+15125550123")), deps)
    process_shop_event(envelope(samples.order(43, 1001, None), webhook_id="wh-2"), deps)
    profile = deps.data.profiles[(SHOP, "customer:7000000001001")]
    assert profile.phone == "+15125550123" and profile.phone_status == "usable"


def test_order_addresses_are_noted_for_quiet_hours(deps):
    process_shop_event(envelope(samples.order(42, 1001, "+15125550123")), deps)
    assert deps.data.places[(SHOP, "+15125550123")] == (
        ("US", "TX", "default_address"),
        ("US", "TX", "shipping_address"),
    )
