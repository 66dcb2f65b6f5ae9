"""Counters per shop, day and scope, and how they add up to what a report shows (issue 16 part 3).

Every event adds to exactly one scope, the finest one it belongs to: a flow's step (`flow#welcome#0`), a
campaign's variant (`campaign#spring#A`) or, for texts of neither, `system#<category>`. A flow's, a
campaign's and the shop's totals are sums of these, made when a report is read, so an event costs one write.
Each (shop, day) is split over `SHARDS` partitions and a writer picks one at random: a campaign sending at
225 texts/s with its delivery receipts writes about 110 times a second to each, far from a partition's 1,000.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from smsflows.domain.messages import OutboundMessage

SHARDS = 4
# Stored fields (numbers). err#<code> counts failures by provider error code.
COUNTS = ("sent", "segments", "failed", "delivered", "clicks", "unique_clicks", "expired_clicks",
          "replies", "opt_outs", "conversions", "priced", "conv_click", "conv_discount_code",
          "conv_view")  # fmt: skip
MONEY = ("revenue", "cost_est", "cost_actual", "cost_replaced")
ERR = "err#"


def flow_scope(flow: str, step: int | None) -> str:
    return f"flow#{flow}#{step or 0}"


def campaign_scope(campaign: str, variant: str | None) -> str:
    return f"campaign#{campaign}#{variant or '-'}"


def scope_of(*, flow: str | None, step: int | None, campaign: str | None, variant: str | None,
             category: str) -> str:  # fmt: skip
    if campaign:
        return campaign_scope(campaign, variant)
    if flow:
        return flow_scope(flow, step)
    return f"system#{category}"


def message_scope(message: OutboundMessage) -> str:
    """The scope a text's outcomes are counted in (the sender, the message log and its fake use this)."""
    return scope_of(flow=message.flow, step=message.step, campaign=message.campaign, variant=message.variant,
                    category=message.category)  # fmt: skip


def parse_scope(scope: str) -> tuple[str, str, str]:
    """("flow", name, step) | ("campaign", id, variant) | ("system", category, "")."""
    parts = scope.split("#")
    if len(parts) == 3 and parts[0] in ("flow", "campaign"):
        return parts[0], parts[1], parts[2]
    return "system", parts[1] if len(parts) > 1 else scope, ""


def utm_for(scope: str) -> dict[str, str]:
    """utm_medium, utm_campaign (the flow or campaign) and utm_content (the step or variant) of a scope."""
    kind, name, part = parse_scope(scope)
    if kind == "flow":
        return {"medium": "flow", "campaign": name, "content": f"step-{part}"}
    if kind == "campaign":
        return {"medium": "campaign", "campaign": name, "content": part if part != "-" else ""}
    return {"medium": "sms", "campaign": name, "content": ""}


def day_of(at: datetime) -> str:
    return at.date().isoformat()


@dataclass
class Metrics:
    """What a report shows for one slice (a day, a flow, a step, a campaign, a variant, the whole shop)."""

    values: dict[str, float] = field(default_factory=dict)

    def add(self, other: Mapping[str, Any]) -> None:
        for key, value in other.items():
            if key in COUNTS or key in MONEY or key.startswith(ERR):
                self.values[key] = self.values.get(key, 0) + float(value)

    def _n(self, key: str) -> float:
        return self.values.get(key, 0.0)

    @property
    def cost(self) -> float:
        """Twilio's price where a status callback gave one, the estimate (segments x the shop's price) for
        the rest."""
        return self._n("cost_est") - self._n("cost_replaced") + self._n("cost_actual")

    @property
    def cost_estimated(self) -> bool:
        return self._n("priced") < self._n("sent")

    def errors(self) -> dict[int, int]:
        return {int(k[len(ERR):]): int(v) for k, v in self.values.items()
                if k.startswith(ERR) and k[len(ERR):].isdigit() and v}  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        n = {key: int(self._n(key)) for key in ("sent", "delivered", "failed", "segments", "clicks",
                                                 "unique_clicks", "replies", "opt_outs", "conversions")}  # fmt: skip
        revenue = round(self._n("revenue"), 2)

        def rate(a: float, b: float) -> float | None:
            return round(a / b, 6) if b else None

        return {
            **n,
            "revenue": revenue,
            "cost": round(self.cost, 4),
            "cost_estimated": self.cost_estimated and n["sent"] > 0,
            "delivery_rate": rate(n["delivered"], n["sent"]),
            "ctr": rate(n["unique_clicks"], n["delivered"]),
            "opt_out_rate": rate(n["opt_outs"], n["delivered"]),
            "revenue_per_message": rate(revenue, n["sent"]),
        }


@dataclass(frozen=True)
class Row:
    """One stored counter item: a shard of one scope on one day."""

    day: str
    scope: str
    values: Mapping[str, Any]


def days_between(since: date, until: date) -> list[str]:
    out, day = [], since
    while day <= until:
        out.append(day.isoformat())
        day = date.fromordinal(day.toordinal() + 1)
    return out


@dataclass
class Rollup:
    """Rows added up per day, flow, step, campaign, variant, and in total."""

    total: Metrics = field(default_factory=Metrics)
    days: dict[str, Metrics] = field(default_factory=dict)
    flows: dict[str, Metrics] = field(default_factory=dict)
    steps: dict[tuple[str, str], Metrics] = field(default_factory=dict)
    campaigns: dict[str, Metrics] = field(default_factory=dict)
    variants: dict[tuple[str, str], Metrics] = field(default_factory=dict)


def roll_up(rows: Iterable[Row], *, flow: str | None = None, campaign: str | None = None) -> Rollup:
    """Add `rows` up; with `flow` or `campaign`, only that one's rows count (the totals are then its)."""
    out = Rollup()
    for row in rows:
        kind, name, part = parse_scope(row.scope)
        if flow is not None and (kind != "flow" or name != flow):
            continue
        if campaign is not None and (kind != "campaign" or name != campaign):
            continue
        out.total.add(row.values)
        out.days.setdefault(row.day, Metrics()).add(row.values)
        if kind == "flow":
            out.flows.setdefault(name, Metrics()).add(row.values)
            out.steps.setdefault((name, part), Metrics()).add(row.values)
        elif kind == "campaign":
            out.campaigns.setdefault(name, Metrics()).add(row.values)
            out.variants.setdefault((name, part), Metrics()).add(row.values)
    return out
