"""Deterministic holdout and variant assignment (issue 15 part 6).

Tolerance: a group of share p among n = 10,000 phones has a binomial count, standard deviation
sqrt(n p (1 - p)) <= 50; we allow 5 standard deviations (a false failure about once in 3.5 million checks)."""

import math
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsflows.domain.campaigns import assignment as A
from smsflows.domain.campaigns import campaign as C
from smsflows.domain.shops import ShopConfig

N = 10_000
PHONES = [f"+1512{n:07d}" for n in range(N)]
CONFIG = ShopConfig(shop="demo-shop.myshopify.com", brand_name="Demo Shop")
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def within(count: int, share: float) -> bool:
    return abs(count - N * share) <= 5 * math.sqrt(N * share * (1 - share)) + 1


@st.composite
def splits(draw):
    k = draw(st.integers(1, 4))
    cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=k - 1, max_size=k - 1, unique=True)))
    bounds = [0, *cuts, 100]
    weights = {f"V{i}": bounds[i + 1] - bounds[i] for i in range(k)}
    holdout = draw(st.sampled_from([0.0, 0.05, 0.1, 0.25, 0.5]))
    return weights, holdout


@settings(max_examples=25, deadline=None, derandomize=True)
@given(campaign_id=st.from_regex(r"cmp_[a-z0-9]{4,16}", fullmatch=True), split=splits())
def test_the_split_of_10000_phones_is_within_tolerance_of_the_weights_and_holdout(campaign_id, split):
    weights, holdout = split
    counts: dict[str, int] = {}
    for phone in PHONES:
        group = A.pick(A.unit(campaign_id, phone), weights, holdout)
        counts[group] = counts.get(group, 0) + 1
    assert within(counts.get(A.HOLDOUT, 0), holdout)
    for name, weight in weights.items():
        assert within(counts.get(name, 0), (1 - holdout) * weight / 100), (name, counts)
    assert set(counts) <= {A.HOLDOUT, *weights}


@settings(max_examples=200, deadline=None, derandomize=True)
@given(campaign_id=st.text(min_size=1, max_size=40), phone=st.from_regex(r"\+[1-9]\d{6,14}", fullmatch=True))
def test_assignment_never_changes_for_the_same_inputs(campaign_id, phone):
    u = A.unit(campaign_id, phone)
    assert 0.0 <= u < 1.0
    assert A.unit(campaign_id, phone) == u
    assert A.pick(u, {"A": 50, "B": 50}, 0.1) == A.pick(A.unit(campaign_id, phone), {"A": 50, "B": 50}, 0.1)


def test_the_hash_is_pinned_so_that_it_is_the_same_in_every_process_and_release():
    assert A.unit("cmp_test", "+15125550123") == 0.07777319567045893
    code = (
        "from smsflows.domain.campaigns.assignment import unit; print(repr(unit('cmp_test', '+15125550123')))"
    )
    package = Path(A.__file__).resolve().parents[3]  # layers/core/python
    env = {"PYTHONHASHSEED": "12345", "PYTHONPATH": str(package)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "0.07777319567045893"


def test_the_holdout_is_taken_first_then_the_variants_by_cumulative_weight():
    weights = {"A": 30, "B": 70}
    assert A.pick(0.0, weights, 0.1) == A.HOLDOUT
    assert A.pick(0.0999, weights, 0.1) == A.HOLDOUT
    assert A.pick(0.1, weights, 0.1) == "A"
    assert A.pick(0.1 + 0.9 * 0.2999, weights, 0.1) == "A"
    assert A.pick(0.1 + 0.9 * 0.3001, weights, 0.1) == "B"
    assert A.pick(0.999999, weights, 0.1) == "B"
    assert A.pick(0.05, {"A": 100}, 0.0) == "A"


def test_assign_uses_the_campaigns_id_weights_and_holdout():
    campaign, _ = C.create(CONFIG, name="Sale", variants={"A": "Sale", "B": "Sale!"}, weights={"A": 50, "B": 50},
                           holdout=0.2, segment="all", now=NOW, by="ops")  # fmt: skip
    results = [A.assign(campaign, p) for p in PHONES[:2000]]
    held = [r for r in results if r.held_out]
    assert all(r.variant is None for r in held) and all(
        r.variant in ("A", "B") for r in results if not r.held_out
    )
    assert abs(len(held) - 400) <= 5 * math.sqrt(2000 * 0.2 * 0.8)
    assert results == [A.assign(campaign, p) for p in PHONES[:2000]]


def test_a_phone_not_in_e164_is_refused():
    with pytest.raises(ValueError, match=r"E\.164"):
        A.unit("cmp_x", "(512) 555-0123")


@pytest.mark.parametrize(
    ("audience", "weights", "holdout", "expected"),
    [
        (1000, {"A": 50, "B": 50}, 0.1, {"holdout": 100, "A": 450, "B": 450}),
        (10, {"A": 34, "B": 33, "C": 33}, 0.0, {"holdout": 0, "A": 4, "B": 3, "C": 3}),
        (7, {"A": 50, "B": 50}, 0.5, {"holdout": 3, "A": 2, "B": 2}),  # 3.5, 1.75, 1.75
        (0, {"A": 100}, 0.2, {"holdout": 0, "A": 0}),
    ],
)
def test_expected_counts_are_whole_and_add_up(audience, weights, holdout, expected):
    counts = A.expected_counts(audience, weights, holdout)
    assert counts == expected and sum(counts.values()) == audience
