"""Shopify webhooks: authenticity, headers and the parts of payloads the flows use."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
TOPIC = re.compile(r"^[a-z_]+/[a-z_]+$")
WEBHOOK_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def sign(secret: bytes, body: bytes) -> str:
    """X-Shopify-Hmac-Sha256 for `body`: base64 of HMAC-SHA256 with the app's secret."""
    return base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()


def verify(secret: bytes, body: bytes, header: str | None) -> bool:
    """Constant-time check of the HMAC header over the raw body bytes."""
    if not header or not secret:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().encode())


def id_only(payload: object) -> int | str | None:
    """The resource id of an id-only payload, else None. Shopify sends a classic webhook whose body would
    be too large (over 1,000,000 bytes on EventBridge, its size limits over HTTPS) as `{"id": ...}` only:
    the resource must then be fetched through the Admin API."""
    if not isinstance(payload, dict) or set(payload) != {"id"}:
        return None
    value = payload["id"]
    if isinstance(value, bool) or not isinstance(value, int | str) or value in ("", 0):
        return None
    return value


class WebhookHeaders(BaseModel):
    model_config = ConfigDict(frozen=True)

    hmac: str | None
    shop: str | None
    topic: str | None
    webhook_id: str | None
    api_version: str | None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> WebhookHeaders:
        lower = {k.lower(): v for k, v in headers.items()}
        return cls(
            hmac=lower.get("x-shopify-hmac-sha256"),
            shop=(lower.get("x-shopify-shop-domain") or "").strip().lower() or None,
            topic=(lower.get("x-shopify-topic") or "").strip().lower() or None,
            webhook_id=(lower.get("x-shopify-webhook-id") or "").strip() or None,
            api_version=lower.get("x-shopify-api-version"),
        )


class Address(BaseModel):
    model_config = ConfigDict(extra="ignore")

    phone: str | None = None
    country_code: str | None = None
    province_code: str | None = None
    first_name: str | None = None


class Customer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int | str
    phone: str | None = None
    first_name: str | None = None
    default_address: Address | None = None


class LineItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: str | None = None
    variant_id: int | str | None = None
    product_id: int | str | None = None


class DiscountCode(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: str = Field("", max_length=255)


class Order(BaseModel):
    """The fields of orders/create that the product uses (everything else is ignored)."""

    model_config = ConfigDict(extra="ignore")

    checkout_token: str | None = None
    discount_codes: list[DiscountCode] = Field(default_factory=list, max_length=100)
    line_items: list[LineItem] = Field(default_factory=list)

    id: int | str
    name: str = Field(min_length=1)
    phone: str | None = None
    customer: Customer | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    total_price: str | None = None
    currency: str | None = None
    cancelled_at: str | None = None
    created_at: str | None = None  # when the order was placed (ISO 8601 with offset)

    def phone_candidates(self) -> list[tuple[str | None, str | None]]:
        """(raw phone, region to read it in), most trustworthy first."""
        ship = self.shipping_address
        bill = self.billing_address
        cust = self.customer
        default = cust.default_address if cust else None
        region = (
            (ship.country_code if ship else None)
            or (bill.country_code if bill else None)
            or (default.country_code if default else None)
        )
        candidates: list[tuple[str | None, str | None]] = []
        if cust:
            candidates.append((cust.phone, region))
        candidates.append((self.phone, region))
        for address in (bill, ship, default):
            if address:
                candidates.append((address.phone, address.country_code or region))
        return candidates

    def first_name(self) -> str | None:
        for source in (self.customer, self.billing_address, self.shipping_address):
            if source and source.first_name:
                return source.first_name
        return None

    def product(self) -> str | None:
        return next((li.title for li in self.line_items if li.title), None)

    def product_ids(self) -> list[int | str | None]:
        return [li.product_id for li in self.line_items]

    def variant_ids(self) -> list[int | str | None]:
        return [li.variant_id for li in self.line_items]


class Checkout(BaseModel):
    """checkouts/create and checkouts/update: what the abandoned-checkout flow needs."""

    model_config = ConfigDict(extra="ignore")

    token: str = Field(min_length=1)
    completed_at: str | None = None
    abandoned_checkout_url: str | None = None
    phone: str | None = None
    sms_marketing_phone: str | None = None
    customer: Customer | None = None
    shipping_address: Address | None = None
    billing_address: Address | None = None
    line_items: list[LineItem] = Field(default_factory=list)

    def phone_candidates(self) -> list[tuple[str | None, str | None]]:
        ship, bill = self.shipping_address, self.billing_address
        region = (ship.country_code if ship else None) or (bill.country_code if bill else None)
        candidates = [(self.sms_marketing_phone, region), (self.phone, region)]
        if self.customer:
            candidates.append((self.customer.phone, region))
        return candidates

    def product(self) -> str | None:
        return next((li.title for li in self.line_items if li.title), None)


class Fulfillment(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int | str
    order_id: int | str
    tracking_company: str | None = None
    tracking_url: str | None = None
    tracking_urls: list[str] = Field(default_factory=list)

    def tracking(self) -> str | None:
        return self.tracking_url or next(iter(self.tracking_urls), None)


class FulfillmentEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int | str
    order_id: int | str
    status: str


class ShopifyCustomer(BaseModel):
    """customers/create and customers/update: the parts the flows use (tags carry the birthday) and the
    segments' summary reads (Shopify's order count and total spent, tags, default address)."""

    model_config = ConfigDict(extra="ignore")

    id: int | str
    first_name: str | None = None
    phone: str | None = None
    tags: str | None = None
    # Read leniently (a value of another shape is left out of the summary, never a reason to drop the event)
    orders_count: int | str | None = None
    total_spent: str | int | float | None = None  # in the shop currency, e.g. "199.00"
    updated_at: str | None = None  # ISO 8601 with offset: orders the updates of one customer
    default_address: Address | None = None

    def phone_candidates(self) -> list[tuple[str | None, str | None]]:
        """(raw phone, region to read it in): the customer's phone, then the default address's."""
        default = self.default_address
        region = default.country_code if default else None
        return [(self.phone, region), (default.phone if default else None, region)]

    def birthday(self) -> str | None:
        """The tag `birthday:MM-DD` (a merchant convention; Shopify has no birthday field)."""
        for tag in (self.tags or "").split(","):
            key, _, value = tag.strip().partition(":")
            if key.strip().lower() == "birthday" and re.fullmatch(r"\d{2}-\d{2}", value.strip()):
                return value.strip()
        return None


class Variant(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int | str
    title: str | None = None
    inventory_quantity: int | None = None


class Product(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int | str
    title: str = ""
    handle: str | None = None
    variants: list[Variant] = Field(default_factory=list)
