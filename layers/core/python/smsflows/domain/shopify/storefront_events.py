"""Use case: one storefront event from the web pixel (POST /storefront/events), with its harm bounded.

What the endpoint can trust: nothing in the request. A web pixel runs in the shopper's browser and posts
to us directly; Shopify does not sign it, so anyone can post any shop, customer id, product, title and URL,
as often as they like. What it can trust is our own data: the shop's settings, the customer's profile
(written from Shopify's signed webhooks) and the consent ledger. So the endpoint never grants consent,
never creates or changes a profile, and answers 204 to every valid event whatever it did with it (nothing
about a shop or a customer can be learned from it). The bounds:

- Only a subscribed, identified customer of a shop that texts can ever be texted: the event only puts a
  `storefront/product_viewed` shop event on the queue, and `_product_viewed` (domain/shopify/events.py)
  texts nobody without a profile for that Shopify customer id with a phone whose consent state is
  subscribed; the flow re-checks consent before its text and the sender once more. An anonymous visitor
  (customer_id null) and a shop that texts nobody (unknown, paused, uninstalled, browse flow off) get the
  204 and nothing is queued.
- What a text says is ours: the product URL is rebuilt on the shop's own storefront (a path under
  /products/, any other host is dropped), and a title that looks like a link, an e-mail address or a phone
  number is never put in a text (no nudge); a long one is shortened. Whoever knows a subscriber's Shopify
  customer id can still choose which of the shop's product titles (or a short plain text) the one nudge names.
- At most one nudge per customer per product per day, and at most PRODUCTS_PER_CUSTOMER_DAY products a day:
  one conditional write per view on the customer's day item (`keys.storefront_day`), so a flood of views
  costs one queue message; the flow's execution name (customer, day, product) dedupes again.
- Rate limits in fixed one-minute windows (DynamoDB counters, one conditional UpdateItem each): per source
  address (hashed, IPv6 by /64: `consent.subscriptions.source_key`) across all shops, per pixel client id
  (hashed with the shop), and per shop for identified events (the only ones that can cost a queue message);
  past one: 429 with Retry-After (the end of the window); the counts before it stay taken (an
  abuser's refused requests still spend its budget), nothing else is written.
- Nothing is stored for an anonymous visitor beyond those counters, which expire with their window
  (`expires_at`, the table's TTL; no decision reads an expired one: the window is in the key). The customer's
  day item holds only the product ids whose nudge was queued and a checkout mark, and expires an hour after
  its UTC day; it carries the customer's subject key, so a customers/redact erases it with the rest.
- A checkout_started from an identified customer marks the day: later views that day queue nothing, and the
  browse flows already started for the products viewed that day are stopped (`storefront/checkout_started`):
  from the checkout on, the abandoned-checkout flow (Shopify's signed checkouts/create) speaks for the cart.
  A forged one can only suppress a nudge, never cause a text.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal, Protocol
from urllib.parse import urlsplit

from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints, ValidationError, field_validator
from pydantic import model_validator as _model_validator

from smsflows.domain import json_bodies
from smsflows.domain.consent.subscriptions import source_key
from smsflows.domain.flows import definitions
from smsflows.domain.shopify.webhooks import SHOP_DOMAIN
from smsflows.ports import Queue, ShopConfigs
from smsflows.runtime.clock import Clock
from smsflows.runtime.errors import BadRequest, PayloadTooLarge, TooManyRequests

MAX_BODY = 8192  # bytes: a pixel event is a few hundred
CONTENT_TYPES = (
    "text/plain",
    "application/json",
)  # text/plain: the pixel's, so the browser sends no preflight
WINDOW = timedelta(minutes=1)
PER_SOURCE_PER_MINUTE = 300  # one address (or /64) across every shop: an office or a carrier NAT of shoppers
PER_CLIENT_PER_MINUTE = 30  # one browser (the pixel's clientId) on one shop: a page every two seconds
PER_SHOP_PER_MINUTE = 3000  # identified events of one shop (anonymous ones cost no queue message)
PRODUCTS_PER_CUSTOMER_DAY = 3  # products whose nudge one customer's views may queue in a UTC day
DAY_ITEM_GRACE = timedelta(hours=1)  # the day item outlives its day by this (a view queued just before 0:00)
TITLE_MAX = 80  # characters of a product title put in a text
PRODUCT_VIEWED = "storefront/product_viewed"
CHECKOUT_STARTED = "storefront/checkout_started"

_CUSTOMER_ID = re.compile(r"(?:gid://shopify/Customer/)?([1-9][0-9]{0,19})")
_PRODUCT_ID = re.compile(r"(?:gid://shopify/Product/)?([1-9][0-9]{0,19})")
_VARIANT_ID = re.compile(r"(?:gid://shopify/ProductVariant/)?([1-9][0-9]{0,19})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# A product page on the shop's storefront, with a locale or market prefix or not (/en-ca/products/shirt).
_PRODUCT_PATH = re.compile(r"(?:/[A-Za-z0-9_-]{1,20}){0,2}/products/[A-Za-z0-9._~%-]{1,255}")
# What a text must not carry from an unsigned request: a link, an e-mail address, a phone number.
# Phones link these (and most titles never hold one): a scheme, www., a host on a common top-level domain,
# an @, nine digits or more (separators aside). A title like "Dr.Martens 1460" or "2024-2025 Planner" passes.
_LINKISH = re.compile(
    r"(?i)(?:[a-z][a-z0-9+.-]*://|\b(?:https?|sms|smsto|tel|mailto|javascript|whatsapp):|www\.|@|"
    r"[a-z0-9-]\.(?:com|net|org|info|biz|io|co|me|ly|gl|gd|to|cc|tk|app|shop|store|site|online|link|click|"
    r"xyz|top|live|vip|page|us|uk|ca|de|fr|ru|cn|in|au|xn--[a-z0-9-]+)\b|(?:\d[\s().+/-]*){9,})"
)

Text = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=200)]


class PixelProduct(BaseModel):
    """The product of a product_viewed, as the pixel sends it (ProductVariant.product and the variant id)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Text  # numeric or gid://shopify/Product/…: the numeric id
    variant_id: Text | None = None
    title: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=255)]
    url: Annotated[str, StringConstraints(strict=True, max_length=2048)] | None = None

    @field_validator("id")
    @classmethod
    def _product_id(cls, value: str) -> str:
        found = _PRODUCT_ID.fullmatch(value)
        if found is None:
            raise ValueError("a Shopify product id: 123 or gid://shopify/Product/123")
        return found.group(1)

    @field_validator("variant_id")
    @classmethod
    def _variant_id(cls, value: str | None) -> str | None:
        found = _VARIANT_ID.fullmatch(value) if value is not None else None
        if value is not None and found is None:
            raise ValueError("a Shopify variant id: 123 or gid://shopify/ProductVariant/123")
        return found.group(1) if found else None

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise ValueError("control characters are not a product title")
        if not value.strip():
            raise ValueError("a product title is not blank")
        return " ".join(value.split())


class PixelCheckout(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    token: Text | None = None


class StorefrontEvent(BaseModel):
    """Contract 2 (docs/issue17 plan): one event, as the web pixel posts it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    v: Literal[1]
    shop: Text
    name: Literal["product_viewed", "checkout_started"]
    id: Text
    client_id: Text
    timestamp: AwareDatetime  # the browser's clock: logged nowhere, decides nothing
    customer_id: Text | None = None  # null for an anonymous visitor (or without the protected-data scopes)
    product: PixelProduct | None = None
    checkout: PixelCheckout | None = None

    @field_validator("v", mode="before")
    @classmethod
    def _version(cls, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int):  # "1" and true are not version 1
            raise ValueError("v: the contract version, the number 1")
        return value

    @field_validator("shop")
    @classmethod
    def _shop(cls, value: str) -> str:
        if not SHOP_DOMAIN.match(value):
            raise ValueError("the shop's myshopify.com domain (e.g. demo-shop.myshopify.com)")
        return value

    @field_validator("customer_id")
    @classmethod
    def _customer(cls, value: str | None) -> str | None:
        found = _CUSTOMER_ID.fullmatch(value) if value is not None else None
        if value is not None and found is None:
            raise ValueError("a Shopify customer id: 123 or gid://shopify/Customer/123, or null")
        return found.group(1) if found else None

    @_model_validator(mode="after")
    def _product_for_view(self) -> StorefrontEvent:
        if self.name == "product_viewed" and self.product is None:
            raise ValueError("a product_viewed event names its product")
        return self


def parse(body: bytes, content_type: str) -> StorefrontEvent:
    """The event in a request body; PayloadTooLarge over MAX_BODY, BadRequest (saying what is wrong) for a
    body that is not one event."""
    if len(body) > MAX_BODY:
        raise PayloadTooLarge(f"an event is at most {MAX_BODY} bytes, this body has {len(body)}")
    media = content_type.split(";", 1)[0].strip().lower()  # media types are case-insensitive (RFC 9110)
    if media not in CONTENT_TYPES:
        raise BadRequest("send the event as text/plain or application/json")
    raw = json_bodies.request_object(body, "the event")
    try:
        return StorefrontEvent.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise BadRequest(f"{where}: {first['msg']}"[:300]) from None


# What the use case needs ----------------------------------------------------------------------------------


class StorefrontEventStore(Protocol):
    """The counters and the customers' day items (adapters/storefront_events.py): each changed with one
    conditional write, so two racing requests cannot both pass, and each expiring by itself (TTL)."""

    def count(self, scope: str, subject: str, window_start: datetime, window: timedelta, limit: int) -> bool:
        """Count one event of `subject` in the fixed window; False, changing nothing, if `limit` were."""

    def note_view(
        self, shop: str, customer_id: str, day: str, product_id: str, expires: datetime, most: int
    ) -> bool:
        """Note the product on the customer's day: True if it was new there, fewer than `most` were noted
        and no checkout was; else False, changing nothing."""

    def forget_view(self, shop: str, customer_id: str, day: str, product_id: str) -> None:
        """Undo `note_view` (its shop event was not queued)."""

    def note_checkout(
        self, shop: str, customer_id: str, day: str, at: datetime, expires: datetime
    ) -> list[str] | None:
        """Mark the customer's day as checked out: the products noted that day, or None if it was marked
        already (nothing changes then)."""


@dataclass
class StorefrontDeps:
    store: StorefrontEventStore
    shops: ShopConfigs
    events: Queue  # the shop-events queue
    clock: Clock


# The use case ---------------------------------------------------------------------------------------------


def receive(event: StorefrontEvent, source_ip: str | None, deps: StorefrontDeps) -> str:
    """Count the event against its limits (TooManyRequests past one), then queue what it may start. The
    outcome, for logs and metrics: anonymous | not_texting | repeat | unusable | queued | checkout_noted."""
    now = deps.clock()
    start = window_start(now)
    limits = [
        ("source", source_key("*", source_ip), PER_SOURCE_PER_MINUTE),
        ("client", _hash(event.shop, event.client_id), PER_CLIENT_PER_MINUTE),
    ]
    if event.customer_id is not None:  # counted before the shop is looked at: a 429 says nothing of it
        limits.append(("shop", event.shop, PER_SHOP_PER_MINUTE))
    for scope, subject, limit in limits:
        if not deps.store.count(scope, subject, start, WINDOW, limit):
            wait = math.ceil((start + WINDOW - now).total_seconds())
            raise TooManyRequests(
                f"too many storefront events (per {scope}); retry later", retry_after_s=wait
            )
    if event.customer_id is None:
        return "anonymous"
    config = deps.shops.get(event.shop)
    if config is None or not config.active or not config.flow_enabled(definitions.BROWSE_ABANDONMENT.name):
        return "not_texting"
    day, expires = f"{now.astimezone(UTC):%Y%m%d}", day_end(now) + DAY_ITEM_GRACE
    if event.name == "checkout_started":
        viewed = deps.store.note_checkout(event.shop, event.customer_id, day, now, expires)
        if viewed is None:
            return "repeat"
        if not viewed:
            return "checkout_noted"
        body = {"customer_id": event.customer_id, "day": day, "product_ids": sorted(viewed)}
        deps.events.send(
            shop_event(event.shop, CHECKOUT_STARTED, event.customer_id, day, "checkout", body, now)
        )
        return "queued"
    product = event.product
    if product is None:  # the model requires it for a view; a checkout_started ended above
        raise BadRequest("a product_viewed event names its product")
    title = text_title(product.title)
    if title is None:
        return "unusable"
    if not deps.store.note_view(
        event.shop, event.customer_id, day, product.id, expires, PRODUCTS_PER_CUSTOMER_DAY
    ):
        return "repeat"
    body = {
        "customer_id": event.customer_id,
        "product": title,
        "product_id": product.id,
        "product_url": product_url(config.storefront(), event.shop, product.url, product.variant_id),
        "day": day,
    }
    try:
        deps.events.send(
            shop_event(event.shop, PRODUCT_VIEWED, event.customer_id, day, product.id, body, now)
        )
    except Exception:
        # Not queued: a later view of it today may try again. The original error is the one to report.
        with contextlib.suppress(Exception):
            deps.store.forget_view(event.shop, event.customer_id, day, product.id)
        raise
    return "queued"


def window_start(now: datetime) -> datetime:
    size = WINDOW.total_seconds()
    return datetime.fromtimestamp(now.timestamp() // size * size, UTC)


def day_end(now: datetime) -> datetime:
    """The start of the next UTC day."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=1)


def _hash(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def shop_event(
    shop: str, topic: str, customer_id: str, day: str, what: str, body: Mapping[str, object], now: datetime
) -> dict[str, object]:
    """The ShopEventEnvelope of a storefront event (domain/shopify/events.py reads it as a webhook's). Its
    id is derived from what it is about, so the same view queued twice (a retried request) has one id."""
    event_id = f"storefront-{_hash(shop, topic, customer_id, day, what)}"
    return {
        "shop": shop,
        "topic": topic,
        "webhook_id": event_id,
        "received_at": now.isoformat(),
        "body": json.dumps(body, separators=(",", ":")),
        "correlation_id": f"storefront:{event_id}",
    }


def text_title(title: str) -> str | None:
    """The product title as a text may carry it: None if it looks like a link, an e-mail address or a
    phone number (it came from an unsigned request); shortened to TITLE_MAX characters."""
    if _LINKISH.search(title):
        return None
    if len(title) <= TITLE_MAX:
        return title
    cut = (
        title[: TITLE_MAX - 3].rsplit(" ", 1)[0] if " " in title[: TITLE_MAX - 3] else title[: TITLE_MAX - 3]
    )
    return cut.rstrip(" ,;:-") + "..."


def product_url(storefront: str, shop: str, url: str | None, variant_id: str | None) -> str:
    """The product's page on the shop's own storefront: the path of `url` (relative, or on the storefront's
    or the myshopify host) if it is a product page, else the storefront itself. Never another host."""
    base = storefront.rstrip("/")
    path = None
    if url:
        parts = urlsplit(url.strip())
        relative = not parts.scheme and not parts.netloc
        ours = parts.scheme in ("https", "http") and (parts.hostname or "") in {urlsplit(base).hostname, shop}
        if relative or ours:
            path = parts.path
    if path is None or not _PRODUCT_PATH.fullmatch(path):
        return base
    return base + path + (f"?variant={variant_id}" if variant_id else "")
