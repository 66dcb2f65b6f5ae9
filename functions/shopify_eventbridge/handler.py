"""shopify_eventbridge: Shopify webhooks from the EventBridge partner bus (each SQS record one event the
rule put on the queue), accepted as the HTTPS route accepts them: dedupe on the webhook id, keep, enqueue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from smsflows.domain.shopify.eventbridge import accept_eventbridge_event
from smsflows.runtime.deps import get_deps
from smsflows.runtime.observability import logger, metrics

# Report every failed record (even all of them) as a batch item failure instead of raising: SQS redelivers
# only those (the inbox or the queue failing), then dead-letters them.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> None:
    deps = get_deps()
    accepted = accept_eventbridge_event(
        record.body,
        source=deps.settings.shopify_event_source,
        inbox=deps.webhook_inbox,
        queue=deps.shop_events_queue,
        clock=deps.clock,
        time_scale=deps.settings.time_scale,
    )
    if accepted.outcome == "dropped":  # not Shopify's (wrong source), or nothing can route it: not retried
        logger.warning("eventbridge event dropped", reason=accepted.reason, topic=accepted.topic,
                       shop=accepted.shop, webhook_id=accepted.webhook_id)  # fmt: skip
    else:
        logger.info("webhook accepted", outcome=accepted.outcome, topic=accepted.topic, shop=accepted.shop,
                    webhook_id=accepted.webhook_id, delivery="eventbridge")  # fmt: skip
    metrics.add_metric(name=f"Webhook_{accepted.outcome}", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
