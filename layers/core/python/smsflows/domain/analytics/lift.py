"""Incremental lift from a holdout: did the texts cause the sales? (issue 16 part 2, ★)

A campaign (or a flow with a holdout) splits its audience at random into those texted and those held out,
recorded but never texted. Within the lift window after the send, each group's conversion rate (recipients
who ordered / recipients) and revenue per recipient are compared. The difference is the lift; its 95 %
interval is the normal approximation for a difference of two independent proportions (Wald, unpooled) and of
two means (Welch, from each group's sum and sum of squares of per-recipient revenue). An interval that
excludes zero says the texts made a difference; a small holdout gives a wide interval, and the report says so
rather than hide it.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from typing import Any

Z95 = 1.959963984540054
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_SCALE = float(1 << 53)  # 53 bits: every value is exactly representable, and u < 1 always


def unit(experiment: str, phone: str) -> float:
    """A uniform number in [0, 1) from sha256(experiment, phone), the same in every process, run and Python
    version: a campaign's id (its holdout and variants, campaigns/assignment.py) or "flow:<name>" (a flow's
    holdout). `phone` is E.164."""
    if not _E164.fullmatch(phone):
        raise ValueError(f"phone: {phone!r} is not E.164 (e.g. +15125550123): assignments key on one form")
    digest = hashlib.sha256(f"{experiment}\x1f{phone}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") >> 11) / _SCALE


def flow_group(flow: str, phone: str, holdout: float) -> str:
    """ "holdout" or "sent": a flow entrant's group, the same person's every time they enter the flow."""
    return "holdout" if holdout > 0 and unit(f"flow:{flow}", phone) < holdout else "sent"


@dataclass(frozen=True)
class Group:
    recipients: int
    conversions: int = 0  # recipients who ordered within the window (each once)
    revenue: float = 0.0  # their orders' revenue in the window
    revenue_sq: float = 0.0  # the sum over converting recipients of (their revenue)^2

    @property
    def rate(self) -> float | None:
        return self.conversions / self.recipients if self.recipients else None

    @property
    def per_recipient(self) -> float | None:
        return self.revenue / self.recipients if self.recipients else None

    @property
    def revenue_variance(self) -> float | None:
        """The sample variance of revenue per recipient (non-converters count as 0)."""
        n = self.recipients
        if n < 2:
            return None
        mean = self.revenue / n
        return max(0.0, (self.revenue_sq - n * mean * mean) / (n - 1))


@dataclass(frozen=True)
class Lift:
    sent: Group
    holdout: Group

    @property
    def difference(self) -> float | None:
        a, b = self.sent.rate, self.holdout.rate
        return None if a is None or b is None else a - b

    @property
    def interval(self) -> tuple[float, float] | None:
        a, b, d = self.sent.rate, self.holdout.rate, self.difference
        if a is None or b is None or d is None:
            return None
        se = math.sqrt(a * (1 - a) / self.sent.recipients + b * (1 - b) / self.holdout.recipients)
        return (d - Z95 * se, d + Z95 * se)

    @property
    def revenue_difference(self) -> float | None:
        a, b = self.sent.per_recipient, self.holdout.per_recipient
        return None if a is None or b is None else a - b

    @property
    def revenue_interval(self) -> tuple[float, float] | None:
        va, vb, d = self.sent.revenue_variance, self.holdout.revenue_variance, self.revenue_difference
        if va is None or vb is None or d is None:
            return None
        se = math.sqrt(va / self.sent.recipients + vb / self.holdout.recipients)
        return (d - Z95 * se, d + Z95 * se)

    @property
    def significant(self) -> bool:
        ci = self.interval
        return ci is not None and (ci[0] > 0 or ci[1] < 0) and self.holdout.recipients > 0

    def as_dict(self) -> dict[str, Any]:
        def r(x: float | None, n: int = 6) -> float | None:
            return None if x is None else round(x, n)

        ci, rci = self.interval, self.revenue_interval
        return {
            "sent": {"recipients": self.sent.recipients, "conversions": self.sent.conversions,
                     "revenue": round(self.sent.revenue, 2)},
            "holdout": {"recipients": self.holdout.recipients, "conversions": self.holdout.conversions,
                        "revenue": round(self.holdout.revenue, 2)},
            "conversion_sent": r(self.sent.rate), "conversion_holdout": r(self.holdout.rate),
            "lift": r(self.difference), "lift_ci95": None if ci is None else [r(ci[0]), r(ci[1])],
            "rpr_sent": r(self.sent.per_recipient, 4), "rpr_holdout": r(self.holdout.per_recipient, 4),
            "rpr_lift": r(self.revenue_difference, 4),
            "rpr_ci95": None if rci is None else [r(rci[0], 4), r(rci[1], 4)],
            "significant": self.significant,
        }  # fmt: skip
