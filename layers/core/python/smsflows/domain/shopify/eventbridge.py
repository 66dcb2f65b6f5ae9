"""Use case: accept one Shopify webhook that Amazon EventBridge delivered (the high-volume option).

A stage may have Shopify put its webhooks on an AWS partner event bus instead of POSTing them; a rule puts
each event on a queue the `shopify_eventbridge` function consumes. The event is the webhook: `detail.payload`
its body as a parsed JSON object, `detail.metadata` its delivery headers as a flat string map
(tests/events/shopify_app/eventbridge_event.json). From there it takes the HTTPS path's own steps
(`ingest.accept_authentic`): the same dedupe on the webhook id (X-Shopify-Webhook-Id, never the envelope's
`id`, which EventBridge assigns per put), the same raw-body keeping, the same hand-off to the shop-events
queue. So a webhook delivered both ways is one webhook, and its processing (id-only payloads included) is
the same.

There is no HMAC to check: Shopify signs HTTPS deliveries only, and the payload here is re-serialised, so a
signature in the metadata could not be verified anyway. Trust comes from the partner event source: only
Shopify can put events on it. So only an event whose `source` is the stage's configured partner event source
and whose `detail-type` is `shopifyWebhook` is accepted; anything else is logged and dropped (a retry would
not change it), as is an event too malformed to know which shop and webhook it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from smsflows.domain import json_bodies
from smsflows.domain.shopify import webhooks
from smsflows.domain.shopify.ingest import MAX_BODY_BYTES, Accepted, accept_authentic
from smsflows.domain.shopify.records import STALE_ACCEPTING, InboxRecord
from smsflows.ports import Queue, WebhookInbox
from smsflows.runtime.clock import Clock
from smsflows.runtime.errors import BadRequest, PayloadTooLarge

DETAIL_TYPE = "shopifyWebhook"
# An EventBridge message is at most 1 MiB (Shopify's payloads up to 1,000,000 bytes arrive inline); a body
# several times that is no Shopify webhook. Checked before parsing, as the HTTPS path bounds its body.
MAX_EVENT_BYTES = MAX_BODY_BYTES
# Metadata keys of Shopify's Events (developer preview) deliveries, which classic webhooks never carry.
EVENTS_PREVIEW_KEYS = ("shopify-action", "shopify-handle")


def metadata_headers(metadata: Mapping[str, Any]) -> dict[str, str]:
    """The delivery headers of `detail.metadata`, lowercased, each also under its `x-` spelling: the AWS
    sample writes X-Shopify-Hmac-SHA256, Shopify's library X-Shopify-Hmac-Sha256, Events deliveries
    shopify-topic. Where both spellings are present the X- one wins. Values that are not strings (none
    should be) are left out."""
    lower: dict[str, str] = {}
    for key, value in metadata.items():
        if isinstance(key, str) and isinstance(value, str):
            lower.setdefault(key.strip().lower(), value)
    out = dict(lower)
    for key, value in lower.items():
        if key.startswith("shopify-"):
            out.setdefault("x-" + key, value)
    return out


def payload_body(payload: Any) -> bytes:
    """The raw body kept for a webhook delivered as a parsed object: its JSON again, compact, UTF-8. Integers
    stay exact (Shopify's ids exceed 2^53; Python's json never routes them through float)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def is_events_preview(headers: Mapping[str, str]) -> bool:
    """An Events (developer preview) delivery: same envelope and detail-type, but a topic/action/handle
    payload about a GraphQL object, not a classic webhook's REST resource."""
    return any(headers.get(key) for key in EVENTS_PREVIEW_KEYS)


def accept_eventbridge_event(
    event: str | bytes | Mapping[str, Any],
    *,
    source: str | None,
    inbox: WebhookInbox,
    queue: Queue,
    clock: Clock,
    time_scale: float = 1.0,
) -> Accepted:
    """One EventBridge event (the SQS message body the rule put, or the event itself): accepted like an
    HTTPS delivery, or 'ignored' (an Events preview delivery, kept), or 'dropped' with the reason. Raises
    only what a retry can fix (the inbox or the queue failing, another delivery of it being accepted now)."""
    parsed = _parse(event)
    if isinstance(parsed, str):
        return _dropped(parsed)
    if not source:
        return _dropped("no partner event source is configured (SHOPIFY_EVENT_SOURCE)")
    if parsed.get("source") != source:
        return _dropped(f"source {str(parsed.get('source'))[:120]!r} is not the partner event source")
    if parsed.get("detail-type") != DETAIL_TYPE:
        return _dropped(f"detail-type {str(parsed.get('detail-type'))[:60]!r} is not {DETAIL_TYPE}")
    detail = parsed.get("detail")
    if not isinstance(detail, dict) or not isinstance(detail.get("metadata"), dict):
        return _dropped("detail.metadata is missing")
    if "payload" not in detail:
        return _dropped("detail.payload is missing")
    headers = metadata_headers(detail["metadata"])
    h = webhooks.WebhookHeaders.from_headers(headers)
    body = payload_body(detail["payload"])
    if is_events_preview(headers):
        return _events_preview(body, headers, h, inbox, clock, time_scale)
    try:
        return accept_authentic(body, h, inbox=inbox, queue=queue, clock=clock, time_scale=time_scale)
    except (BadRequest, PayloadTooLarge) as exc:
        # Authentic, but nothing can route it (a Shopify bug): over HTTPS a 400 with nothing stored.
        return _dropped(str(exc), h)


def _parse(event: str | bytes | Mapping[str, Any]) -> dict[str, Any] | str:
    """The event as an object, or why it is not one."""
    if isinstance(event, Mapping):
        return dict(event)
    if len(event) > MAX_EVENT_BYTES:
        return f"event of {len(event)} bytes is over {MAX_EVENT_BYTES}"
    try:
        parsed = json_bodies.loads(event)
    except json_bodies.BadJson as exc:
        return f"not an EventBridge event: {exc}"
    return parsed if isinstance(parsed, dict) else "not an EventBridge event: not a JSON object"


def _dropped(reason: str, h: webhooks.WebhookHeaders | None = None) -> Accepted:
    return Accepted(
        "dropped", (h.shop if h else None) or "", (h.topic if h else None) or "",
        (h.webhook_id if h else None) or "", reason,
    )  # fmt: skip


def _events_preview(
    body: bytes,
    headers: Mapping[str, str],
    h: webhooks.WebhookHeaders,
    inbox: WebhookInbox,
    clock: Clock,
    time_scale: float,
) -> Accepted:
    """An Events (developer preview) delivery is authentic but nothing smsflows consumes: kept in the inbox
    as 'ignored' with why (deduped on its webhook id like any delivery), never handed off."""
    topic, action = headers.get("shopify-topic", ""), headers.get("shopify-action", "")
    reason = (
        f"an Events (developer preview) delivery, not a classic webhook: topic {topic[:40]!r}, action "
        f"{action[:40]!r}, handle {headers.get('shopify-handle', '')[:60]!r}; smsflows consumes classic "
        "webhooks (shopify.app.toml [[webhooks.subscriptions]])"
    )
    if not h.shop or not webhooks.SHOP_DOMAIN.match(h.shop):
        return _dropped(f"{reason}; and no valid shop domain", h)
    if not h.webhook_id or not webhooks.WEBHOOK_ID.match(h.webhook_id):
        return _dropped(f"{reason}; and no valid webhook id", h)
    if len(body) > MAX_BODY_BYTES:
        return _dropped(f"{reason}; and a body over {MAX_BODY_BYTES} bytes", h)
    # "events/<object>_<action>": a topic of its own, never one a classic webhook has.
    stored_topic = "events/" + (re.sub(r"[^a-z_]+", "_", f"{topic}_{action}".lower()).strip("_") or "unknown")
    record = InboxRecord(
        shop=h.shop,
        webhook_id=h.webhook_id,
        topic=stored_topic,
        api_version=h.api_version,
        received_at=clock(),
        body=body,
        state="ignored",
        reason=reason,
    )
    claimed = inbox.record(record, STALE_ACCEPTING * time_scale)
    outcome = "ignored" if claimed is True else "duplicate"
    return Accepted(outcome, h.shop, stored_topic, h.webhook_id, reason)
