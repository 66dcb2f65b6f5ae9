"""Use case: act on one accepted Shopify event (from the shop-events queue)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from smsflows.domain import flows, messages, shopify
from smsflows.domain.models import OrderRecord, ProfileRecord
from smsflows.domain.phones import first_usable
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
    deps.data.save_order(record, profile)
    if not phone.usable:
        return EventOutcome("processed", f"no usable phone ({phone.status})")

    brand = messages.brand_from_shop(envelope.shop)
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


_TOPICS = {
    "orders/create": _order_created,
}
