"""What the app stores of Shopify's webhooks, orders and checkouts; adapters map them to and from DynamoDB
items in one place."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

# A webhook record still "accepting" after this was a hand-off that never finished (the function's timeout is
# 10 s): a redelivery takes it over. A younger one is another request at work: the redelivery is told to retry.
STALE_ACCEPTING = timedelta(seconds=60)


class InboxRecord(BaseModel):
    """An authentic Shopify webhook as received (the raw body is the evidence and the replay source)."""

    model_config = ConfigDict(frozen=True)

    shop: str
    webhook_id: str
    topic: str
    api_version: str | None = None
    received_at: datetime
    body: bytes
    state: str = "received"
    reason: str | None = None


class OrderRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    shop: str
    order_id: str
    name: str
    customer_key: str
    phone: str | None = None
    first_name: str | None = None
    total_price: str | None = None
    currency: str | None = None
    cancelled: bool = False
    product: str | None = None  # the first line item's title (for post-purchase copy)
    checkout_token: str | None = None
    tracking_company: str | None = None
    tracking_url: str | None = None
    created_at: datetime
    # For the subscriber's summary (segments): the line items' distinct product and variant ids, and when
    # Shopify says the order was placed (created_at is when we processed it).
    product_ids: tuple[str, ...] = ()
    variant_ids: tuple[str, ...] = ()
    placed_at: datetime | None = None


class CheckoutRecord(BaseModel):
    """What an abandoned-checkout flow needs; `completed_at` set by the order ends the flow (ASL Choice)."""

    model_config = ConfigDict(frozen=True)

    shop: str
    token: str
    phone: str | None = None
    customer_key: str | None = None
    customer_id: str | None = None
    first_name: str | None = None
    url: str | None = None
    product: str | None = None
    updated_at: datetime
