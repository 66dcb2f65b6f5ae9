"""One order, one attribution, by a rule a merchant can defend (issue 16 part 2).

In order: the last text the customer clicked within the click window (default 24 h); else a discount code
the order used that a text to this customer carried (sent before the order); else, only if the shop turned it
on, the last text the customer received within the view window. The attribution is stored with its rule,
once per order (a redelivered orders/create changes nothing).

What the rules read is the customer's touch record (one item per shop and phone): the last human click on
a link that had not expired, the last text received, and the discount codes texts carried.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

Rule = Literal["click", "discount_code", "view"]
DEFAULT_CLICK_WINDOW_H = 24.0
MAX_WINDOW_H = 24.0 * 30


@dataclass(frozen=True)
class Touchpoint:
    at: datetime
    scope: str
    message_id: str

    def to_json(self) -> dict[str, str]:
        return {"at": self.at.isoformat(), "scope": self.scope, "mid": self.message_id}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Touchpoint | None:
        if not data or not data.get("at") or not data.get("scope"):
            return None
        try:
            at = datetime.fromisoformat(str(data["at"]))
        except ValueError:
            return None
        return cls(at, str(data["scope"]), str(data.get("mid") or ""))


@dataclass(frozen=True)
class Touches:
    """What a customer's texts did, as the touch record holds it."""

    last_click: Touchpoint | None = None
    last_sent: Touchpoint | None = None
    codes: Mapping[str, Touchpoint] | None = None  # DISCOUNT CODE (upper case) -> the text that carried it
    # flow -> (group, when they entered it), for the flows with a holdout the customer entered (their lift)
    entries: Mapping[str, tuple[str, datetime]] | None = None


@dataclass(frozen=True)
class Attribution:
    rule: Rule
    scope: str
    message_id: str
    touched_at: datetime


def attribute(
    ordered_at: datetime,
    discount_codes: Iterable[str],
    touches: Touches,
    *,
    click_window_h: float = DEFAULT_CLICK_WINDOW_H,
    view_window_h: float | None = None,
) -> Attribution | None:
    """The attribution of an order placed at `ordered_at`, or None (no text earned it)."""
    click = touches.last_click
    if click is not None and _within(click.at, ordered_at, click_window_h):
        return Attribution("click", click.scope, click.message_id, click.at)
    carried = touches.codes or {}
    best: Touchpoint | None = None
    for code in discount_codes:
        found = carried.get(code.strip().upper())
        if found is not None and found.at <= ordered_at and (best is None or found.at > best.at):
            best = found
    if best is not None:
        return Attribution("discount_code", best.scope, best.message_id, best.at)
    sent = touches.last_sent
    if view_window_h is not None and sent is not None and _within(sent.at, ordered_at, view_window_h):
        return Attribution("view", sent.scope, sent.message_id, sent.at)
    return None


def _within(at: datetime, ordered_at: datetime, window_h: float) -> bool:
    return at <= ordered_at and ordered_at - at <= timedelta(hours=window_h)
