"""When an EventBridge Scheduler cron falls due: the next occurrence of `cron(...)` in its time zone.

The forms are those `campaign.parse_cron` accepts (fixed minutes and hours; `?` in exactly one of
day-of-month and day-of-week): lists, ranges, `*` and steps; month and weekday names; day-of-month `L`
(the month's last day), `LW` (its last weekday), `L-n` (n days before the last), `nW` (the weekday nearest
day n, within the month); day-of-week 1-7 = SUN-SAT, `L` (Saturday), `nL` (the month's last weekday n) and
`n#k` (its k-th weekday n). A wall time that a daylight-saving change skips does not occur that day; one
that occurs twice occurs at its first instant.

The local cloud fires recurring campaigns with it (EventBridge Scheduler does in AWS).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from smsflows.domain.campaigns.campaign import _DAYS, _MONTHS, parse_cron

SEARCH_DAYS = 366 * 8  # a cron with no occurrence in eight years (e.g. only in a past year) has none


def next_occurrence(expression: str, zone: str, after: datetime) -> datetime | None:
    """The first occurrence strictly after `after` (aware), in UTC; None if there is none within
    SEARCH_DAYS (a year list in the past, 30 FEB)."""
    normal, _ = parse_cron(expression)
    minutes_f, hours_f, dom, month_f, dow, year_f = normal[5:-1].split()
    tz = ZoneInfo(zone)
    times = sorted(time(h, m) for h in _values(hours_f, 0, 23, {}) for m in _values(minutes_f, 0, 59, {}))
    months = _values(month_f, 1, 12, _MONTHS)
    years = None if year_f == "*" else _values(year_f, 1970, 2199, {})
    day = after.astimezone(tz).date()
    for _ in range(SEARCH_DAYS):
        if (years is None or day.year in years) and day.month in months and _day_matches(dom, dow, day):
            for at in times:
                local = datetime.combine(day, at, tz)
                instant = local.astimezone(UTC)
                if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
                    continue  # skipped by a daylight-saving change
                if instant > after:
                    return instant
        day += timedelta(days=1)
    return None


def _values(field: str, low: int, high: int, names: Mapping[str, int]) -> set[int]:
    """A plain field (no L, W or #): the values it names."""
    out: set[int] = set()
    for item in field.split(","):
        base, _, step = item.partition("/")
        if base in ("*", "?"):
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-")
            start, end = _number(first, names), _number(last, names)
        else:
            start = _number(base, names)
            end = high if step else start
        every = int(step) if step else 1
        if start <= end:
            out.update(range(start, end + 1, every))
        else:  # a range that wraps (FRI-MON, NOV-FEB)
            out.update(
                v for i, v in enumerate([*range(start, high + 1), *range(low, end + 1)]) if i % every == 0
            )
    return out


def _number(token: str, names: Mapping[str, int]) -> int:
    return int(token) if token.isdigit() else names[token]


def _day_matches(dom: str, dow: str, day: date) -> bool:
    if dom == "?":
        return any(_weekday_item_matches(item, day) for item in dow.split(","))
    return any(_month_day_item_matches(item, day) for item in dom.split(","))


def _month_day_item_matches(item: str, day: date) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    if item == "L":
        return day.day == last
    if item == "LW":
        return day == _nearest_weekday(date(day.year, day.month, last))
    if item.startswith("L-"):
        return day.day == max(1, last - int(item[2:]))
    if item.endswith("W"):
        wanted = min(int(item[:-1]), last)
        return day == _nearest_weekday(date(day.year, day.month, wanted))
    return day.day in _values(item, 1, 31, {})


def _nearest_weekday(target: date) -> date:
    """The weekday nearest `target` within its month (Saturday → Friday, Sunday → Monday, except across the
    month's edge: the 1st on a Saturday → Monday the 3rd, the last on a Sunday → Friday)."""
    weekday = target.weekday()  # Monday 0 … Sunday 6
    if weekday < 5:
        return target
    last = calendar.monthrange(target.year, target.month)[1]
    if weekday == 5:  # Saturday
        return target - timedelta(days=1) if target.day > 1 else target + timedelta(days=2)
    return target + timedelta(days=1) if target.day < last else target - timedelta(days=2)


def _cron_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7 + 1  # Sunday 1 … Saturday 7


def _weekday_item_matches(item: str, day: date) -> bool:
    weekday = _cron_weekday(day)
    if item == "L":
        return weekday == 7
    if item.endswith("L"):
        wanted = _number(item[:-1], _DAYS)
        return weekday == wanted and day.day + 7 > calendar.monthrange(day.year, day.month)[1]
    if "#" in item:
        name, _, nth = item.partition("#")
        return weekday == _number(name, _DAYS) and (day.day - 1) // 7 + 1 == int(nth)
    return weekday in _values(item, 1, 7, _DAYS)
