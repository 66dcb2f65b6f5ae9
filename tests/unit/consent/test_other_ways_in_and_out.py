"""The README's other ways in and out (its tables "way in" / "way out"): Shopify's consent webhook in both
directions and an opt-out by hand, each recorded with its source and proof, each refusing what it cannot
use and then changing nothing."""

from datetime import UTC, datetime

import pytest

from smsflows.domain.consent.subscriptions import ConsentDeps, manual_opt_out, shopify_consent_update
from smsflows.runtime.clock import fixed_clock
from smsflows.runtime.errors import BadRequest
from tests.fakes import FakeConsentStore, FakeConversations, FakeQueue, FakeShopConfigs, onboarded_shop

SHOP = "demo-shop.myshopify.com"
PHONE = "+15125550123"
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def deps(country: str = "US") -> ConsentDeps:
    config = onboarded_shop(SHOP, default_country=country)
    return ConsentDeps(store=FakeConsentStore(), shops=FakeShopConfigs(config), send_queue=FakeQueue(),
                       conversations=FakeConversations(), clock=fixed_clock(NOW))  # fmt: skip


def consent_payload(state: str | None, phone: str | None = "(512) 555-0123") -> dict:
    sms = {"state": state, "opt_in_level": "single_opt_in", "consent_collected_from": "SHOPIFY",
           "consent_updated_at": "2026-11-23T16:59:00Z"} if state else None  # fmt: skip
    return {"id": 7001, "phone": phone, "sms_marketing_consent": sms}


def test_a_manual_opt_out_is_recorded_with_its_note_and_source():
    d = deps()
    rec = manual_opt_out(SHOP, "(512) 555-0123", "asked by e-mail", d)
    assert rec.after.status == "unsubscribed" and not rec.duplicate
    [event] = d.store.events(SHOP, PHONE)
    assert (event.kind, event.source, event.classifier, event.note) == (
        "opt_out",
        "manual",
        "manual",
        "asked by e-mail",
    )
    assert event.event_id.startswith("manual:") and event.at == NOW
    assert d.store.is_suppressed(SHOP, PHONE)


def test_a_manual_opt_out_reads_national_numbers_in_the_shops_country():
    d = deps(country="GB")
    manual_opt_out(SHOP, "07911 123456", "phoned the shop", d)
    assert d.store.state(SHOP, "+447911123456").status == "unsubscribed"


@pytest.mark.parametrize("garbage", ["call me", "12", "+1 (000) 000-0000", ""])
def test_a_manual_opt_out_of_something_that_is_not_a_number_changes_nothing(garbage):
    d = deps()
    with pytest.raises(BadRequest, match="is not a phone number"):
        manual_opt_out(SHOP, garbage, "x", d)
    assert d.store.events(SHOP, PHONE) == [] and d.store.ledger == {}


@pytest.mark.parametrize(
    ("state", "kind", "status"),
    [("subscribed", "opt_in", "subscribed"), ("unsubscribed", "opt_out", "unsubscribed"),
     ("not_subscribed", "opt_out", "unsubscribed"), ("redacted", "opt_out", "unsubscribed")],
)  # fmt: skip
def test_shopifys_consent_webhook_records_both_directions_with_its_proof(state, kind, status):
    d = deps()
    assert shopify_consent_update(SHOP, "wh-1", consent_payload(state), d) == kind
    assert d.store.state(SHOP, PHONE).status == status
    [event] = d.store.events(SHOP, PHONE)
    assert (event.event_id, event.kind, event.source, event.classifier) == (
        "shopify:wh-1",
        kind,
        "shopify_consent",
        f"shopify:{state}",
    )
    assert event.shopify_customer_id == "7001" and event.at == NOW
    assert event.note == (
        f"shopify state={state} level=single_opt_in from=SHOPIFY updated=2026-11-23T16:59:00Z"
    )


def test_a_redelivered_consent_webhook_is_recorded_once():
    d = deps()
    shopify_consent_update(SHOP, "wh-1", consent_payload("unsubscribed"), d)
    shopify_consent_update(SHOP, "wh-1", consent_payload("unsubscribed"), d)
    assert len(d.store.events(SHOP, PHONE)) == 1


@pytest.mark.parametrize(
    ("payload", "answer"),
    [
        (consent_payload("subscribed", phone=None), "ignored: no usable phone or consent state"),
        (consent_payload("subscribed", phone="555-SHIP"), "ignored: no usable phone or consent state"),
        (consent_payload(None), "ignored: no usable phone or consent state"),
        (consent_payload("pending"), "ignored: state pending"),
    ],
    ids=["no-phone", "bad-phone", "no-state", "unknown-state"],
)
def test_a_consent_webhook_it_cannot_use_changes_nothing(payload, answer):
    d = deps()
    assert shopify_consent_update(SHOP, "wh-1", payload, d) == answer
    assert d.store.ledger == {}


def test_shopifys_consent_webhook_reads_national_numbers_in_the_shops_country_both_ways():
    d = deps(country="GB")
    assert (
        shopify_consent_update(SHOP, "wh-1", consent_payload("subscribed", phone="07911 123456"), d)
        == "opt_in"
    )
    assert (
        shopify_consent_update(SHOP, "wh-2", consent_payload("unsubscribed", phone="07911 123456"), d)
        == "opt_out"
    )
    assert [e.kind for e in d.store.events(SHOP, "+447911123456")] == ["opt_in", "opt_out"]


def test_a_checkout_consent_names_the_customer_by_customer_id_and_none_when_there_is_none():
    d = deps()
    payload = {
        "customer_id": 7002,
        "phone": "(512) 555-0123",
        "sms_marketing_consent": {"state": "subscribed"},
    }
    shopify_consent_update(SHOP, "wh-1", payload, d)
    payload = {"phone": "(512) 555-0123", "sms_marketing_consent": {"state": "unsubscribed"}}
    shopify_consent_update(SHOP, "wh-2", payload, d)
    assert [e.shopify_customer_id for e in d.store.events(SHOP, PHONE)] == ["7002", None]


def test_a_manual_opt_out_of_a_short_code_is_refused():
    with pytest.raises(BadRequest, match="is not a phone number"):
        manual_opt_out(SHOP, "12345", "x", deps())


def test_manual_opt_outs_are_keyed_by_shop_number_and_time_and_keep_500_characters_of_note():
    d = deps()
    manual_opt_out(SHOP, "(512) 555-0123", "n" * 600, d)
    manual_opt_out(SHOP, "(512) 555-0124", "by phone", d)
    [first] = d.store.events(SHOP, PHONE)
    [second] = d.store.events(SHOP, "+15125550124")
    assert first.event_id != second.event_id and len(first.note) == 500
    other_shop = deps()
    other_shop.shops.put(onboarded_shop("other-shop.myshopify.com"))
    manual_opt_out("other-shop.myshopify.com", "(512) 555-0123", "n", other_shop)
    [third] = other_shop.store.events("other-shop.myshopify.com", PHONE)
    assert third.event_id != first.event_id
