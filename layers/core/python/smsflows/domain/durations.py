"""Human durations for settings (`flow set --offsets 1h,1d,3d`): parsed to seconds and written back.

A duration is one or more whole-number parts, largest unit first, each unit at most once: `90s`, `30m`,
`1h`, `1h30m`, `2d`, `1w`, `1w2d`. Bare `0` is zero (a flow's first step may go at once). A bare number
of anything else is refused: `90` could be seconds or minutes, and a flow that waits 90 days instead of 90
minutes is not a mistake anyone notices in time.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from typing import Any

UNITS: tuple[tuple[str, int], ...] = (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
EXAMPLES = "30m, 1h, 1d, 1w"


def parse_duration(text: str, *, field: str = "duration") -> int:
    """Seconds in `text` ("1h30m" -> 5400); ValueError naming `field` and the accepted form."""
    cleaned = str(text).strip().lower()
    if cleaned == "0":
        return 0
    match = _DURATION.fullmatch(cleaned)
    if not cleaned or match is None or not any(match.groups()):
        raise ValueError(f"{field}: {str(text).strip()!r} is not a duration; use e.g. {EXAMPLES}")
    return sum(int(part) * size for part, (_, size) in zip(match.groups(), UNITS, strict=True) if part)


def parse_offsets(text: str, *, field: str = "offsets") -> tuple[int, ...]:
    """Comma-separated durations, one per flow step ("1h,1d,3d"), in seconds: each after the one before
    (the first may be 0, every later one is then positive)."""
    parts = [p.strip() for p in str(text).split(",")]
    if not parts or any(not p for p in parts):
        raise ValueError(f"{field}: {str(text).strip()!r} is not a list of durations; use e.g. 1h,1d,3d")
    offsets = tuple(parse_duration(p, field=field) for p in parts)
    check_increasing(offsets, field=field)
    return offsets


def check_increasing(offsets: tuple[int, ...], *, field: str = "offsets") -> None:
    """ValueError unless every offset is >= 0 and each comes strictly after the one before it."""
    for offset in offsets:
        if offset < 0:
            raise ValueError(f"{field}: {offset} s is negative; a step can only come after its trigger")
    for before, after in itertools.pairwise(offsets):
        if after <= before:
            raise ValueError(
                f"{field}: {format_duration(after)} does not come after {format_duration(before)}; "
                "each step must come after the one before it (e.g. 1h,1d,3d)"
            )


def format_duration(seconds: int) -> str:
    """A form parse_duration reads back to `seconds` (5400 -> "1h30m", 14 days -> "2w", 0 -> "0s")."""
    if seconds < 0:
        return "-" + format_duration(-seconds)
    if seconds == 0:
        return "0s"
    out, rest = [], int(seconds)
    days = rest // 86400
    units = UNITS if days % 7 == 0 else UNITS[1:]  # weeks only when they are whole: 9 days is 9d, not 1w2d
    for unit, size in units:
        count, rest = divmod(rest, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out)


def parse_instant(value: Any) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text as Shopify writes it (`Z` or an offset; none: UTC); None if
    absent or not one. Webhook payloads, Admin API answers and stored settings all read times with this."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
