"""Exactly once across an answer that never came (README "the exactly-once window"): a claim left 'sending'
is settled with the provider, never guessed. Each decision is pinned here: who is still sending, when a
claim is stale (2 real minutes, on the application clock divided by its time scale), how far back the
provider is asked (5 minutes before the claim), and what is recorded in each case."""

from datetime import UTC, datetime, timedelta

import pytest

from smsflows.domain.messages import OutboundMessage
from smsflows.domain.sending.send import STALE_CLAIM_S, SendDeps, SendOutcome, send_one
from smsflows.ports import ProviderReceipt, Sender
from smsflows.runtime.clock import fixed_clock
from smsflows.runtime.errors import TransientError
from tests.fakes import FakeMessageLog, FakeProvider, FakeShopConfigs, onboarded_shop

CLAIMED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TO, BODY = "+15125550123", "Demo Shop: your order #1001 is confirmed"


def message() -> OutboundMessage:
    return OutboundMessage(message_id="order-confirmation:1001", shop="demo-shop.myshopify.com", to=TO,
                           body=BODY, category="transactional", created_at=CLAIMED)  # fmt: skip


def deps_at(now: datetime, *, in_doubt: bool = False, scale: float = 1.0) -> SendDeps:
    """A message claimed at CLAIMED and left 'sending' (in doubt after a read timeout, or not)."""
    log = FakeMessageLog()
    assert log.begin(message(), CLAIMED) is None
    if in_doubt:
        log.mark_in_doubt(message().message_id, "twilio in doubt: ReadTimeout")
    return SendDeps(log=log, provider=FakeProvider(clock=lambda: now), sender=Sender(messaging_service_sid="MG1"),
                    clock=fixed_clock(now), delay_scale=scale,
                    shops=FakeShopConfigs(onboarded_shop(message().shop)))  # fmt: skip


def accepted(deps: SendDeps, at: datetime, body: str = BODY) -> ProviderReceipt:
    receipt = ProviderReceipt(sid="SM" + "a" * 32, status="accepted", segments=1)
    deps.provider.accepted.append((at, TO, body, receipt))  # type: ignore[attr-defined]
    return receipt


def test_a_young_claim_belongs_to_an_attempt_still_sending():
    d = deps_at(CLAIMED + timedelta(seconds=STALE_CLAIM_S - 1))
    with pytest.raises(TransientError, match=r"^another attempt is sending this message right now$"):
        send_one(message(), d)
    assert d.provider.sent == [] and d.log.items[message().message_id]["state"] == "sending"


def test_at_two_minutes_the_claim_is_stale_and_settled():
    d = deps_at(CLAIMED + timedelta(seconds=STALE_CLAIM_S))
    outcome = send_one(message(), d)
    assert outcome.outcome == "sent" and len(d.provider.sent) == 1  # nobody had it: taken over and sent


def test_staleness_is_real_time_the_local_clouds_virtual_minutes_are_divided_by_its_scale():
    # 1 virtual hour at 60x is 60 real seconds: still an attempt in progress
    d = deps_at(CLAIMED + timedelta(hours=1), scale=60.0)
    with pytest.raises(TransientError, match="right now"):
        send_one(message(), d)


def test_in_doubt_and_the_provider_has_it_it_is_recorded_as_sent_not_sent_again():
    now = CLAIMED + timedelta(seconds=5)
    d = deps_at(now, in_doubt=True)
    receipt = accepted(d, CLAIMED + timedelta(seconds=1))
    outcome = send_one(message(), d)
    assert outcome == SendOutcome(
        "duplicate", sid=receipt.sid, detail="the provider had accepted it: recorded as sent"
    )
    assert d.provider.sent == []
    item = d.log.items[message().message_id]
    assert (item["state"], item["sid"], item["settled"]) == ("sent", receipt.sid, "provider had it")


@pytest.mark.parametrize(
    ("before_claim", "found"),
    [(timedelta(minutes=4, seconds=59), True), (timedelta(minutes=5, seconds=1), False)],
    ids=["within-5-minutes", "older"],
)
def test_the_provider_is_asked_from_five_minutes_before_the_claim(before_claim, found):
    d = deps_at(CLAIMED + timedelta(seconds=5), in_doubt=True)
    accepted(d, CLAIMED - before_claim)
    outcome = send_one(message(), d)
    assert (outcome.outcome, len(d.provider.sent)) == (("duplicate", 0) if found else ("sent", 1))


def test_another_body_to_the_same_number_is_not_this_message():
    d = deps_at(CLAIMED + timedelta(seconds=5), in_doubt=True)
    accepted(d, CLAIMED + timedelta(seconds=1), body="Demo Shop: something else")
    assert send_one(message(), d).outcome == "sent" and len(d.provider.sent) == 1


def test_a_claim_taken_over_by_another_attempt_meanwhile_is_left_to_it():
    d = deps_at(CLAIMED + timedelta(seconds=5), in_doubt=True)
    log = d.log
    real_take_over = log.take_over

    def lose_the_race(message_id, claimed_at, now):
        assert real_take_over(message_id, claimed_at, now)  # someone else takes it first
        return real_take_over(message_id, claimed_at, now)

    log.take_over = lose_the_race  # type: ignore[method-assign]
    with pytest.raises(TransientError, match=r"^another attempt took this message over$"):
        send_one(message(), d)
    assert d.provider.sent == []


def test_a_claim_that_settled_meanwhile_is_a_duplicate_that_says_how_it_ended():
    from smsflows.domain.sending.send import _settle_in_doubt

    d = deps_at(CLAIMED + timedelta(seconds=STALE_CLAIM_S))
    d.log.items[message().message_id]["state"] = "delivered"  # another attempt finished between reads
    outcome = _settle_in_doubt(message(), d, CLAIMED + timedelta(seconds=STALE_CLAIM_S))
    assert (outcome.outcome, outcome.detail) == ("duplicate", "already delivered")
    assert d.provider.sent == []
