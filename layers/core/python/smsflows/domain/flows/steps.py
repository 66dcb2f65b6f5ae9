"""Flows at run time: starting them (deterministic names, per-shop timing), the flow_step "plan" task of
the state machines, and the direct (one-step, immediate) transactional texts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from smsflows.domain import correlation
from smsflows.domain.analytics import lift
from smsflows.domain.compliance import quiet_hours
from smsflows.domain.compliance.locations import Address, candidate_locations
from smsflows.domain.consent.ledger import SubscriberState
from smsflows.domain.flows import definitions, templates
from smsflows.domain.flows.definitions import FlowDefinition
from smsflows.domain.messages import OutboundMessage
from smsflows.domain.profiles import ProfileRecord
from smsflows.domain.shops import ShopConfig, not_texting
from smsflows.ports import FlowStarter, Queue, ShopConfigs
from smsflows.runtime.clock import Clock


class FlowReads(Protocol):
    """What a flow step reads before deciding (one round trip in the DynamoDB adapter)."""

    def flow_snapshot(
        self, shop: str, phone: str, customer_key: str | None
    ) -> tuple[SubscriberState | None, ProfileRecord | None]: ...


class FlowEntries(Protocol):
    """Who entered a flow with a holdout, and in which group (adapters/measurement.py)."""

    def enter(self, shop: str, flow: str, group: str, phone: str, execution: str, at: datetime) -> bool: ...


@dataclass
class FlowDeps:
    shops: ShopConfigs
    starter: FlowStarter
    send_queue: Queue
    clock: Clock
    reads: FlowReads | None = None
    entries: FlowEntries | None = None  # a flow's holdout (issue 16): its entrants recorded, by group


def _texting(shops: ShopConfigs, shop: str, flow: str) -> ShopConfig | None:
    """The shop's config if it texts now (onboarded, active) and has `flow` on; else None: no config is
    made up for a shop nobody onboarded."""
    config = shops.get(shop)
    if config is None or not config.active or not config.flow_enabled(flow):
        return None
    return config


def start(
    definition: FlowDefinition, shop: str, subject_id: str, context: dict[str, Any], deps: FlowDeps
) -> str | None:
    """Start a state-machine flow; its name if started, None if the shop does not text now, the flow is
    disabled, or it was started before (idempotent)."""
    config = _texting(deps.shops, shop, definition.name)
    if config is None:
        return None
    name = definitions.execution_name(definition, shop, subject_id)
    holdout = config.flow(definition.name).holdout
    phone = str(context.get("phone") or "")
    if holdout > 0 and definition.category == "marketing" and phone and deps.entries is not None:
        # the flow's lift (issue 16): each entrant recorded in its group; the held out are never texted
        group = lift.flow_group(definition.name, phone, holdout)
        deps.entries.enter(shop, definition.name, group, phone, name, deps.clock())
        if group == "holdout":
            return None
    started_by = correlation.current.get()  # the event that started the flow follows its texts
    payload = definitions.flow_input(
        {"shop": shop, **context, **({"correlation_id": started_by} if started_by else {})},
        definitions.offsets(config, definition),
        deps.clock(),
    )
    return name if deps.starter.start(definition.name, name, payload) else None


def values_for(
    config: ShopConfig, definition: FlowDefinition, index: int, context: dict[str, Any]
) -> dict[str, Any]:
    values = {k: context.get(k) for k in templates.PLACEHOLDERS}
    values.update(
        shop_name=config.brand,
        shop_url=config.storefront(),
        discount_code=definitions.discount_code(config, definition, index),
    )
    return values


def send_direct(
    definition: FlowDefinition,
    shop: str,
    phone: str,
    message_id: str,
    context: dict[str, Any],
    deps: FlowDeps,
) -> bool:
    """An immediate transactional text (order confirmation, shipping, delivered, delayed); False when the
    shop does not text now or the flow is off."""
    config = _texting(deps.shops, shop, definition.name)
    if config is None:
        return False
    text = templates.render(
        definitions.template(config, definition, 0),
        values_for(config, definition, 0, context),
        brand=config.brand,
        marketing=False,
    )
    message = OutboundMessage(
        message_id=message_id, shop=shop, to=phone, body=text, category=definition.category, flow=definition.name,
        created_at=deps.clock(), correlation_id=context.get("correlation_id") or correlation.current.get(), step=0,
    )  # fmt: skip
    deps.send_queue.send(message.model_dump(mode="json"))
    return True


def _decision(decision: str, reason: str, send_at: str = "", message: str = "") -> dict[str, Any]:
    return {"decision": decision, "reason": reason, "send_at": send_at, "message": message}


def plan(event: dict[str, Any], deps: FlowDeps) -> dict[str, Any]:
    """The flow_step task: exit, wait for quiet hours, or send (with the rendered message)."""
    definition = definitions.FLOWS.get(str(event.get("flow")))
    if definition is None or definition.runner != "state_machine":
        raise ValueError(f"unknown flow {event.get('flow')!r}")
    index = int(event["step"])
    context = dict(event.get("context") or {})
    shop, phone = str(context["shop"]), str(context["phone"])
    config = deps.shops.get(shop)
    if config is None or not config.active:
        return _decision("exit", not_texting(config) or f"shop_{config.status if config else 'unknown'}")
    if not config.flow_enabled(definition.name):
        return _decision("exit", "flow disabled by the shop")
    if deps.reads is None:
        raise RuntimeError("flow reads are not wired")
    state, profile = deps.reads.flow_snapshot(shop, phone, context.get("customer_key"))
    marketing = definition.category == "marketing"
    if marketing and (state is None or not state.subscribed):
        return _decision(
            "exit", "opted out" if state and state.status == "unsubscribed" else "no marketing consent"
        )
    started = datetime.fromisoformat(str(context["started_at"]))
    if (
        "ordered_since_start" in definition.exits
        and profile
        and profile.last_order_at
        and profile.last_order_at > started
    ):
        return _decision("exit", "ordered since the flow started")
    now = deps.clock()
    if marketing and state is not None:
        places = [Address(country, region) for country, region, _ in state.addresses]
        default, shipping = (places[0] if places else None), (places[1] if len(places) > 1 else None)
        locations = candidate_locations(phone, default, shipping, shop_country=config.default_country)
        if not quiet_hours.is_allowed(now, locations, quiet_hours.override_week(config)):
            try:
                until = quiet_hours.next_allowed(now, locations, quiet_hours.override_week(config))
            except quiet_hours.NoAllowedWindow:
                return _decision("exit", "no lawful sending window for the recipient's locations")
            return _decision(
                "wait", "quiet hours in the recipient's time zone", definitions.sfn_timestamp(until)
            )
    if profile and profile.first_name and not context.get("first_name"):
        context["first_name"] = profile.first_name
    text = templates.render(
        definitions.template(config, definition, index), values_for(config, definition, index, context), brand=config.brand,
        marketing=marketing,
    )  # fmt: skip
    message = OutboundMessage(
        message_id=f"flow:{definition.name}:{event.get('execution')}:{index}", shop=shop, to=phone, body=text,
        category=definition.category, flow=definition.name, created_at=now,
        correlation_id=context.get("correlation_id") or f"flow:{event.get('execution')}", step=index,
        discount_code=definitions.discount_code(config, definition, index),
    )  # fmt: skip
    return _decision("send", "ok", message=message.model_dump_json())
