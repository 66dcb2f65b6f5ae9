"""Use case: a reply or an opt-out is counted against the text it answers (issue 16 part 3), and an
opt-out against its campaign's run, where the deliverability guard may pause the campaign (part 4)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from smsflows.domain.analytics.attribution import Touches
from smsflows.domain.campaigns import guarding
from smsflows.domain.campaigns.fanout import parse_message_id
from smsflows.domain.shops import ShopConfig
from smsflows.ports import CampaignRuns, Campaigns

# A reply or an opt-out this soon after a marketing text answers that text.
RESPONSE_WINDOW = timedelta(hours=72)


class ResponseStore(Protocol):
    def touches(self, shop: str, phone: str) -> Touches: ...

    def count(self, shop: str, at: datetime, scope: str, values: Mapping[str, float | int]) -> None: ...


def on_response(
    shop: str, phone: str, intent: str, now: datetime, store: ResponseStore, runs: CampaignRuns,
    campaigns: Campaigns, config: ShopConfig | None,
) -> dict[str, Any]:  # fmt: skip
    """What was counted: {"scope": ..., "counted": "replies" | "opt_outs", "paused": reason} ({} if nothing)."""
    if intent not in ("opt_out", "message"):
        return {}
    sent = store.touches(shop, phone).last_sent
    if sent is None or not timedelta(0) <= now - sent.at <= RESPONSE_WINDOW:
        return {}
    counted = "opt_outs" if intent == "opt_out" else "replies"
    store.count(shop, now, sent.scope, {counted: 1})
    out: dict[str, Any] = {"scope": sent.scope, "counted": counted}
    ran = parse_message_id(sent.message_id)
    if intent == "opt_out" and ran is not None:
        counts = runs.count(shop, ran[0], ran[1], "opted_out")
        paused = guarding.check(shop, ran[0], counts, config, campaigns, now)
        if paused:
            out["paused"] = paused
    return out
