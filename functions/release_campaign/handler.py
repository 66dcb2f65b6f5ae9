"""campaign SQS consumer: one step of a campaign run per cursor message (domain/campaigns/release.py).

A step queues one window of the sender's throughput onto the send queue (each text delayed to its slot),
records the recipients' assignments, moves the run on and queues the next cursor. A malformed cursor is
logged and dropped (retrying cannot mend it); anything else fails the record, and SQS retries it.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from smsflows.domain.campaigns import release
from smsflows.runtime.deps import get_deps
from smsflows.runtime.errors import BadRequest
from smsflows.runtime.observability import correlation_id, logger, metrics

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> None:
    try:
        body = record.json_body
    except ValueError:
        logger.error("campaign cursor is not JSON: dropped", message_id=record.message_id)
        return
    token = correlation_id.set(f"campaign:{body.get('campaign')}:{body.get('run')}")
    try:
        outcome = release.handle(body, get_deps().release_deps)
    except BadRequest as exc:
        logger.error("campaign cursor refused: dropped", reason=str(exc)[:300])
        metrics.add_metric(name="CampaignStep_refused", unit=MetricUnit.Count, value=1)
        return
    finally:
        correlation_id.reset(token)
    logger.info("campaign step", shop=body.get("shop"), campaign=body.get("campaign"), step=body.get("step"),
                outcome=outcome.outcome, detail=outcome.detail, released=outcome.released)  # fmt: skip
    metrics.add_metric(name=f"CampaignStep_{outcome.outcome}", unit=MetricUnit.Count, value=1)
    if outcome.released:
        metrics.add_metric(name="CampaignTextsReleased", unit=MetricUnit.Count, value=outcome.released)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
