"""Exact time for the local cloud: a virtual clock that skips ahead when the system is idle.

The idea is Temporal's time-skipping test server. Work takes no virtual time; when nothing is running (no
invocation, no HTTP request, no Step Functions execution between states, no message visible on a consumed
queue, no schedule due, no status callback on its way) the keeper moves the clock to the next due instant:
the end of a Step Functions Wait, an SQS delay or visibility timeout, a one-time schedule. The clock never
passes the *horizon*: a driver (the demo, a test) holds time at an instant, lets it run to another with
`advance`, or lets it run free (`release`: an interactive `smsflows local --virtual`).

Idle is read twice around an activity counter: work that began between the two reads (a poller that
received a message, a request that arrived) bumps the counter, so a half-seen start is never taken for
idle.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from smsflows.runtime.clock import SimClock

LOG = logging.getLogger("smsflows.local")
FOREVER = math.inf


class NotSettled(RuntimeError):
    """The system did not become idle in time (real seconds): something runs or loops without end."""


class TimeKeeper:
    """Counts what runs, knows what is due, and moves the virtual clock when nothing runs."""

    def __init__(self, clock: SimClock, horizon: float = FOREVER) -> None:
        self.clock = clock
        self._horizon = horizon
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._depth = threading.local()
        self._busy = 0  # threads inside a busy() scope, plus begun() work
        self._seq = itertools.count()
        self._last_seq = 0
        self._executions = 0  # Step Functions executions whose thread is alive
        self._waits: dict[int, float] = {}  # executions in a Wait state: id -> due (epoch seconds)
        self._wait_ids = itertools.count()
        self._sleeps: dict[int, float] = {}  # busy work waiting for an instant (`park`): id -> instant
        self.due_sources: list[Callable[[float], float | None]] = []  # next due instant after `now`
        self.pending_sources: list[Callable[[float], bool]] = []  # work that is ready now (a visible message)
        self.on_skip: list[Callable[[], None]] = []  # told after each skip (pollers look at once)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.skips = 0

    # What runs --------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """Around work on this thread (re-entrant: nested scopes count once)."""
        depth = getattr(self._depth, "n", 0)
        self._depth.n = depth + 1
        if depth == 0:
            self.begin()
        try:
            yield
        finally:
            self._depth.n = depth
            if depth == 0:
                self.end()

    def begin(self) -> None:
        """Work that outlives the call that starts it (a status callback thread): pair with `end`."""
        with self._lock:
            self._busy += 1
            self._last_seq = next(self._seq)

    def end(self) -> None:
        with self._changed:
            self._busy -= 1
            self._last_seq = next(self._seq)
            self._changed.notify_all()

    def execution_started(self) -> None:
        with self._lock:
            self._executions += 1
            self._last_seq = next(self._seq)

    def execution_ended(self) -> None:
        with self._changed:
            self._executions -= 1
            self._last_seq = next(self._seq)
            self._changed.notify_all()

    @contextlib.contextmanager
    def waiting(self, due: float) -> Iterator[None]:
        """An execution in a Wait state until `due`: it does not count as running meanwhile."""
        with self._changed:
            key = next(self._wait_ids)
            self._waits[key] = due
            self._last_seq = next(self._seq)
            self._changed.notify_all()
        try:
            yield
        finally:
            with self._lock:
                del self._waits[key]
                self._last_seq = next(self._seq)

    def park(self, instant: float) -> None:
        """Work on this thread waits for `instant` (a paced sender's slot): it does not count as running
        meanwhile, and the instant is one the clock moves to when the system is idle, never past the
        horizon. (Moving the clock at once instead let a sender with a backlog run time far past a
        driver's `advance`: it was never idle.) A thread outside any busy scope is not work the keeper
        knows of: the clock moves for it at once."""
        if instant <= self.clock.time():
            return
        if getattr(self._depth, "n", 0) == 0:
            self.clock.advance_to(instant)
            return
        with self._changed:
            key = next(self._wait_ids)
            self._sleeps[key] = instant
            self._busy -= 1
            self._last_seq = next(self._seq)
            self._changed.notify_all()
        try:
            self.clock.wait_until(instant, cancelled=self._stop.is_set)
        finally:
            with self._changed:
                del self._sleeps[key]
                self._busy += 1
                self._last_seq = next(self._seq)

    # Idle and due -----------------------------------------------------------------------------------
    def _quiet(self) -> tuple[bool, int]:
        now = self.clock.time()
        with self._lock:
            # A Wait that has fallen due counts as running: its thread is about to wake and go on. So does
            # a parked sleeper whose instant has come.
            sleeping = sum(1 for due in self._waits.values() if due > now)
            woken = any(instant <= now for instant in self._sleeps.values())
            return self._busy == 0 and not woken and self._executions <= sleeping, self._last_seq

    def idle(self) -> bool:
        """Nothing runs and nothing is ready to run at the current instant."""
        quiet, before = self._quiet()
        if not quiet:
            return False
        now = self.clock.time()
        if any(source(now) for source in self.pending_sources):
            return False
        quiet, after = self._quiet()
        return quiet and after == before

    def next_due(self) -> float | None:
        """The earliest instant after now at which something falls due, if any."""
        now = self.clock.time()
        with self._lock:
            candidates = [due for due in (*self._waits.values(), *self._sleeps.values()) if due > now]
        for source in self.due_sources:
            due = source(now)
            if due is not None and due > now:
                candidates.append(due)
        return min(candidates) if candidates else None

    def state(self) -> dict[str, Any]:
        due = self.next_due()
        horizon = self._horizon
        with self._lock:
            running, waiting, executions = self._busy, len(self._waits), self._executions
            sleeping = len(self._sleeps)
        return {
            "now": self.clock.now().isoformat(),
            "mode": "virtual",
            "idle": self.idle(),
            "next_due": _iso(due),
            "horizon": None if horizon == FOREVER else _iso(horizon),
            "running": running,
            "executions": executions,
            "waiting": waiting,
            "sleeping": sleeping,
            "skips": self.skips,
        }

    # Moving time ------------------------------------------------------------------------------------
    def start(self) -> TimeKeeper:
        self._thread = threading.Thread(target=self._run, name="time-keeper", daemon=True)
        self._thread.start()
        self.clock.parker = self.park  # the clock's waits (`SimClock.sleep_until`) are this keeper's
        return self

    def stop(self) -> None:
        self.clock.parker = None
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                moved = self._skip_once()
            except Exception:
                LOG.exception("the time keeper failed to read what is due")
                moved = False
            if not moved:
                # Woken at once when work ends (the moment a skip may become possible); else a look every
                # 50 ms for what arrives from outside (a message another process put on a queue).
                with self._changed:
                    self._changed.wait(0.05)

    def _skip_once(self) -> bool:
        if not self.idle():
            return False
        now = self.clock.time()
        due = self.next_due()
        target = min(due if due is not None else FOREVER, self._horizon)
        if target == FOREVER or target <= now:
            return False
        if not self.idle():  # something started while the due instants were read
            return False
        self.clock.advance_to(target)
        self.skips += 1
        for wake in self.on_skip:
            wake()
        return True

    def hold(self, at: float | None = None) -> None:
        """Stop time at `at` (default: now); it moves again with `advance` or `release`."""
        self._horizon = self.clock.time() if at is None else at
        self._poke()

    def release(self) -> None:
        """Let time run free: skip to each next due instant whenever idle."""
        self._horizon = FOREVER
        self._poke()

    def advance(self, to: float, timeout_s: float = 60.0) -> dict[str, Any]:
        """Let time run to `to` (everything due before it happens, in order) and hold it there; returns once
        the clock is at `to` and the system is idle."""
        if to < self.clock.time():
            raise ValueError(f"the clock is at {self.clock.now().isoformat()}; it cannot go back")
        self._horizon = to
        self._poke()
        return self.settle(timeout_s, until=to)

    def _poke(self) -> None:
        with self._changed:
            self._last_seq = next(self._seq)
            self._changed.notify_all()

    def settle(self, timeout_s: float = 60.0, until: float | None = None) -> dict[str, Any]:
        """Wait (real seconds) until the system is idle with nothing due before the horizon."""
        deadline = time.monotonic() + timeout_s
        stable = 0
        while True:
            at_target = until is None or self.clock.time() >= until
            due = self.next_due()
            horizon = self._horizon
            settled = at_target and self.idle() and (due is None or due > horizon)
            # Twice in a row, a little apart: a callback thread or a poller may be about to start.
            stable = stable + 1 if settled else 0
            if stable >= 3:
                return self.state()
            if time.monotonic() > deadline:
                raise NotSettled(f"not idle after {timeout_s:g} s: {self.state()}")
            time.sleep(0.005)


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None or epoch == FOREVER else datetime.fromtimestamp(epoch, UTC).isoformat()
