"""The local cloud's virtual clock and its time keeper, on their own (the cloud's use: tests/e2e)."""

from __future__ import annotations

import threading

import pytest

from smsflows.local.virtual_time import NotSettled, TimeKeeper
from smsflows.runtime.clock import SimClock
from tests.waiting import wait_until

T0 = 1_795_000_000.0


def test_the_clock_stands_still_moves_only_forward_and_a_sleep_moves_it_at_once():
    clock = SimClock(T0)
    assert clock.time() == T0 and clock.now().timestamp() == T0
    assert clock.advance_to(T0 + 60) == T0 + 60
    assert clock.advance_to(T0 + 10) == T0 + 60  # never backwards
    clock.sleep(0.25)
    assert clock.time() == T0 + 60.25
    clock.sleep(-1)
    assert clock.time() == T0 + 60.25


def test_a_waiter_wakes_when_the_clock_reaches_its_instant_or_when_cancelled():
    clock = SimClock(T0)
    woke: list[bool] = []
    waiter = threading.Thread(target=lambda: woke.append(clock.wait_until(T0 + 5, cancelled=lambda: False)))
    waiter.start()
    clock.advance_to(T0 + 4)
    assert waiter.is_alive()  # one second short
    clock.advance_to(T0 + 5)
    waiter.join(5)
    assert woke == [True]
    stop = threading.Event()
    cancelled: list[bool] = []
    other = threading.Thread(target=lambda: cancelled.append(clock.wait_until(T0 + 99, stop.is_set, 0.01)))
    other.start()
    stop.set()
    other.join(5)
    assert cancelled == [False] and clock.time() == T0 + 5


def keeper_with(due: list[float], horizon: float | None = None) -> TimeKeeper:
    keeper = TimeKeeper(SimClock(T0))
    keeper.due_sources.append(lambda now: min((d for d in due if d > now), default=None))
    if horizon is not None:
        keeper.hold(horizon)
    return keeper


def test_an_idle_keeper_skips_to_each_due_instant_in_turn_and_stops_at_the_horizon():
    keeper = keeper_with([T0 + 3600, T0 + 7200, T0 + 86400], horizon=T0 + 8000)
    assert keeper._skip_once() and keeper.clock.time() == T0 + 3600
    assert keeper._skip_once() and keeper.clock.time() == T0 + 7200
    assert keeper._skip_once() and keeper.clock.time() == T0 + 8000  # the horizon, not the next day
    assert not keeper._skip_once()
    keeper.release()
    assert keeper._skip_once() and keeper.clock.time() == T0 + 86400
    assert not keeper._skip_once()  # nothing due: free time does not run away


def test_running_work_holds_the_clock():
    keeper = keeper_with([T0 + 60])
    with keeper.busy(), keeper.busy():  # nested scopes on one thread count once
        assert not keeper.idle() and not keeper._skip_once()
    assert keeper.idle() and keeper._skip_once()
    keeper = keeper_with([T0 + 60])
    keeper.begin()  # a callback thread on its way
    assert not keeper._skip_once()
    keeper.end()
    assert keeper._skip_once()


def test_ready_work_holds_the_clock():
    keeper = keeper_with([T0 + 60])
    visible = [True]
    keeper.pending_sources.append(lambda now: visible[0])
    assert not keeper.idle() and not keeper._skip_once()
    visible[0] = False
    assert keeper._skip_once()


def test_an_execution_runs_until_it_waits_and_a_wait_that_fell_due_counts_as_running():
    keeper = keeper_with([])
    keeper.execution_started()
    assert not keeper.idle()
    with keeper.waiting(T0 + 600):
        assert keeper.idle()
        assert keeper.next_due() == T0 + 600
        assert keeper._skip_once() and keeper.clock.time() == T0 + 600
        # its thread has not woken yet: the clock must not run on past what it is about to do
        assert not keeper.idle()
    keeper.execution_ended()
    assert keeper.idle()


def test_work_that_starts_and_ends_between_two_reads_is_not_taken_for_idle():
    keeper = keeper_with([])
    sneaky = [True]

    def ready(now: float) -> bool:
        if sneaky[0]:  # a poller receives and finishes a message while the queues are read
            sneaky[0] = False
            keeper.begin()
            keeper.end()
        return False

    keeper.pending_sources.append(ready)
    assert not keeper.idle()
    assert keeper.idle()


def test_advance_runs_everything_due_on_the_way_and_settle_says_when_something_never_stops():
    keeper = keeper_with([T0 + 10, T0 + 20]).start()
    try:
        state = keeper.advance(T0 + 30)
        assert keeper.clock.time() == T0 + 30 and state["idle"] and keeper.skips == 3
        with pytest.raises(ValueError, match="cannot go back"):
            keeper.advance(T0)
        keeper.begin()
        with pytest.raises(NotSettled, match=r"not idle after 0\.2 s"):
            keeper.settle(timeout_s=0.2)
        keeper.end()
        assert keeper.settle()["idle"]
    finally:
        keeper.stop()


def test_released_time_runs_free_to_the_last_due_instant():
    keeper = keeper_with([T0 + 86400, T0 + 5 * 86400]).start()
    try:
        keeper.release()
        wait_until(
            keeper.clock.time, lambda t: t == T0 + 5 * 86400, what="the clock to reach the last instant"
        )
        assert keeper.settle()["next_due"] is None
    finally:
        keeper.stop()


def test_a_paced_wait_parks_the_work_holds_at_the_horizon_and_wakes_at_its_own_instant():
    """A sender waiting for its slots (on the thread of its invocation's busy scope) is not running: the
    keeper moves the clock to each slot when nothing else runs, and never past the driver's horizon. (The
    clock used to move at once on such a wait: a sender with a backlog was never idle and ran time minutes
    past an `advance`.)"""
    keeper = TimeKeeper(SimClock(T0)).start()
    try:
        keeper.hold(T0)
        woke: list[float] = []

        def send_three() -> None:
            with keeper.busy():
                for slot in (T0 + 1, T0 + 2, T0 + 5):
                    keeper.clock.sleep_until(slot)
                    woke.append(keeper.clock.time())

        sender = threading.Thread(target=send_three)
        sender.start()
        wait_until(lambda: keeper.state()["sleeping"] == 1, what="the sender to park at its first slot")
        assert woke == [] and keeper.clock.time() == T0
        state = keeper.advance(T0 + 3, timeout_s=30)
        assert woke == [T0 + 1, T0 + 2] and keeper.clock.time() == T0 + 3  # held: the third slot lies beyond
        assert state["sleeping"] == 1 and state["idle"] and sender.is_alive()
        keeper.advance(T0 + 10, timeout_s=30)
        sender.join(5)
        assert woke == [T0 + 1, T0 + 2, T0 + 5] and keeper.clock.time() == T0 + 10
    finally:
        keeper.stop()


def test_a_parked_wait_counts_as_running_once_its_instant_has_come_and_free_threads_move_the_clock():
    keeper = TimeKeeper(SimClock(T0))
    keeper.clock.parker = keeper.park  # as start() does, without the keeper's thread
    reached, gate = threading.Event(), threading.Event()
    waited = keeper.clock.wait_until

    def wake_slowly(instant, cancelled, poll_s=0.05):  # the thread has not gone on yet when the clock arrives
        result = waited(instant, cancelled, poll_s)
        reached.set()
        gate.wait(5)
        return result

    keeper.clock.wait_until = wake_slowly  # type: ignore[method-assign]
    parked = threading.Thread(target=lambda: _busy_sleep(keeper, T0 + 5))
    parked.start()
    wait_until(lambda: keeper.state()["sleeping"] == 1, what="the sender to park")
    assert keeper.idle() and keeper.next_due() == T0 + 5
    keeper.clock.advance_to(T0 + 5)
    assert reached.wait(5)
    assert not keeper.idle() and not keeper._skip_once()  # its instant has come: it is about to run
    gate.set()
    parked.join(5)
    assert not parked.is_alive() and keeper.idle()
    # outside any busy scope (a thread the keeper does not know of): the clock moves for it at once
    keeper.clock.sleep_until(T0 + 9)
    assert keeper.clock.time() == T0 + 9


def _busy_sleep(keeper: TimeKeeper, instant: float) -> None:
    with keeper.busy():
        keeper.clock.sleep_until(instant)
