"""The deliverability guard's rule (issue 16 part 4): judged only after enough outcomes, then paused on
carrier filtering or on opt-outs above the shop's shares."""

from __future__ import annotations

from smsflows.domain.analytics.guard import GuardPolicy, trip

POLICY = GuardPolicy(min_outcomes=200, max_filtered=0.05, max_opt_out=0.03)


def test_nothing_is_judged_before_the_first_n_outcomes():
    assert trip(delivered=100, failed=99, filtered=99, opt_outs=50, policy=POLICY) is None


def test_filtering_above_the_share_pauses_and_says_how_much():
    why = trip(delivered=188, failed=12, filtered=11, opt_outs=0, policy=POLICY)
    assert why == "carrier filtering: 11 of the first 200 texts filtered (5.5% > 5.0%)"
    assert trip(delivered=190, failed=10, filtered=10, opt_outs=0, policy=POLICY) is None  # exactly 5 %: ok


def test_opt_outs_above_the_share_of_delivered_pause():
    why = trip(delivered=200, failed=0, filtered=0, opt_outs=7, policy=POLICY)
    assert why == "opt-outs: 7 of 200 delivered texts answered with an opt-out (3.5% > 3.0%)"
    assert trip(delivered=200, failed=0, filtered=0, opt_outs=6, policy=POLICY) is None


def test_a_shops_own_thresholds_apply():
    strict = GuardPolicy(min_outcomes=50, max_filtered=0.01, max_opt_out=0.01)
    assert trip(delivered=49, failed=1, filtered=1, opt_outs=0, policy=strict) is not None
    assert trip(delivered=49, failed=1, filtered=1, opt_outs=0, policy=POLICY) is None
