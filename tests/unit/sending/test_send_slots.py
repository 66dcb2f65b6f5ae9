"""A text leaves at its slot, never later than the late limit (issue 15: never more than the registered rate
in any 1-second window, whichever container sends). The claim (the transaction that re-checks consent) starts
its expected length before the slot; a claim slower than that books a new slot rather than sending late, and
reads consent again after that wait."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smsflows.domain.consent.ledger import SubscriberState
from smsflows.domain.messages import OutboundMessage
from smsflows.domain.registration import Throughput
from smsflows.domain.sending.pacing import Pacer, late_limit
from smsflows.domain.sending.send import Prepared, SendDeps, finish, pace, prepare
from smsflows.ports import Sender
from smsflows.runtime.clock import fixed_clock
from tests.fakes import FakeMessageLog, FakeProvider, FakeShopConfigs, onboarded_shop
from tests.unit.sending.test_pacing import MemoryBuckets, Wall

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SHOP = "demo-shop.myshopify.com"
THROUGHPUT = Throughput(sender_type="toll_free", segments_per_second=5)  # paced to 4.8/s: 208 ms apart
SLOT = 1 / THROUGHPUT.rate


class TimedLog(FakeMessageLog):
    """Claims that take `claim_s` seconds of the wall clock; when each began is kept."""

    def __init__(self, wall: Wall, claim_s: list[float]) -> None:
        super().__init__()
        self.wall, self.claim_s, self.began, self.reads = wall, claim_s, [], 0

    def snapshot(self, shop: str, phone: str) -> Any:
        self.reads += 1
        return super().snapshot(shop, phone)

    def begin(self, message: Any, now: Any, conditions: Any = None) -> str | None:
        self.began.append(self.wall.t)
        self.wall.t += self.claim_s.pop(0) if self.claim_s else 0.0
        return super().begin(message, now, conditions)


class TimedProvider(FakeProvider):
    def __init__(self, wall: Wall) -> None:
        super().__init__()
        self.wall, self.at = wall, []

    def send(self, **kw: Any) -> Any:
        self.at.append(self.wall.t)
        return super().send(**kw)


def setup(claim_s: list[float], known_claim_s: float = 0.02, on_wait: Any = None,
          throughput: Throughput = THROUGHPUT) -> SendDeps:  # fmt: skip
    wall = Wall()

    def sleep_until(at: float) -> None:
        wall.t = max(wall.t, at)
        if on_wait is not None:
            on_wait(at)

    pacer = Pacer(MemoryBuckets(), wall=wall)
    for _ in range(10):
        pacer.note_claim(known_claim_s)  # the container's recent claims
    shop = onboarded_shop(SHOP).model_copy(update={"throughput": throughput})
    return SendDeps(log=TimedLog(wall, claim_s), provider=TimedProvider(wall), sender=Sender(messaging_service_sid="MG1"),
                    clock=fixed_clock(NOW), shops=FakeShopConfigs(shop), pacer=pacer, wall=wall,
                    sleep=lambda s: sleep_until(wall.t + s), sleep_until=sleep_until)  # fmt: skip


def booked(d: SendDeps, n: int) -> list[Prepared]:
    out = []
    for i in range(n):
        m = OutboundMessage(message_id=f"m-{i}", shop=SHOP, to=f"+1512555{i:04d}", body="Demo Shop: hi",
                            category="transactional", created_at=NOW)  # fmt: skip
        checked = prepare(m, d, book=False)
        assert isinstance(checked, Prepared)
        ready = pace(checked, d, want=n - i)
        assert isinstance(ready, Prepared) and ready.send_at is not None
        out.append(ready)
    return out


def test_the_late_limit_is_a_share_of_the_slack_the_headroom_leaves():
    assert late_limit(THROUGHPUT) == pytest.approx(0.03125)  # 3/4 of 5/4.8 - 1: 31 ms
    assert late_limit(Throughput(sender_type="toll_free", segments_per_second=200)) == pytest.approx(0.03125)
    slow = Throughput(sender_type="toll_free", segments_per_second=0.5)  # one text every 2 s
    assert late_limit(slow) == pytest.approx(0.0625)  # 3/4 of 1/0.48 - 1/0.5
    assert late_limit(Throughput(segments_per_second=5, headroom=1.0)) == 0.005  # no slack: the floor


def test_the_claim_starts_its_usual_length_before_the_slot_so_the_text_leaves_at_it():
    d = setup(claim_s=[0.02, 0.02])
    first, second = booked(d, 2)
    d.log.reads = 0  # (prepare's own reads)
    assert second.send_at == first.send_at + SLOT
    for ready in (first, second):
        assert finish(ready, d).outcome == "sent"
    assert d.log.began == [first.send_at - 0.02, second.send_at - 0.02]
    assert d.provider.at == [first.send_at, second.send_at]  # at the slots, not a claim after them
    assert d.log.reads == 0  # on time: the claim's own consent check is the last


def test_a_claim_slower_than_its_lead_books_a_new_slot_instead_of_sending_late():
    d = setup(claim_s=[0.02, 0.12])  # the second claim takes 100 ms longer than usual
    first, second, third = booked(d, 3)
    assert finish(first, d).outcome == "sent"
    assert finish(second, d).outcome == "sent"
    # 100 ms late would put it within 108 ms of the next slot's text: it booked the next free slot instead
    # (the one after the third text's, which is the third text's own)
    assert d.provider.at == [first.send_at, pytest.approx(third.send_at + SLOT)]
    assert d.log.items["m-1"]["state"] == "sent" and len(d.provider.sent) == 2


def test_consent_withdrawn_while_a_claimed_text_waits_for_its_new_slot_stops_it():
    waits: list[float] = []

    def stop_during_the_second_wait(at: float) -> None:
        waits.append(at)
        if len(waits) == 2:  # the wait for the new slot, with the claim held
            state = SubscriberState(shop=SHOP, phone="+15125550000", status="unsubscribed", version=2)
            d.log.consent.states[(SHOP, "+15125550000")] = state

    d = setup(claim_s=[0.12], on_wait=stop_during_the_second_wait)
    (ready,) = booked(d, 1)
    later = replace(ready, send_at=ready.send_at + 0.5)  # a slot ahead: the claim waits for it, then is slow
    outcome = finish(later, d)
    assert (outcome.outcome, outcome.detail) == ("suppressed", "consent changed")
    assert d.provider.sent == []
    assert (d.log.items["m-0"]["state"], d.log.items["m-0"]["reason"]) == (
        "failed",
        "consent changed just before sending",
    )


@pytest.mark.parametrize("scale", [1.0, 60.0])
def test_a_claimed_text_with_no_slot_near_goes_back_to_the_queue_unsent(scale):
    """(`scale`: the local cloud's virtual seconds per real second: the retry is 2.5 real seconds away.)"""
    from tests.fakes import FakeQueue

    d = setup(claim_s=[0.12])
    d.delay_scale = scale
    d.requeue = FakeQueue()
    (ready,) = booked(d, 1)
    d.pacer.buckets.tat[ready.sender.key] = d.wall.t + 60  # meanwhile the sender was booked a minute ahead
    d.pacer.leases.clear()
    outcome = finish(ready, d)
    assert (outcome.outcome, outcome.detail) == ("deferred", "throughput")
    assert outcome.until == NOW + timedelta(seconds=2.5 * scale)  # transactional: soon again (horizon / 4)
    assert d.provider.sent == [] and len(d.requeue.sent) == 1
    assert d.log.items["m-0"]["state"] == "deferred"


def test_a_claimed_text_whose_new_slot_falls_in_quiet_hours_is_put_back_not_sent():
    from datetime import timedelta

    from tests.fakes import FakeQueue

    evening = datetime(2026, 11, 24, 1, 59, 59, 950_000, tzinfo=UTC)  # 19:59:59.95 in Austin
    d = setup(claim_s=[0.12])  # the claim ends at 20:00:00.07, past its slot's late limit
    d.clock = lambda: evening + timedelta(seconds=d.wall.t - 1000.0)
    d.requeue = FakeQueue()
    phone = "+15125550123"  # 512: Austin
    d.log.consent.states[(SHOP, phone)] = SubscriberState(
        shop=SHOP, phone=phone, status="subscribed", version=3
    )
    m = OutboundMessage(message_id="welcome:1", shop=SHOP, to=phone, body="Demo Shop: 10% off. Reply STOP to opt out",
                        category="marketing", flow="welcome", created_at=evening)  # fmt: skip
    ready = prepare(m, d)
    assert isinstance(ready, Prepared) and ready.send_at is not None
    outcome = finish(ready, d)
    assert (outcome.outcome, outcome.detail) == ("deferred", "quiet_hours")
    assert outcome.until == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 09:00 in Austin
    assert d.provider.sent == [] and d.log.items["welcome:1"]["state"] == "deferred"


def test_when_every_booking_is_slow_a_claimed_text_goes_late_rather_than_never_and_says_so():
    """An AWS incident: each bucket write takes 1 s, so every new block of slots has passed once booked.
    After three tries the text goes (late), and its record says how late."""
    d = setup(claim_s=[0.12])
    (ready,) = booked(d, 1)
    buckets = d.pacer.buckets
    reserve = buckets.reserve

    def slow_reserve(*args: Any) -> Any:
        start = reserve(*args)
        d.wall.t += 1.0
        return start

    buckets.reserve = slow_reserve
    d.log.reads = 0
    acquire, slots = d.pacer.acquire, []
    d.pacer.acquire = lambda *a, **kw: slots.append(acquire(*a, **kw)) or slots[-1]  # type: ignore[method-assign]
    assert finish(ready, d).outcome == "sent"
    assert len(d.provider.sent) == 1
    assert len(slots) == 3 and d.log.reads == 1  # three new slots, then consent read again before it went
    assert d.log.items["m-0"]["sent_late_ms"] == str(round((d.provider.at[0] - slots[-1].send_at) * 1000))


def marketing(d: SendDeps, version: int = 3, mid: str = "welcome:1") -> Prepared:
    phone = "+15125550123"  # 512: Austin (09:00 there at NOW)
    d.log.consent.states[(SHOP, phone)] = SubscriberState(
        shop=SHOP, phone=phone, status="subscribed", version=version
    )
    m = OutboundMessage(message_id=mid, shop=SHOP, to=phone, body="Demo Shop: 10% off. Reply STOP to opt out",
                        category="marketing", flow="welcome", created_at=NOW)  # fmt: skip
    ready = prepare(m, d)
    assert isinstance(ready, Prepared) and ready.send_at is not None
    return ready


PHONE = "+15125550123"


@pytest.mark.parametrize("change", ["new_version", "suppressed", "unsubscribed"])
def test_a_marketing_texts_consent_must_be_the_very_one_its_claim_checked(change):
    """Re-subscribed meanwhile (a new version), suppressed, or unsubscribed: not the consent the claim saw."""
    from smsflows.domain.consent.ledger import suppression_key

    waits: list[float] = []

    def change_during_the_new_slots_wait(at: float) -> None:
        waits.append(at)
        if len(waits) != 2:
            return
        if change == "suppressed":
            d.log.consent.suppressed.add(suppression_key(SHOP, PHONE))
        else:
            status, version = ("subscribed", 5) if change == "new_version" else ("unsubscribed", 4)
            d.log.consent.states[(SHOP, PHONE)] = SubscriberState(
                shop=SHOP, phone=PHONE, status=status, version=version
            )

    d = setup(claim_s=[0.12], on_wait=change_during_the_new_slots_wait)
    ready = marketing(d)
    outcome = finish(replace(ready, send_at=ready.send_at + 0.5), d)
    assert (outcome.outcome, outcome.detail) == ("suppressed", "consent changed")
    assert d.provider.sent == []


def test_a_marketing_text_whose_consent_holds_after_the_new_slot_goes_out():
    d = setup(claim_s=[0.12])
    ready = marketing(d)
    d.log.reads = 0
    assert finish(ready, d).outcome == "sent" and d.log.reads == 1


def test_a_compliance_reply_needs_no_consent_read_after_its_new_slot():
    d = setup(claim_s=[0.12])
    m = OutboundMessage(message_id="help:1", shop=SHOP, to="+15125550123", body="Demo Shop: help at shop.example",
                        category="compliance", created_at=NOW)  # fmt: skip
    ready = prepare(m, d)
    assert isinstance(ready, Prepared) and ready.send_at is not None
    d.log.reads = 0
    assert finish(ready, d).outcome == "sent" and d.log.reads == 0


def test_a_marketing_text_late_after_its_claim_never_jumps_the_backlog_line_or_the_marketing_horizon():
    """Its new slot is booked as a ticket holder's, within the 2 s marketing may book: with the sender booked
    5 s ahead it goes back to the queue (no second place in the line), it does not wait 5 s holding a claim."""
    from tests.fakes import FakeQueue

    d = setup(claim_s=[0.12])
    d.requeue = FakeQueue()
    ready = marketing(d)
    d.pacer.buckets.tat[ready.sender.key] = d.wall.t + 5
    d.pacer.leases.clear()
    outcome = finish(ready, d)
    assert (outcome.outcome, outcome.detail, outcome.until) == (
        "deferred",
        "throughput",
        NOW + timedelta(seconds=1),
    )
    assert d.pacer.buckets.backlog == {} and d.provider.sent == []


def test_a_new_slot_past_the_brands_daily_cap_waits_for_pacific_midnight():
    from tests.fakes import FakeQueue

    capped = Throughput(
        sender_type="10dlc", trust_tier="low_volume", segments_per_second=5, brand_id="brand-x"
    )
    d = setup(claim_s=[0.12], throughput=capped)
    d.requeue = FakeQueue()
    ready = marketing(d)
    d.pacer.buckets.daily[("brand-x", "2026-11-23")] = 2_000  # the brand's day is used up meanwhile
    d.pacer.leases.clear()  # (and this container's block with it)
    outcome = finish(ready, d)
    assert (outcome.outcome, outcome.detail) == ("deferred", "daily_cap")
    assert outcome.until == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # midnight in Los Angeles
    assert d.log.items["welcome:1"]["state"] == "deferred" and d.provider.sent == []


def test_the_shops_own_narrower_window_is_checked_again_after_the_new_slot():
    from datetime import time

    from smsflows.domain.shops import DayWindow
    from tests.fakes import FakeQueue

    end_of_window = datetime(2026, 11, 23, 18, 59, 59, 950_000, tzinfo=UTC)  # 12:59:59.95 in Austin
    d = setup(claim_s=[0.12])
    noon = DayWindow(start=time(12), end=time(13))  # the shop texts only 12:00-13:00
    shop = onboarded_shop(SHOP, quiet_hours_override=(noon,) * 7).model_copy(
        update={"throughput": THROUGHPUT}
    )
    d.shops = FakeShopConfigs(shop)
    d.clock = lambda: end_of_window + timedelta(seconds=d.wall.t - 1000.0)
    d.requeue = FakeQueue()
    ready = marketing(d)
    outcome = finish(ready, d)
    assert (outcome.outcome, outcome.detail) == ("deferred", "quiet_hours")
    assert outcome.until == datetime(2026, 11, 24, 18, 0, tzinfo=UTC)  # 12:00 in Austin the next day
    assert d.provider.sent == []
