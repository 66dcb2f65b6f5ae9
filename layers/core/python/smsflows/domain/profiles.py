"""The customer profile: what we know about one customer of one shop (flows read it for quiet hours)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class ProfileRecord(BaseModel):
    """What we know about one customer of one shop."""

    model_config = ConfigDict(frozen=True)

    shop: str
    customer_key: str  # "customer:<shopify id>" or "phone:<e164>" for guests
    customer_id: str | None = None
    phone: str | None = None  # E.164 when usable
    phone_raw: str | None = None  # kept when it could not be normalised
    phone_status: str = "missing"  # usable | unusable | missing
    first_name: str | None = None
    country_code: str | None = None
    last_order_at: datetime | None = None
    birthday: str | None = None  # "MM-DD", from the customer tag birthday:MM-DD
    updated_at: datetime
