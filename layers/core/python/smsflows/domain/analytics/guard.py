"""The deliverability guard (issue 16 part 4, ★): a campaign that is being filtered by carriers, or that
makes people opt out, stops itself before it ruins the sender's reputation.

While a campaign sends, once at least `min_outcomes` of its texts have an outcome (delivered or failed), the
share of carrier-filtered texts (30007 and its kin) among them, and the share of opt-outs among those
delivered, are compared with the shop's thresholds; crossing either pauses the campaign with the reason.
An operator then resumes it (having fixed the copy or the registration) or cancels it.
"""

from __future__ import annotations

from dataclasses import dataclass

# Carrier filtering: 30007 (message filtered), 30034 (unregistered 10DLC number), 30032 (toll-free number not
# verified), 30035 (toll-free verification pending), 30024 (numbers of an unregistered sender).
FILTERED_CODES = frozenset({30007, 30024, 30032, 30034, 30035})
DEFAULT_MIN_OUTCOMES = 200
DEFAULT_MAX_FILTERED = 0.05
DEFAULT_MAX_OPT_OUT = 0.03


@dataclass(frozen=True)
class GuardPolicy:
    min_outcomes: int = DEFAULT_MIN_OUTCOMES
    max_filtered: float = DEFAULT_MAX_FILTERED
    max_opt_out: float = DEFAULT_MAX_OPT_OUT


def trip(delivered: int, failed: int, filtered: int, opt_outs: int, policy: GuardPolicy) -> str | None:
    """Why the campaign must pause now, or None."""
    outcomes = delivered + failed
    if outcomes < policy.min_outcomes:
        return None
    if filtered / outcomes > policy.max_filtered:
        return (f"carrier filtering: {filtered} of the first {outcomes} texts filtered "
                f"({filtered / outcomes:.1%} > {policy.max_filtered:.1%})")  # fmt: skip
    if delivered and opt_outs / delivered > policy.max_opt_out:
        return (f"opt-outs: {opt_outs} of {delivered} delivered texts answered with an opt-out "
                f"({opt_outs / delivered:.1%} > {policy.max_opt_out:.1%})")  # fmt: skip
    return None
