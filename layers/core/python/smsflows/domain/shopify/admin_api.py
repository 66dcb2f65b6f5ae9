"""Typed operations on Shopify's Admin GraphQL API (2026-10), over the ShopifyAdmin port.

The consent, segment and read documents are the ones tests/events/shopify_app/admin_graphql.json validated
against the 2026-10 schema; the others (customers by phone, order, webhook subscriptions) are written from
the same schema's types. Each function maps Shopify's answer to plain values in one place.

SMS consent has two models in 2026-10: the input of customerSmsMarketingConsentUpdate (and the legacy reads)
uses CustomerSmsMarketingState (NOT_SUBSCRIBED, PENDING, SUBSCRIBED, UNSUBSCRIBED, REDACTED); the read model
`CustomerPhoneNumber.smsMarketingConsent` uses CustomerMarketingConsentState, where never subscribed reads
NEVER_SUBSCRIBED. Only SUBSCRIBED, UNSUBSCRIBED and PENDING may be written.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from smsflows.domain.durations import parse_instant
from smsflows.ports import ShopifyAdmin
from smsflows.runtime.errors import (
    ShopifyAccessDenied,
    ShopifyError,
    ShopifyNotConnected,
    ShopifyThrottled,
    ShopifyUnavailable,
    ShopifyUserErrors,
)

__all__ = [
    "ShopifyAccessDenied",
    "ShopifyError",
    "ShopifyNotConnected",
    "ShopifyThrottled",
    "ShopifyUnavailable",
    "ShopifyUserErrors",
]

WriteState = Literal["SUBSCRIBED", "UNSUBSCRIBED", "PENDING"]
OptInLevel = Literal["SINGLE_OPT_IN", "CONFIRMED_OPT_IN", "UNKNOWN"]
WRITABLE_STATES = ("SUBSCRIBED", "UNSUBSCRIBED", "PENDING")
MAX_SEGMENT_PAGE = 1000  # customerSegmentMembers' largest page (its field description)

CONSENT_UPDATE = """mutation SmsConsentSubscribe($input: CustomerSmsMarketingConsentUpdateInput!) {
  customerSmsMarketingConsentUpdate(input: $input) {
    userErrors { field message code }
    customer {
      id
      defaultPhoneNumber {
        phoneNumber
        smsMarketingConsent { state optInLevel collectedFrom updatedAt }
      }
    }
  }
}"""

READ_CONSENT = """query CustomerSmsConsent2610($id: ID!) {
  customer(id: $id) {
    id
    defaultPhoneNumber {
      phoneNumber
      smsMarketingConsent { state optInLevel collectedFrom updatedAt sourceLocation { id } }
      whatsAppMarketingConsent { state }
    }
  }
}"""

SEGMENT_MEMBERS = """query SegmentMembers($segmentId: ID!, $first: Int!, $after: String) {
  customerSegmentMembers(segmentId: $segmentId, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id
        displayName
        firstName
        lastName
        defaultPhoneNumber { phoneNumber marketingState }
      }
    }
  }
}"""

SEGMENTS = """query Segments($first: Int!, $after: String) {
  segments(first: $first, after: $after) {
    nodes { id name query creationDate lastEditDate }
    pageInfo { hasNextPage endCursor }
  }
}"""

CUSTOMER_BY_PHONE = """query CustomerByPhone($query: String!) {
  customers(first: 1, query: $query) {
    nodes { id defaultPhoneNumber { phoneNumber } }
  }
}"""

ORDER = """query Order($id: ID!) {
  order(id: $id) {
    id
    legacyResourceId
    name
    phone
    email
    createdAt
    cancelledAt
    currencyCode
    totalPriceSet { shopMoney { amount currencyCode } }
    discountCodes
    customer {
      id
      legacyResourceId
      firstName
      defaultPhoneNumber { phoneNumber }
      defaultAddress { phone countryCodeV2 provinceCode firstName }
    }
    shippingAddress { phone countryCodeV2 provinceCode firstName }
    billingAddress { phone countryCodeV2 provinceCode firstName }
    lineItems(first: 100) {
      nodes { title quantity product { legacyResourceId } variant { legacyResourceId } }
    }
  }
}"""

WEBHOOK_SUBSCRIPTIONS = """query WebhookSubscriptions($first: Int!, $after: String) {
  webhookSubscriptions(first: $first, after: $after) {
    nodes { id topic uri }
    pageInfo { hasNextPage endCursor }
  }
}"""


def gid(kind: str, value: str | int) -> str:
    """`gid://shopify/<kind>/<id>` from a numeric id (a webhook's) or a gid already."""
    text = str(value).strip()
    if text.startswith("gid://shopify/"):
        return text
    if not text.isdigit():
        raise ValueError(f"{kind} id {value!r} is neither a number nor a gid://shopify/{kind}/ id")
    return f"gid://shopify/{kind}/{text}"


def legacy_id(value: str | None) -> str | None:
    """The numeric id at the end of a gid (what webhooks carry), or the value as it is."""
    if value is None:
        return None
    return value.rsplit("/", 1)[-1] if value.startswith("gid://") else value


def shopify_time(at: datetime) -> str:
    """ISO 8601 in UTC to the second (`2026-03-02T18:09:02Z`): Shopify keeps consent times to the second,
    so the echo of a write carries the same instant."""
    return at.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _user_errors(payload: Any, operation: str) -> None:
    errors = payload.get("userErrors") if isinstance(payload, dict) else None
    if errors:
        text = "; ".join(
            f"{'.'.join(e.get('field') or [])}: {e.get('message')} ({e.get('code')})" for e in errors
        )
        raise ShopifyUserErrors(f"{operation}: {text}"[:500], list(errors))


# Consent -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmsConsent:
    """A customer's SMS consent as Shopify holds it (the 2026-10 read model). `state` is the read enum:
    NEVER_SUBSCRIBED, PENDING, SUBSCRIBED, UNSUBSCRIBED, REDACTED; `subscribed` is what a sender may act on."""

    customer_id: str
    phone: str | None
    state: str
    opt_in_level: str | None = None
    collected_from: str | None = None
    updated_at: datetime | None = None

    @property
    def subscribed(self) -> bool:
        return self.state == "SUBSCRIBED"

    @property
    def legacy_state(self) -> str:
        """The same state in the input/legacy enum (NEVER_SUBSCRIBED reads NOT_SUBSCRIBED there)."""
        return "NOT_SUBSCRIBED" if self.state == "NEVER_SUBSCRIBED" else self.state


def update_sms_consent(
    admin: ShopifyAdmin,
    shop: str,
    customer_gid: str,
    state: WriteState,
    opt_in_level: OptInLevel | None,
    consent_updated_at: datetime,
) -> SmsConsent:
    """Write the customer's SMS consent: `state` with `opt_in_level` (None: left out, as for a STOP) and
    `consent_updated_at` = when consent was given or withdrawn (not now). ShopifyUserErrors when Shopify
    refuses it (the customer has no phone number, ...): nothing changed. The consent Shopify then holds."""
    if state not in WRITABLE_STATES:
        raise ValueError(f"{state!r} cannot be written: only {', '.join(WRITABLE_STATES)}")
    consent: dict[str, Any] = {"marketingState": state, "consentUpdatedAt": shopify_time(consent_updated_at)}
    if opt_in_level is not None:
        consent["marketingOptInLevel"] = opt_in_level
    data = admin.graphql(
        shop,
        CONSENT_UPDATE,
        {"input": {"customerId": gid("Customer", customer_gid), "smsMarketingConsent": consent}},
    )
    payload = data.get("customerSmsMarketingConsentUpdate")
    if not isinstance(payload, dict):
        raise ShopifyError("customerSmsMarketingConsentUpdate answered nothing")
    _user_errors(payload, "customerSmsMarketingConsentUpdate")
    customer = payload.get("customer") or {}
    found = _consent_of(customer)
    if found is None:  # the answer has no phone: what was written is what Shopify holds
        return SmsConsent(str(customer.get("id") or customer_gid), None, state, opt_in_level,
                          None, parse_instant(consent["consentUpdatedAt"]))  # fmt: skip
    return found


def _consent_of(customer: Any) -> SmsConsent | None:
    if not isinstance(customer, dict):
        return None
    number = customer.get("defaultPhoneNumber")
    if not isinstance(number, dict):
        return None
    consent = number.get("smsMarketingConsent") or {}
    return SmsConsent(
        customer_id=str(customer.get("id")),
        phone=number.get("phoneNumber"),
        state=str(consent.get("state") or "NEVER_SUBSCRIBED"),
        opt_in_level=consent.get("optInLevel"),
        collected_from=consent.get("collectedFrom"),
        updated_at=parse_instant(consent.get("updatedAt")),
    )


def read_sms_consent(admin: ShopifyAdmin, shop: str, customer_gid: str) -> SmsConsent | None:
    """The customer's SMS consent in the 2026-10 model; None when the customer does not exist or has no
    phone number (Shopify then has no SMS consent for them)."""
    data = admin.graphql(shop, READ_CONSENT, {"id": gid("Customer", customer_gid)})
    return _consent_of(data.get("customer"))


def find_customer_by_phone(admin: ShopifyAdmin, shop: str, e164: str) -> str | None:
    """The gid of the shop's customer whose default phone number is `e164`, or None. Shopify's search is
    not an exact match: a hit whose number differs is no hit."""
    data = admin.graphql(shop, CUSTOMER_BY_PHONE, {"query": f"phone:{e164}"})
    nodes = (data.get("customers") or {}).get("nodes") or []
    for node in nodes:
        number = (node.get("defaultPhoneNumber") or {}).get("phoneNumber") if isinstance(node, dict) else None
        if isinstance(number, str) and _digits(number) == _digits(e164):
            return str(node["id"])
    return None


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


# Segments ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShopifySegmentMember:
    """One member of a Shopify customer segment. `phone` is None for a member without a phone number;
    `marketing_state` is the legacy CustomerSmsMarketingState of that number (segment membership is not
    consent: the sender checks smsflows' own consent before every text)."""

    member_id: str  # a CustomerSegmentMember gid (Shopify does not promise it equals the Customer gid)
    display_name: str | None
    first_name: str | None
    last_name: str | None
    phone: str | None
    marketing_state: str | None


@dataclass(frozen=True)
class SegmentPage:
    members: list[ShopifySegmentMember]
    total_count: int | None
    end_cursor: str | None
    has_next_page: bool


def segment_page(
    admin: ShopifyAdmin, shop: str, segment_id: str, page_size: int = 250, after: str | None = None
) -> SegmentPage:
    """One page of a segment's members, from `after` (None: the first page)."""
    if not 1 <= page_size <= MAX_SEGMENT_PAGE:
        raise ValueError(f"page_size must be from 1 to {MAX_SEGMENT_PAGE}, not {page_size}")
    data = admin.graphql(
        shop, SEGMENT_MEMBERS, {"segmentId": gid("Segment", segment_id), "first": page_size, "after": after}
    )
    connection = data.get("customerSegmentMembers") or {}
    members = []
    for edge in connection.get("edges") or []:
        node = edge.get("node") or {}
        number = node.get("defaultPhoneNumber")
        members.append(
            ShopifySegmentMember(
                member_id=str(node.get("id")),
                display_name=node.get("displayName"),
                first_name=node.get("firstName"),
                last_name=node.get("lastName"),
                phone=number.get("phoneNumber") if isinstance(number, dict) else None,
                marketing_state=number.get("marketingState") if isinstance(number, dict) else None,
            )
        )
    info = connection.get("pageInfo") or {}
    total = connection.get("totalCount")
    return SegmentPage(
        members=members,
        total_count=total if isinstance(total, int) else None,
        end_cursor=info.get("endCursor"),
        has_next_page=bool(info.get("hasNextPage")),
    )


def segment_members(
    admin: ShopifyAdmin, shop: str, segment_id: str, page_size: int = 250, after: str | None = None
) -> Iterator[SegmentPage]:
    """The segment's members page by page (cursor paging until hasNextPage is false), from `after`. A page
    that says there is more but gives no cursor ends the walk (it could only repeat itself)."""
    while True:
        page = segment_page(admin, shop, segment_id, page_size, after)
        yield page
        if not page.has_next_page or not page.end_cursor or page.end_cursor == after:
            return
        after = page.end_cursor


@dataclass(frozen=True)
class ShopifySegment:
    segment_id: str
    name: str
    query: str | None
    created_at: datetime | None
    edited_at: datetime | None


def list_segments(admin: ShopifyAdmin, shop: str, page_size: int = 50) -> list[ShopifySegment]:
    """Every segment of the shop (all pages)."""
    found: list[ShopifySegment] = []
    after: str | None = None
    while True:
        data = admin.graphql(shop, SEGMENTS, {"first": page_size, "after": after})
        connection = data.get("segments") or {}
        for node in connection.get("nodes") or []:
            found.append(
                ShopifySegment(
                    segment_id=str(node.get("id")),
                    name=str(node.get("name") or ""),
                    query=node.get("query"),
                    created_at=parse_instant(node.get("creationDate")),
                    edited_at=parse_instant(node.get("lastEditDate")),
                )
            )
        info = connection.get("pageInfo") or {}
        cursor = info.get("endCursor")
        if not info.get("hasNextPage") or not cursor or cursor == after:
            return found
        after = cursor


# Orders ------------------------------------------------------------------------------------------------


def _address(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    return {
        "phone": value.get("phone"),
        "country_code": value.get("countryCodeV2"),
        "province_code": value.get("provinceCode"),
        "first_name": value.get("firstName"),
    }


def _legacy_int(value: Any) -> int | str | None:
    text = legacy_id(str(value)) if value is not None else None
    return int(text) if text is not None and text.isdigit() else text


def order_as_webhook(order: dict[str, Any]) -> dict[str, Any]:
    """A GraphQL Order as the orders/create webhook shapes it (the fields `webhooks.Order` reads): numeric
    ids, snake_case, amounts as strings. Not in GraphQL's Order, so absent here: checkout_token."""
    customer = order.get("customer")
    mapped_customer = None
    if isinstance(customer, dict):
        mapped_customer = {
            "id": _legacy_int(customer.get("legacyResourceId") or customer.get("id")),
            "first_name": customer.get("firstName"),
            "phone": (customer.get("defaultPhoneNumber") or {}).get("phoneNumber"),
            "default_address": _address(customer.get("defaultAddress")),
        }
    money = ((order.get("totalPriceSet") or {}).get("shopMoney")) or {}
    lines = (order.get("lineItems") or {}).get("nodes") or []
    return {
        "id": _legacy_int(order.get("legacyResourceId") or order.get("id")),
        "admin_graphql_api_id": order.get("id"),
        "name": order.get("name"),
        "phone": order.get("phone"),
        "email": order.get("email"),
        "created_at": order.get("createdAt"),
        "cancelled_at": order.get("cancelledAt"),
        "currency": money.get("currencyCode") or order.get("currencyCode"),
        "total_price": money.get("amount"),
        "discount_codes": [{"code": code} for code in order.get("discountCodes") or [] if code],
        "customer": mapped_customer,
        "shipping_address": _address(order.get("shippingAddress")),
        "billing_address": _address(order.get("billingAddress")),
        "line_items": [
            {
                "title": line.get("title"),
                "quantity": line.get("quantity"),
                "product_id": _legacy_int((line.get("product") or {}).get("legacyResourceId")),
                "variant_id": _legacy_int((line.get("variant") or {}).get("legacyResourceId")),
            }
            for line in lines
            if isinstance(line, dict)
        ],
    }


def fetch_order(admin: ShopifyAdmin, shop: str, order_id: str | int) -> dict[str, Any] | None:
    """The order as an orders/create webhook body (for Shopify's id-only payloads); None if it does not
    exist (or is not visible to the app)."""
    data = admin.graphql(shop, ORDER, {"id": gid("Order", order_id)})
    order = data.get("order")
    return order_as_webhook(order) if isinstance(order, dict) else None


# Webhook subscriptions ---------------------------------------------------------------------------------


def topic_enum(topic: str) -> str:
    """`orders/create` -> ORDERS_CREATE (the WebhookSubscriptionTopic value of a webhook topic)."""
    return topic.strip().upper().replace("/", "_")


@dataclass(frozen=True)
class WebhookSubscription:
    subscription_id: str
    topic: str  # the WebhookSubscriptionTopic enum, e.g. ORDERS_CREATE (compare with `topic_enum`)
    uri: str | None  # https://..., arn:aws:events:... (EventBridge) or pubsub://...


def webhook_subscriptions(admin: ShopifyAdmin, shop: str, page_size: int = 100) -> list[WebhookSubscription]:
    """Every webhook subscription the app has on the shop (all pages)."""
    found: list[WebhookSubscription] = []
    after: str | None = None
    while True:
        data = admin.graphql(shop, WEBHOOK_SUBSCRIPTIONS, {"first": page_size, "after": after})
        connection = data.get("webhookSubscriptions") or {}
        for node in connection.get("nodes") or []:
            found.append(WebhookSubscription(str(node.get("id")), str(node.get("topic")), node.get("uri")))
        info = connection.get("pageInfo") or {}
        cursor = info.get("endCursor")
        if not info.get("hasNextPage") or not cursor or cursor == after:
            return found
        after = cursor


# Id-only payloads (helper D): fetchers of a webhook's resource, webhook-shaped --------------------------

FULFILLMENT = """query Fulfillment($id: ID!) {
  fulfillment(id: $id) {
    id
    legacyResourceId
    order { id legacyResourceId }
    trackingInfo(first: 5) { company number url }
  }
}"""


def fulfillment_as_webhook(fulfillment: dict[str, Any]) -> dict[str, Any]:
    """A GraphQL Fulfillment as the fulfillments/create webhook shapes it (the fields `webhooks.Fulfillment`
    reads): numeric ids, the first tracking company and url, every tracking url."""
    tracking = [t for t in fulfillment.get("trackingInfo") or [] if isinstance(t, dict)]
    order = fulfillment.get("order") or {}
    urls = [str(t["url"]) for t in tracking if t.get("url")]
    return {
        "id": _legacy_int(fulfillment.get("legacyResourceId") or fulfillment.get("id")),
        "admin_graphql_api_id": fulfillment.get("id"),
        "order_id": _legacy_int(order.get("legacyResourceId") or order.get("id")),
        "tracking_company": next((t.get("company") for t in tracking if t.get("company")), None),
        "tracking_number": next((t.get("number") for t in tracking if t.get("number")), None),
        "tracking_url": urls[0] if urls else None,
        "tracking_urls": urls,
    }


def fetch_fulfillment(admin: ShopifyAdmin, shop: str, fulfillment_id: str | int) -> dict[str, Any] | None:
    """The fulfillment as a fulfillments/create webhook body (for Shopify's id-only payloads); None if it
    does not exist (or is not visible to the app)."""
    data = admin.graphql(shop, FULFILLMENT, {"id": gid("Fulfillment", fulfillment_id)})
    found = data.get("fulfillment")
    return fulfillment_as_webhook(found) if isinstance(found, dict) else None
