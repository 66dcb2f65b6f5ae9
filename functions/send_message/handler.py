"""send SQS consumer (transactional and bulk queues): the last step before the provider; one message id
is sent at most once, paced to its sender's registered throughput."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from smsflows.domain.messages import OutboundMessage
from smsflows.domain.retry import backoff_s
from smsflows.domain.sending import send_one
from smsflows.ports import RecipientSnapshot
from smsflows.runtime.deps import get_deps
from smsflows.runtime.errors import TransientError
from smsflows.runtime.observability import logger, mask_phone, metrics

# Report every failed record (even all of them) as a batch item failure instead of raising.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
# Recipients' consent, caps and suppressions, read for the whole batch in one call before sending.
_snapshots: dict[tuple[str, str], RecipientSnapshot] = {}


def record_handler(record: SQSRecord) -> None:
    deps = get_deps()
    message = OutboundMessage.model_validate_json(record.body)
    try:
        outcome = send_one(message, deps.send_deps, _snapshots.pop((message.shop, message.to), None))
    except TransientError as exc:
        _back_off(record, str(exc))
        raise
    logger.info(
        "message " + outcome.outcome,
        message_id=message.message_id,
        to=mask_phone(message.to),
        sid=outcome.sid,
        segments=outcome.segments,
        category=message.category,
        detail=outcome.detail,
        until=outcome.until.isoformat() if outcome.until else None,
    )
    metrics.add_metric(name=f"Message_{outcome.outcome}", unit=MetricUnit.Count, value=1)
    if outcome.detail.startswith(("config_error", "content_error")):
        metrics.add_metric(name="ProviderNeedsOperator", unit=MetricUnit.Count, value=1)
    if outcome.segments:
        metrics.add_metric(name="SegmentsSent", unit=MetricUnit.Count, value=outcome.segments)


def _back_off(record: SQSRecord, reason: str) -> None:
    """Make the failed message visible again after an exponential, jittered delay instead of the queue's
    fixed visibility timeout. Best effort: if this fails, the visibility timeout applies."""
    deps = get_deps()
    attempt = int(record.attributes.approximate_receive_count or 1)
    delay = backoff_s(attempt, deps.settings.retry_base_s, deps.settings.retry_cap_s)
    name = record.event_source_arn.rsplit(":", 1)[-1]
    urls = [deps.settings.send_queue_url, deps.settings.transactional_queue_url]
    url = next((u for u in urls if u and u.rstrip("/").rsplit("/", 1)[-1] == name), None)
    logger.warning(
        "retrying later", message_id=record.message_id, attempt=attempt, delay_s=delay, reason=reason
    )
    if url is None:
        return
    try:
        deps.client("sqs").change_message_visibility(
            QueueUrl=url, ReceiptHandle=record.receipt_handle, VisibilityTimeout=delay
        )
    except Exception:
        logger.warning("could not set the retry delay", message_id=record.message_id)


def _prefetch(event: dict[str, Any]) -> None:
    _snapshots.clear()
    recipients = []
    for record in event.get("Records", []):
        try:
            message = OutboundMessage.model_validate_json(record.get("body") or "")
        except ValidationError:
            continue  # reported by its record handler
        recipients.append((message.shop, message.to))
    if len(recipients) > 1:
        try:
            _snapshots.update(get_deps().message_log.snapshots(recipients))
        except TransientError:
            logger.warning("batch read failed; reading per message")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    _prefetch(event)
    try:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    finally:
        _snapshots.clear()
