"""A send batch's counts, written once when the batch is done instead of once per text.

The sender counts every text twice: on the shop's counters of the day and scope (reports: sent, segments,
cost, failures by error code) and, for a campaign text, on its run (`campaign show`: sent, deferred,
suppressed, ...). Written per text, a batch of ten costs twenty UpdateItems, ten of them on one run item:
the hottest item of a campaign, written at the sender's full rate. Added up per batch, the same counts cost
one UpdateItem per counter item the batch touches (one day's scope, one run: two for a campaign's batch).

Both kinds of count are best effort, as they were per text: the message log is the truth. A flush that fails
loses that batch's counts and is logged; it never makes SQS deliver a sent text again. A function that dies
before its flush (a timeout) loses the counts of at most one batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from smsflows.domain.analytics import counters


@dataclass
class _Run:
    n: int = 0
    last_at: datetime | None = None


@dataclass
class Tally:
    """Counts added up during one batch (its sends run in threads: every change holds the lock)."""

    _counters: dict[tuple[str, str, str], tuple[datetime, dict[str, float]]] = field(default_factory=dict)
    _runs: dict[tuple[str, str, str, str], _Run] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, shop: str, at: datetime, scope: str, values: Mapping[str, float | int]) -> None:
        """As Measurement.count (ADD `values` to the scope's counters of `at`'s day), added up."""
        key = (shop, counters.day_of(at), scope)
        with self._lock:
            first, sums = self._counters.get(key, (at, {}))
            for name, value in values.items():
                sums[name] = sums.get(name, 0) + value
            self._counters[key] = (first, sums)

    def run(self, shop: str, campaign: str, run: str, outcome: str, at: datetime | None = None) -> None:
        """One outcome of a campaign text on its run (CampaignRuns.count); `at` the time of a send."""
        with self._lock:
            entry = self._runs.setdefault((shop, campaign, run, outcome), _Run())
            entry.n += 1
            if at is not None and (entry.last_at is None or at > entry.last_at):
                entry.last_at = at

    def flush(
        self,
        measurement: Any,  # send.Measurement, or None
        runs: Any,  # ports.CampaignRuns, or None
        on_error: Callable[[str, Exception], None],
    ) -> int:
        """Write what was added up: one call per counter item; each failure goes to `on_error` (what, why)
        and the rest are still written. Returns the number of writes made."""
        with self._lock:
            pending_counters, self._counters = self._counters, {}
            pending_runs, self._runs = self._runs, {}
        writes = 0
        for (shop, _day, scope), (at, sums) in pending_counters.items():
            if measurement is None:
                break
            try:
                measurement.count(shop, at, scope, sums)
                writes += 1
            except Exception as exc:
                on_error(f"counters {scope}", exc)
        for (shop, campaign, run, outcome), entry in pending_runs.items():
            if runs is None:
                break
            try:
                runs.count(shop, campaign, run, outcome, n=entry.n, at=entry.last_at)
                writes += 1
            except Exception as exc:
                on_error(f"campaign {campaign} {outcome}", exc)
        return writes
