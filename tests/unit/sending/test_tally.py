"""domain/sending/tally.py: a batch's counts added up and written once per counter item."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smsflows.domain.sending.tally import Tally

T0 = datetime(2026, 12, 3, 23, 59, 58, tzinfo=UTC)


class Writes:
    def __init__(self, fail: str | None = None) -> None:
        self.counts: list[tuple[Any, ...]] = []
        self.runs: list[tuple[Any, ...]] = []
        self.fail = fail

    def count(self, shop: str, at: datetime, scope: str, values: dict[str, float]) -> None:
        if scope == self.fail:
            raise RuntimeError("throttled")
        self.counts.append((shop, at.date().isoformat(), scope, dict(values)))

    def count_run(self, shop: str, campaign: str, run: str, outcome: str, n: int = 1,
                  at: datetime | None = None) -> dict[str, int]:  # fmt: skip
        if outcome == self.fail:
            raise RuntimeError("throttled")
        self.runs.append((shop, campaign, run, outcome, n, at))
        return {}


class Runs:
    def __init__(self, writes: Writes) -> None:
        self.count = writes.count_run


def test_counts_add_up_per_shop_day_and_scope_and_runs_per_outcome():
    tally = Tally()
    for i in range(10):
        tally.count(
            "s1", T0 + timedelta(seconds=i % 2), "campaign:c1", {"sent": 1, "segments": 2, "cost_est": 0.0166}
        )
        tally.run("s1", "c1", "once", "sent", at=T0 + timedelta(seconds=i))
    tally.count("s1", T0 + timedelta(seconds=5), "campaign:c1", {"failed": 1, "err#30007": 1})  # the next day
    tally.count("s2", T0, "campaign:c1", {"sent": 1})
    tally.run("s1", "c1", "once", "deferred")
    writes = Writes()
    errors: list[str] = []
    assert (
        tally.flush(writes, Runs(writes), lambda what, exc: errors.append(what)) == 5
    )  # 3 counter items, 2 run outcomes
    assert not errors
    by_key = {(shop, day, scope): values for shop, day, scope, values in writes.counts}
    assert by_key[("s1", "2026-12-03", "campaign:c1")] == {
        "sent": 10,
        "segments": 20,
        "cost_est": pytest.approx(0.166),
    }
    assert by_key[("s1", "2026-12-04", "campaign:c1")] == {"failed": 1, "err#30007": 1}
    assert by_key[("s2", "2026-12-03", "campaign:c1")] == {"sent": 1}
    assert sorted(writes.runs, key=lambda r: r[3]) == [
        ("s1", "c1", "once", "deferred", 1, None),
        ("s1", "c1", "once", "sent", 10, T0 + timedelta(seconds=9)),  # the last send's time
    ]
    # written once: a second flush writes nothing
    assert tally.flush(writes, Runs(writes), lambda what, exc: errors.append(what)) == 0


def test_a_failed_write_is_reported_and_the_rest_are_still_written():
    tally = Tally()
    tally.count("s1", T0, "flow:welcome", {"sent": 1})
    tally.count("s1", T0, "campaign:c1", {"sent": 1})
    tally.run("s1", "c1", "once", "sent", at=T0)
    tally.run("s1", "c1", "once", "suppressed")
    writes = Writes(fail="campaign:c1")
    errors: list[str] = []
    assert tally.flush(writes, Runs(writes), lambda what, exc: errors.append(what)) == 3
    assert errors == ["counters campaign:c1"]
    assert [c[2] for c in writes.counts] == ["flow:welcome"] and len(writes.runs) == 2


def test_sends_in_threads_lose_no_count():
    tally = Tally()
    start = threading.Barrier(8)

    def send(n: int) -> None:
        start.wait()
        for _ in range(500):
            tally.count("s1", T0, "campaign:c1", {"sent": 1})
            tally.run("s1", "c1", "once", "sent", at=T0)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(send, range(8)))
    writes = Writes()
    tally.flush(writes, Runs(writes), lambda what, exc: None)
    assert writes.counts == [("s1", "2026-12-03", "campaign:c1", {"sent": 4000})]
    assert writes.runs == [("s1", "c1", "once", "sent", 4000, T0)]


def test_what_failed_and_why_reach_the_error_handler_for_counters_and_runs():
    tally = Tally()
    tally.count("s1", T0, "campaign:c1", {"sent": 1})
    tally.run("s1", "c1", "once", "sent", at=T0)
    tally.run("s1", "c1", "once", "suppressed")
    errors: list[tuple[str, Exception]] = []
    for fail in ("campaign:c1", "suppressed"):
        tally.count("s1", T0, "campaign:c1", {"sent": 1})
        tally.run("s1", "c1", "once", "suppressed")
        tally.flush(Writes(fail=fail), Runs(Writes(fail=fail)), lambda what, exc: errors.append((what, exc)))
    assert [what for what, _ in errors] == ["counters campaign:c1", "campaign c1 suppressed"]
    assert all(isinstance(exc, RuntimeError) and str(exc) == "throttled" for _, exc in errors)


def test_without_counters_the_runs_are_still_written_and_without_runs_the_counters_are_counted():
    tally = Tally()
    tally.count("s1", T0, "campaign:c1", {"sent": 1})
    tally.run("s1", "c1", "once", "sent", at=T0)
    writes = Writes()
    assert tally.flush(None, Runs(writes), lambda what, exc: None) == 1  # no measurement wired: the run only
    assert writes.runs == [("s1", "c1", "once", "sent", 1, T0)]
    tally.count("s1", T0, "campaign:c1", {"sent": 1})
    tally.run("s1", "c1", "once", "sent", at=T0)
    assert tally.flush(writes, None, lambda what, exc: None) == 1  # no run store: the counters only


def test_an_outcome_without_a_time_keeps_the_last_send_time_of_its_run():
    tally = Tally()
    tally.run("s1", "c1", "once", "sent", at=T0)
    tally.run("s1", "c1", "once", "sent")  # (an outcome counted without a time)
    tally.run("s1", "c1", "once", "sent", at=T0 - timedelta(seconds=1))  # an earlier send, finished later
    writes = Writes()
    tally.flush(writes, Runs(writes), lambda what, exc: None)
    assert writes.runs == [("s1", "c1", "once", "sent", 3, T0)]
