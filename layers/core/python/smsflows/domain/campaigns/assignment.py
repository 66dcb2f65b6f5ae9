"""Who is held out and who gets which variant: a pure function of (campaign id, phone) (issue 15 part 6).

sha256 of the two gives a number `u`, uniform in [0, 1) and the same in every process, run and Python
version (no `hash()`, no seed). The holdout takes [0, holdout); the rest of the line is cut in the order the
variants are listed, by cumulative weight. So the assignment needs no stored state to be stable, is the same
after a crash and a resume, and the same for every occurrence of a recurring campaign (the lift of the
attribution issue compares the same people each time). Changing the holdout or the weights of a campaign
moves people, which is why they are part of the campaign and not editable once it is sending.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from smsflows.domain.analytics.lift import unit
from smsflows.domain.campaigns.campaign import HOLDOUT, Campaign

__all__ = ["Assignment", "assign", "expected_counts", "pick", "unit"]


@dataclass(frozen=True)
class Assignment:
    group: str  # "holdout" or the variant's name
    u: float  # the hash's point in [0, 1), stored beside the group for audits

    @property
    def held_out(self) -> bool:
        return self.group == HOLDOUT

    @property
    def variant(self) -> str | None:
        return None if self.held_out else self.group


def pick(u: float, weights: Mapping[str, int | float], holdout: float) -> str:
    """The group of the point `u`: holdout first, then the variants by cumulative weight, in order."""
    if u < holdout:
        return HOLDOUT
    total = float(sum(weights.values()))
    rest = (u - holdout) / (1.0 - holdout)  # uniform in [0, 1) again
    cumulative = 0.0
    names = list(weights)
    for name in names:
        cumulative += weights[name] / total
        if rest < cumulative:
            return name
    return names[-1]  # rounding at the very end of the line


def assign(campaign: Campaign, phone: str) -> Assignment:
    u = unit(campaign.id, phone)
    return Assignment(pick(u, campaign.weights, campaign.holdout), u)


def expected_counts(audience: int, weights: Mapping[str, int | float], holdout: float) -> dict[str, int]:
    """The preview's counts: holdout size and per-variant texts, whole numbers that add up to `audience`
    (largest remainder). The real split is the hash's, within a few standard deviations of these."""
    shares = {HOLDOUT: holdout}
    total = float(sum(weights.values()))
    shares.update({name: (1.0 - holdout) * w / total for name, w in weights.items()})
    exact = {name: audience * share for name, share in shares.items()}
    counts = {name: int(value) for name, value in exact.items()}
    short = audience - sum(counts.values())
    for name in sorted(exact, key=lambda n: (counts[n] - exact[n], list(exact).index(n)))[:short]:
        counts[name] += 1
    return counts
