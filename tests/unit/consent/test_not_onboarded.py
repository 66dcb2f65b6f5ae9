"""The consent engine for a shop that texts nobody (issue 14): not onboarded, deactivated, uninstalled or
redacted. A sign-up is refused with a 404 that says why and writes nothing; an inbound text is recorded and
never answered, a STOP always as an opt-out; consent from Shopify and by hand is recorded. And the records of
a web double opt-in say what happened: source web_form, nothing pending."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smsflows.domain.consent.subscriptions import (
    ConsentShown,
    InboundSms,
    ShopNotTexting,
    SubscribeRequest,
    handle_inbound,
    manual_opt_out,
    shopify_consent_update,
    subscribe,
)
from smsflows.domain.shops import ShopConfig
from tests.fakes import SIGN_UP_DISCLOSURE, onboarded_shop, shop_sender, sign_up_deps

SHOP = "demo-shop.myshopify.com"
PHONE = "+15125550123"
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
DISCLOSURE = SIGN_UP_DISCLOSURE
STOPPED = [
    pytest.param(None, "shop_not_onboarded", id="never-onboarded"),
    pytest.param(onboarded_shop(SHOP, status="deactivated"), "shop_deactivated", id="deactivated"),
    pytest.param(onboarded_shop(SHOP, status="uninstalled"), "shop_uninstalled", id="uninstalled"),
    pytest.param(ShopConfig(shop=SHOP, status="redacted"), "shop_redacted", id="redacted"),
    pytest.param(ShopConfig(shop=SHOP, brand_name="Ghost"), "shop_not_onboarded", id="incomplete-record"),
]


def deps(config: ShopConfig | None):
    d = sign_up_deps(*([config] if config else []), clock=lambda: NOW)
    d.default_shop = SHOP  # an inbound text to a number no shop owns is the deployment's shop's
    return d


def request(**overrides) -> SubscribeRequest:
    shown = ConsentShown(checked=True, default_checked=False, disclosure_text=DISCLOSURE)
    return SubscribeRequest(**{"shop": SHOP, "phone": "(512) 555-0123", "consent": shown, **overrides})


def sms(body: str, sid: str = "SM1") -> InboundSms:
    return InboundSms.model_validate({"MessageSid": sid, "From": PHONE, "To": "+15125550000", "Body": body,
                                      "MessagingServiceSid": shop_sender(SHOP)})  # fmt: skip


@pytest.mark.parametrize(
    ("config", "reason"),
    [*STOPPED, pytest.param(onboarded_shop(SHOP, status="paused"), "shop_paused", id="paused")],
)
def test_a_sign_up_for_a_shop_that_does_not_text_is_a_404_that_says_why_and_writes_nothing(config, reason):
    d = deps(config)
    with pytest.raises(ShopNotTexting) as caught:
        subscribe(request(), "198.51.100.7", "ua", d)
    assert (caught.value.status_code, caught.value.code) == (404, reason)
    assert str(caught.value).startswith(f"shop {SHOP} ") and "SMS sign-ups are not open" in str(caught.value)
    assert d.store.ledger == {} and d.send_queue.sent == []  # no consent request on record, no text
    assert d.opt_in_limits.counts == {} and d.opt_in_limits.holds == {}  # not even counted


@pytest.mark.parametrize(("config", "reason"), STOPPED)
@pytest.mark.parametrize("body", ["STOP", "stop texting me please", "UNSUBSCRIBE"])
def test_a_stop_to_a_shop_that_texts_nobody_is_recorded_and_not_answered(config, reason, body):
    d = deps(config)
    out = handle_inbound(sms(body), d)
    assert (out.intent, out.reply, out.not_texting) == ("opt_out", None, reason)
    assert out.detail.endswith(f"; {reason}: recorded, not answered")
    [event] = d.store.events(SHOP, PHONE)
    assert (event.kind, event.source, event.message_sid) == ("opt_out", "keyword", "SM1")
    assert d.store.is_suppressed(SHOP, PHONE) and d.store.state(SHOP, PHONE).status == "unsubscribed"
    assert d.send_queue.sent == []


@pytest.mark.parametrize(("config", "reason"), STOPPED)
@pytest.mark.parametrize("body", ["HELP", "START", "JOIN", "YES", "where is my order?"])
def test_anything_else_is_kept_as_a_conversation_and_neither_answered_nor_taken_as_consent(
    config, reason, body
):
    d = deps(config)
    out = handle_inbound(sms(body), d)
    assert (out.intent, out.reply, out.not_texting, out.forward) == ("ignored", None, reason, None)
    assert d.store.ledger == {}  # an opt-in needs its confirmation text (A3.2), which this shop cannot send
    [kept] = d.conversations.items.values()
    assert (kept["shop"], kept["phone"], kept["body"]) == (SHOP, PHONE, body)
    assert d.send_queue.sent == []


def test_a_stop_to_a_number_of_a_deleted_shop_is_still_recorded_under_that_shop():
    d = deps(onboarded_shop(SHOP))
    d.default_shop = None  # the number itself says whose it is
    assert d.shops.delete(SHOP)
    out = handle_inbound(sms("STOP"), d)
    assert (out.intent, out.reply, out.not_texting) == ("opt_out", None, "shop_not_onboarded")
    assert d.store.is_suppressed(SHOP, PHONE)


def test_a_yes_to_a_request_made_before_the_shop_was_deactivated_is_not_a_confirmation():
    d = deps(onboarded_shop(SHOP))
    subscribe(request(submission_id="s1"), "198.51.100.7", "ua", d)
    d.shops.put(onboarded_shop(SHOP, status="deactivated"))
    assert handle_inbound(sms("Y"), d).intent == "ignored"
    assert d.store.state(SHOP, PHONE).status == "pending"  # still pending: a YES once it is active confirms
    d.shops.put(onboarded_shop(SHOP))
    assert handle_inbound(sms("Y", "SM2"), d).intent == "confirmed"


@pytest.mark.parametrize(("config", "reason"), STOPPED)
def test_consent_from_shopify_and_by_hand_is_recorded_for_any_shop(config, reason):
    d = deps(config)
    revoked = {"id": 7, "phone": "(512) 555-0123", "sms_marketing_consent": {"state": "unsubscribed"}}
    assert shopify_consent_update(SHOP, "wh-1", revoked, d) == "opt_out"
    assert d.store.is_suppressed(SHOP, PHONE)
    assert manual_opt_out(SHOP, "(512) 555-0124", "asked by e-mail", d).after.status == "unsubscribed"
    assert d.send_queue.sent == []


def test_a_paused_shop_still_answers_stop_and_help_as_before():
    d = deps(onboarded_shop(SHOP, status="paused"))
    assert "unsubscribed" in handle_inbound(sms("STOP"), d).reply
    assert handle_inbound(sms("HELP", "SM2"), d).reply.startswith("Demo Shop: ")


# Records that say what happened (part 6) ---------------------------------------------------------------


@pytest.mark.parametrize("source", ["web_form", "checkout"])
def test_after_a_double_opt_in_the_record_shows_the_sign_ups_source_and_nothing_pending(source):
    d = deps(onboarded_shop(SHOP))
    subscribe(request(submission_id="s1", source=source), "198.51.100.7", "ua", d)
    assert d.store.state(SHOP, PHONE).pending_request == f"{source}:s1"
    out = handle_inbound(sms("Y", "SM-yes"), d)
    assert out.intent == "confirmed" and out.reply is not None
    state = d.store.state(SHOP, PHONE)
    assert (state.status, state.opt_in_source, state.pending_request) == ("subscribed", source, None)
    _, confirmed = d.store.events(SHOP, PHONE)
    assert (confirmed.kind, confirmed.source, confirmed.confirmation_of) == (
        "opt_in_confirmed",
        source,
        f"{source}:s1",
    )
    assert (confirmed.message_sid, confirmed.message_body) == ("SM-yes", "Y")  # the reply is the proof (A8.1)


def test_a_keyword_opt_in_is_still_recorded_as_a_keyword():
    d = deps(onboarded_shop(SHOP))
    handle_inbound(sms("START"), d)
    assert d.store.state(SHOP, PHONE).opt_in_source == "keyword"
