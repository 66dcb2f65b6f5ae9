"""Use case: act on one accepted Shopify event (from the shop-events queue)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from smsflows.domain import flows, messages, privacy, shopify, subscriptions
from smsflows.domain.models import OrderRecord, ProfileRecord
from smsflows.domain.phones import first_usable
from smsflows.domain.privacy import PrivacyDeps
from smsflows.domain.subscriptions import ConsentDeps
from smsflows.ports import FlowStarter, Queue, ShopDataRepository, WebhookInbox
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


def process_shop_event(envelope: ShopEventEnvelope, deps: ShopEventDeps) -> EventOutcome:
    handler = _TOPICS.get(envelope.topic)
    if handler is None:
        deps.inbox.mark(envelope.shop, envelope.webhook_id, "ignored", f"unsupported topic {envelope.topic}")
        return EventOutcome("ignored", envelope.topic)
    raw = envelope.body
    if raw is None:
        stored = deps.inbox.get(envelope.shop, envelope.webhook_id)
        if stored is None:
            raise LookupError(f"webhook {envelope.webhook_id} is not in the inbox")
        raw = stored.body.decode("utf-8")
    try:
        payload = json.loads(raw)
        return handler(envelope, payload, deps)
    except (ValueError, ValidationError) as exc:
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
    order = shopify.Order.model_validate(payload)
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
    if not phone.usable or phone.e164 is None:
        return EventOutcome("processed", f"no usable phone ({phone.status})")

    config = deps.consent.shops.get(envelope.shop) if deps.consent else None
    brand = config.brand if config else messages.brand_from_shop(envelope.shop)
    confirmation = messages.OutboundMessage(
        message_id=f"order-confirmation:{envelope.shop}:{order.id}",
        shop=envelope.shop,
        to=phone.e164 or "",
        body=messages.order_confirmation_text(brand, order.name, first_name),
        category="transactional",
        created_at=now,
    )
    deps.send_queue.send(confirmation.model_dump(mode="json"))
    flow = flows.ORDER_FOLLOWUP
    deps.flows.start(
        flow.name,
        flows.execution_name(flow, envelope.shop, str(order.id)),
        flows.order_flow_input(envelope.shop, str(order.id)),
    )
    return EventOutcome("processed", "order confirmation queued")


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
    """The SMS consent box of Shopify's checkout (buyer_accepts_sms_marketing + sms_marketing_phone)."""
    if not isinstance(payload, dict) or "token" not in payload:
        raise ValueError("checkout payload without a token")
    if not payload.get("buyer_accepts_sms_marketing") or not payload.get("sms_marketing_phone"):
        return EventOutcome("processed", "no SMS consent on this checkout")
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
    return EventOutcome("processed", f"checkout consent: {result}")


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
}
