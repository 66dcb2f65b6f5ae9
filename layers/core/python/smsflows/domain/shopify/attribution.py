"""Use case: an order placed (orders/create) is attributed, once, and counted where it belongs (issue 16).

The rule is `analytics/attribution.py`'s (last click within the click window, else a discount code a text
carried, else, if the shop turned it on, a text received within the view window). A first attribution adds
a conversion and the order's revenue to the text's scope. Independently, for every campaign with a holdout
the customer was assigned to, and every flow with a holdout they entered (texted or held out), within the
lift window before the order, the order is a conversion of their group: the lift compares the groups,
whatever the attribution rule says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from smsflows.domain.analytics.attribution import Attribution, Touches, attribute
from smsflows.domain.campaigns.campaign import HOLDOUT
from smsflows.domain.shops import ShopConfig
from smsflows.ports import Campaigns

# Campaigns whose lift an order can still count for: those that have texted (or are texting) someone.
_LIFT_STATES = frozenset({"sending", "paused", "completed", "scheduled"})


class AttributionStore(Protocol):
    def touches(self, shop: str, phone: str) -> Touches: ...

    def attribute(self, shop: str, order_id: str, phone: str | None, attribution: Attribution | None,
                  revenue: float, at: datetime) -> bool: ...  # fmt: skip

    def count(self, shop: str, at: datetime, scope: str, values: Mapping[str, float | int]) -> None: ...

    def convert(self, shop: str, root: str, group: str, phone: str, revenue: float) -> None: ...

    def enter(self, shop: str, flow: str, group: str, phone: str, execution: str, at: datetime) -> bool: ...


class Assignments(Protocol):
    def assignments_of(self, shop: str, campaign_ids: Sequence[str], phone: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class OrderAttributed:
    attribution: Attribution | None
    first: bool  # False: this order was attributed before (a redelivered webhook): nothing counted again
    lift: tuple[str, ...] = ()  # the experiments it converted in ("campaign:<id>:<group>")


def revenue_of(total_price: str | None) -> float:
    try:
        value = float(total_price or 0)
    except ValueError:
        return 0.0
    return value if value == value and 0 <= value < 1e9 else 0.0


def attribute_order(
    shop: str, order_id: str, phone: str, ordered_at: datetime, revenue: float, codes: Iterable[str],
    config: ShopConfig, store: AttributionStore, campaigns: Campaigns | None, runs: Assignments | None,
    now: datetime,
) -> OrderAttributed:  # fmt: skip
    m = config.measurement
    touches = store.touches(shop, phone)
    found = attribute(
        ordered_at, codes, touches, click_window_h=m.click_window_h, view_window_h=m.view_window_h
    )
    if not store.attribute(shop, order_id, phone, found, revenue, now):
        return OrderAttributed(found, first=False)
    if found is not None:
        store.count(shop, now, found.scope, {"conversions": 1, "revenue": revenue, f"conv_{found.rule}": 1})
    lift: list[str] = []
    window = timedelta(hours=m.lift_window_h)
    for flow, (group, entered) in sorted((touches.entries or {}).items()):
        if entered <= ordered_at <= entered + window:  # a flow with a holdout the customer entered
            store.convert(shop, f"flow:{flow}", group, phone, revenue)
            lift.append(f"flow:{flow}:{group}")
    if campaigns is not None and runs is not None:
        held = [c.id for c in campaigns.list(shop) if c.holdout > 0 and c.state in _LIFT_STATES]
        for campaign_id, (_, row) in sorted(runs.assignments_of(shop, held, phone).items()) if held else ():
            if row.release_at <= ordered_at <= row.release_at + window:
                group = "holdout" if row.group == HOLDOUT else "sent"
                store.convert(shop, f"campaign:{campaign_id}", group, phone, revenue)
                lift.append(f"campaign:{campaign_id}:{group}")
    return OrderAttributed(found, first=True, lift=tuple(lift))
