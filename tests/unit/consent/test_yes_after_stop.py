"""Double opt-in and YES (README: "`Y`/`YES` confirms"; "A `YES` with nothing pending is a conversation,
never an opt-in"): a YES confirms only a pending web sign-up, never re-subscribes a number that said STOP,
and the confirmation is recorded once with what it confirms."""

from datetime import UTC, datetime

from smsflows.domain.consent.subscriptions import (
    ConsentDeps,
    InboundSms,
    SubscribeRequest,
    handle_inbound,
    subscribe,
)
from smsflows.runtime.clock import fixed_clock
from tests.fakes import (
    SIGN_UP_DISCLOSURE,
    FakeConsentStore,
    FakeConversations,
    FakeOptInLimits,
    FakeQueue,
    FakeShopConfigs,
    onboarded_shop,
    shop_sender,
)

SHOP = "demo-shop.myshopify.com"
PHONE = "+15125550123"
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
DISCLOSURE = SIGN_UP_DISCLOSURE


def deps() -> ConsentDeps:
    config = onboarded_shop(SHOP, keywords=("JOIN",))
    return ConsentDeps(store=FakeConsentStore(), shops=FakeShopConfigs(config), send_queue=FakeQueue(),
                       conversations=FakeConversations(), clock=fixed_clock(NOW),
                       opt_in_limits=FakeOptInLimits())  # fmt: skip


def sms(body: str, sid: str) -> InboundSms:
    return InboundSms.model_validate(
        {
            "MessageSid": sid,
            "From": PHONE,
            "To": "+15125550000",
            "Body": body,
            "MessagingServiceSid": shop_sender(SHOP),
        }
    )


def web_sign_up(d: ConsentDeps) -> None:
    request = SubscribeRequest(shop=SHOP, phone="(512) 555-0123", submission_id="form-1",
                               consent={"checked": True, "default_checked": False, "disclosure_text": DISCLOSURE})  # fmt: skip
    assert subscribe(request, "203.0.113.7", "Mozilla/5.0", d).status == "pending"


def kinds(d: ConsentDeps) -> list[str]:
    return [e.kind for e in d.store.events(SHOP, PHONE)]


def test_yes_confirms_a_pending_sign_up_once_with_what_it_confirms():
    d = deps()
    web_sign_up(d)
    out = handle_inbound(sms("YES", "SM-1"), d)
    assert out.intent == "confirmed" and out.reply.startswith("Demo Shop: You're subscribed")
    state = d.store.state(SHOP, PHONE)
    assert state.status == "subscribed" and state.pending_request is None
    events = d.store.events(SHOP, PHONE)
    assert [e.kind for e in events] == ["opt_in_requested", "opt_in_confirmed"]
    assert events[1].confirmation_of == events[0].event_id
    assert handle_inbound(sms("YES", "SM-1"), d).reply is None  # Twilio's retry of the same message
    assert kinds(d) == ["opt_in_requested", "opt_in_confirmed"]


def test_yes_after_stop_does_not_resubscribe_a_pending_sign_up():
    d = deps()
    web_sign_up(d)
    assert handle_inbound(sms("STOP", "SM-1"), d).intent == "opt_out"
    out = handle_inbound(sms("YES", "SM-2"), d)
    assert out.intent != "confirmed" and (out.reply is None or "subscribed" not in out.reply)
    state = d.store.state(SHOP, PHONE)
    assert state.status == "unsubscribed" and state.pending_request is None
    assert kinds(d) == ["opt_in_requested", "opt_out"]


def test_yes_from_a_number_that_said_stop_is_a_conversation():
    d = deps()
    handle_inbound(sms("JOIN", "SM-1"), d)
    handle_inbound(sms("STOP", "SM-2"), d)
    out = handle_inbound(sms("Yes", "SM-3"), d)
    assert out.intent != "confirmed"
    assert d.store.state(SHOP, PHONE).status == "unsubscribed"
    assert kinds(d) == ["opt_in", "opt_out"]
    assert len(d.conversations.items) == 1 and d.conversations.items["SM-3"]["body"] == "Yes"


def test_yes_with_nothing_pending_subscribes_nobody():
    d = deps()
    out = handle_inbound(sms("YES", "SM-1"), d)
    assert out.intent != "confirmed"
    state = d.store.state(SHOP, PHONE)
    assert state is None or state.status != "subscribed"
    assert kinds(d) == []
