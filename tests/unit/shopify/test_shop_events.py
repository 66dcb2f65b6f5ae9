import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smsflows.domain.consent.ledger import SubscriberState
from smsflows.domain.consent.subscriptions import ConsentDeps
from smsflows.domain.flows import definitions
from smsflows.domain.shopify.events import ShopEventDeps, ShopEventEnvelope, process_shop_event
from smsflows.domain.shopify.records import InboxRecord
from smsflows.local import samples
from smsflows.runtime.clock import fixed_clock
from tests.fakes import (
    FakeConsentStore,
    FakeConversations,
    FakeFlows,
    FakeInbox,
    FakeQueue,
    FakeShopConfigs,
    FakeShopData,
    onboarded_shop,
)

SHOP = "demo-shop.myshopify.com"
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
EVENTS = Path(__file__).parents[2] / "events" / "shopify"


@pytest.fixture
def deps():
    consent_store = FakeConsentStore()
    shops = FakeShopConfigs(onboarded_shop(SHOP))
    send_queue = FakeQueue()
    consent = ConsentDeps(
        store=consent_store,
        shops=shops,
        send_queue=send_queue,
        conversations=FakeConversations(),
        clock=fixed_clock(NOW),
    )
    return ShopEventDeps(
        inbox=FakeInbox(),
        data=FakeShopData(consent_store),
        send_queue=send_queue,
        flows=FakeFlows(),
        clock=fixed_clock(NOW),
        consent=consent,
        shops=shops,
        events=FakeQueue(),
    )


def run_daily(deps, webhook_id="daily-1"):
    """The daily event, then every shop-events message it fans out (and they queue): the last outcome."""
    outcome = process_shop_event(envelope({}, topic="smsflows/daily", webhook_id=webhook_id), deps)
    while deps.events.sent:
        outcome = process_shop_event(ShopEventEnvelope.model_validate(deps.events.sent.pop(0)), deps)
    return outcome


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
    profile = deps.data.profile_items[(SHOP, "customer:7000000001001")]
    assert (profile.phone, profile.phone_status, profile.first_name) == ("+15125550123", "usable", "Ada")
    [msg] = deps.send_queue.sent
    assert msg["to"] == "+15125550123"
    assert msg["category"] == "transactional"
    assert msg["message_id"] == f"order-confirmation:{SHOP}:42"
    assert msg["body"].startswith("Demo Shop: ") and "#1001" in msg["body"]


def test_redelivered_order_reuses_the_message_id(deps):
    order = samples.order(42, 1001, "+15125550123")
    process_shop_event(envelope(order), deps)
    process_shop_event(envelope(order), deps)
    ids = {m["message_id"] for m in deps.send_queue.sent}
    assert len(ids) == 1  # the sender's idempotency on this id stops the second text


def test_documented_example_with_unusable_phone_is_recorded_and_sends_nothing(deps):
    body = (EVENTS / "orders_create.json").read_text()
    outcome = process_shop_event(envelope(body), deps)
    assert outcome.outcome == "processed" and "unusable" in outcome.detail
    [profile] = deps.data.profile_items.values()
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
    store(deps, {"id": 1}, topic="collections/update")
    outcome = process_shop_event(envelope({"id": 1}, topic="collections/update"), deps)
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
    profile = deps.data.profile_items[(SHOP, "customer:7000000001001")]
    assert profile.phone == "+15125550123" and profile.phone_status == "usable"


def test_order_addresses_are_noted_for_quiet_hours(deps):
    process_shop_event(envelope(samples.order(42, 1001, "+15125550123")), deps)
    assert deps.data.places[(SHOP, "+15125550123")] == (
        ("US", "TX", "default_address"),
        ("US", "TX", "shipping_address"),
    )


def subscribe(deps, phone="+15125550123"):
    deps.consent.store.states[(SHOP, phone)] = SubscriberState(
        shop=SHOP, phone=phone, status="subscribed", version=1
    )


def checkout(token, phone="+15125550123"):
    return {"token": token, "abandoned_checkout_url": f"https://demo-shop.example/checkouts/{token}/recover",
            "phone": phone, "customer": {"id": 9, "first_name": "Ada"}, "line_items": [{"title": "Brass Compass"}]}  # fmt: skip


def test_checkout_with_a_subscribed_phone_starts_the_abandoned_flow_with_its_context(deps):
    subscribe(deps)
    outcome = process_shop_event(envelope(checkout("tok1"), topic="checkouts/create"), deps)
    assert "started" in outcome.detail
    [(name, (flow, payload))] = deps.flows.started.items()
    assert flow == "abandoned_checkout" and name == definitions.execution_name(
        definitions.ABANDONED_CHECKOUT, SHOP, "tok1"
    )
    assert payload["context"]["product"] == "Brass Compass" and payload["context"]["checkout_url"].endswith(
        "recover"
    )
    assert payload["due"]["s0"] == "2026-11-23T16:00:00Z"  # +1 h


def test_checkout_without_consent_is_kept_but_starts_nothing(deps):
    outcome = process_shop_event(envelope(checkout("tok1"), topic="checkouts/create"), deps)
    assert "no marketing consent" in outcome.detail and deps.flows.started == {}
    assert (SHOP, "tok1") in deps.data.checkouts


def test_a_newer_checkout_replaces_the_older_flow(deps):
    subscribe(deps)
    process_shop_event(envelope(checkout("tok1"), topic="checkouts/create"), deps)
    process_shop_event(envelope(checkout("tok2"), topic="checkouts/create", webhook_id="wh-2"), deps)
    assert deps.flows.stopped == [definitions.execution_name(definitions.ABANDONED_CHECKOUT, SHOP, "tok1")]


def test_the_order_completes_the_checkout_and_stops_its_flow(deps):
    subscribe(deps)
    process_shop_event(envelope(checkout("tok1"), topic="checkouts/create"), deps)
    order = samples.order(42, 1001, "+15125550123")
    order["checkout_token"] = "tok1"
    outcome = process_shop_event(envelope(order, webhook_id="wh-o"), deps)
    assert "1 checkout flow stopped" in outcome.detail
    assert deps.data.checkouts[(SHOP, "tok1")]["completed_at"] == NOW


def test_fulfillment_sends_the_tracking_link_once(deps):
    process_shop_event(envelope(samples.order(42, 1001, "+15125550123")), deps)
    fulfillment = json.loads((EVENTS / "fulfillments_create.json").read_text())
    fulfillment["order_id"] = 42
    process_shop_event(envelope(fulfillment, topic="fulfillments/create", webhook_id="wh-f"), deps)
    shipped = deps.send_queue.sent[-1]
    assert shipped["message_id"] == f"shipping:{SHOP}:123456" and shipped["category"] == "transactional"
    assert "UPS" in shipped["body"] and "https://www.ups.com/WebTracking" in shipped["body"]


@pytest.mark.parametrize(("status", "text", "starts"), [("delivered", "was delivered", True),
                                                         ("failure", "is delayed", False),
                                                         ("in_transit", None, False)])  # fmt: skip
def test_fulfillment_events(deps, status, text, starts):
    process_shop_event(envelope(samples.order(42, 1001, "+15125550123")), deps)
    sent_before = len(deps.send_queue.sent)
    event = {"id": 7, "order_id": 42, "status": status}
    process_shop_event(envelope(event, topic="fulfillment_events/create", webhook_id="wh-e"), deps)
    if text:
        assert text in deps.send_queue.sent[-1]["body"]
    else:
        assert len(deps.send_queue.sent) == sent_before
    assert any(f == "post_purchase" for f, _ in deps.flows.started.values()) is starts


def test_subscribed_event_starts_the_welcome_series_once(deps):
    body = {"phone": "+15125550123", "customer_key": None}
    process_shop_event(envelope(body, topic="smsflows/subscribed"), deps)
    process_shop_event(envelope(body, topic="smsflows/subscribed"), deps)
    assert [f for f, _ in deps.flows.started.values()] == ["welcome"]
    assert "+1512" not in next(iter(deps.flows.started))  # the execution name shows a hash, not the number


def test_daily_job_starts_winback_for_a_30_day_lapse_only(deps):
    from datetime import timedelta

    from smsflows.domain.profiles import ProfileRecord

    for key, days in (("customer:1", 30.5), ("customer:2", 10), ("customer:3", 45)):
        deps.data.profile_items[(SHOP, key)] = ProfileRecord(
            shop=SHOP, customer_key=key, phone="+1512555010" + key[-1], last_order_at=NOW - timedelta(days=days),
            updated_at=NOW,
        )  # fmt: skip
    outcome = run_daily(deps)
    assert outcome.detail.endswith(": 1 win-back flows started, 0 birthday texts queued")
    [(flow, payload)] = deps.flows.started.values()
    assert flow == "winback" and payload["context"]["customer_key"] == "customer:1"


def test_birthday_tag_and_the_daily_birthday_text(deps):
    process_shop_event(envelope(samples.order(42, 1001, "+15125550123")), deps)
    customer = {"id": 7000000001001, "first_name": "Ada", "tags": "vip, birthday:11-23"}
    assert (
        process_shop_event(envelope(customer, topic="customers/update", webhook_id="wh-c"), deps).detail
        == "birthday noted"
    )
    outcome = run_daily(deps, webhook_id="d1")
    assert outcome.detail.endswith("1 birthday texts queued")
    birthday = deps.send_queue.sent[-1]
    assert (
        birthday["category"] == "marketing"
        and "Happy birthday, Ada" in birthday["body"]
        and "BDAY15" in birthday["body"]
    )


def test_back_in_stock_texts_each_sign_up_once(deps):
    deps.data.add_restock(SHOP, "808950810", "+15125550123", "IPod Nano - 8GB", None)
    product = {"id": 632910392, "title": "IPod Nano - 8GB", "handle": "ipod-nano",
               "variants": [{"id": 808950810, "inventory_quantity": 0}]}  # fmt: skip
    assert "0 back-in-stock" in process_shop_event(envelope(product, topic="products/update"), deps).detail
    product["variants"][0]["inventory_quantity"] = 3
    assert (
        "1 back-in-stock"
        in process_shop_event(envelope(product, topic="products/update", webhook_id="w2"), deps).detail
    )
    assert (
        "0 back-in-stock"
        in process_shop_event(envelope(product, topic="products/update", webhook_id="w3"), deps).detail
    )
    text = deps.send_queue.sent[-1]
    assert "IPod Nano - 8GB is back in stock" in text["body"] and "/products/ipod-nano" in text["body"]


def test_a_product_view_by_a_subscribed_customer_starts_one_browse_flow_per_day(deps):
    process_shop_event(envelope(samples.order(42, 1001, "+15125550123")), deps)
    view = {"customer_id": "7000000001001", "product": "Brass Compass", "product_id": "632910392",
            "product_url": "https://demo-shop.example/products/brass-compass"}  # fmt: skip
    assert (
        "no marketing consent"
        in process_shop_event(envelope(view, topic="storefront/product_viewed"), deps).detail
    )
    subscribe(deps)
    assert process_shop_event(
        envelope(view, topic="storefront/product_viewed", webhook_id="v2"), deps
    ).detail.endswith("started")
    assert process_shop_event(
        envelope(view, topic="storefront/product_viewed", webhook_id="v3"), deps
    ).detail.endswith("not started")
    [(_, payload)] = [v for v in deps.flows.started.values() if v[0] == "browse_abandonment"]
    assert payload["context"]["product"] == "Brass Compass" and payload["due"]["s0"] == "2026-11-23T16:30:00Z"
