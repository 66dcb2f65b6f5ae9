"""The next occurrence of an EventBridge Scheduler cron in its time zone (what the local cloud fires)."""

from datetime import UTC, datetime

import pytest

from smsflows.domain.campaigns.campaign import CampaignError
from smsflows.domain.campaigns.cron import next_occurrence

TUESDAY = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # Tuesday 09:00 in Chicago


@pytest.mark.parametrize(
    ("cron", "zone", "after", "expected"),
    [
        # weekdays by name, in the campaign's zone; strictly after (an occurrence is not its own next)
        ("cron(0 10 ? * TUE,THU *)", "America/Chicago", TUESDAY, datetime(2026, 11, 24, 16, 0, tzinfo=UTC)),
        (
            "cron(0 10 ? * TUE,THU *)",
            "America/Chicago",
            datetime(2026, 11, 24, 16, 0, tzinfo=UTC),
            datetime(2026, 11, 26, 16, 0, tzinfo=UTC),
        ),
        # several hours and minutes a day, in order
        (
            "cron(0,30 9,17 ? * MON-FRI *)",
            "UTC",
            datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
            datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
        ),
        (
            "cron(0,30 9,17 ? * MON-FRI *)",
            "UTC",
            datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
            datetime(2026, 11, 24, 17, 0, tzinfo=UTC),
        ),
        # 1-7 is SUN-SAT; a range may wrap (FRI-MON skips Tuesday to Thursday)
        ("cron(0 10 ? * 1 *)", "UTC", TUESDAY, datetime(2026, 11, 29, 10, 0, tzinfo=UTC)),
        ("cron(0 10 ? * FRI-MON *)", "UTC", TUESDAY, datetime(2026, 11, 27, 10, 0, tzinfo=UTC)),
        # the month's last day, its last weekday, n days before the last, the weekday nearest a day
        ("cron(30 9 L * ? *)", "America/New_York", TUESDAY, datetime(2026, 11, 30, 14, 30, tzinfo=UTC)),
        (
            "cron(0 10 LW * ? *)",
            "UTC",
            datetime(2027, 1, 1, tzinfo=UTC),
            datetime(2027, 1, 29, 10, 0, tzinfo=UTC),
        ),
        ("cron(0 10 L-2 * ? *)", "UTC", TUESDAY, datetime(2026, 11, 28, 10, 0, tzinfo=UTC)),
        (
            "cron(0 10 1W * ? *)",
            "UTC",
            datetime(2026, 7, 2, tzinfo=UTC),
            datetime(2026, 8, 3, 10, 0, tzinfo=UTC),
        ),
        (
            "cron(0 10 15W * ? *)",
            "UTC",
            datetime(2026, 11, 1, tzinfo=UTC),
            datetime(2026, 11, 16, 10, 0, tzinfo=UTC),
        ),
        # the k-th and the last weekday n of the month
        ("cron(0 10 ? * 6#3 *)", "UTC", TUESDAY, datetime(2026, 12, 18, 10, 0, tzinfo=UTC)),
        ("cron(0 10 ? * 2L *)", "UTC", TUESDAY, datetime(2026, 11, 30, 10, 0, tzinfo=UTC)),
        # days of the month with a step, months and years
        ("cron(0 10 1/10 * ? *)", "UTC", TUESDAY, datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        ("cron(0 10 1 JAN,JUL ? *)", "UTC", TUESDAY, datetime(2027, 1, 1, 10, 0, tzinfo=UTC)),
        ("cron(0 10 ? * MON 2028 )", "UTC", TUESDAY, datetime(2028, 1, 3, 10, 0, tzinfo=UTC)),
    ],
)
def test_the_next_occurrence(cron, zone, after, expected):
    assert next_occurrence(cron, zone, after) == expected


def test_daylight_saving_moves_the_instant_skips_a_missing_time_and_takes_a_doubled_one_once():
    ny = "America/New_York"
    # 10:00 stays 10:00 local across the change: 15:00 UTC in winter, 14:00 in summer
    assert next_occurrence("cron(0 10 ? * SUN *)", ny, datetime(2027, 3, 8, tzinfo=UTC)) == datetime(
        2027, 3, 14, 14, 0, tzinfo=UTC
    )
    # 02:30 does not exist on 14 March 2027 in New York: that Sunday has no occurrence
    assert next_occurrence("cron(30 2 ? * SUN *)", ny, datetime(2027, 3, 8, tzinfo=UTC)) == datetime(
        2027, 3, 21, 6, 30, tzinfo=UTC
    )
    # 01:30 happens twice on 7 November 2027: the first (EDT) instant only
    first = next_occurrence("cron(30 1 ? * SUN *)", ny, datetime(2027, 11, 1, tzinfo=UTC))
    assert first == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)
    assert next_occurrence("cron(30 1 ? * SUN *)", ny, first) == datetime(2027, 11, 14, 6, 30, tzinfo=UTC)


def test_a_cron_that_never_occurs_has_no_next_and_a_bad_one_is_refused():
    assert next_occurrence("cron(0 10 30 FEB ? *)", "UTC", TUESDAY) is None
    assert next_occurrence("cron(0 10 ? * MON 2020)", "UTC", TUESDAY) is None
    with pytest.raises(CampaignError):
        next_occurrence("cron(* 10 ? * MON *)", "UTC", TUESDAY)
