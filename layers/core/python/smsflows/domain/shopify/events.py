"""Use case: act on one accepted Shopify event (from the shop-events queue)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from smsflows.domain import json_bodies, keys
from smsflows.domain.consent import subscriptions
from smsflows.domain.consent.subscriptions import ConsentDeps
from smsflows.domain.flows import definitions, steps
from smsflows.domain.flows.steps import FlowDeps
from smsflows.domain.phones import first_usable
from smsflows.domain.profiles import ProfileRecord
from smsflows.domain.shopify import privacy, webhooks
from smsflows.domain.shopify.privacy import PrivacyDeps
from smsflows.domain.shopify.records import CheckoutRecord, OrderRecord
from smsflows.ports import FlowStarter, Queue, ShopConfigs, ShopDataRepository, WebhookInbox
from smsflows.runtime.clock import Clock


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

    @property
    def flow_deps(self) -> FlowDeps:
        shops = self.shops or (self.consent.shops if self.consent else None)
        if shops is None:
            raise RuntimeError("shop configs are not wired")
        return FlowDeps(shops=shops, starter=self.flows, send_queue=self.send_queue, clock=self.clock)


def process_shop_event(envelope: ShopEventEnvelope, deps: ShopEventDeps) -> EventOutcome:
    handler = _TOPICS.get(envelope.topic)
    if handler is None:
        deps.inbox.mark(envelope.shop, envelope.webhook_id, "ignored", f"unsupported topic {envelope.topic}")
        return EventOutcome("ignored", envelope.topic)
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
    try:
        payload = json_bodies.loads(raw)
        return handler(envelope, payload, deps)
    except (ValueError, ValidationError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        # ValueError includes a body that is not UTF-8 or JSON; the others are a payload whose shape we did
        # not expect (a list where an object was, a missing key): deterministic, so a retry cannot help.
        # Authentic but not what we understand: keep it for replay, do not retry forever.
        reason = _short_reason(exc)
        deps.inbox.mark(envelope.shop, envelope.webhook_id, "unparseable", reason)
        return EventOutcome("unparseable", reason)


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
    sent = steps.send_direct(
        definitions.ORDER_CONFIRMATION,
        envelope.shop,
        phone.e164,
        f"order-confirmation:{envelope.shop}:{order.id}",
        {"first_name": first_name, "order_name": order.name, "product": record.product},
        deps.flow_deps,
    )
    detail = "order confirmation queued" if sent else "order confirmation disabled"
    return EventOutcome("processed", detail + (f", {stopped} checkout flow stopped" if stopped else ""))


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


def _customer(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
    customer = webhooks.ShopifyCustomer.model_validate(payload)
    birthday = customer.birthday()
    if birthday is None:
        return EventOutcome("processed", "no birthday tag")
    deps.data.set_birthday(envelope.shop, f"customer:{customer.id}", birthday, deps.clock())
    return EventOutcome("processed", "birthday noted")


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
    """storefront/product_viewed: put on the shop-events queue by a product-view source (e.g. a web pixel
    relay the merchant runs); only logged-in customers can be matched to a profile."""

    model_config = ConfigDict(extra="ignore")

    customer_id: str
    product: str
    product_url: str | None = None
    product_id: str | None = None


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
    subject = (
        f"{stable_phone(profile.phone)}-{view.product_id or stable_phone(view.product)}-{deps.clock():%Y%m%d}"
    )
    started = steps.start(definitions.BROWSE_ABANDONMENT, envelope.shop, subject, context, deps.flow_deps)
    return EventOutcome("processed", "browse flow " + ("started" if started else "not started"))


def stable_phone(phone: str) -> str:
    """Execution names show in the console: a phone's hash, not the number."""
    from smsflows.domain.messages import stable_id

    return "p" + stable_id(phone)


def _daily(envelope: ShopEventEnvelope, payload: Any, deps: ShopEventDeps) -> EventOutcome:
    """The daily schedule: win-back candidates (last order 30 days ago) of every active shop."""
    from datetime import timedelta

    now = deps.clock()
    shops = deps.flow_deps.shops
    started = 0
    for config in shops.all():
        if not config.active or not config.flow_enabled(definitions.WINBACK.name):
            continue
        for profile in deps.data.profiles(config.shop):
            last = profile.last_order_at
            if (
                not profile.phone
                or last is None
                or not (now - timedelta(days=31) < last <= now - timedelta(days=30))
            ):
                continue
            context = {
                "phone": profile.phone,
                "customer_key": profile.customer_key,
                "first_name": profile.first_name,
            }
            subject = f"{stable_phone(profile.phone)}-{last:%Y%m%d}"
            if steps.start(definitions.WINBACK, config.shop, subject, context, deps.flow_deps):
                started += 1
    birthdays = 0
    today = now.strftime("%m-%d")
    for config in shops.all():
        if not config.active:
            continue
        for profile in deps.data.profiles(config.shop):
            if profile.phone and profile.birthday == today:
                birthdays += steps.send_direct(
                    definitions.BIRTHDAY, config.shop, profile.phone,
                    f"birthday:{config.shop}:{stable_phone(profile.phone)}:{now:%Y}",
                    {"first_name": profile.first_name}, deps.flow_deps,
                )  # fmt: skip
    return EventOutcome("processed", f"{started} win-back flows started, {birthdays} birthday texts queued")


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
    if not isinstance(payload, dict) or "token" not in payload:
        raise ValueError("checkout payload without a token")
    if not payload.get("buyer_accepts_sms_marketing") or not payload.get("sms_marketing_phone"):
        return EventOutcome("processed", _checkout_flow(envelope, payload, deps))
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
    return EventOutcome("processed", f"checkout consent: {result}; {_checkout_flow(envelope, payload, deps)}")


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
    "smsflows/opted_out": _opted_out,
    "customers/create": _customer,
    "customers/update": _customer,
    "products/update": _product,
    "storefront/product_viewed": _product_viewed,
}
