"""Incremental lift from a holdout (issue 16 part 2, ★): the difference of conversion rates and of revenue
per recipient between the texted and the held out, with 95 % intervals, checked against known answers."""

from __future__ import annotations

import math
import random

import pytest

from smsflows.domain.analytics.lift import Z95, Group, Lift


def test_a_known_difference_of_proportions_and_its_interval():
    lift = Lift(Group(1000, 50), Group(1000, 30))
    assert lift.difference == pytest.approx(0.02)
    se = math.sqrt(0.05 * 0.95 / 1000 + 0.03 * 0.97 / 1000)  # 0.0087521...
    low, high = lift.interval
    assert (low, high) == pytest.approx((0.02 - Z95 * se, 0.02 + Z95 * se))
    assert (round(low, 5), round(high, 5)) == (0.00285, 0.03715)
    assert lift.significant


def test_a_small_holdout_gives_a_wide_interval_that_includes_zero():
    lift = Lift(Group(900, 45), Group(100, 3))
    assert lift.difference == pytest.approx(0.02)
    low, high = lift.interval
    assert low < 0 < high and not lift.significant


def test_revenue_per_recipient_with_welchs_interval_from_sums_and_squares():
    rng = random.Random(7)
    sent = [rng.choice([0.0] * 9 + [80.0]) for _ in range(2000)]
    held = [rng.choice([0.0] * 19 + [80.0]) for _ in range(500)]

    def group(values):
        paid = [v for v in values if v]
        return Group(len(values), len(paid), sum(paid), sum(v * v for v in paid))

    lift = Lift(group(sent), group(held))
    mean_a, mean_b = sum(sent) / len(sent), sum(held) / len(held)
    var_a = sum((v - mean_a) ** 2 for v in sent) / (len(sent) - 1)
    var_b = sum((v - mean_b) ** 2 for v in held) / (len(held) - 1)
    se = math.sqrt(var_a / len(sent) + var_b / len(held))
    assert lift.revenue_difference == pytest.approx(mean_a - mean_b)
    assert lift.revenue_interval == pytest.approx((mean_a - mean_b - Z95 * se, mean_a - mean_b + Z95 * se))


def test_no_recipients_means_no_rate_and_no_interval():
    lift = Lift(Group(0), Group(0))
    assert lift.difference is None and lift.interval is None and not lift.significant
    shown = lift.as_dict()
    assert shown["lift"] is None and shown["lift_ci95"] is None and shown["rpr_ci95"] is None
    assert Lift(Group(10, 1, 5.0, 25.0), Group(1, 0)).revenue_interval is None  # one held out: no variance


def test_the_report_shape_holds_the_numbers():
    shown = Lift(Group(1000, 50, 4000.0, 50 * 80.0**2), Group(1000, 30, 2400.0, 30 * 80.0**2)).as_dict()
    assert shown["sent"] == {"recipients": 1000, "conversions": 50, "revenue": 4000.0}
    assert shown["conversion_sent"] == 0.05 and shown["conversion_holdout"] == 0.03
    assert shown["lift"] == 0.02 and shown["lift_ci95"] == [0.002846, 0.037154]
    assert shown["rpr_sent"] == 4.0 and shown["rpr_holdout"] == 2.4 and shown["significant"] is True


def test_every_figure_of_the_report_shape_with_revenue_intervals():
    sent = Group(2000, 190, 190 * 52.34567, 190 * 52.34567**2)
    held = Group(500, 31, 31 * 47.891, 31 * 47.891**2)
    lift = Lift(sent, held)
    shown = lift.as_dict()
    low, high = lift.revenue_interval
    assert shown == {
        "sent": {"recipients": 2000, "conversions": 190, "revenue": round(190 * 52.34567, 2)},
        "holdout": {"recipients": 500, "conversions": 31, "revenue": round(31 * 47.891, 2)},
        "conversion_sent": 0.095, "conversion_holdout": 0.062, "lift": 0.033,
        "lift_ci95": [round(lift.interval[0], 6), round(lift.interval[1], 6)],
        "rpr_sent": round(sent.per_recipient, 4), "rpr_holdout": round(held.per_recipient, 4),
        "rpr_lift": round(sent.per_recipient - held.per_recipient, 4),
        "rpr_ci95": [round(low, 4), round(high, 4)], "significant": True,
    }  # fmt: skip
    assert shown["sent"]["revenue"] == 9945.68 and shown["rpr_sent"] == 4.9728 and shown["rpr_lift"] == 2.0036
    assert low < shown["rpr_lift"] < high and shown["rpr_ci95"][0] != shown["rpr_ci95"][1]


def test_unit_refuses_a_number_in_another_form():
    from smsflows.domain.analytics.lift import unit

    with pytest.raises(ValueError, match=r"phone: '5125550123' is not E\.164"):
        unit("flow:welcome", "5125550123")
