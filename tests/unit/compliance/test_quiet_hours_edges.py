"""Edges of the quiet-hours arithmetic that the property tests reach rarely (issue 10: the mutants that
survived `make mutate` in domain/compliance/quiet_hours.py): empty and touching windows, closed days, an
override that is not the house window, and answers in the caller's time zone."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from smsflows.domain.compliance.locations import Location
from smsflows.domain.compliance.quiet_hours import (
    HOUSE_DEFAULT,
    NoAllowedWindow,
    Window,
    intersect,
    next_allowed,
)

EASTERN = Location("US", "NY", "America/New_York", "area_code")
PACIFIC = Location("US", "CA", "America/Los_Angeles", "shipping_address")
MONDAY_5_UTC = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # 00:00 in New York, 21:00 Sunday in Los Angeles


def every_day(start: int, end: int):
    return tuple(Window(time(start), time(end)) for _ in range(7))


@pytest.mark.parametrize(("start", "end"), [(9, 9), (12, 9)])
def test_an_empty_or_inverted_window_is_refused_with_what_it_was(start, end):
    with pytest.raises(ValueError, match=f"empty window {start:02d}:00:00-{end:02d}:00:00"):
        Window(time(start), time(end))


def test_windows_that_only_touch_or_miss_leave_the_day_closed():
    assert intersect(every_day(9, 12), every_day(12, 20)) == (None,) * 7
    assert intersect(every_day(9, 12), every_day(13, 20)) == (None,) * 7


def test_a_closed_day_stays_closed_and_the_other_days_still_count():
    monday_off = (None, *every_day(10, 19)[1:])
    got = intersect(monday_off, HOUSE_DEFAULT)
    assert got[0] is None and got[1:] == every_day(10, 19)[1:]
    assert intersect(HOUSE_DEFAULT, monday_off) == got


def test_weeks_of_different_lengths_are_a_programming_error():
    with pytest.raises(ValueError):
        intersect(HOUSE_DEFAULT, HOUSE_DEFAULT[:6])  # type: ignore[arg-type]


def test_the_next_start_honours_the_override_at_every_location():
    """12:00-19:00 everywhere: 12:00 in New York is 09:00 in Los Angeles, inside the house window but not
    inside the shop's; the first instant both allow is 12:00 in Los Angeles, 15:00 in New York."""
    override = every_day(12, 19)
    got = next_allowed(MONDAY_5_UTC, (EASTERN, PACIFIC), override)
    assert got == datetime(2026, 11, 23, 20, 0, tzinfo=UTC)


def test_the_answer_is_in_the_callers_time_zone():
    chicago = ZoneInfo("America/Chicago")
    got = next_allowed(MONDAY_5_UTC.astimezone(chicago), (EASTERN,))
    assert got.tzinfo is chicago and got == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def test_no_window_says_how_far_it_looked():
    rhode_island_and_guam = (Location("US", "RI", "America/New_York", "area_code"),
                             Location("GU", None, "Pacific/Guam", "shipping_address"))  # fmt: skip
    summer = datetime(2026, 7, 6, 12, 0, tzinfo=UTC)
    with pytest.raises(NoAllowedWindow, match="within 14 days"):
        next_allowed(summer, rhode_island_and_guam)
