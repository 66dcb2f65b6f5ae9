"""Quiet hours on the send path (README: "a marketing text goes out only inside the window of every place the
recipient may be"): the phone's area code, the default address and the shipping address are each a
candidate, and the shop's `--quiet-hours` narrowing applies on top. Each test fails if the sender drops one
of them."""

import json
from datetime import UTC, datetime, time, timedelta

import pytest

from smsflows.domain.consent.ledger import SubscriberState
from smsflows.domain.messages import OutboundMessage
from smsflows.domain.sending.send import Prepared, SendDeps, SendOutcome, prepare
from smsflows.domain.shops import DayWindow, ShopConfig
from smsflows.ports import RecipientSnapshot, Sender
from smsflows.runtime.clock import fixed_clock
from tests.fakes import FakeMessageLog, FakeQueue, FakeShopConfigs, onboarded_shop

SHOP = "demo-shop.myshopify.com"
PHONE = "+15125550123"  # 512: Austin, US Central
# Monday 2026-11-23 15:30 UTC: 09:30 in Austin (inside 09:00-20:00), 07:30 in California (outside).
NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
PACIFIC_NINE = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 09:00 in California that day


def marketing() -> OutboundMessage:
    return OutboundMessage(message_id="welcome:1", shop=SHOP, to=PHONE, body="Demo Shop: 10% off. Reply STOP to opt out",
                           category="marketing", flow="welcome", created_at=NOW)  # fmt: skip


def snapshot(*addresses: tuple[str, str, str]) -> RecipientSnapshot:
    state = SubscriberState(shop=SHOP, phone=PHONE, status="subscribed", version=3, addresses=addresses)
    return RecipientSnapshot(state=state, suppressed=False, history=[], history_version=0)


def deps(config: ShopConfig | None = None) -> SendDeps:
    return SendDeps(log=FakeMessageLog(), provider=None, sender=Sender(messaging_service_sid="MG1"),  # type: ignore[arg-type]
                    clock=fixed_clock(NOW), shops=FakeShopConfigs(config or onboarded_shop(SHOP)),
                    requeue=FakeQueue())  # fmt: skip


def test_with_only_the_phones_zone_a_text_at_half_past_nine_there_goes_out():
    ready = prepare(marketing(), deps(), snapshot())
    assert isinstance(ready, Prepared)
    assert {loc.time_zone for loc in ready.locations} == {"America/Chicago"}


@pytest.mark.parametrize(
    "addresses",
    [
        (("US", "CA", "default_address"),),  # the default address is a candidate
        (("US", "TX", "default_address"), ("US", "CA", "shipping_address")),  # and so is the shipping address
    ],
    ids=["default_address", "shipping_address"],
)
def test_an_address_in_a_later_zone_defers_the_text_to_nine_there(addresses):
    d = deps()
    outcome = prepare(marketing(), d, snapshot(*addresses))
    assert isinstance(outcome, SendOutcome)
    assert (outcome.outcome, outcome.detail, outcome.until) == ("deferred", "quiet_hours", PACIFIC_NINE)
    assert len(d.requeue.sent) == 1 and d.requeue.sent[0]["message_id"] == "welcome:1"
    record = d.log.claim("welcome:1")  # what GET /_local/message?id= shows
    assert (record["state"], record["reason"], record["deferred_until"]) == (
        "deferred",
        "quiet_hours",
        PACIFIC_NINE.isoformat(),
    )


def test_the_shops_narrower_window_applies_on_top_of_the_law():
    noon = DayWindow(start=time(12), end=time(13))
    config = onboarded_shop(SHOP, quiet_hours_override=(noon,) * 7)
    outcome = prepare(marketing(), deps(config), snapshot())
    assert isinstance(outcome, SendOutcome)
    assert (outcome.outcome, outcome.until) == (
        "deferred",
        datetime(2026, 11, 23, 18, 0, tzinfo=UTC),
    )  # 12:00 CST


def test_a_shop_window_can_only_narrow_never_widen():
    early = DayWindow(start=time(6), end=time(22))  # wider than 09:00-20:00: the law still holds
    # `shop set` refuses such an override (shopify/shop_settings.py); one stored before that rule is read as it
    # was stored, and the sender still keeps to the law with it
    stored = {**onboarded_shop(SHOP).model_dump(), "quiet_hours_override": [early.model_dump()] * 7}
    config = ShopConfig.from_stored(json.dumps(stored, default=str))
    at_seven = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # 07:00 in Austin
    d = deps(config)
    d.clock = fixed_clock(at_seven)
    outcome = prepare(marketing(), d, snapshot())
    assert isinstance(outcome, SendOutcome)
    assert (outcome.outcome, outcome.until) == (
        "deferred",
        datetime(2026, 11, 23, 15, 0, tzinfo=UTC),
    )  # 09:00 CST


def test_a_recipient_with_no_lawful_window_at_all_is_suppressed_and_the_log_says_why():
    """A Rhode Island number with a Guam shipping address in summer: RI's 09:00-18:00 and Guam's hours never
    meet. Nothing is sent or deferred forever: the message fails, with the reason in its record."""
    july = datetime(2026, 7, 6, 14, 0, tzinfo=UTC)
    ri = "+14015550123"
    message = OutboundMessage(message_id="welcome:ri", shop=SHOP, to=ri, body="Demo Shop: hi. Reply STOP to opt out",
                              category="marketing", flow="welcome", created_at=july)  # fmt: skip
    state = SubscriberState(shop=SHOP, phone=ri, status="subscribed", version=1,
                            addresses=(("GU", None, "shipping_address"),))  # fmt: skip
    d = deps()
    d.clock = fixed_clock(july)
    outcome = prepare(
        message, d, RecipientSnapshot(state=state, suppressed=False, history=[], history_version=0)
    )
    assert isinstance(outcome, SendOutcome)
    assert (outcome.outcome, outcome.detail) == ("suppressed", "no lawful window") and d.requeue.sent == []
    item = d.log.items["welcome:ri"]
    assert (item["state"], item["reason"]) == (
        "failed",
        "no lawful sending window for the recipient's locations",
    )


def test_a_paced_wait_that_crosses_into_quiet_hours_defers_instead_of_sending():
    """The slot is 5 s away at 19:59:58 in Austin: after the sleep it is 20:00:03, outside the window. The text
    is put back for 09:00, never sent at 20:00 (README: none at 22:00 their time)."""
    from dataclasses import replace

    from smsflows.domain.sending.send import finish

    evening = datetime(2026, 11, 24, 1, 59, 58, tzinfo=UTC)  # 19:59:58 in Austin
    clock = [evening]

    class OnTime:
        def on_time(self, send_at, wall, throughput):
            return True

        def lead(self):
            return 0.0

        def note_claim(self, seconds):
            pass

    d = deps()
    d.clock = lambda: clock[0]
    d.wall = lambda: 1000.0
    d.sleep = lambda s: clock.__setitem__(0, clock[0] + timedelta(seconds=s))
    ready = prepare(marketing(), d, snapshot())  # unpaced here; the pacer below only says "on time"
    assert isinstance(ready, Prepared)
    d.pacer = OnTime()  # type: ignore[assignment]
    outcome = finish(replace(ready, send_at=1005.0), d)
    assert (outcome.outcome, outcome.detail) == ("deferred", "quiet_hours")
    assert outcome.until == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 09:00 in Austin
    assert d.log.items.get("welcome:1", {}).get("state") != "sent"


def test_a_paced_text_waits_for_its_slot_even_a_fraction_of_a_second():
    from dataclasses import replace

    from smsflows.domain.sending.send import finish

    class OnTime:
        def on_time(self, send_at, wall, throughput):
            return True

        def lead(self):
            return 0.0

        def note_claim(self, seconds):
            pass

    slept: list[float] = []
    wall = [1000.0]
    d = deps()
    d.wall = lambda: wall[0]
    d.sleep = lambda s: (slept.append(s), wall.__setitem__(0, wall[0] + s))
    ready = prepare(marketing(), d, snapshot())
    assert isinstance(ready, Prepared)
    d.pacer = OnTime()  # type: ignore[assignment]
    finish(replace(ready, send_at=1000.25), d)  # (what the claim then says is another test's business)
    assert slept == [0.25]
