"""A shop's own quiet-hours week with days off (`smsflows shop set --quiet-hours`, None = no marketing that
day), and the two refusals of `is_allowed`: each names what the caller got wrong, because a caller that
passes a naive time or no location has a bug to fix, not a text to retry."""

from datetime import UTC, datetime, time

import pytest

from smsflows.domain.compliance.locations import Location
from smsflows.domain.compliance.quiet_hours import Window, is_allowed, next_allowed, override_week
from smsflows.domain.shops import DayWindow, ShopConfig

SHOP = "demo-shop.myshopify.com"
AUSTIN = (Location("US", "TX", "America/Chicago", "area_code"),)
MONDAY_NOON_AUSTIN = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)  # Monday 12:00 CST


def weekends_off() -> ShopConfig:
    ten_to_six = DayWindow(start=time(10), end=time(18))
    return ShopConfig(shop=SHOP, quiet_hours_override=(*[ten_to_six] * 5, None, None))


def test_a_shop_week_with_days_off_keeps_them_off():
    week = override_week(weekends_off())
    assert week == (*[Window(time(10), time(18))] * 5, None, None)


def test_a_shops_day_off_moves_a_friday_evening_text_to_monday_morning():
    week = override_week(weekends_off())
    friday_evening = datetime(2026, 11, 28, 0, 30, tzinfo=UTC)  # Friday 18:30 CST: after the shop's window
    assert not is_allowed(friday_evening, AUSTIN, week)
    assert next_allowed(friday_evening, AUSTIN, week) == datetime(
        2026, 11, 30, 16, 0, tzinfo=UTC
    )  # Mon 10:00
    assert is_allowed(MONDAY_NOON_AUSTIN, AUSTIN, week)


def test_a_shop_without_its_own_week_has_none():
    assert override_week(ShopConfig(shop=SHOP)) is None


def test_a_naive_instant_is_refused_with_the_reason():
    with pytest.raises(ValueError, match=r"^instant must be timezone-aware$"):
        is_allowed(datetime(2026, 11, 23, 12, 0), AUSTIN)


def test_no_candidate_location_is_refused_with_where_to_get_them():
    with pytest.raises(
        ValueError, match=r"^no candidate location: use locations\.candidate_locations, never an empty set$"
    ):
        is_allowed(MONDAY_NOON_AUSTIN, ())
