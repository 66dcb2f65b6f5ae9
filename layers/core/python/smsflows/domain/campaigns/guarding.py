"""Use case: the deliverability guard pauses a sending campaign (issue 16 part 4; the rule is
`analytics/guard.py`'s). Called with the run's counters as a status callback or an opt-out changed them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from smsflows.domain.analytics.guard import GuardPolicy, trip
from smsflows.domain.shops import ShopConfig
from smsflows.ports import Campaigns
from smsflows.runtime.errors import Conflict

GUARD = "deliverability-guard"


def policy_of(config: ShopConfig | None) -> GuardPolicy:
    if config is None:
        return GuardPolicy()
    m = config.measurement
    return GuardPolicy(m.guard_min_outcomes, m.guard_max_filtered, m.guard_max_opt_out)


def check(
    shop: str, campaign_id: str, counters: Mapping[str, int], config: ShopConfig | None, campaigns: Campaigns,
    now: datetime,
) -> str | None:  # fmt: skip
    """Pause the campaign if its counters cross the shop's thresholds; the reason if it paused it now."""
    reason = trip(
        delivered=int(counters.get("delivered", 0)),
        failed=int(counters.get("undelivered", 0)),
        filtered=int(counters.get("filtered", 0)),
        opt_outs=int(counters.get("opted_out", 0)),
        policy=policy_of(config),
    )
    if reason is None:
        return None
    found = campaigns.get(shop, campaign_id)
    if found is None or found[0].state != "sending":
        return None  # paused, cancelled or done already: nothing to stop
    campaign, version = found
    try:
        campaigns.put(campaign.transition("paused", GUARD, now, reason=reason), version)
    except Conflict:
        return None  # another callback (or an operator) moved it first
    return reason
