"""The injected clock. Domain code never calls datetime.now(); it receives a Clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def scaled_clock(scale: float, epoch_real: float, epoch_virtual: float | None = None) -> Clock:
    """A clock that runs `scale` times faster than the wall clock from `epoch_real` on.

    Virtual time starts at `epoch_virtual` (default: the real epoch), so the local cloud can start a
    demo at 09:00 on a chosen day and let a three-day flow pass in seconds.
    """
    start_virtual = epoch_real if epoch_virtual is None else epoch_virtual

    def now() -> datetime:
        return datetime.fromtimestamp(start_virtual + (time.time() - epoch_real) * scale, UTC)

    return now


def fixed_clock(at: datetime) -> Clock:
    if at.tzinfo is None:
        raise ValueError("fixed_clock needs an aware datetime")
    return lambda: at
