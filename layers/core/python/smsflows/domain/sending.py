"""Use case: send one queued message, exactly once, and only if it may be sent right now.

The sender is the last line of defence (DESIGN.md): right before the provider call it re-reads consent,
the suppression list and the frequency history, checks quiet hours in every candidate location, and
claims the message id in one atomic write that fails if consent changed since the read.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from smsflows.domain import frequency, provider_errors, quiet_hours
from smsflows.domain.encoding import segment_info
from smsflows.domain.locations import Address, candidate_locations
from smsflows.domain.messages import OutboundMessage
from smsflows.domain.shops import ShopConfig
from smsflows.ports import MessageLog, Queue, SendConditions, Sender, ShopConfigs, SmsProvider
from smsflows.runtime.clock import Clock
from smsflows.runtime.errors import ProviderError, TransientError

MAX_SQS_DELAY_S = 900


@dataclass(frozen=True)
class SendOutcome:
    outcome: str  # sent | duplicate | failed | expired | suppressed | deferred | skipped
    sid: str | None = None
    segments: int | None = None
    detail: str = ""
    until: datetime | None = None


@dataclass
class SendDeps:
    log: MessageLog
    provider: SmsProvider
    sender: Sender
    clock: Clock
    shops: ShopConfigs | None = None
    requeue: Queue | None = None  # the send queue, for deferrals
    on_provider_opt_out: Callable[[str, str, str], Any] | None = None  # (shop, phone, message_id)
    status_callback_url: str | None = None  # the API's public base URL; /sms/status?mid=… is added
    delay_scale: float = 1.0  # the local cloud's time scale: virtual seconds per real second


def _defer(
    message: OutboundMessage, until: datetime, reason: str, now: datetime, deps: SendDeps
) -> SendOutcome:
    if deps.requeue is None:
        raise TransientError(f"deferral needed ({reason}) but no queue to defer to")
    if message.not_after is not None and until > message.not_after:
        deps.log.fail(
            message.message_id, None, f"expired: {reason} until {until.isoformat()} after not_after", now
        )
        return SendOutcome("expired", detail=reason)
    virtual = (until - now).total_seconds()
    delay = min(MAX_SQS_DELAY_S, max(0, math.ceil(virtual / deps.delay_scale)))
    deps.requeue.send(message.model_dump(mode="json"), delay_seconds=delay)
    return SendOutcome("deferred", detail=reason, until=until)


def send_one(message: OutboundMessage, deps: SendDeps) -> SendOutcome:
    now = deps.clock()
    if message.not_after is not None and now > message.not_after:
        deps.log.fail(message.message_id, None, "expired before it could be sent", now)
        return SendOutcome("expired", detail="not_after passed")
    config = (deps.shops.get(message.shop) if deps.shops else None) or ShopConfig(shop=message.shop)
    if not config.active:
        deps.log.fail(message.message_id, None, f"shop {config.status}", now)
        return SendOutcome("suppressed", detail=f"shop {config.status}")

    snap = deps.log.snapshot(message.shop, message.to)
    if snap.unreachable:
        deps.log.fail(message.message_id, None, "number unreachable (suppressed after a carrier error)", now)
        return SendOutcome("suppressed", detail="number unreachable")
    state = snap.state
    opted_out = snap.suppressed or (state is not None and state.status == "unsubscribed")
    conditions = SendConditions()
    extra: dict[str, Any] = {}
    if message.category == "marketing":
        if opted_out or state is None or not state.subscribed:
            reason = "opted out" if opted_out else "no marketing consent"
            deps.log.fail(message.message_id, None, reason, now)
            return SendOutcome("suppressed", detail=reason)
        addresses = [Address(country, region) for country, region, _ in state.addresses]
        default = addresses[0] if addresses else None
        shipping = addresses[1] if len(addresses) > 1 else None
        locations = candidate_locations(message.to, default, shipping)
        if not quiet_hours.is_allowed(now, locations, config.override_week):
            try:
                until = quiet_hours.next_allowed(now, locations, config.override_week)
            except quiet_hours.NoAllowedWindow:
                deps.log.fail(
                    message.message_id, None, "no lawful sending window for the recipient's locations", now
                )
                return SendOutcome("suppressed", detail="no lawful window")
            return _defer(message, until, "quiet_hours", now, deps)
        cap = frequency.check(
            snap.history, now, message.flow, config.max_marketing_per_30_days, config.smart_sending_hours
        )
        if not cap.allowed:
            if cap.retry_at is None:
                deps.log.fail(message.message_id, None, f"skipped: {cap.reason}", now)
                return SendOutcome("skipped", detail=cap.reason)
            return _defer(message, cap.retry_at, cap.reason, now, deps)
        conditions = SendConditions(
            state_version=state.version,
            require_subscribed=True,
            frequency=(snap.history_version, frequency.record(snap.history, now, message.flow)),
        )
        extra = {
            "quiet_hours_rules": quiet_hours.RULES_VERSION,
            "locations": ",".join(sorted({loc.time_zone for loc in locations})),
        }
    elif message.category == "transactional":
        if opted_out:
            deps.log.fail(message.message_id, None, "opted out", now)
            return SendOutcome("suppressed", detail="opted out")
        conditions = SendConditions(forbid_unsubscribed=True)
    # compliance replies (opt-in requests) go out whatever the state: the recipient just asked for them

    found = deps.log.begin(message, now, conditions)
    if found == "consent_changed":
        deps.log.fail(message.message_id, None, "consent changed just before sending", now)
        return SendOutcome("suppressed", detail="consent changed")
    if found == "frequency_conflict":
        raise TransientError("another send reserved the frequency slot first; retry")
    if found is not None:
        # Claimed before: sent already, failed for good, or a previous attempt died while the provider
        # call was in flight. In that last case we cannot know whether the provider accepted it, and a
        # duplicate text is worse than a missing one: it stays 'sending' for an operator to see.
        return SendOutcome("duplicate", detail=f"already {found}")

    try:
        callback = (
            f"{deps.status_callback_url.rstrip('/')}/sms/status?mid={quote(message.message_id, safe='')}"
            if deps.status_callback_url
            else None
        )
        receipt = deps.provider.send(
            to=message.to, body=message.body, sender=deps.sender, status_callback=callback
        )
    except ProviderError as exc:
        if exc.retryable:
            deps.log.release(message.message_id, f"provider {exc.provider_code or exc.http_status}: retry")
            raise TransientError(str(exc)) from exc
        deps.log.fail(message.message_id, exc.provider_code, str(exc)[:300], deps.clock())
        action = provider_errors.action_for(exc.provider_code)
        if action == "mark_opted_out" and deps.on_provider_opt_out is not None:
            deps.on_provider_opt_out(message.shop, message.to, message.message_id)
            return SendOutcome("suppressed", detail="provider says opted out (21610)")
        if action == "suppress_number":
            deps.log.mark_unreachable(message.shop, message.to, f"twilio {exc.provider_code}", deps.clock())
            return SendOutcome("suppressed", detail=f"number unreachable ({exc.provider_code}): suppressed")
        if action in ("config_error", "content_error"):
            return SendOutcome(
                "failed", detail=f"{action} {exc.provider_code}: needs an operator, not a retry"
            )
        return SendOutcome("failed", detail=f"provider refused: {exc.provider_code}")

    segments = receipt.segments if receipt.segments is not None else segment_info(message.body).segments
    deps.log.complete(message.message_id, receipt, deps.clock(), extra)
    return SendOutcome("sent", sid=receipt.sid, segments=segments)
