"""Use case: act on one accepted Shopify event (from the shop-events queue)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from smsflows.domain import json_bodies, keys
from smsflows.domain.consent import subscriptions
from smsflows.domain.consent.subscriptions import ConsentDeps
from smsflows.domain.durations import parse_instant
from smsflows.domain.flows import definitions, steps
from smsflows.domain.flows.steps import FlowDeps
from smsflows.domain.phones import first_usable
from smsflows.domain.profiles import ProfileRecord
from smsflows.domain.shopify import admin_api, privacy, webhooks
from smsflows.domain.shopify.attribution import AttributionStore, attribute_order, revenue_of
from smsflows.domain.shopify.consent_sync import ConsentSync, ConsentSyncDeps, sync_consent
from smsflows.domain.shopify.privacy import PrivacyDeps
from smsflows.domain.shopify.records import CheckoutRecord, OrderRecord
from smsflows.domain.shopify.summary import CustomerSummary, amount, shopify_ids, tags_of
from smsflows.domain.shops import NOT_ONBOARDED, ShopConfig, not_texting
from smsflows.ports import (
    CampaignRuns,
    Campaigns,
    EventQueue,
    FlowStarter,
    Queue,
    ShopConfigs,
    ShopDataRepository,
    ShopifyAdmin,
    SubscriberSummaries,
    WebhookInbox,
)
from smsflows.runtime.clock import Clock
from smsflows.runtime.errors import ShopifyAccessDenied, ShopifyError, ShopifyNotConnected


class ShopEventEnvelope(BaseModel):
    """What the webhook handler puts on the shop-events queue."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    shop: str
    topic: str
    webhook_id: str
    api_version: str | None = None
    received_at: str
    body: str | None = None  # absent when the body was too large to travel inline
    correlation_id: str | None = None  # "shopify:<webhook id>": follows the event to its texts


@dataclass(frozen=True)
class EventOutcome:
    outcome: str  # processed | ignored | unparseable
    detail: str = ""
    business: dict[str, float] | None = None  # business metrics it made (an attributed order and its revenue)


@dataclass
class ShopEventDeps:
    inbox: WebhookInbox
    data: ShopDataRepository
    send_queue: Queue
    flows: FlowStarter
    clock: Clock
    consent: ConsentDeps | None = None
    privacy: PrivacyDeps | None = None
    shops: ShopConfigs | None = None
    events: EventQueue | None = None  # the shop-events queue itself: the daily job fans out on it
    summaries: SubscriberSummaries | None = None  # customers/update's writer of the segments' summaries
    # orders/create's attribution and lift (issue 16): adapters/measurement.py, the campaigns and their runs
    measurement: AttributionStore | None = None
    campaigns: Campaigns | None = None
    runs: CampaignRuns | None = None
    # Shopify's Admin API: the full resource of an id-only payload (`complete_id_only`), consent write-back
    admin: ShopifyAdmin | None = None

    @property
    def shop_configs(self) -> ShopConfigs:
        shops = self.shops or (self.consent.shops if self.consent else None)
        if shops is None:
            raise RuntimeError("shop configs are not wired")
        return shops

    @property
    def flow_deps(self) -> FlowDeps:
        return FlowDeps(
            shops=self.shop_configs,
            starter=self.flows,
            send_queue=self.send_queue,
            clock=self.clock,
            entries=self.measurement,
        )


def process_shop_event(envelope: ShopEventEnvelope, deps: ShopEventDeps) -> EventOutcome:
    """Act on one event. For a shop that texts nobody (not onboarded, deactivated, uninstalled, redacted) only
    what must never be lost is acted on: Shopify's privacy webhooks and consent (a checkout's SMS consent
    too); anything else is left in the webhook inbox as 'ignored' with the reason ('shop_not_onboarded', ...)
    and nothing of it is kept or texted. Nor is an event the shop received before it was onboarded, when it
    comes back later (a redelivery, a replay): onboarding never texts about the past."""
    handler: Handler | None = _TOPICS.get(envelope.topic)
    if handler is None:
        deps.inbox.mark(envelope.shop, envelope.webhook_id, "ignored", f"unsupported topic {envelope.topic}")
        return EventOutcome("ignored", envelope.topic)
    if envelope.topic not in ANY_SHOP_TOPICS:
        blocked = _not_texting(envelope, deps)
        if blocked is not None:
            only = _WHEN_NOT_TEXTING.get(envelope.topic)
            if only is None:
                deps.inbox.mark(envelope.shop, envelope.webhook_id, "ignored", blocked)
                return EventOutcome("ignored", blocked)
            handler = _recording_only(only, blocked)
    raw: str | bytes | None = envelope.body
    if raw is None and envelope.topic.startswith("smsflows/"):
        raw = "{}"  # internal events (the daily schedule) need no body
    if raw is None:
        stored = deps.inbox.get(envelope.shop, envelope.webhook_id)
        if stored is None:
            raise LookupError(f"webhook {envelope.webhook_id} is not in the inbox")
        if stored.state == "redacted":  # its customer was redacted before it was processed: nothing to do
            return EventOutcome("ignored", "body erased by a customer redaction")
        raw = stored.body
    fetched = ""
    try:
        payload = json_bodies.loads(raw)
        payload, fetched = complete_id_only(envelope, payload, deps)
        outcome = handler(envelope, payload, deps)
    except IncompletePayload as exc:
        # Authentic, kept (no expiry, like an unparseable body: `smsflows webhooks replay` once the cause is
        # fixed, e.g. the shop's token stored), and not retried: nothing changes by itself.
        deps.inbox.mark(envelope.shop, envelope.webhook_id, "unparseable", str(exc)[:300])
        return EventOutcome("unparseable", str(exc)[:300])
    except (ValueError, ValidationError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        # ValueError includes a body that is not UTF-8 or JSON; the others are a payload whose shape we did
        # not expect (a list where an object was, a missing key): deterministic, so a retry cannot help.
        # Authentic but not what we understand: keep it for replay, do not retry forever.
        reason = _short_reason(exc)
        deps.inbox.mark(envelope.shop, envelope.webhook_id, "unparseable", reason)
        return EventOutcome("unparseable", reason)
    if fetched:
        outcome = EventOutcome(outcome.outcome, f"{fetched}; {outcome.detail}", outcome.business)
    if outcome.outcome == "processed" and not envelope.topic.startswith(("smsflows/", "storefront/")):
        # The webhook's record says what was done with it (`smsflows webhooks list`, the demo): "no usable
        # phone (unusable)", "order confirmation queued", ... Internal and storefront events have no record.
        deps.inbox.mark(envelope.shop, envelope.webhook_id, "processed", outcome.detail[:200])
    return outcome


class IncompletePayload(Exception):
    """An id-only payload whose resource could not be fetched: why, for the webhook's record."""


# Topics whose handlers need the full resource, and so cannot act on an id-only payload as it is.
FULL_RESOURCE_TOPICS = frozenset(
    {"orders/create", "fulfillments/create", "fulfillment_events/create", "checkouts/create",
     "checkouts/update", "customers/create", "customers/update", "customers_marketing_consent/update",
     "products/update"}
)  # fmt: skip


def complete_id_only(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> tuple[Any, str]:
    """The payload to act on, and what was fetched ("" when nothing was). Shopify sends a classic webhook
    too large for its limits (1,000,000 bytes over EventBridge) as `{"id": ...}`; for orders/create the
    order is then read through the Admin API (the same for HTTPS and EventBridge deliveries: this runs on
    the shop-events queue). IncompletePayload when it cannot be (no token for the shop, the order not
    found, access denied, a topic with no fetch here); Shopify's throttling and outages are raised as the
    transient errors they are, so the queue retries."""
    resource_id = webhooks.id_only(payload)
    if resource_id is None or envelope.topic not in FULL_RESOURCE_TOPICS:
        return payload, ""
    what = f"id-only payload of {envelope.topic} {resource_id} (over Shopify's size limit)"
    found = _ID_ONLY_FETCHES.get(envelope.topic)
    if found is None:
        raise IncompletePayload(f"{what}: no Admin API fetch for this topic, nothing done")
    if deps.admin is None:
        raise IncompletePayload(f"{what}: the Admin API is not wired, not fetched")
    noun, fetch = found
    try:
        full = fetch(deps.admin, envelope.shop, resource_id)
    except ShopifyNotConnected:
        raise IncompletePayload(
            f"{what}: no Admin API token for {envelope.shop} (smsflows shop connect), not fetched"
        ) from None
    except ShopifyAccessDenied as exc:
        raise IncompletePayload(f"{what}: Shopify denied access ({str(exc)[:120]}), not fetched") from None
    except ShopifyError as exc:  # ShopifyThrottled and ShopifyUnavailable are no ShopifyError: retried
        raise IncompletePayload(f"{what}: Shopify refused the fetch ({str(exc)[:120]})") from None
    if full is None:
        raise IncompletePayload(f"{what}: not found through the Admin API")
    return full, f"id-only payload: {noun} fetched from the Admin API"


# The fetches of an id-only payload's resource, by topic: what it is, and how it is read (webhook-shaped).
# Checkouts have none: the Admin API reads no live checkout by its id.
_ID_ONLY_FETCHES: dict[str, tuple[str, Callable[[ShopifyAdmin, str, int | str], dict[str, Any] | None]]] = {
    "orders/create": ("order", admin_api.fetch_order),
    "fulfillments/create": ("fulfillment", admin_api.fetch_fulfillment),
}


# Acted on for every shop, onboarded or not: Shopify's mandatory privacy webhooks, and the internal events
# that stop flows or fan out the daily job (each of those checks the shop itself).
ANY_SHOP_TOPICS = frozenset(
    {"customers/data_request", "customers/redact", "shop/redact", "app/uninstalled", "smsflows/opted_out",
     "smsflows/daily", "smsflows/daily_shop", subscriptions.CONSENT_SYNC_TOPIC}
)  # fmt: skip


def _not_texting(envelope: ShopEventEnvelope, deps: ShopEventDeps) -> str | None:
    """Why the event's shop texts nobody about it, or None."""
    config = deps.shop_configs.get(envelope.shop)
    reason = not_texting(config)
    if reason is None and config is not None and config.onboarded_at is not None:
        received = datetime.fromisoformat(envelope.received_at)
        received = received if received.tzinfo else received.replace(tzinfo=UTC)
        if received < config.onboarded_at:
            reason = f"{NOT_ONBOARDED} when it was received"
    return reason


Handler = Callable[[ShopEventEnvelope, Any, ShopEventDeps], EventOutcome]


def _recording_only(
    record: Callable[[ShopEventEnvelope, Any, ShopEventDeps], str | None], reason: str
) -> Handler:
    """A handler that records what must be kept (consent) for a shop that texts nobody, and marks the webhook
    'ignored' with the reason and what was recorded."""

    def run(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
        recorded = record(envelope, payload, deps)
        detail = f"{reason}: {recorded}; nothing texted" if recorded else reason
        deps.inbox.mark(envelope.shop, envelope.webhook_id, "ignored", detail)
        return EventOutcome("ignored", detail)

    return run


def _short_reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"[:300]
    return str(exc)[:300]


def _order_created(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
    order = webhooks.Order.model_validate(payload)
    now = deps.clock()
    phone = first_usable(order.phone_candidates())
    customer_id = str(order.customer.id) if order.customer else None
    if customer_id:
        customer_key = f"customer:{customer_id}"
    elif phone.usable:
        customer_key = f"phone:{phone.e164}"
    else:
        customer_key = f"order:{order.id}"
    first_name = order.first_name()
    country = next((c for _, c in order.phone_candidates() if c), None)
    profile = ProfileRecord(
        shop=envelope.shop,
        customer_key=customer_key,
        customer_id=customer_id,
        phone=phone.e164,
        phone_raw=phone.raw,
        phone_status=phone.status,
        first_name=first_name,
        country_code=country,
        last_order_at=now,
        updated_at=now,
    )
    record = OrderRecord(
        shop=envelope.shop,
        order_id=str(order.id),
        name=order.name,
        customer_key=customer_key,
        phone=phone.e164,
        first_name=first_name,
        total_price=order.total_price,
        currency=order.currency,
        cancelled=order.cancelled_at is not None,
        product=order.product(),
        checkout_token=order.checkout_token,
        created_at=now,
        product_ids=shopify_ids(order.product_ids()),
        variant_ids=shopify_ids(order.variant_ids()),
        placed_at=parse_instant(order.created_at),
    )
    # Where the recipient may be, for quiet hours (RULES.md A2.2): default and shipping address.
    places: list[tuple[str | None, str | None, str]] = []
    default_address = order.customer.default_address if order.customer else None
    for address, source in (
        (default_address, "default_address"),
        (order.shipping_address, "shipping_address"),
    ):
        if address and address.country_code:
            places.append((address.country_code, address.province_code, source))
    deps.data.save_order(record, profile, tuple(places))

    # The order ends its checkout's reminders: the ASL re-reads completed_at before every step, and the
    # running execution is stopped now.
    stopped = 0
    if order.checkout_token:
        deps.data.complete_checkout(envelope.shop, order.checkout_token, now)
        name = definitions.execution_name(definitions.ABANDONED_CHECKOUT, envelope.shop, order.checkout_token)
        stopped = deps.flows.stop(definitions.ABANDONED_CHECKOUT.name, name, f"order {order.name} placed")
    if not phone.usable or phone.e164 is None:
        return EventOutcome("processed", f"no usable phone ({phone.status})")
    attributed, business = _attribute(envelope, order, phone.e164, record, deps, now)
    sent = steps.send_direct(
        definitions.ORDER_CONFIRMATION,
        envelope.shop,
        phone.e164,
        f"order-confirmation:{envelope.shop}:{order.id}",
        {"first_name": first_name, "order_name": order.name, "product": record.product},
        deps.flow_deps,
    )
    detail = "order confirmation queued" if sent else "order confirmation disabled"
    return EventOutcome(
        "processed", detail + (f", {stopped} checkout flow stopped" if stopped else "") + attributed, business
    )


def _attribute(
    envelope: ShopEventEnvelope, order: webhooks.Order, phone: str, record: OrderRecord, deps: ShopEventDeps,
    now: datetime,
) -> tuple[str, dict[str, float] | None]:  # fmt: skip
    """The order's attribution (issue 16), before the confirmation is queued: a failure here retries the
    event, and a redelivered order counts nothing twice (the attribution is stored once)."""
    config = deps.shop_configs.get(envelope.shop)
    if deps.measurement is None or config is None:
        return "", None
    revenue = revenue_of(order.total_price)
    done = attribute_order(
        envelope.shop, str(order.id), phone, record.placed_at or now, revenue,
        [d.code for d in order.discount_codes if d.code], config, deps.measurement, deps.campaigns, deps.runs,
        now,
    )  # fmt: skip
    if not done.first:
        return ", attributed before", None
    if done.attribution is None:
        return ", not attributed", None
    return f", attributed: {done.attribution.rule}", {"AttributedOrders": 1, "AttributedRevenue": revenue}


def _checkout_flow(envelope: ShopEventEnvelope, payload: dict[str, Any], deps: ShopEventDeps) -> str:
    """Keep the checkout, and start (or replace) the phone's abandoned-checkout flow if it may get marketing."""
    checkout = webhooks.Checkout.model_validate(payload)
    if checkout.completed_at:
        return "checkout already completed"
    phone = first_usable(checkout.phone_candidates())
    customer_id = str(checkout.customer.id) if checkout.customer else None
    now = deps.clock()
    record = CheckoutRecord(
        shop=envelope.shop,
        token=checkout.token,
        phone=phone.e164,
        customer_key=f"customer:{customer_id}"
        if customer_id
        else (f"phone:{phone.e164}" if phone.e164 else None),
        customer_id=customer_id,
        first_name=checkout.customer.first_name if checkout.customer else None,
        url=checkout.abandoned_checkout_url,
        product=checkout.product(),
        updated_at=now,
    )
    deps.data.save_checkout(record)
    if not phone.usable or phone.e164 is None or deps.consent is None:
        return "checkout kept, no usable phone"
    state = deps.consent.store.state(envelope.shop, phone.e164)
    if state is None or not state.subscribed:
        return "checkout kept, no marketing consent"
    context = {
        "phone": phone.e164,
        "customer_key": record.customer_key,
        "first_name": record.first_name,
        "product": record.product,
        "checkout_url": record.url,
        "checkout_key": keys.checkout(envelope.shop, checkout.token),
    }
    name = steps.start(definitions.ABANDONED_CHECKOUT, envelope.shop, checkout.token, context, deps.flow_deps)
    if name is None:
        return "abandoned-checkout flow running already or disabled"
    previous = deps.data.swap_flow_lock(envelope.shop, definitions.ABANDONED_CHECKOUT.name, phone.e164, name)
    if previous:  # one active instance per customer: the newer checkout wins
        deps.flows.stop(definitions.ABANDONED_CHECKOUT.name, previous, "replaced by a newer checkout")
    return "abandoned-checkout flow started"


def _fulfillment_created(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
    fulfillment = webhooks.Fulfillment.model_validate(payload)
    order_id = str(fulfillment.order_id)
    deps.data.set_tracking(envelope.shop, order_id, fulfillment.tracking_company, fulfillment.tracking())
    order = deps.data.get_order(envelope.shop, order_id)
    if order is None or not order.phone:
        return EventOutcome("processed", "no order with a usable phone for this fulfillment")
    steps.send_direct(
        definitions.SHIPPING,
        envelope.shop,
        order.phone,
        f"shipping:{envelope.shop}:{fulfillment.id}",
        {"first_name": order.first_name, "order_name": order.name, "tracking_company": fulfillment.tracking_company,
         "tracking_url": fulfillment.tracking(), "product": order.product},
        deps.flow_deps,
    )  # fmt: skip
    return EventOutcome("processed", "shipping update queued")


DELAY_STATUSES = frozenset({"delayed", "attempted_delivery", "failure"})


def _fulfillment_event(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
    event = webhooks.FulfillmentEvent.model_validate(payload)
    if event.status != "delivered" and event.status not in DELAY_STATUSES:
        return EventOutcome("processed", f"status {event.status}: nothing to send")
    order = deps.data.get_order(envelope.shop, str(event.order_id))
    if order is None or not order.phone:
        return EventOutcome("processed", "no order with a usable phone for this event")
    values = {"first_name": order.first_name, "order_name": order.name, "product": order.product,
              "tracking_company": order.tracking_company, "tracking_url": order.tracking_url}  # fmt: skip
    if event.status in DELAY_STATUSES:
        steps.send_direct(
            definitions.DELAYED,
            envelope.shop,
            order.phone,
            f"delayed:{envelope.shop}:{event.id}",
            values,
            deps.flow_deps,
        )
        return EventOutcome("processed", "delay notice queued")
    steps.send_direct(
        definitions.DELIVERED,
        envelope.shop,
        order.phone,
        f"delivered:{envelope.shop}:{order.order_id}",
        values,
        deps.flow_deps,
    )
    context = {"phone": order.phone, "customer_key": order.customer_key, "first_name": order.first_name,
               "order_name": order.name, "product": order.product}  # fmt: skip
    started = steps.start(definitions.POST_PURCHASE, envelope.shop, order.order_id, context, deps.flow_deps)
    return EventOutcome(
        "processed", "delivered; post-purchase flow " + ("started" if started else "not started")
    )


def _subscribed(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
    """Internal event from the consent engine: a phone became subscribed, so the welcome series starts."""
    phone = str(payload["phone"])
    context = {
        "phone": phone,
        "customer_key": payload.get("customer_key"),
        "first_name": payload.get("first_name"),
    }
    started = steps.start(definitions.WELCOME, envelope.shop, stable_phone(phone), context, deps.flow_deps)
    return EventOutcome(
        "processed", "welcome series " + ("started" if started else "not started (ran before or disabled)")
    )


def _opted_out(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
    """Internal event: stop the phone's welcome series and abandoned-checkout flow now. Flows whose name
    does not derive from the phone (post-purchase, win-back) exit at their next step's consent check."""
    phone = str(payload["phone"])
    stopped = deps.flows.stop(
        definitions.WELCOME.name,
        definitions.execution_name(definitions.WELCOME, envelope.shop, stable_phone(phone)),
        "opted out",
    )
    current = deps.data.swap_flow_lock(envelope.shop, definitions.ABANDONED_CHECKOUT.name, phone, "")
    if current:
        stopped += deps.flows.stop(definitions.ABANDONED_CHECKOUT.name, current, "opted out")
    return EventOutcome("processed", f"{stopped} marketing flows stopped")


def _consent_sync(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
    """Internal event from the consent engine: write the consent change to Shopify (consent_sync.py). For
    every shop, onboarded or not: a revocation reaches Shopify whatever the shop's state."""
    consent = _need_consent(deps)
    done = sync_consent(
        envelope.shop,
        ConsentSync.model_validate(payload),
        ConsentSyncDeps(admin=deps.admin, store=consent.store, echoes=consent.echoes, clock=deps.clock),
    )
    return EventOutcome("processed" if done.written else "ignored", done.detail)


def _customer(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
    customer = webhooks.ShopifyCustomer.model_validate(payload)
    birthday = customer.birthday()
    if birthday is not None:
        deps.data.set_birthday(envelope.shop, f"customer:{customer.id}", birthday, deps.clock())
    detail = "no birthday tag" if birthday is None else "birthday noted"
    summarised = _customer_summary(envelope, customer, deps)
    return EventOutcome("processed", f"{detail}; {summarised}" if summarised else detail)


def customer_summary(customer: webhooks.ShopifyCustomer, received_at: datetime) -> CustomerSummary:
    """What a customers/create or customers/update says for the segments' summary. A value of another shape
    than Shopify's is left out (unknown), never guessed; with no `updated_at`, the time it was received
    orders it."""
    count = customer.orders_count
    orders = int(count) if isinstance(count, int | str) and str(count).strip().isdigit() else None
    address = customer.default_address
    return CustomerSummary(
        customer_id=str(customer.id),
        updated_at=parse_instant(customer.updated_at) or received_at,
        orders_count=orders,
        total_spent=amount(customer.total_spent),
        tags=tags_of(customer.tags),
        default_address=(address.country_code.upper(), address.province_code)
        if address and address.country_code
        else None,
    )


def _customer_summary(
    envelope: ShopEventEnvelope, customer: webhooks.ShopifyCustomer, deps: ShopEventDeps
) -> str | None:
    """The customer's summary on the subscriber state of their phone (the payload's, else their profile's);
    None when no summaries writer is wired."""
    if deps.summaries is None:
        return None
    found = first_usable(customer.phone_candidates())
    phone = found.e164 if found.usable else None
    if phone is None:
        profile = deps.data.get_profile(envelope.shop, f"customer:{customer.id}")
        phone = profile.phone if profile else None
    if phone is None:
        return "no phone for the summary"
    received = datetime.fromisoformat(envelope.received_at)
    summary = customer_summary(customer, received if received.tzinfo else received.replace(tzinfo=UTC))
    outcome = deps.summaries.note_customer(envelope.shop, phone, summary)
    return "summary updated" if outcome == "ok" else "summary older than the one recorded: left as it was"


def _product(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
    """products/update: a variant back in stock texts everyone who asked for it, once."""
    product = webhooks.Product.model_validate(payload)
    config = deps.flow_deps.shops.get(envelope.shop)
    store = config.storefront() if config else f"https://{envelope.shop}"
    queued = 0
    for variant in product.variants:
        if (variant.inventory_quantity or 0) <= 0:
            continue
        for signup in deps.data.take_restocks(envelope.shop, str(variant.id)):
            url = signup.get("url") or (f"{store}/products/{product.handle}" if product.handle else store)
            sent = steps.send_direct(
                definitions.BACK_IN_STOCK, envelope.shop, str(signup["phone"]),
                f"restock:{envelope.shop}:{variant.id}:{stable_phone(str(signup['phone']))}:{deps.clock():%Y%m%d}",
                {"product": signup.get("product") or product.title, "product_url": url}, deps.flow_deps,
            )  # fmt: skip
            queued += int(sent)
    return EventOutcome("processed", f"{queued} back-in-stock texts queued")


class ProductView(BaseModel):
    """storefront/product_viewed: put on the shop-events queue by POST /storefront/events (the web pixel;
    domain/shopify/storefront_events.py says what it checked and why nothing in it is trusted); only
    logged-in customers can be matched to a profile."""

    model_config = ConfigDict(extra="ignore")

    customer_id: str
    product: str
    product_url: str | None = None
    product_id: str | None = None
    day: str | None = Field(None, pattern=r"^\d{8}$")  # the UTC day it was viewed (YYYYMMDD); else today


class CheckoutStarted(BaseModel):
    """storefront/checkout_started (the web pixel): the customer went to checkout on `day`, after viewing
    `product_ids` that day."""

    model_config = ConfigDict(extra="ignore")

    customer_id: str
    day: str = Field(pattern=r"^\d{8}$")
    product_ids: list[str] = Field(default_factory=list, max_length=50)


def browse_subject(phone: str, product: str, day: str) -> str:
    """The browse flow's execution subject: the phone's hash, the day, the product (its id, or a hash of a
    long one), within the 40 characters `execution_name` keeps, so the day is never cut off."""
    key = product if re.fullmatch(r"[0-9]{1,13}", product) else stable_phone(product)[1:14]
    return f"{stable_phone(phone)}-{day}-{key}"


def _product_viewed(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
    view = ProductView.model_validate(payload)
    customer_key = f"customer:{view.customer_id}"
    profile = deps.data.get_profile(envelope.shop, customer_key)
    if profile is None or not profile.phone:
        return EventOutcome("processed", "no profile with a phone for this customer")
    if deps.consent is not None:
        state = deps.consent.store.state(envelope.shop, profile.phone)
        if state is None or not state.subscribed:
            return EventOutcome("processed", "no marketing consent")
    context = {"phone": profile.phone, "customer_key": customer_key, "first_name": profile.first_name,
               "product": view.product, "product_url": view.product_url}  # fmt: skip
    subject = browse_subject(
        profile.phone, view.product_id or view.product, view.day or f"{deps.clock():%Y%m%d}"
    )
    started = steps.start(definitions.BROWSE_ABANDONMENT, envelope.shop, subject, context, deps.flow_deps)
    return EventOutcome("processed", "browse flow " + ("started" if started else "not started"))


def _checkout_started(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
    """The customer started a checkout: the browse nudges of the products they viewed that day are stopped;
    the abandoned-checkout flow (Shopify's checkouts/create, signed) speaks for the cart from here."""
    started = CheckoutStarted.model_validate(payload)
    profile = deps.data.get_profile(envelope.shop, f"customer:{started.customer_id}")
    if profile is None or not profile.phone:
        return EventOutcome("processed", "no profile with a phone for this customer")
    flow = definitions.BROWSE_ABANDONMENT
    stopped = sum(
        deps.flows.stop(
            flow.name,
            definitions.execution_name(
                flow, envelope.shop, browse_subject(profile.phone, product, started.day)
            ),
            "checkout started",
        )
        for product in started.product_ids
    )
    return EventOutcome("processed", f"{stopped} browse flows stopped")


def stable_phone(phone: str) -> str:
    """Execution names show in the console: a phone's hash, not the number."""
    from smsflows.domain.messages import stable_id

    return "p" + stable_id(phone)


# The daily job ----------------------------------------------------------------------------------------
# EventBridge Scheduler puts one "smsflows/daily" event (shop "*") on the shop-events queue a day. It only
# lists the shops and fans out one "smsflows/daily_shop" message per shop with work to do; each of those
# reads ONE page of the shop's profiles, does win-back and birthdays for it in one pass, and then queues the
# shop's next page (carrying the Query's cursor). So one invocation does a bounded amount of work however
# many shops and subscribers there are, and a failing page is retried on its own (SQS redelivers that one
# message, then dead-letters it), without redoing other pages or shops.
#
# Idempotent under redelivery: a page's id is derived from the run's day, the shop and the page's cursor
# (`daily_page_id`), its work is idempotent by itself (win-back executions are named after the phone and
# the lapsed order's day, birthday texts' message ids after the phone and the year), and a page done is
# marked, so a redelivered page, or the duplicate next page it queued, is skipped instead of walking the
# rest of the shop twice. At most one run per shop and UTC day: a second daily event the same day (e.g. by
# hand after a page was dead-lettered) skips the pages done and redoes only those that were not.
DAILY_SHOP_TOPIC = "smsflows/daily_shop"
# What one message may do. An invocation of process_shop_event gets up to 10 messages (its batch size) and
# handles them one after the other, so a message must stay under a tenth of the 30 s timeout, worst case
# included. Reading a page is cheap (one Query, one BatchGetItem per 100: ~0.1 s in AWS); the calls are not:
# 30 days after a Black Friday most profiles of a page may be win-back candidates, and a StartExecution
# takes ~20-60 ms. So a message reads at most DAILY_PAGE_SIZE profiles and makes at most DAILY_MAX_CALLS
# flow starts and texts (<= ~0.9 s); a page with more candidates goes on in the next message, from the
# profile after the last one handled (`profiles_cursor`: a cursor that depends on the data only, so the
# next message's id is as stable as any other). 1,000,000 profiles on a usual day: ~2,000 messages.
DAILY_PAGE_SIZE = 500
DAILY_MAX_CALLS = 15
DAILY_FANOUT_SHOP = "*"  # the shop of the daily event itself
WINBACK_LAPSE = (timedelta(days=30), timedelta(days=31))  # last order >= 30 and < 31 days before the run


class DailyPage(BaseModel):
    """The body of a smsflows/daily_shop message: one page of one shop's profiles in the run of `at`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: AwareDatetime  # the run's scheduled time: the win-back window and the birthday's day
    page: int = Field(1, ge=1)  # for the logs: which page of the shop this is
    cursor: dict[str, str] | None = None  # where the page starts (None: the first); the data port checks it


def daily_page_id(at: datetime, shop: str, cursor: Mapping[str, str] | None) -> str:
    """The page's id (its message's webhook_id and its done mark): the run's day, and a hash of the shop and
    the cursor, so a redelivered page, or a page queued twice, has the same one."""
    if cursor is None:
        return f"daily-{at.astimezone(UTC):%Y-%m-%d}-first"
    canonical = json.dumps([shop, dict(cursor)], sort_keys=True, separators=(",", ":"))
    return f"daily-{at.astimezone(UTC):%Y-%m-%d}-{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


def daily_page_message(
    shop: str, at: datetime, cursor: Mapping[str, str] | None, page: int, correlation_id: str | None
) -> dict[str, Any]:
    """The shop-events message of one page (a ShopEventEnvelope)."""
    body = DailyPage(at=at, page=page, cursor=dict(cursor) if cursor is not None else None)
    return {
        "shop": shop,
        "topic": DAILY_SHOP_TOPIC,
        "webhook_id": daily_page_id(at, shop, cursor),
        "received_at": at.isoformat(),
        "body": body.model_dump_json(),
        "correlation_id": correlation_id,
    }


def _daily_work(config: ShopConfig) -> bool:
    return config.active and (
        config.flow_enabled(definitions.WINBACK.name) or config.flow_enabled(definitions.BIRTHDAY.name)
    )


def _need_events(deps: ShopEventDeps) -> EventQueue:
    if deps.events is None:  # fails the message (retried, then dead-lettered): never a silent daily run
        raise RuntimeError(
            "the shop-events queue is not wired (SHOP_EVENTS_QUEUE_URL): the daily job fans out"
        )
    return deps.events


def _daily(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
    """The daily schedule: one smsflows/daily_shop message per shop with win-back or birthday texts on."""
    at = datetime.fromisoformat(envelope.received_at)  # the scheduled time (EventBridge), or when it was put
    at = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
    if deps.data.daily_page_done(DAILY_FANOUT_SHOP, envelope.webhook_id):
        return EventOutcome("ignored", "this daily run was fanned out before (a redelivery)")
    events = _need_events(deps)
    configs = deps.flow_deps.shops.all()
    shops = [c.shop for c in configs if _daily_work(c)]
    correlation_id = envelope.correlation_id or f"smsflows:{envelope.webhook_id}"
    events.send_batch([daily_page_message(shop, at, None, 1, correlation_id) for shop in shops])
    deps.data.mark_daily_page_done(DAILY_FANOUT_SHOP, envelope.webhook_id, at)
    return EventOutcome(
        "processed",
        f"{len(shops)} shops fanned out, {len(configs) - len(shops)} inactive or with both flows off",
    )


def _daily_shop(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
    """One page of one shop's profiles in a daily run: win-back candidates (last order 30 days ago) and
    today's birthdays in one pass; then the shop's next page is queued."""
    page = DailyPage.model_validate(payload)
    shop, at = envelope.shop, page.at.astimezone(UTC)
    page_id = daily_page_id(at, shop, page.cursor)
    if deps.data.daily_page_done(shop, page_id):
        return EventOutcome("ignored", f"daily page {page.page} was done before (a redelivery)")
    config = deps.flow_deps.shops.get(shop)
    if config is None or not _daily_work(config):  # uninstalled (or both flows turned off) since the fan-out
        return EventOutcome(
            "processed", "shop inactive or win-back and birthday texts off: the run ends here"
        )
    # A malformed cursor is a ValueError here: process_shop_event records the message as unparseable (a log
    # line and metric with the reason) and it is not retried; the shop's later pages are skipped that day.
    profiles, cursor = deps.data.profiles_page(shop, page.cursor, DAILY_PAGE_SIZE)
    handled, started, birthdays = _daily_profiles(config, profiles, at, deps)
    if handled < len(profiles):  # the calls' cap: the rest of this page is the next message's
        cursor = deps.data.profiles_cursor(shop, profiles[handled - 1].customer_key)
    if cursor is not None:  # queued before the mark: a crash in between redoes this page, never skips one
        _need_events(deps).send(daily_page_message(shop, at, cursor, page.page + 1, envelope.correlation_id))
    deps.data.mark_daily_page_done(shop, page_id, at)
    more = ", next page queued" if cursor is not None else ""
    return EventOutcome(
        "processed",
        f"page {page.page}, {handled} profiles{more}: "
        f"{started} win-back flows started, {birthdays} birthday texts queued",
    )


def _daily_profiles(
    config: ShopConfig, profiles: list[ProfileRecord], at: datetime, deps: ShopEventDeps
) -> tuple[int, int, int]:
    """Win-back and birthdays for the profiles, in order, until DAILY_MAX_CALLS calls were made: how many
    profiles were handled (all of each: both its texts), flows started and birthday texts queued."""
    winback = config.flow_enabled(definitions.WINBACK.name)
    birthday = config.flow_enabled(definitions.BIRTHDAY.name)
    lapsed_after, lapsed_by = at - WINBACK_LAPSE[1], at - WINBACK_LAPSE[0]
    today = f"{at:%m-%d}"
    started = birthdays = calls = 0
    for handled, profile in enumerate(profiles, 1):
        if calls >= DAILY_MAX_CALLS:
            return handled - 1, started, birthdays
        if not profile.phone:
            continue
        last = profile.last_order_at
        if winback and last is not None and lapsed_after < last <= lapsed_by:
            context = {
                "phone": profile.phone,
                "customer_key": profile.customer_key,
                "first_name": profile.first_name,
            }
            subject = f"{stable_phone(profile.phone)}-{last:%Y%m%d}"
            calls += 1
            if steps.start(definitions.WINBACK, config.shop, subject, context, deps.flow_deps):
                started += 1
        if birthday and profile.birthday == today:
            calls += 1
            birthdays += steps.send_direct(
                definitions.BIRTHDAY, config.shop, profile.phone,
                f"birthday:{config.shop}:{stable_phone(profile.phone)}:{at:%Y}",
                {"first_name": profile.first_name}, deps.flow_deps,
            )  # fmt: skip
    return len(profiles), started, birthdays


def _need_consent(deps: ShopEventDeps) -> ConsentDeps:
    if deps.consent is None:
        raise RuntimeError("consent dependencies are not wired")
    return deps.consent


def _need_privacy(deps: ShopEventDeps) -> PrivacyDeps:
    if deps.privacy is None:
        raise RuntimeError("privacy dependencies are not wired")
    return deps.privacy


def _consent_update(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
    if not isinstance(payload, dict):
        raise ValueError("consent payload is not an object")
    result = subscriptions.shopify_consent_update(
        envelope.shop, envelope.webhook_id, payload, _need_consent(deps)
    )
    return EventOutcome("processed", result)


def _checkout(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
    """The SMS consent box of Shopify's checkout (buyer_accepts_sms_marketing + sms_marketing_phone), then
    the abandoned-checkout flow."""
    consent = _checkout_consent(envelope, payload, deps)
    flow = _checkout_flow(envelope, payload, deps)
    return EventOutcome("processed", f"{consent}; {flow}" if consent else flow)


def _checkout_consent(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> str | None:
    """The checkout's SMS consent, recorded; None when it has none."""
    if not isinstance(payload, dict) or "token" not in payload:
        raise ValueError("checkout payload without a token")
    if not payload.get("buyer_accepts_sms_marketing") or not payload.get("sms_marketing_phone"):
        return None
    customer = payload.get("customer") or {}
    result = subscriptions.shopify_consent_update(
        envelope.shop,
        f"checkout-{payload['token']}",
        {
            "id": customer.get("id"),
            "phone": payload["sms_marketing_phone"],
            "sms_marketing_consent": {"state": "subscribed", "consent_collected_from": "SHOPIFY_CHECKOUT"},
        },
        _need_consent(deps),
    )
    return f"checkout consent: {result}"


def _consent_recorded(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> str:
    if not isinstance(payload, dict):
        raise ValueError("consent payload is not an object")
    result = subscriptions.shopify_consent_update(
        envelope.shop, envelope.webhook_id, payload, _need_consent(deps)
    )
    return f"consent {result}"


def _data_request(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
    return EventOutcome("processed", privacy.data_request(envelope.shop, payload, _need_privacy(deps)))


def _customer_redact(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
    return EventOutcome("processed", privacy.redact_customer(envelope.shop, payload, _need_privacy(deps)))


def _shop_redact(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
    return EventOutcome("processed", privacy.redact_shop(envelope.shop, _need_privacy(deps)))


def _uninstalled(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
    return EventOutcome("processed", privacy.uninstalled(envelope.shop, _need_privacy(deps)))


_TOPICS = {
    "orders/create": _order_created,
    "customers_marketing_consent/update": _consent_update,
    "checkouts/create": _checkout,
    "checkouts/update": _checkout,
    "customers/data_request": _data_request,
    "customers/redact": _customer_redact,
    "shop/redact": _shop_redact,
    "app/uninstalled": _uninstalled,
    "fulfillments/create": _fulfillment_created,
    "fulfillment_events/create": _fulfillment_event,
    "smsflows/subscribed": _subscribed,
    "smsflows/daily": _daily,
    DAILY_SHOP_TOPIC: _daily_shop,
    "smsflows/opted_out": _opted_out,
    "customers/create": _customer,
    "customers/update": _customer,
    "products/update": _product,
    "storefront/product_viewed": _product_viewed,
    "storefront/checkout_started": _checkout_started,
    subscriptions.CONSENT_SYNC_TOPIC: _consent_sync,
}
# What a shop that texts nobody still takes from an event: consent, which is the shop's whatever its state (a
# revocation must never be lost). The checkout itself is not kept and no flow starts.
_WHEN_NOT_TEXTING: dict[str, Callable[[ShopEventEnvelope, Any, ShopEventDeps], str | None]] = {
    "customers_marketing_consent/update": _consent_recorded,
    "checkouts/create": _checkout_consent,
    "checkouts/update": _checkout_consent,
}

# Topics that come from somewhere else than Shopify's webhooks: the system's own (smsflows/…) and the
# storefront's pixel (storefront/…).
_INTERNAL_PREFIXES = ("smsflows/", "storefront/")


def shopify_topics() -> frozenset[str]:
    """The Shopify webhook topics this consumer handles: what shopify/shopify.app.toml must subscribe to
    (`smsflows shopify check`, tests/unit/shopify/test_app_config.py)."""
    return frozenset(t for t in _TOPICS if not t.startswith(_INTERNAL_PREFIXES))
