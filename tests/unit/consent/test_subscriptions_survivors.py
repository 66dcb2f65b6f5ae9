"""What the mutants of consent/subscriptions.py that survived the mutmut 3 run, and that no later test killed,
left unchecked: what a short code asking for HELP is answered, a national number texting a shop abroad, the
whole outcome of every reply to a STOP, a START and a text to a shop that texts nobody, the wait a refused
sign-up is told in words, and the keys a sign-up is recorded and counted under (both are stored, and every
version of the code must compute the same ones)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from smsflows.domain.consent.keywords import classify
from smsflows.domain.consent.ledger import disclosure_version
from smsflows.domain.consent.subscriptions import (
    NO_SOURCE,
    SIGN_UPS_PER_SOURCE_PER_HOUR,
    ConsentShown,
    InboundOutcome,
    InboundSms,
    SubscribeRequest,
    handle_inbound,
    source_key,
    subscribe,
)
from smsflows.domain.messages import stable_id
from smsflows.domain.shops import ShopConfig
from smsflows.runtime.errors import TooManyRequests
from tests.fakes import SIGN_UP_DISCLOSURE, onboarded_shop, shop_sender, sign_up_deps
from tests.fakes import MovableClock as Clock

SHOP = "demo-shop.myshopify.com"
OTHER_SHOP = "other-shop.myshopify.com"
PHONE = "+15125550123"
IP = "203.0.113.7"
NOW = datetime(2026, 11, 23, 17, 0, 40, tzinfo=UTC)
DISCLOSURE = SIGN_UP_DISCLOSURE


def deps(config: ShopConfig, clock=None):
    return sign_up_deps(config, clock=clock or Clock(NOW))


def request(phone: str = "(512) 555-0123", **overrides) -> SubscribeRequest:
    shown = ConsentShown(checked=True, default_checked=False, disclosure_text=DISCLOSURE)
    return SubscribeRequest(**{"shop": SHOP, "phone": phone, "consent": shown, **overrides})


def sms(body: str, sid: str = "SM1", frm: str = PHONE) -> InboundSms:
    return InboundSms.model_validate({"MessageSid": sid, "From": frm, "To": "+15125550000", "Body": body,
                                      "MessagingServiceSid": shop_sender(SHOP)})  # fmt: skip


# POST /sms/inbound to a shop that texts -----------------------------------------------------------------


def test_a_short_code_asking_for_help_gets_the_help_text_and_nothing_is_recorded():
    config = onboarded_shop(SHOP)
    d = deps(config)
    out = handle_inbound(sms("HELP", frm="12345"), d)
    assert out == InboundOutcome("help", config.help_text(), "short code")
    assert d.store.ledger == {} and d.conversations.items == {} and d.send_queue.sent == []


def test_a_stop_from_a_national_number_is_read_in_the_shops_country_confirmed_and_recorded():
    config = onboarded_shop(SHOP, default_country="GB")
    d = deps(config)
    out = handle_inbound(sms("STOP", frm="07700 900123"), d)
    assert (out.intent, out.reply) == ("opt_out", config.opt_out_confirmation_text())
    [event] = d.store.events(SHOP, "+447700900123")
    assert (event.kind, event.source, event.message_sid) == ("opt_out", "keyword", "SM1")
    assert d.store.is_suppressed(SHOP, "+447700900123")


@pytest.mark.parametrize("body", ["STOP", "why am I getting these?"])
def test_the_outcome_of_a_revocation_names_the_classifiers_decision(body):
    config = onboarded_shop(SHOP)
    d = deps(config)
    found = classify(body, config.keywords)
    label = (f"opt_out:{found.keyword}" + ("" if found.certain else " (possible)")
             + (" (review)" if found.review else ""))  # fmt: skip
    # a certain STOP is confirmed; a possible one is suppressed unanswered and flagged for a person
    reply = config.opt_out_confirmation_text() if found.certain else None
    assert handle_inbound(sms(body), d) == InboundOutcome("opt_out", reply, label, review=found.review)


def test_both_kinds_of_revocation_are_exercised_above():
    assert {(classify(b).certain, classify(b).review) for b in ["STOP", "why am I getting these?"]} == {
        (True, False),
        (False, True),
    }


def test_a_start_is_recorded_with_its_keyword_and_answered_once():
    config = onboarded_shop(SHOP)
    d = deps(config)
    assert handle_inbound(sms("START", "SM-start"), d) == InboundOutcome(
        "opt_in", config.opt_in_confirmation_text(), "START"
    )
    [event] = d.store.events(SHOP, PHONE)
    assert (event.kind, event.source, event.classifier) == ("opt_in", "keyword", "opt_in:START")
    # Twilio's retry of the same message: nothing new recorded, and no second answer
    assert handle_inbound(sms("START", "SM-start"), d) == InboundOutcome("opt_in", None, "duplicate")
    assert len(d.store.events(SHOP, PHONE)) == 1


def test_a_start_from_a_subscriber_is_told_so():
    config = onboarded_shop(SHOP)
    d = deps(config)
    handle_inbound(sms("START", "SM1"), d)
    assert handle_inbound(sms("JOIN", "SM2"), d) == InboundOutcome(
        "opt_in", "Demo Shop: You're already subscribed. Reply HELP for help, STOP to cancel."
    )


# POST /sms/inbound to a shop that texts nobody: the outcome says what was done, and why -------------------


@pytest.mark.parametrize(("frm", "kind"), [("12345", "short_code"), ("ShopAlerts", "other")])
def test_a_sender_we_cannot_text_is_named_in_the_outcome(frm, kind):
    d = deps(onboarded_shop(SHOP, status="deactivated"))
    assert handle_inbound(sms("STOP", frm=frm), d) == InboundOutcome(
        "ignored",
        None,
        f"shop_deactivated; sender is not a phone number ({kind})",
        not_texting="shop_deactivated",
    )


@pytest.mark.parametrize(
    ("body", "intent"), [("HELP", "help"), ("where is my order?", "message"), ("VIP", "opt_in")]
)
def test_what_a_shop_that_texts_nobody_keeps_is_named_in_the_outcome(body, intent):
    d = deps(onboarded_shop(SHOP, status="uninstalled", keywords=("VIP",)))
    assert handle_inbound(sms(body), d) == InboundOutcome(
        "ignored",
        None,
        f"shop_uninstalled: {intent} kept as a conversation, not answered",
        not_texting="shop_uninstalled",
    )
    assert d.store.ledger == {} and d.conversations.items["SM1"]["kind"] == "message"


# POST /subscribe: the wait a refused sign-up is told --------------------------------------------------


@pytest.mark.parametrize(
    ("at", "minutes", "wait"),
    [
        ("17:10:00", 50, 3000),
        ("17:09:30", 51, 3030),  # a part of a minute counts as one
        ("17:58:59", 2, 61),
        ("17:59:30", 1, 30),
    ],
)
def test_a_source_past_its_limit_is_told_in_minutes_how_long_to_wait(at, minutes, wait):
    hour, minute, second = map(int, at.split(":"))
    d = deps(onboarded_shop(SHOP), Clock(NOW.replace(hour=hour, minute=minute, second=second)))
    for i in range(SIGN_UPS_PER_SOURCE_PER_HOUR):
        subscribe(request(f"(512) 555-0{200 + i}"), IP, "ua", d)
    with pytest.raises(TooManyRequests) as refused:
        subscribe(request("(512) 555-0299"), IP, "ua", d)
    assert str(refused.value) == f"too many sign-ups from this address; try again in {minutes} min"
    assert refused.value.retry_after_s == wait


# POST /subscribe: the stored keys ---------------------------------------------------------------------


def test_a_sign_up_without_a_submission_id_is_recorded_under_the_key_of_its_minute():
    """The event id is the ledger's idempotency key: a retry that a newer deployment handles must find the
    event an older one wrote (or the double opt-in text goes twice), so its recipe is fixed here: the
    source, then the number, the disclosure's version and the minute (YYYYmmddHHMM, UTC) hashed."""
    d = deps(onboarded_shop(SHOP))
    subscribe(request(), IP, "ua", d)
    key = "web_form:form:" + stable_id(SHOP, PHONE, disclosure_version(DISCLOSURE), "202611231700")
    [event] = d.store.events(SHOP, PHONE)
    assert event.event_id == key
    assert [m["message_id"] for m in d.send_queue.sent] == [f"doi:{key}"]


@pytest.mark.parametrize(
    ("ip", "counted_as"),
    [
        (None, NO_SOURCE),
        ("not-an-address", NO_SOURCE),
        ("203.0.113.7", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
    ],
)
def test_the_key_a_source_is_counted_under(ip, counted_as):
    """The limits table keeps each source's count under this key: 32 hex digits of the SHA-256 of the shop
    and the address (its /64 for IPv6). Every deployment must count one source under one key, or a deploy
    in the middle of an hour would start that source's count afresh."""
    assert source_key(SHOP, ip) == hashlib.sha256(f"{SHOP}|{counted_as}".encode()).hexdigest()[:32]


def test_each_shop_counts_an_address_under_a_key_of_its_own():
    d = deps(onboarded_shop(SHOP))
    d.shops.put(onboarded_shop(OTHER_SHOP, brand_name="Demo Shop"))
    subscribe(request(), IP, "ua", d)
    subscribe(request(shop=OTHER_SHOP), IP, "ua", d)
    counted = {shop: source for shop, source, _ in d.opt_in_limits.counts}
    assert counted == {SHOP: source_key(SHOP, IP), OTHER_SHOP: source_key(OTHER_SHOP, IP)}
    assert counted[SHOP] != counted[OTHER_SHOP]  # the table cannot tell that one address used both shops
