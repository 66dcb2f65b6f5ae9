"""The dead-letter queues of the three queues (shop events, marketing sends, transactional sends): what is
in them and why, and putting it back once the cause is fixed.

SQS hands out at most ten messages per receive. A listing keeps receiving, each message hidden for
`LIST_HIDE_S` so that the next receive returns others, until it has `limit` of a queue or the queue has no
more; then it makes every message it saw visible again at once. A listing changes nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from smsflows import topology
from smsflows.admin.errors import BadValue
from smsflows.admin.target import deps

QUEUE_KEYS = (
    topology.SHOP_EVENTS_QUEUE,
    topology.SEND_QUEUE,
    topology.TRANSACTIONAL_QUEUE,
    topology.CAMPAIGN_QUEUE,
    topology.SHOPIFY_EVENTBRIDGE_QUEUE,  # webhooks from the partner event bus (EventBridge delivery)
)
LIST_HIDE_S = 60  # long enough to page through a queue; a listing that dies leaves them hidden this long
REPLAY_HIDE_S = 30
ROW_KEYS = (
    "queue",
    "kind",
    "sqs_message_id",
    "sent_at",
    "receives",
    "message_id",
    "shop",
    "topic",
    "webhook_id",
    "state",
    "reason",
    "unreadable_body",
    "campaign",  # a campaign step: "CAMPAIGN_ID run RUN step N" (replaying it resumes the run there)
)

Progress = Callable[[str], None]  # called with the queue key after each message moved


def _configured_urls(found: Any) -> dict[str, str]:
    s = found.settings
    return {
        topology.SHOP_EVENTS_QUEUE: s.shop_events_queue_url,
        topology.SEND_QUEUE: s.send_queue_url,
        topology.TRANSACTIONAL_QUEUE: s.transactional_queue_url,
        topology.CAMPAIGN_QUEUE: s.campaign_queue_url,
        topology.SHOPIFY_EVENTBRIDGE_QUEUE: s.shopify_eventbridge_queue_url,
    }


def _sibling(sqs: Any, urls: dict[str, str], key: str) -> str:
    """A queue URL that was not configured, found by the name it has next to a configured one: the local
    cloud names its queues `<prefix>-<key>` (a stage's names are CDK's: there all three are configured)."""
    from botocore.exceptions import ClientError

    for other, url in urls.items():
        name = url.rstrip("/").rsplit("/", 1)[-1] if url else ""
        if name.endswith(f"-{other}"):
            try:
                return str(sqs.get_queue_url(QueueName=name[: -len(other)] + key)["QueueUrl"])
            except ClientError:
                return ""
    return ""


def dlq_urls(queue: str | None = None) -> dict[str, tuple[str, str]]:
    """{queue key: (its URL, its DLQ's URL)} from the settings and each queue's redrive policy."""
    if queue is not None and queue not in QUEUE_KEYS:
        raise BadValue(f"--queue: no queue {queue!r}; queues: {', '.join(QUEUE_KEYS)}")
    found = deps()
    sqs = found.client("sqs")
    urls = _configured_urls(found)
    out: dict[str, tuple[str, str]] = {}
    for key in QUEUE_KEYS:
        if queue and key != queue:
            continue
        url = urls[key] or _sibling(sqs, urls, key)
        if not url:
            continue
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]
        target = json.loads(attrs.get("RedrivePolicy", "{}")).get("deadLetterTargetArn")
        if target:
            dlq = sqs.get_queue_url(QueueName=target.rsplit(":", 1)[1])["QueueUrl"]
            out[key] = (url, str(dlq))
    return out


def dlq_counts(queue: str | None = None) -> dict[str, int]:
    """How many messages each DLQ holds (SQS's approximate count)."""
    sqs = deps().client("sqs")
    counts = {}
    for key, (_, dlq) in dlq_urls(queue).items():
        attrs = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
        counts[key] = int(attrs["Attributes"]["ApproximateNumberOfMessages"])
    return counts


def _receive(sqs: Any, dlq: str, want: int, hide_s: int, more_expected: bool) -> list[dict[str, Any]]:
    got = sqs.receive_message(
        QueueUrl=dlq,
        MaxNumberOfMessages=max(1, min(10, want)),
        VisibilityTimeout=hide_s,
        # a short receive samples some of SQS's servers and may come back empty while messages wait
        WaitTimeSeconds=1 if more_expected else 0,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    )
    return list(got.get("Messages", []))


def _messages(sqs: Any, dlq: str, limit: int, hide_s: int) -> Iterator[dict[str, Any]]:
    """Up to `limit` messages of `dlq`, each once, received ten at a time."""
    attrs = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
    expected = int(attrs["Attributes"]["ApproximateNumberOfMessages"])
    seen: set[str] = set()
    while len(seen) < limit:
        got = _receive(sqs, dlq, limit - len(seen), hide_s, more_expected=len(seen) < expected)
        fresh = [m for m in got if m["MessageId"] not in seen]
        if not fresh:
            return
        for message in fresh:
            seen.add(message["MessageId"])
            yield message


def _release(sqs: Any, dlq: str, handles: list[str]) -> None:
    """Make the listed messages visible again at once (ten per request, as SQS allows)."""
    for start in range(0, len(handles), 10):
        entries = [
            {"Id": str(n), "ReceiptHandle": h, "VisibilityTimeout": 0}
            for n, h in enumerate(handles[start : start + 10])
        ]
        sqs.change_message_visibility_batch(QueueUrl=dlq, Entries=entries)


def _error_attribute(message: dict[str, Any], body: dict[str, Any]) -> str | None:
    for name, value in (message.get("MessageAttributes") or {}).items():
        if name.lower() in ("error", "reason") and value.get("StringValue"):
            return str(value["StringValue"])
    error = body.get("error")
    return str(error) if error else None


def _row(key: str, message: dict[str, Any], found: Any) -> dict[str, Any]:
    attributes = message.get("Attributes") or {}
    sent = attributes.get("SentTimestamp")
    row: dict[str, Any] = dict.fromkeys(ROW_KEYS)
    row.update(
        queue=key,
        sqs_message_id=message.get("MessageId"),
        sent_at=datetime.fromtimestamp(int(sent) / 1000, UTC).isoformat() if sent else None,
        receives=int(attributes.get("ApproximateReceiveCount", 0)),
    )
    try:
        body = json.loads(message["Body"])
    except ValueError:
        body = None
    if not isinstance(body, dict):  # not one of ours: shown, with what it starts with
        row.update(kind="unreadable", unreadable_body=message["Body"][:80])
        return row
    row["shop"] = body.get("shop") if isinstance(body.get("shop"), str) else None
    if isinstance(body.get("message_id"), str):
        item = found.message_log.claim(body["message_id"]) or {}
        row.update(
            kind="text",
            message_id=body["message_id"],
            state=item.get("state"),
            reason=_error_attribute(message, body) or item.get("reason"),
        )
        return row
    if body.get("detail-type") == "shopifyWebhook" and isinstance(body.get("detail"), dict):
        # an EventBridge delivery of a Shopify webhook: its topic and webhook id are in the metadata
        meta = {str(k).lower(): v for k, v in (body["detail"].get("metadata") or {}).items()}
        row.update(kind="shop_event", topic=meta.get("x-shopify-topic") or meta.get("shopify-topic"),
                   webhook_id=meta.get("x-shopify-webhook-id") or meta.get("shopify-webhook-id"),
                   shop=meta.get("x-shopify-shop-domain") or meta.get("shopify-shop-domain"),
                   reason=_error_attribute(message, body))  # fmt: skip
        return row
    if body.get("kind") == "campaign_step":
        row.update(kind="campaign_step", reason=_error_attribute(message, body),
                   campaign=f"{body.get('campaign')} run {body.get('run')} step {body.get('step')}")  # fmt: skip
        return row
    row.update(kind="shop_event", topic=body.get("topic"), webhook_id=body.get("webhook_id"))
    reason = _error_attribute(message, body)
    if row["shop"] and isinstance(row["webhook_id"], str):
        record = found.webhook_inbox.get(row["shop"], row["webhook_id"])
        if record is not None:
            row["state"] = record.state
            reason = reason or record.reason
    row["reason"] = reason
    return row


def dlq_list(limit: int = 50, queue: str | None = None) -> list[dict[str, Any]]:
    """Up to `limit` dead-lettered messages of each DLQ (or of `queue`'s) with the reason recorded for them:
    a text's from the message log, a shop event's from its error attribute or its stored webhook. They stay
    in the DLQ, visible again at once."""
    if limit < 1:
        raise BadValue(f"--limit: {limit} is not a positive number of messages")
    found = deps()
    sqs = found.client("sqs")
    rows: list[dict[str, Any]] = []
    for key, (_, dlq) in dlq_urls(queue).items():
        handles: list[str] = []
        try:
            for message in _messages(sqs, dlq, limit, LIST_HIDE_S):
                handles.append(message["ReceiptHandle"])
                rows.append(_row(key, message, found))
        finally:
            _release(sqs, dlq, handles)
    return rows


def dlq_replay(queue: str | None = None, progress: Progress | None = None) -> dict[str, int]:
    """Move dead-lettered messages back to their queue (after the cause is fixed); idempotency makes it safe.
    A text's message log record goes back from 'dead_lettered' to 'queued' first (to 'sending' if its last
    claim is in doubt: the sender then asks the provider before sending it again), so that the sender
    claims it as soon as it arrives. Returns how many were moved per queue."""
    found = deps()
    sqs = found.client("sqs")
    moved: dict[str, int] = {}
    for key, (url, dlq) in dlq_urls(queue).items():
        moved[key] = 0
        for message in _messages(sqs, dlq, 10**9, REPLAY_HIDE_S):
            try:
                value = json.loads(message["Body"])
            except ValueError:
                value = None
            message_id = value.get("message_id") if isinstance(value, dict) else None
            if isinstance(message_id, str):
                found.message_log.replay(message_id, found.clock())
            extra = (
                {"MessageAttributes": message["MessageAttributes"]}
                if message.get("MessageAttributes")
                else {}
            )
            sqs.send_message(QueueUrl=url, MessageBody=message["Body"], **extra)
            sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
            moved[key] += 1
            if progress is not None:
                progress(key)
    return moved
