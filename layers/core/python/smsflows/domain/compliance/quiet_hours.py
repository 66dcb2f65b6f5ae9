"""Quiet hours: when a marketing text may be sent, in every place the recipient may be.

RULES.md A1.1 (federal 08:00-21:00 recipient-local), A2 (state table, intersection of every rule that may
apply, Texas' Sunday rule), A2.1 (house default 09:00-20:00 for everyone), A2.2 (most restrictive of all
candidate locations wins). Transactional texts and compliance replies are exempt (A1.1 design decision):
callers ask only for marketing messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from smsflows.domain.compliance.locations import Location
from smsflows.domain.shops import ShopConfig

RULES_VERSION = "2026-12-01.1"  # recorded with every marketing send (A8.1)


class NoAllowedWindow(ValueError):
    """The candidate locations share no allowed time (e.g. an Australian mobile with a Texas address)."""


@dataclass(frozen=True)
class Window:
    """Allowed from `start` (inclusive) to `end` (exclusive), local wall-clock time."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"empty window {self.start}-{self.end}")


# Seven entries, Monday first; None = no sending that day.
Week = tuple[
    Window | None, Window | None, Window | None, Window | None, Window | None, Window | None, Window | None
]


def _every_day(start: int, end: int) -> Week:
    w = Window(time(start), time(end))
    return (w, w, w, w, w, w, w)


def _weekdays_weekend(weekday: Window, weekend: Window) -> Week:
    return (weekday, weekday, weekday, weekday, weekday, weekend, weekend)


FEDERAL = _every_day(8, 21)  # A1.1, 47 CFR 64.1200(c)(1)
HOUSE_DEFAULT = _every_day(9, 20)  # A2.1: one default that satisfies the unlisted states

# A2 state table (recipient-local). Third-party rows (ST-A/ST-B) are marked as such in RULES.md.
STATE_RULES: dict[str, Week] = {
    "FL": _every_day(8, 20),  # FTSA 501.059
    "OK": _every_day(8, 20),  # Telephone Solicitation Act 2022
    "MD": _every_day(8, 20),  # Stop the Spam Calls Act 2023
    "WA": _every_day(8, 20),  # RCW 19.158.040
    "TX": (*[Window(time(9), time(21))] * 6, Window(time(12), time(21))),  # type: ignore[dict-item]  # SB 140
    "VA": _every_day(8, 21),  # VTPPA
    "CT": _every_day(9, 20),  # SB 1058
    "NJ": _every_day(8, 20),
    "MS": _every_day(8, 20),
    "AL": _every_day(8, 20),
    "LA": _every_day(8, 20),
    "MA": _every_day(8, 20),
    "IL": _every_day(9, 21),
    "MI": _every_day(9, 21),
    "MN": _every_day(9, 21),
    "CA": _every_day(9, 21),
    "KY": _every_day(10, 21),
    "RI": _weekdays_weekend(Window(time(9), time(18)), Window(time(10), time(17))),
}


def intersect(a: Week, b: Week) -> Week:
    days: list[Window | None] = []
    for wa, wb in zip(a, b, strict=True):
        if wa is None or wb is None:
            days.append(None)
            continue
        start, end = max(wa.start, wb.start), min(wa.end, wb.end)
        days.append(Window(start, end) if start < end else None)
    return tuple(days)  # type: ignore[return-value]


@cache
def _strictest_state() -> Week:
    week = HOUSE_DEFAULT
    for rule in STATE_RULES.values():
        week = intersect(week, rule)
    return week


def override_week(config: ShopConfig) -> Week | None:
    """The shop's narrowing of the window (`shop set --quiet-hours`), or None."""
    if config.quiet_hours_override is None:
        return None
    return tuple(Window(d.start, d.end) if d else None for d in config.quiet_hours_override)  # type: ignore[return-value]


@cache
def week_for(country: str | None, state: str | None, override: Week | None = None) -> Week:
    """The allowed week at one location: every rule that may apply, intersected (A2.2)."""
    week = HOUSE_DEFAULT
    if country == "US":
        week = intersect(week, FEDERAL)
        if state is None:
            week = intersect(week, _strictest_state())  # unknown state: the strictest plausible rule
        elif state in STATE_RULES:
            week = intersect(week, STATE_RULES[state])
    if override is not None:  # a shop may narrow, never widen
        week = intersect(week, override)
    return week


def _allowed_at_location(instant: datetime, location: Location, override: Week | None) -> bool:
    local = instant.astimezone(ZoneInfo(location.time_zone))
    window = week_for(location.country, location.state, override)[local.weekday()]
    return window is not None and window.start <= local.time().replace(tzinfo=None) < window.end


def is_allowed(instant: datetime, locations: tuple[Location, ...], override: Week | None = None) -> bool:
    """True when a marketing text may be sent at `instant` (aware) to someone who may be at any of `locations`."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    if not locations:
        raise ValueError("no candidate location: use locations.candidate_locations, never an empty set")
    return all(_allowed_at_location(instant, loc, override) for loc in locations)


def _window_starts(after: datetime, location: Location, override: Week | None, days: int) -> list[datetime]:
    zone = ZoneInfo(location.time_zone)
    week = week_for(location.country, location.state, override)
    first: date = after.astimezone(zone).date()
    starts = []
    for offset in range(days + 1):
        day = first + timedelta(days=offset)
        window = week[day.weekday()]
        if window is not None:
            starts.append(datetime.combine(day, window.start, tzinfo=zone))
    return starts


def next_allowed(
    instant: datetime, locations: tuple[Location, ...], override: Week | None = None, horizon_days: int = 14
) -> datetime:
    """The earliest instant >= `instant` at which `is_allowed` holds.

    The allowed set is an intersection of unions of daily intervals, so its earliest point at or after
    `instant` is either `instant` itself or the opening of some location's window: check those in order.
    """
    if is_allowed(instant, locations, override):
        return instant
    starts = sorted(
        {s for loc in locations for s in _window_starts(instant, loc, override, horizon_days) if s > instant}
    )
    for start in starts:
        if is_allowed(start, locations, override):
            return start.astimezone(instant.tzinfo)
    raise NoAllowedWindow(f"no allowed sending time within {horizon_days} days for these locations")
