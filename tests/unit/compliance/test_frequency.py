from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from smsflows.domain.compliance import frequency
from tests.hypothesis_scale import examples

SHOP = "demo-shop.myshopify.com"
PHONE = "+15125550123"
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def history(*hours_ago, flow="f"):
    return [frequency.SendRecord(NOW - timedelta(hours=h), flow) for h in hours_ago]


def test_daily_cap_defers_until_the_oldest_of_three_leaves_the_window():
    decision = frequency.check(history(1, 5, 20), NOW, "x")
    assert decision == frequency.CapDecision(
        False, "daily_cap", NOW - timedelta(hours=20) + timedelta(hours=24)
    )
    assert frequency.check(history(1, 5, 25), NOW, "x").allowed


def test_shop_cap_over_30_days():
    assert not frequency.check(history(30, 100, 200, 300), NOW, "x", shop_cap_30d=4).allowed
    assert frequency.check(history(30, 100, 200, 800), NOW, "x", shop_cap_30d=4).allowed


def test_smart_sending_skips_instead_of_deferring():
    decision = frequency.check(history(3), NOW, "winback", smart_sending_hours={"winback": 16})
    assert decision.allowed is False and decision.retry_at is None


@settings(max_examples=examples(300))
@given(st.lists(st.integers(0, 72 * 60), min_size=1, max_size=40))
def test_following_the_decisions_never_exceeds_three_in_any_24_hours(minutes):
    sent: list[frequency.SendRecord] = []
    for m in sorted(minutes):
        at = NOW + timedelta(minutes=m)
        if frequency.check(sent, at, None).allowed:
            sent = frequency.record(sent, at, None)
    times = [r.at for r in sent]
    assert times  # the first send is always allowed
    for t in times:
        assert sum(1 for u in times if t <= u < t + timedelta(hours=24)) <= 3


def test_the_shop_cap_defers_until_the_oldest_counted_send_leaves_the_30_days():
    decision = frequency.check(history(30, 100, 200, 300), NOW, "x", shop_cap_30d=4)
    assert decision == frequency.CapDecision(
        False, "shop_cap", NOW - timedelta(hours=300) + timedelta(days=30)
    )
    assert frequency.check(history(30, 100, 200, 300), NOW, "x", shop_cap_30d=5).allowed


def test_windows_are_open_at_their_far_end():
    # a send exactly 24 h (30 days) ago no longer counts
    assert frequency.check(history(1, 5, 24), NOW, "x").allowed
    assert frequency.check(history(1, 30, 100, 24 * 30), NOW, "x", shop_cap_30d=4).allowed


def test_smart_sending_has_a_default_for_every_flow_and_ends_on_time():
    hours = {"*": 16, "welcome": 0}
    assert frequency.check(history(3), NOW, "winback", smart_sending_hours=hours) == frequency.CapDecision(
        False, "smart_sending", None
    )
    assert frequency.check(history(3), NOW, "welcome", smart_sending_hours=hours).allowed  # 0: off for it
    assert frequency.check(history(16), NOW, "winback", smart_sending_hours=hours).allowed  # exactly 16 h ago
    assert frequency.check([], NOW, "winback", smart_sending_hours=hours).allowed
    assert frequency.check(history(3), NOW, None, smart_sending_hours=hours).allowed  # not a flow's text


def test_the_history_keeps_30_days_and_adds_the_send():
    kept = frequency.record(history(1, 24 * 30, 24 * 31), NOW, "welcome")
    assert [r.at for r in kept] == [NOW - timedelta(hours=1), NOW] and kept[-1].flow == "welcome"
