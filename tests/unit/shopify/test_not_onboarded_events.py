"""Shop events of a shop that texts nobody (issue 14: shops exist only when onboarded): not onboarded,
deactivated, uninstalled or redacted. What arrived is kept in the webhook inbox with the reason, consent is
recorded (a revocation is never lost), Shopify's privacy webhooks are answered, and nothing else is kept or
texted; onboarding later does not text about what came before."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smsflows.domain.consent.subscriptions import ConsentDeps
from smsflows.domain.shopify.events import ShopEventDeps, ShopEventEnvelope, process_shop_event
from smsflows.domain.shopify.privacy import PrivacyDeps
from smsflows.domain.shopify.records import InboxRecord
from smsflows.domain.shopify.shop_settings import onboard
from smsflows.domain.shops import ShopConfig
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

SHOP = "ghost.myshopify.com"
PHONE = "+15125550123"
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


class PrivacyStore:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.exports: dict[tuple[str, str], dict[str, Any]] = {}

    def collect(self, shop, customer_id, phones, orders):
        self.calls.append("collect")
        return {"orders": []}

    def phones_of(self, shop, customer_id):
        return []

    def save_export(self, shop, request_id, payload):
        self.exports[(shop, request_id)] = payload

    def load_export(self, shop, request_id):
        return self.exports.get((shop, request_id))

    def erase_subject(self, shop, customer_id, phones, orders, mentions=()):
        self.calls.append("erase_subject")
        return 0

    def erase_shop(self, shop):
        self.calls.append("erase_shop")
        return 0


def make_deps(*configs: ShopConfig) -> ShopEventDeps:
    shops = FakeShopConfigs(*configs)
    store, queue, flows = FakeConsentStore(), FakeQueue(), FakeFlows()
    consent = ConsentDeps(store=store, shops=shops, send_queue=queue, conversations=FakeConversations(),
                          clock=fixed_clock(NOW), events=FakeQueue())  # fmt: skip
    privacy = PrivacyDeps(store=PrivacyStore(), shops=shops, flows=flows, clock=fixed_clock(NOW))
    return ShopEventDeps(inbox=FakeInbox(), data=FakeShopData(store), send_queue=queue, flows=flows,
                         clock=fixed_clock(NOW), consent=consent, privacy=privacy, shops=shops,
                         events=FakeQueue())  # fmt: skip


def arrive(deps: ShopEventDeps, body: Any, topic: str, webhook_id: str = "wh-1", at: datetime = NOW):
    """As the webhook route leaves it: the record in the inbox, the envelope on the queue; then processed."""
    raw = json.dumps(body).encode()
    deps.inbox.record(InboxRecord(shop=SHOP, webhook_id=webhook_id, topic=topic, received_at=at, body=raw))
    deps.inbox.mark(SHOP, webhook_id, "received")
    envelope = ShopEventEnvelope(shop=SHOP, topic=topic, webhook_id=webhook_id, received_at=at.isoformat(),
                                 body=raw.decode())  # fmt: skip
    return process_shop_event(envelope, deps)


def nothing_texted_or_started(deps: ShopEventDeps) -> bool:
    return deps.send_queue.sent == [] and deps.flows.started == {}  # type: ignore[attr-defined]


STOPPED = [
    pytest.param((), "shop_not_onboarded", id="never-onboarded"),
    pytest.param((onboarded_shop(SHOP, status="deactivated"),), "shop_deactivated", id="deactivated"),
    pytest.param((onboarded_shop(SHOP, status="uninstalled"),), "shop_uninstalled", id="uninstalled"),
    pytest.param((ShopConfig(shop=SHOP, status="redacted"),), "shop_redacted", id="redacted"),
    pytest.param((ShopConfig(shop=SHOP, brand_name="Ghost"),), "shop_not_onboarded", id="incomplete-record"),
]
CHECKOUT = {"token": "tok1", "abandoned_checkout_url": "https://ghost.example/c/tok1", "phone": PHONE,
            "customer": {"id": 9, "first_name": "Ada"}, "line_items": [{"title": "Brass Compass"}]}  # fmt: skip


@pytest.mark.parametrize(("configs", "reason"), STOPPED)
@pytest.mark.parametrize(
    ("topic", "body"),
    [
        ("orders/create", samples.order(42, 1001, "(512) 555-0123")),
        ("checkouts/create", CHECKOUT),
        (
            "fulfillments/create",
            {"id": 1, "order_id": 42, "tracking_company": "UPS", "tracking_number": "1Z"},
        ),
        ("fulfillment_events/create", {"id": 2, "order_id": 42, "status": "delivered"}),
        ("customers/update", {"id": 9, "tags": "birthday:11-23"}),
        ("products/update", {"id": 5, "title": "Compass", "variants": [{"id": 6, "inventory_quantity": 3}]}),
        ("smsflows/subscribed", {"phone": PHONE}),
    ],
)
def test_an_event_of_a_shop_that_texts_nobody_is_kept_with_the_reason_and_does_nothing(
    configs, reason, topic, body
):
    deps = make_deps(*configs)
    outcome = arrive(deps, body, topic)
    assert (outcome.outcome, outcome.detail) == ("ignored", reason)
    stored = deps.inbox.get(SHOP, "wh-1")
    assert (stored.state, stored.reason) == ("ignored", reason) and stored.body  # the body is kept
    assert nothing_texted_or_started(deps)
    data = deps.data
    assert (data.orders, data.profile_items, data.checkouts) == ({}, {}, {})  # nothing of it kept
    assert deps.inbox.ignored() == [{"shop": SHOP, "webhook_id": "wh-1", "topic": topic,
                                     "received_at": NOW.isoformat(), "reason": reason}]  # fmt: skip


@pytest.mark.parametrize(("configs", "reason"), STOPPED)
def test_consent_from_shopify_is_recorded_for_any_shop_and_nothing_is_texted(configs, reason):
    deps = make_deps(*configs)
    revoked = {"id": 7, "phone": "(512) 555-0123", "sms_marketing_consent": {"state": "unsubscribed"}}
    outcome = arrive(deps, revoked, "customers_marketing_consent/update")
    assert outcome.outcome == "ignored" and outcome.detail == f"{reason}: consent opt_out; nothing texted"
    assert deps.consent.store.state(SHOP, PHONE).status == "unsubscribed"
    assert deps.consent.store.is_suppressed(SHOP, PHONE)
    assert deps.inbox.get(SHOP, "wh-1").reason == outcome.detail
    given = {"id": 7, "phone": "(512) 555-0124", "sms_marketing_consent": {"state": "subscribed"}}
    arrive(deps, given, "customers_marketing_consent/update", webhook_id="wh-2")
    assert deps.consent.store.state(SHOP, "+15125550124").subscribed  # the shop's, given in Shopify
    assert nothing_texted_or_started(deps)
    # the consent engine's "subscribed" event comes back on the queue: it starts no welcome series
    [announced] = deps.consent.events.sent  # type: ignore[attr-defined]
    assert process_shop_event(ShopEventEnvelope.model_validate(announced), deps).detail == reason
    assert nothing_texted_or_started(deps)


def test_a_checkouts_sms_consent_is_recorded_but_the_checkout_is_not_kept():
    deps = make_deps()
    body = {**CHECKOUT, "buyer_accepts_sms_marketing": True, "sms_marketing_phone": "(512) 555-0123"}
    outcome = arrive(deps, body, "checkouts/create")
    assert outcome.outcome == "ignored"
    assert outcome.detail == "shop_not_onboarded: checkout consent: opt_in; nothing texted"
    assert deps.consent.store.state(SHOP, PHONE).subscribed
    assert deps.data.checkouts == {} and nothing_texted_or_started(deps)


def test_the_privacy_webhooks_are_answered_for_a_shop_nobody_onboarded_without_making_it_a_shop():
    deps = make_deps()
    request = {
        "customer": {"id": 9, "phone": "(512) 555-0123"},
        "data_request": {"id": 77},
        "orders_requested": [],
    }
    assert arrive(deps, request, "customers/data_request").outcome == "processed"
    assert deps.privacy.store.load_export(SHOP, "77") is not None  # type: ignore[union-attr]
    redact = {"customer": {"id": 9, "phone": "(512) 555-0123"}, "orders_to_redact": []}
    assert arrive(deps, redact, "customers/redact", webhook_id="wh-2").outcome == "processed"
    assert arrive(deps, {}, "app/uninstalled", webhook_id="wh-3").outcome == "processed"
    assert deps.shops.get(SHOP) is None  # type: ignore[union-attr]
    assert arrive(deps, {"shop_domain": SHOP}, "shop/redact", webhook_id="wh-4").outcome == "processed"
    redacted = deps.shops.get(SHOP)  # type: ignore[union-attr]
    assert redacted == ShopConfig(shop=SHOP, status="redacted") and not redacted.onboarded
    assert deps.privacy.store.calls == ["collect", "erase_subject", "erase_shop"]  # type: ignore[union-attr]
    assert deps.inbox.ignored() == []


def test_an_uninstall_leaves_a_redacted_shop_redacted():
    deps = make_deps(ShopConfig(shop=SHOP, status="redacted"))
    assert "nothing to mark" in arrive(deps, {}, "app/uninstalled").detail
    assert deps.shops.get(SHOP).status == "redacted"  # type: ignore[union-attr]


def test_a_paused_shop_keeps_what_arrives_and_texts_nothing_as_before():
    deps = make_deps(onboarded_shop(SHOP, status="paused"))
    outcome = arrive(deps, samples.order(42, 1001, "(512) 555-0123"), "orders/create")
    assert outcome.outcome == "processed" and "disabled" in outcome.detail
    assert (SHOP, "42") in deps.data.orders and nothing_texted_or_started(deps)


def test_onboarding_later_does_not_text_about_what_arrived_before():
    deps = make_deps()
    order = samples.order(42, 1001, "(512) 555-0123")
    assert arrive(deps, order, "orders/create").outcome == "ignored"
    settings = {"brand_name": "Ghost", "support_contact": "help@ghost.example",
                "terms_url": "https://ghost.example/terms", "privacy_url": "https://ghost.example/privacy",
                "senders": "MG" + "1" * 32, "throughput": {"sender_type": "toll_free"}}  # fmt: skip
    deps.shops.put(onboard(SHOP, settings, now=NOW + timedelta(hours=1)))  # type: ignore[union-attr]
    # the same event again (an SQS redelivery, a DLQ or webhook replay): received before onboarding
    old = ShopEventEnvelope(shop=SHOP, topic="orders/create", webhook_id="wh-1", received_at=NOW.isoformat(),
                            body=json.dumps(order))  # fmt: skip
    outcome = process_shop_event(old, deps)
    assert (outcome.outcome, outcome.detail) == ("ignored", "shop_not_onboarded when it was received")
    assert nothing_texted_or_started(deps) and deps.data.orders == {}
    # what arrives after onboarding is texted
    later = NOW + timedelta(hours=2)
    assert arrive(
        deps, samples.order(43, 1002, "(512) 555-0123"), "orders/create", "wh-2", at=later
    ).outcome == ("processed")
    [text] = deps.send_queue.sent
    assert "#1002" in text["body"] and text["body"].startswith("Ghost: ")


@pytest.mark.parametrize(
    ("phone", "detail"),
    [("555-555-SHIP", "no usable phone (unusable)"), ("(512) 555-0123", "order confirmation")],
)
def test_a_processed_webhook_keeps_what_was_done_with_it(phone, detail):
    deps = make_deps(onboarded_shop(SHOP))
    outcome = arrive(deps, samples.order(42, 1001, phone), "orders/create")
    stored = deps.inbox.get(SHOP, "wh-1")
    assert outcome.outcome == "processed" and stored is not None
    assert (stored.state, stored.reason) == ("processed", outcome.detail) and detail in outcome.detail
