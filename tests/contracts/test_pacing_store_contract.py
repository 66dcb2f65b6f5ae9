"""The TokenBuckets port (domain/sending/pacing.py): each sender's bucket pointer (`tat`), its backlog line
of tickets and each brand's daily segment counter, shared by every container; plus each container's hint
of whether a bucket was idle. Times are epoch seconds; pointers are kept to the microsecond."""

from __future__ import annotations

import pytest

from tests.contracts.conftest import adapter_finding

T = 1_000_000.0  # an epoch second
DAY = "2026-11-23"


def approx(value: float):
    return pytest.approx(value, abs=1e-5)


def test_an_idle_bucket_restarts_at_now(token_buckets):
    b = token_buckets.buckets
    assert b.reserve("MG1", 0.5, T, 2.0) == T  # never used
    assert b.reserve("MG1", 0.5, T + 10, 2.0) == T + 10  # used, but long ago: no credit for the past


def test_a_busy_bucket_hands_out_the_next_span(token_buckets):
    b = token_buckets.buckets
    assert b.reserve("MG1", 0.5, T, 2.0) == approx(T)
    assert b.reserve("MG1", 0.5, T, 2.0) == approx(T + 0.5)
    assert b.reserve("MG1", 1.0, T + 0.2, 2.0) == approx(T + 1.0)  # the span [T+1, T+2) ends within 2 s


def test_a_bucket_booked_past_the_horizon_is_refused_and_unchanged(token_buckets):
    b = token_buckets.buckets
    assert b.reserve("MG1", 1.5, T, 2.0) == approx(T)
    assert b.reserve("MG1", 1.0, T, 2.0) is None  # [T+1.5, T+2.5) would end 2.5 s ahead
    assert b.reserve("MG1", 0.5, T, 2.0) == approx(T + 1.5)  # nothing was taken by the refusal
    assert b.reserve("MG1", 0.1, T, 10.0) == approx(T + 2.0)  # a longer horizon (transactional) fits


def test_buckets_are_per_sender_and_shared_by_containers(token_buckets):
    b, other = token_buckets.buckets, token_buckets.other_container()
    assert b.reserve("MG1", 1.0, T, 2.0) == approx(T)
    assert other.reserve("MG1", 0.5, T, 2.0) == approx(T + 1.0)  # the same bucket, seen from elsewhere
    assert b.reserve("MG2", 1.0, T, 2.0) == approx(T)  # another sender costs nothing


def test_tickets_take_places_in_the_backlog_line_never_before_the_floor(token_buckets):
    b = token_buckets.buckets
    assert b.ticket("MG1", 0.1, T + 2) == approx(T + 2)
    assert b.ticket("MG1", 0.1, T + 2) == approx(T + 2.1)
    assert b.ticket("MG1", 0.1, T + 2.05) == approx(T + 2.2)  # behind the line: the next place
    assert b.ticket("MG1", 0.1, T + 60) == approx(T + 60)  # the line ran dry: restarts at the floor
    assert b.ticket("MG2", 0.1, T + 2) == approx(T + 2)


def test_tickets_and_reservations_do_not_move_each_other(token_buckets):
    b = token_buckets.buckets
    assert b.ticket("MG1", 5.0, T + 2) == approx(T + 2)
    assert b.reserve("MG1", 0.5, T, 2.0) == approx(T)  # the backlog line is not the bucket
    assert b.ticket("MG1", 0.1, T + 2) == approx(T + 7)


def test_give_back_undoes_the_last_reservation_only(token_buckets):
    b = token_buckets.buckets
    start = b.reserve("MG1", 0.5, T, 2.0)
    b.give_back("MG1", start, start + 0.5)
    assert b.reserve("MG1", 0.5, T, 2.0) == approx(T)  # as if never booked
    first = b.reserve("MG1", 0.5, T, 2.0)  # [T+0.5, T+1)
    assert first == approx(T + 0.5)
    b.reserve("MG1", 0.5, T, 2.0)  # somebody booked after it: [T+1, T+1.5)
    b.give_back("MG1", first, first + 0.5)  # too late to give back: nothing changes
    assert b.reserve("MG1", 0.5, T, 2.0) == approx(T + 1.5)


def test_the_daily_counter_adds_up_to_the_cap_and_not_past_it(token_buckets):
    b = token_buckets.buckets
    assert b.count_daily("brand", DAY, 6, 10) is True
    assert b.count_daily("brand", DAY, 5, 10) is False  # 11 > 10: refused, nothing added
    assert b.count_daily("brand", DAY, 4, 10) is True  # exactly the cap
    assert b.count_daily("brand", DAY, 1, 10) is False
    assert b.count_daily("brand", "2026-11-24", 10, 10) is True  # a new Pacific day
    assert b.count_daily("other", DAY, 10, 10) is True  # another brand


def test_a_count_larger_than_the_whole_cap_is_refused_on_a_fresh_day(token_buckets, request):
    b = token_buckets.buckets
    assert b.count_daily("brand", DAY, 11, 10) is False
    assert b.count_daily("brand", DAY, 10, 10) is True


def test_a_fresh_container_takes_every_bucket_for_idle(token_buckets):
    b = token_buckets.buckets
    assert b.looks_idle("MG1") is True
    b.note_busy("MG1")
    assert b.looks_idle("MG1") is False
    assert b.looks_idle("MG2") is True


def test_the_idle_hint_follows_what_the_container_last_saw(token_buckets, request):
    """The hint says whether the bucket was idle when this container last touched it (then a lone text
    folds its slot into the claim), and is the container's own: another container starts from idle."""
    adapter_finding(
        request,
        "token_buckets",
        "tests/unit/sending/test_pacing.py MemoryBuckets.looks_idle is 'never touched' (tat < 1.0, shared by "
        "all containers), not the container's last observation as in DynamoTokenBuckets",
        implementation="unit-memory",
    )
    b = token_buckets.buckets
    assert b.reserve("MG1", 0.5, T, 2.0) == approx(T)  # idle when touched
    assert b.looks_idle("MG1") is True
    assert b.reserve("MG1", 0.5, T, 2.0) == approx(T + 0.5)  # booked ahead
    assert b.looks_idle("MG1") is False
    assert token_buckets.other_container().looks_idle("MG1") is True
    assert b.reserve("MG1", 0.5, T + 60, 2.0) == approx(T + 60)  # idle again
    assert b.looks_idle("MG1") is True
    assert b.reserve("MG1", 5.0, T + 60, 2.0) is None  # refused: booked ahead
    assert b.looks_idle("MG1") is False
    b.ticket("MG2", 1.0, T)  # the backlog line is no sign of a busy bucket
    assert b.looks_idle("MG2") is True
