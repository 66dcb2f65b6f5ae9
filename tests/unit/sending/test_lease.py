"""A container's leased block of sending slots (issue 10: the mutants that survived in sending/pacing.py
`Lease.take`): slots too far in the past are given up one by one, a slot exactly at the late limit is still
used, and a lease that runs out says so."""

from smsflows.domain.sending.pacing import Lease

RATE = 10.0  # a slot every 0.1 s
LATE = 0.03  # the late limit: slots more than this far in the past are given up


def test_only_the_slots_past_the_late_limit_are_given_up():
    lease = Lease(start=100.0, rate=RATE, count=10, late=LATE)
    now = 100.0 + 0.35 + LATE  # slots 0..3 (100.0-100.3) are too late; slot 4 (100.4) is not
    assert lease.take(1, now) == lease.slot(4)
    assert lease.used == 5


def test_a_slot_exactly_at_the_late_limit_is_still_used():
    lease = Lease(start=100.0, rate=RATE, count=3, late=LATE)
    assert lease.take(1, 100.0 + LATE) == 100.0
    assert lease.used == 1


def test_a_lease_with_too_few_slots_left_serves_nothing_and_keeps_the_rest():
    lease = Lease(start=100.0, rate=RATE, count=3, late=LATE)
    assert lease.take(2, 100.0) == 100.0
    assert lease.take(2, 100.0) is None and lease.used == 2  # one slot left: not enough for two segments
    assert lease.take(1, 100.0) == lease.slot(2)


def test_a_lease_whose_slots_are_all_too_late_is_used_up():
    lease = Lease(start=100.0, rate=RATE, count=3, late=LATE)
    assert lease.take(1, 200.0) is None and lease.used == 3
