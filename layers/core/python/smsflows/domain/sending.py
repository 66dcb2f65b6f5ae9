"""Use case: send one queued message, exactly once, through the provider port."""

from __future__ import annotations

from dataclasses import dataclass

from smsflows.domain.encoding import segment_info
from smsflows.domain.messages import OutboundMessage
from smsflows.ports import MessageLog, Sender, SmsProvider
from smsflows.runtime.clock import Clock
from smsflows.runtime.errors import ProviderError, TransientError


@dataclass(frozen=True)
class SendOutcome:
    outcome: str  # sent | duplicate | failed | expired
    sid: str | None = None
    segments: int | None = None
    detail: str = ""


@dataclass
class SendDeps:
    log: MessageLog
    provider: SmsProvider
    sender: Sender
    clock: Clock
    status_callback_url: str | None = None


def send_one(message: OutboundMessage, deps: SendDeps) -> SendOutcome:
    now = deps.clock()
    if message.not_after is not None and now > message.not_after:
        deps.log.fail(message.message_id, None, "expired before it could be sent", now)
        return SendOutcome("expired", detail="not_after passed")

    found = deps.log.begin(message, now)
    if found is not None:
        # Claimed before: sent already, failed for good, or a previous attempt died while the
        # provider call was in flight. In that last case we do not know whether the provider
        # accepted it, and a duplicate text is worse than a missing transactional one: it stays
        # 'sending' for an operator to see (issue: sender at carrier scale refines this window).
        return SendOutcome("duplicate", detail=f"already {found}")

    try:
        receipt = deps.provider.send(
            to=message.to, body=message.body, sender=deps.sender, status_callback=deps.status_callback_url
        )
    except ProviderError as exc:
        if exc.retryable:
            deps.log.release(message.message_id, f"provider {exc.provider_code or exc.http_status}: retry")
            raise TransientError(str(exc)) from exc
        deps.log.fail(message.message_id, exc.provider_code, str(exc)[:300], deps.clock())
        return SendOutcome("failed", detail=f"provider refused: {exc.provider_code}")

    segments = receipt.segments if receipt.segments is not None else segment_info(message.body).segments
    deps.log.complete(message.message_id, receipt, deps.clock())
    return SendOutcome("sent", sid=receipt.sid, segments=segments)
