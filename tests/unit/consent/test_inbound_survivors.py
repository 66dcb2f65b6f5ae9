"""What the mutants of consent/subscriptions.py's _handle_inbound that survived the mutmut 3 run, and that no
later test killed, left unchecked: how the ledger names the YES that confirms a sign-up, that a YES
delivered twice at once is answered once, and the conversation handed to the shop's support webhook (the
JSON it is POSTed as, and only for a conversation stored for the first time)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smsflows.domain.consent.subscriptions import (
    ConsentShown,
    InboundOutcome,
    InboundSms,
    SubscribeRequest,
    handle_inbound,
    subscribe,
)
from smsflows.domain.shops import ShopConfig
from tests.fakes import SIGN_UP_DISCLOSURE, FakeConsentStore, onboarded_shop, shop_sender, sign_up_deps
from tests.fakes import MovableClock as Clock

SHOP = "demo-shop.myshopify.com"
PHONE = "+15125550123"
NOW = datetime(2026, 11, 23, 17, 0, 40, tzinfo=UTC)
SUPPORT = "https://support.demo-shop.example/sms"


def deps(config: ShopConfig):
    return sign_up_deps(config, clock=Clock(NOW))


def request(**overrides) -> SubscribeRequest:
    shown = ConsentShown(checked=True, default_checked=False, disclosure_text=SIGN_UP_DISCLOSURE)
    return SubscribeRequest(**{"shop": SHOP, "phone": "(512) 555-0123", "consent": shown, **overrides})


def sms(body: str, sid: str = "SM1") -> InboundSms:
    return InboundSms.model_validate({"MessageSid": sid, "From": PHONE, "To": "+15125550000", "Body": body,
                                      "MessagingServiceSid": shop_sender(SHOP)})  # fmt: skip


# The YES that confirms a sign-up ------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["YES", "Y", "yes please"])
def test_the_yes_that_confirms_a_sign_up_is_recorded_as_the_confirmation_of_that_request(body):
    config = onboarded_shop(SHOP)
    d = deps(config)
    subscribe(request(submission_id="s1", source="checkout"), "198.51.100.7", "ua", d)
    assert handle_inbound(sms(body, "SM-yes"), d) == InboundOutcome(
        "confirmed", config.opt_in_confirmation_text()
    )
    _, confirmed = d.store.events(SHOP, PHONE)
    # whatever the words, the ledger says which rule read them: the confirmation keyword YES
    assert (confirmed.kind, confirmed.source, confirmed.confirmation_of, confirmed.classifier) == (
        "opt_in_confirmed",
        "checkout",
        "checkout:s1",
        "confirm:YES",
    )
    assert (confirmed.event_id, confirmed.message_sid, confirmed.message_body) == (
        "sms:SM-yes",
        "SM-yes",
        body,
    )


class RetryWhileTheFirstDeliveryRuns(FakeConsentStore):
    """The store as Twilio's retry of a YES sees it when the first delivery is still being handled: the
    retry reads the number's state (pending), and the first delivery records the confirmation before the
    retry writes anything."""

    def __init__(self) -> None:
        super().__init__()
        self.retry: tuple[InboundSms, object] | None = None  # (the message, its deps), set by the test
        self.first: list[InboundOutcome] = []

    def state(self, shop, phone):
        seen = super().state(shop, phone)
        if self.retry is not None:
            message, d = self.retry
            self.retry = None
            self.first.append(handle_inbound(message, d))  # the first delivery, start to end
        return seen


def test_a_yes_delivered_twice_at_once_is_recorded_and_answered_once():
    config = onboarded_shop(SHOP)
    d = deps(config)
    d.store = store = RetryWhileTheFirstDeliveryRuns()
    subscribe(request(submission_id="s1"), "198.51.100.7", "ua", d)
    assert d.store.state(SHOP, PHONE).status == "pending"
    store.retry = (sms("YES", "SM-yes"), d)
    retried = handle_inbound(sms("YES", "SM-yes"), d)
    assert store.first == [InboundOutcome("confirmed", config.opt_in_confirmation_text())]
    # the retry read "pending" too, but the ledger already holds its message: no second confirmation text
    assert retried == InboundOutcome("confirmed", None)
    assert [e.kind for e in d.store.events(SHOP, PHONE)] == ["opt_in_requested", "opt_in_confirmed"]
    assert d.store.state(SHOP, PHONE).status == "subscribed"


def test_twilios_later_retry_of_a_confirming_yes_is_neither_answered_nor_handed_to_support():
    config = onboarded_shop(SHOP, support_webhook_url=SUPPORT)
    d = deps(config)
    subscribe(request(submission_id="s1"), "198.51.100.7", "ua", d)
    assert handle_inbound(sms("YES", "SM-yes"), d) == InboundOutcome(
        "confirmed", config.opt_in_confirmation_text()
    )
    # the first delivery finished (subscribed now); Twilio delivers the same message again
    assert handle_inbound(sms("YES", "SM-yes"), d) == InboundOutcome("confirmed", None)
    assert d.conversations.items == {}
    assert [e.kind for e in d.store.events(SHOP, PHONE)] == ["opt_in_requested", "opt_in_confirmed"]
    # another YES (a new message) from the subscribed number is a conversation, as before
    assert handle_inbound(sms("YES", "SM-yes-2"), d).forward is not None
    assert list(d.conversations.items) == ["SM-yes-2"]


# A conversation, and the shop's support webhook -----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "kind", "rating", "review", "detail"),
    [
        ("where is my order?", "message", None, False, ""),
        ("cancel my order", "message", None, True, "flagged: cancel"),
        ("5", "rating", 5, False, ""),
    ],
)
def test_a_conversation_is_handed_to_the_shops_support_webhook_whole(body, kind, rating, review, detail):
    d = deps(onboarded_shop(SHOP, support_webhook_url=SUPPORT))
    out = handle_inbound(sms(body), d)
    # the handler POSTs `forward` as JSON to the shop's own endpoint: these names are the shop's contract
    conversation = {"shop": SHOP, "from": PHONE, "body": body, "kind": kind, "rating": rating, "review": review,
                    "at": NOW.isoformat()}  # fmt: skip
    assert out == InboundOutcome(kind, None, detail, review=review, forward=conversation)
    assert d.conversations.items["SM1"]["kind"] == kind
    assert d.store.ledger == {}


def test_twilios_retry_of_a_conversation_is_not_handed_to_support_twice():
    d = deps(onboarded_shop(SHOP, support_webhook_url=SUPPORT))
    assert handle_inbound(sms("where is my order?"), d).forward is not None
    assert handle_inbound(sms("where is my order?"), d) == InboundOutcome("message", None, "")
    assert list(d.conversations.items) == ["SM1"]


@pytest.mark.parametrize(("body", "kind"), [("where is my order?", "message"), ("5", "rating")])
def test_a_shop_without_a_support_webhook_is_handed_nothing(body, kind):
    config = onboarded_shop(SHOP)
    assert config.support_webhook_url is None
    d = deps(config)
    assert handle_inbound(sms(body), d) == InboundOutcome(kind, None, "", forward=None)
    assert d.conversations.items["SM1"]["body"] == body
