"""Frequency caps for marketing texts (pure): RULES.md A2.3 (<= 3 per recipient per shop per rolling 24 h),
an optional shop cap over 30 days, and per-flow smart sending (skip if the recipient got marketing lately).

The caller reserves atomically (a conditional write on the history's version), so concurrent senders
cannot exceed a cap: see adapters/message_log.py (the claim transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

DAILY_CAP = 3  # A2.3
DAY = timedelta(hours=24)
MONTH = timedelta(days=30)


@dataclass(frozen=True)
class SendRecord:
    at: datetime
    flow: str | None


@dataclass(frozen=True)
class CapDecision:
    allowed: bool
    reason: str = "ok"  # ok | daily_cap | shop_cap | smart_sending
    retry_at: datetime | None = None  # when a deferred message may try again; None means skip


def check(
    history: list[SendRecord],
    now: datetime,
    flow: str | None,
    shop_cap_30d: int | None = None,
    smart_sending_hours: dict[str, float] | None = None,
) -> CapDecision:
    recent = sorted(r.at for r in history if r.at > now - DAY)
    if len(recent) >= DAILY_CAP:
        return CapDecision(False, "daily_cap", recent[-DAILY_CAP] + DAY)
    if shop_cap_30d is not None:
        month = sorted(r.at for r in history if r.at > now - MONTH)
        if len(month) >= shop_cap_30d:
            return CapDecision(False, "shop_cap", month[-shop_cap_30d] + MONTH)
    hours = (smart_sending_hours or {}).get(flow or "", (smart_sending_hours or {}).get("*"))
    if hours and flow is not None:
        last = max((r.at for r in history), default=None)
        if last is not None and last > now - timedelta(hours=hours):
            return CapDecision(False, "smart_sending", None)
    return CapDecision(True)


def record(history: list[SendRecord], now: datetime, flow: str | None) -> list[SendRecord]:
    """The history after a send at `now`, pruned to what any cap can still need (30 days)."""
    return [r for r in history if r.at > now - MONTH] + [SendRecord(now, flow)]
