"""Waiting in tests: every wait ends in what it waited for or in an AssertionError that says what it
waited for and what it last saw. A wait never returns quietly on a timeout."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def _shown(value: Any, limit: int = 1500) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def wait_until(
    probe: Callable[[], T],
    done: Callable[[T], Any] = bool,
    *,
    what: str,
    timeout: float = 20.0,
    interval: float = 0.05,
) -> T:
    """Call `probe` until `done(probe())` holds, and return that value; AssertionError after `timeout`
    seconds, naming `what` and the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        seen = probe()
        if done(seen):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout:g} s waiting for {what}; last saw: {_shown(seen)}"
            )
        time.sleep(interval)
