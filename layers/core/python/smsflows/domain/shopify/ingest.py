"""Use case: accept one Shopify webhook. Verify, dedupe, keep, hand off; nothing slow."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from smsflows.domain import json_bodies
from smsflows.domain.shopify import webhooks
from smsflows.domain.shopify.records import STALE_ACCEPTING, InboxRecord
from smsflows.ports import Queue, WebhookInbox
from smsflows.runtime.clock import Clock
from smsflows.runtime.errors import BadRequest, Conflict, PayloadTooLarge, Unauthorized

# The body travels on SQS when it is small; larger ones are read back from the inbox by the consumer.
INLINE_BODY_LIMIT = 200_000
# API Gateway takes 10 MB, Lambda 6 MB; Shopify's bodies are far smaller. The inbox splits a body whose
# compressed form does not fit one DynamoDB item (400 KB) over several, so anything up to this is kept.
MAX_BODY_BYTES = 5_000_000


def envelope(record: InboxRecord) -> dict[str, object]:
    """What the shop-events consumer gets for a stored webhook: its routing, and its body when that is small
    and UTF-8 (otherwise the consumer reads the raw bytes back from the inbox). Used by the webhook route and
    by `smsflows webhooks replay`."""
    out: dict[str, object] = {
        "shop": record.shop,
        "topic": record.topic,
        "webhook_id": record.webhook_id,
        "api_version": record.api_version,
        "received_at": record.received_at.isoformat(),
        "correlation_id": f"shopify:{record.webhook_id}",
    }
    if len(record.body) <= INLINE_BODY_LIMIT:
        with contextlib.suppress(UnicodeDecodeError):
            out["body"] = record.body.decode("utf-8")
    return out


@dataclass(frozen=True)
class Accepted:
    outcome: str  # queued | duplicate | unparseable (EventBridge also: ignored | dropped)
    shop: str
    topic: str
    webhook_id: str
    reason: str | None = None  # why it was ignored or dropped (EventBridge deliveries)


def accept_shopify_webhook(
    body: bytes,
    headers: Mapping[str, str],
    *,
    secret_for: Callable[[str], bytes | None],
    inbox: WebhookInbox,
    queue: Queue,
    clock: Clock,
    time_scale: float = 1.0,
) -> Accepted:
    """An HTTPS delivery: authentic when its HMAC verifies over the raw body; then `accept_authentic`."""
    h = webhooks.WebhookHeaders.from_headers(headers)
    if not h.hmac:
        raise Unauthorized("missing X-Shopify-Hmac-Sha256")
    if not h.shop or not webhooks.SHOP_DOMAIN.match(h.shop):
        raise Unauthorized("missing or invalid X-Shopify-Shop-Domain")
    secret = secret_for(h.shop)
    if not secret or not webhooks.verify(secret, body, h.hmac):
        raise Unauthorized("HMAC does not match")
    return accept_authentic(body, h, inbox=inbox, queue=queue, clock=clock, time_scale=time_scale)


def accept_authentic(
    body: bytes,
    h: webhooks.WebhookHeaders,
    *,
    inbox: WebhookInbox,
    queue: Queue,
    clock: Clock,
    time_scale: float = 1.0,
) -> Accepted:
    """An authentic webhook, whichever way it came (HTTPS with its HMAC verified, or EventBridge from the
    partner event source): dedupe on the webhook id, keep the raw body, hand off to the shop-events queue.
    Both delivery paths share this, so a webhook delivered both ways is one webhook."""
    # Missing routing headers are a client bug: 400, nothing stored.
    if not h.shop or not webhooks.SHOP_DOMAIN.match(h.shop):
        raise BadRequest("missing or invalid X-Shopify-Shop-Domain")
    if not h.topic or not webhooks.TOPIC.match(h.topic):
        raise BadRequest("missing or invalid X-Shopify-Topic")
    if not h.webhook_id or not webhooks.WEBHOOK_ID.match(h.webhook_id):
        raise BadRequest("missing or invalid X-Shopify-Webhook-Id")
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body of {len(body)} bytes is over {MAX_BODY_BYTES}")

    try:
        parsed = json_bodies.loads(body)
        reason = None if isinstance(parsed, dict) else "body is not a JSON object"
    except json_bodies.BadJson as exc:
        reason = f"body is not usable JSON: {exc}"
    parseable = reason is None

    record = InboxRecord(
        shop=h.shop,
        webhook_id=h.webhook_id,
        topic=h.topic,
        api_version=h.api_version,
        received_at=clock(),
        body=body,
        # "accepting" until the hand-off succeeded: a failure in between leaves the id retryable (the inbox
        # lets a redelivery take over an accepting record once it is stale, see STALE_ACCEPTING)
        state="accepting" if parseable else "unparseable",
        reason=reason,
    )
    # STALE_ACCEPTING is real time (the function's timeout), the records' clock may run faster (the local
    # cloud's --time-scale): scaled, as the sender scales its stale claims.
    claimed = inbox.record(record, STALE_ACCEPTING * time_scale)
    if claimed == "in_progress":
        raise Conflict("this webhook is being accepted by another request; retry later")
    if not claimed:
        return Accepted("duplicate", h.shop, h.topic, h.webhook_id)
    if not parseable:
        # Kept for replay (`smsflows replay`), acknowledged so Shopify does not retry for 4 hours.
        return Accepted("unparseable", h.shop, h.topic, h.webhook_id)

    try:
        queue.send(envelope(record))
        inbox.mark(h.shop, h.webhook_id, "received")
    except Exception:
        # Not handed off (or not known to be): make the id retryable at once, and fail so that it is retried
        # (a 5xx Shopify retries; over EventBridge, SQS redelivers the record). If even the forget fails,
        # the record stays "accepting" and goes stale: the retry takes it.
        with contextlib.suppress(Exception):  # the original error is the one to report
            inbox.forget(h.shop, h.webhook_id)
        raise
    return Accepted("queued", h.shop, h.topic, h.webhook_id)
