"""The injected clock. Domain code never calls datetime.now(); it receives a Clock."""

from __future__ import annotations

import threading
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


class SimClock:
    """The local cloud's virtual clock: it stands still until it is moved, and moves only forward.

    The time keeper (`smsflows.local.virtual_time`) moves it to the next due instant when the system is
    idle; a sleep on it (the pacer waiting for a slot) moves it by the sleep's length at once, so work takes
    no virtual time and a wait takes exactly its own. Everything in the local cloud that waits (Step
    Functions Waits, SQS delays and visibility timeouts, schedules, pacing slots) reads this one clock.
    """

    def __init__(self, start: float) -> None:
        self._now = float(start)
        self._cond = threading.Condition()
        # The local cloud's time keeper waits a sleeper in its books (`TimeKeeper.park`): the clock then
        # moves to the instant when nothing else runs, and never past the driver's horizon.
        self.parker: Callable[[float], None] | None = None

    def time(self) -> float:
        """Epoch seconds."""
        with self._cond:
            return self._now

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    __call__ = now  # a Clock

    def advance_to(self, instant: float) -> float:
        """Move to `instant` if it is later than now (never backwards); wakes every waiter. Returns now."""
        with self._cond:
            if instant > self._now:
                self._now = float(instant)
                self._cond.notify_all()
            return self._now

    def sleep(self, seconds: float) -> None:
        """A wait inside running work: the clock moves by it at once. Waits that run side by side (a
        batch's sends in threads) each add their length this way: they wait for an instant (`sleep_until`)."""
        if seconds > 0:
            with self._cond:
                self.advance_to(self._now + seconds)

    def sleep_until(self, instant: float) -> None:
        """A wait for an instant inside running work (a pacing slot). With a time keeper, the wait is one
        of the instants it moves the clock to when the system is idle (so a paced sender stops at the
        driver's horizon like everything else); without one, the clock moves there at once. Either way
        waits side by side end at the latest of their instants, not at the sum of their lengths."""
        if self.parker is not None:
            self.parker(instant)
        else:
            self.advance_to(instant)

    def wait_until(self, instant: float, cancelled: Callable[[], bool], poll_s: float = 0.05) -> bool:
        """Block until the clock reaches `instant` (True) or `cancelled()` holds (False)."""
        with self._cond:
            while self._now < instant:
                if cancelled():
                    return False
                self._cond.wait(poll_s)
            return True


_installed: list[SimClock] = []


def install_sim_clock(clock: SimClock | None) -> None:
    """Make `clock` the process's clock for code configured with SMSFLOWS_CLOCK=local (None: remove it)."""
    _installed[:] = [clock] if clock is not None else []


def installed_sim_clock() -> SimClock:
    if not _installed:
        raise RuntimeError("SMSFLOWS_CLOCK=local but no local cloud clock is installed in this process")
    return _installed[0]


def http_clock(url: str) -> Clock:
    """The clock of a local cloud in another process (`GET <url>` answers {"now": ISO 8601}): a CLI pointed
    at `smsflows local --virtual` stamps what it writes with the cloud's virtual time."""
    import json
    import urllib.request

    def now() -> datetime:
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - the operator's own local cloud
            return datetime.fromisoformat(json.load(answer)["now"])

    return now
