"""STOP and HELP from any sender Twilio delivers (RULES.md A5: revocation by any reasonable means).

Twilio delivers `From` in E.164. A number the pinned phone library does not know (a newly opened area code)
is still a person who can revoke: the revocation is recorded (ledger event and hashed suppression) and HELP
is answered. Only senders that are not phone numbers at all are ignored."""

from datetime import UTC, datetime

import phonenumbers
import pytest

from smsflows.domain.consent.ledger import suppression_key
from smsflows.domain.consent.subscriptions import (
    ConsentDeps,
    InboundSms,
    handle_inbound,
    manual_opt_out,
    shopify_consent_update,
)
from smsflows.domain.phones import inbound_sender
from smsflows.runtime.clock import fixed_clock
from tests.fakes import (
    FakeConsentStore,
    FakeConversations,
    FakeQueue,
    FakeShopConfigs,
    onboarded_shop,
    shop_sender,
)

SHOP = "demo-shop.myshopify.com"
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
# An area code the pinned library has no range for (assigned after its metadata was cut, or not yet).
UNKNOWN_RANGE = "+13575550123"


def deps() -> ConsentDeps:
    config = onboarded_shop(SHOP)
    return ConsentDeps(store=FakeConsentStore(), shops=FakeShopConfigs(config), send_queue=FakeQueue(),
                       conversations=FakeConversations(), clock=fixed_clock(NOW))  # fmt: skip


def sms(body: str, sender: str, sid: str = "SM1") -> InboundSms:
    return InboundSms.model_validate(
        {
            "MessageSid": sid,
            "From": sender,
            "To": "+15125550000",
            "Body": body,
            "MessagingServiceSid": shop_sender(SHOP),
        }
    )


def test_the_example_number_is_one_the_pinned_library_rejects():
    parsed = phonenumbers.parse(UNKNOWN_RANGE, None)
    assert phonenumbers.is_possible_number(parsed) and not phonenumbers.is_valid_number(parsed)


def test_stop_from_a_number_the_library_rejects_is_recorded_suppressed_and_confirmed():
    d = deps()
    out = handle_inbound(sms("STOP", UNKNOWN_RANGE), d)
    assert out.intent == "opt_out" and out.reply is not None and "unsubscribed" in out.reply
    [event] = d.store.events(SHOP, UNKNOWN_RANGE)
    assert (event.kind, event.source, event.message_sid, event.raw_text) == (
        "opt_out",
        "keyword",
        "SM1",
        "STOP",
    )
    assert d.store.is_suppressed(SHOP, UNKNOWN_RANGE)
    assert suppression_key(SHOP, UNKNOWN_RANGE) in d.store.suppressed and UNKNOWN_RANGE not in str(
        d.store.suppressed
    )


def test_help_from_a_number_the_library_rejects_is_answered():
    out = handle_inbound(sms("HELP", UNKNOWN_RANGE), deps())
    assert out.intent == "help" and out.reply is not None and "Demo Shop" in out.reply


@pytest.mark.parametrize("sender", ["ACME", "DemoShop", "+1", "+10005550123", "+4412"])
def test_a_sender_that_is_not_a_phone_number_is_ignored_and_nothing_is_recorded(sender):
    d = deps()
    out = handle_inbound(sms("STOP", sender), d)
    assert out.intent == "ignored" and out.reply is None and "not a phone number" in out.detail
    assert d.store.ledger == {} and d.store.suppressed == set()


def test_a_short_code_gets_help_but_nothing_else_is_recorded_or_answered():
    d = deps()
    assert handle_inbound(sms("HELP", "12345", "SM1"), d).reply is not None
    for i, body in enumerate(["STOP", "START", "hello there"]):
        out = handle_inbound(sms(body, "12345", f"SM{i + 2}"), d)
        assert (out.intent, out.reply) == ("ignored", None)
    assert d.store.ledger == {} and d.conversations.items == {}


@pytest.mark.parametrize(
    ("raw", "region", "kind", "address"),
    [
        ("+13575550123", "US", "phone", "+13575550123"),
        ("+1 (206) 555-0100", "US", "phone", "+12065550100"),
        ("2065550100", "US", "phone", "+12065550100"),
        ("07911 123456", "GB", "phone", "+447911123456"),
        ("+447700900123", "US", "phone", "+447700900123"),
        ("12345", "US", "short_code", "12345"),
        ("ACME", "US", "other", None),
        ("+10005550123", "US", "other", None),  # NANP area codes never start with 0 or 1
        ("+12061550100", "US", "other", None),  # nor do exchanges
        ("", "US", "other", None),
    ],
)
def test_inbound_sender_reads_every_possible_number(raw, region, kind, address):
    got = inbound_sender(raw, region)
    assert (got.kind, got.address) == (kind, address)


def test_shopifys_unsubscribe_for_a_number_the_library_rejects_is_recorded_but_not_a_subscribe():
    d = deps()
    payload = {"id": 7, "phone": UNKNOWN_RANGE, "sms_marketing_consent": {"state": "unsubscribed"}}
    assert shopify_consent_update(SHOP, "wh-1", payload, d) == "opt_out"
    assert d.store.is_suppressed(SHOP, UNKNOWN_RANGE)
    payload = {"id": 7, "phone": UNKNOWN_RANGE, "sms_marketing_consent": {"state": "subscribed"}}
    assert shopify_consent_update(SHOP, "wh-2", payload, d).startswith("ignored")
    assert d.store.state(SHOP, UNKNOWN_RANGE).status == "unsubscribed"


def test_a_manual_opt_out_for_a_number_the_library_rejects_is_recorded():
    d = deps()
    rec = manual_opt_out(SHOP, "(357) 555-0123", "asked by phone", d)
    assert rec.after.phone == UNKNOWN_RANGE and rec.after.status == "unsubscribed"
