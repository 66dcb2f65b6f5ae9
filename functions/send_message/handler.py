"""send SQS consumer: the last step before the provider; one message id is sent at most once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from smsflows.domain.messages import OutboundMessage
from smsflows.domain.sending import send_one
from smsflows.runtime.deps import get_deps
from smsflows.runtime.observability import logger, mask_phone, metrics

# Report every failed record (even all of them) as a batch item failure instead of raising.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> None:
    deps = get_deps()
    message = OutboundMessage.model_validate_json(record.body)
    outcome = send_one(message, deps.send_deps)
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


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
