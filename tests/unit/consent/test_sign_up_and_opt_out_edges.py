"""Edges of the ways in and out that the other consent tests do not reach: a vanity number's refusal, the
number as typed kept only when it differs, two shops of one brand signing up the same number in the same
minute, Shopify's consent webhook and a manual opt-out for a shop with no config, and a second manual
opt-out after the person came back."""

from datetime import UTC, datetime, timedelta

import pytest

from smsflows.domain.consent.ledger import ConsentEvent
from smsflows.domain.consent.subscriptions import (
    ConsentDeps,
    ConsentShown,
    SubscribeRequest,
    manual_opt_out,
    record_and_announce,
    shopify_consent_update,
    subscribe,
)
from smsflows.runtime.errors import BadRequest
from tests.fakes import (
    SIGN_UP_DISCLOSURE,
    onboarded_shop,
    sign_up_deps,
)
from tests.fakes import MovableClock as Clock

SHOP = "demo-shop.myshopify.com"
STAGING = "demo-shop-staging.myshopify.com"  # the same brand's second store
PHONE = "+15125550123"
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
DISCLOSURE = SIGN_UP_DISCLOSURE


def deps(*shops: str, clock: Clock | None = None) -> ConsentDeps:
    configs = [onboarded_shop(s, brand_name="Demo Shop") for s in shops]
    return sign_up_deps(*configs, clock=clock or Clock(NOW))


def request(shop: str = SHOP, phone: str = "(512) 555-0123") -> SubscribeRequest:
    shown = ConsentShown(checked=True, default_checked=False, disclosure_text=DISCLOSURE)
    return SubscribeRequest(shop=shop, phone=phone, consent=shown)


def test_a_vanity_number_is_refused_for_its_letters_and_nothing_is_written():
    d = deps(SHOP)
    with pytest.raises(BadRequest) as err:
        subscribe(request(phone="512-555-CALL"), None, None, d)
    assert str(err.value) == "phone must be written with digits (letters are not a number we can text)"
    assert d.store.ledger == {} and d.send_queue.sent == []


def test_the_number_as_typed_is_kept_only_when_it_differs_from_e164():
    typed_e164, typed_local = deps(SHOP), deps(SHOP)
    subscribe(request(phone=PHONE), None, None, typed_e164)
    subscribe(request(phone="(512) 555-0123"), None, None, typed_local)
    [as_e164] = typed_e164.store.events(SHOP, PHONE)
    [as_local] = typed_local.store.events(SHOP, PHONE)
    assert as_e164.phone_as_typed is None
    assert as_local.phone_as_typed == "(512) 555-0123"


def test_two_shops_of_one_brand_each_send_their_own_double_opt_in_for_one_number_in_one_minute():
    d = deps(SHOP, STAGING)
    subscribe(request(shop=SHOP), None, None, d)
    subscribe(request(shop=STAGING), None, None, d)
    [ours] = d.store.events(SHOP, PHONE)
    [theirs] = d.store.events(STAGING, PHONE)
    assert ours.disclosure_version == theirs.disclosure_version  # the same text, the same minute
    assert ours.event_id != theirs.event_id
    # the send path keys a text by its message id alone: one id for both would drop the second text
    ids = [m["message_id"] for m in d.send_queue.sent]
    assert [m["shop"] for m in d.send_queue.sent] == [SHOP, STAGING] and len(set(ids)) == 2


def test_shopifys_revocation_for_a_shop_without_a_config_is_recorded():
    d = deps()
    payload = {"id": 7001, "phone": "(512) 555-0123", "sms_marketing_consent": {"state": "unsubscribed"}}
    assert shopify_consent_update(SHOP, "wh-1", payload, d) == "opt_out"
    [event] = d.store.events(SHOP, PHONE)
    assert (event.kind, event.source, event.event_id) == ("opt_out", "shopify_consent", "shopify:wh-1")


def test_a_manual_opt_out_for_a_shop_without_a_config_is_recorded():
    d = deps()
    rec = manual_opt_out(SHOP, "(512) 555-0123", "asked by phone", d)
    assert rec.after.status == "unsubscribed" and not rec.duplicate
    assert [e.kind for e in d.store.events(SHOP, PHONE)] == ["opt_out"]


def test_a_second_manual_opt_out_after_the_person_came_back_unsubscribes_them_again():
    clock = Clock(NOW)
    d = deps(SHOP, clock=clock)
    manual_opt_out(SHOP, PHONE, "asked by e-mail", d)
    clock.now = NOW + timedelta(days=3)
    record_and_announce(d, ConsentEvent(event_id="sms:SM1", shop=SHOP, phone=PHONE, kind="opt_in",
                                        source="keyword", at=clock.now))  # fmt: skip
    assert d.store.state(SHOP, PHONE).subscribed
    clock.now = NOW + timedelta(days=10)
    rec = manual_opt_out(SHOP, PHONE, "asked by phone", d)
    assert not rec.duplicate and rec.after.status == "unsubscribed"
    assert [e.kind for e in d.store.events(SHOP, PHONE)] == ["opt_out", "opt_in", "opt_out"]
