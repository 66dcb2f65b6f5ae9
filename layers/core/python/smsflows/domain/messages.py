"""Outbound messages and the copy of transactional texts."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# compliance: opt-in requests and confirmations, HELP and STOP replies (exempt from quiet hours, A1.1).
Category = Literal["transactional", "marketing", "compliance"]


class OutboundMessage(BaseModel):
    """One text to one recipient, as it travels on the send queue. `message_id` is the idempotency key."""

    model_config = ConfigDict(frozen=True)

    message_id: str = Field(min_length=1, max_length=200)
    shop: str
    to: str = Field(pattern=r"^\+[1-9]\d{6,14}$")
    body: str = Field(min_length=1, max_length=1600)
    category: Category
    flow: str | None = None
    created_at: datetime
    not_after: datetime | None = None  # past this instant the text is pointless (a sale that ended)
    deferred: int = Field(0, ge=0)  # how often the sender has put it back for later
    ticketed: bool = False  # it holds a place in its sender's backlog line (pacing)
    correlation_id: str | None = Field(None, max_length=200)  # the event it answers ("shopify:<webhook id>")
    # A campaign's text (issue 15): its campaign and run, so the sender drops it once the campaign is
    # cancelled and counts its outcome on the run; and the campaign's smart-sending window, which replaces
    # the shop's for this text (skip whoever got marketing in the last N hours).
    campaign: str | None = Field(None, max_length=64)
    run: str | None = Field(None, max_length=40)
    smart_sending_hours: float | None = Field(None, gt=0, le=24 * 30)
    # What the measurement needs (issue 16): the flow's step or the campaign's variant (the counters' scope,
    # the links' utm_content), and the discount code the text carries (an order using it is attributed).
    step: int | None = Field(None, ge=0, le=100)
    variant: str | None = Field(None, max_length=40)
    discount_code: str | None = Field(None, max_length=50)


def brand_from_shop(shop_domain: str) -> str:
    """'demo-shop.myshopify.com' -> 'Demo Shop' (used until the shop configures its brand name)."""
    handle = shop_domain.split(".", 1)[0]
    return " ".join(part.capitalize() for part in handle.replace("_", "-").split("-") if part) or shop_domain


def stable_id(*parts: str) -> str:
    """A short deterministic id for keys and execution names, from any text."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
