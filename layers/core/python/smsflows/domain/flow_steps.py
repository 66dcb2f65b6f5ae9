"""Use case behind the flow_step Lambda task: decide whether a flow step sends, and render it.

`order` is the stored order item (plain values), as the state machine's getItem read it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from smsflows.domain import messages
from smsflows.domain.flows import FLOWS


def render_step(event: dict[str, Any], order: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    """{'send': bool, 'reason': str, 'message': JSON string or ''} for the Choice and SQS states."""
    flow = FLOWS.get(str(event.get("flow")))
    if flow is None:
        raise ValueError(f"unknown flow {event.get('flow')!r}")
    context = event.get("context") or {}
    shop = str(context.get("shop", ""))
    if not order:
        return {"send": False, "reason": "order_not_found", "message": ""}
    if order.get("cancelled"):
        return {"send": False, "reason": "order_cancelled", "message": ""}
    phone = order.get("phone")
    if not phone:
        return {"send": False, "reason": "no_usable_phone", "message": ""}
    brand = messages.brand_from_shop(shop)
    body = messages.order_followup_text(brand, str(order.get("name", "")))
    message = messages.OutboundMessage(
        message_id=f"flow:{flow.name}:{event.get('execution')}:{event.get('step')}",
        shop=shop,
        to=str(phone),
        body=body,
        category="transactional",
        flow=flow.name,
        created_at=now,
    )
    return {"send": True, "reason": "ok", "message": message.model_dump_json()}
