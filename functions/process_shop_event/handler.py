"""shop-events SQS consumer: profiles, orders, transactional messages and flow starts."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from smsflows.domain.shopify.events import ShopEventEnvelope, process_shop_event
from smsflows.runtime.deps import get_deps
from smsflows.runtime.observability import correlation_id, logger, metrics

# Report every failed record (even all of them) as a batch item failure instead of raising.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> None:
    envelope = ShopEventEnvelope.model_validate_json(record.body)
    token = correlation_id.set(envelope.correlation_id or f"shopify:{envelope.webhook_id}")
    try:
        outcome = process_shop_event(envelope, get_deps().shop_event_deps)
        # one line per event, with why nothing was done (e.g. "shop_not_onboarded") and for which shop
        logger.info("shop event", shop=envelope.shop, topic=envelope.topic, outcome=outcome.outcome,
                    detail=outcome.detail)  # fmt: skip
    finally:
        correlation_id.reset(token)
    metrics.add_metric(name=f"ShopEvent_{outcome.outcome}", unit=MetricUnit.Count, value=1)
    for name, value in (outcome.business or {}).items():  # what SMS earned (issue 16): orders and revenue
        unit = MetricUnit.Count if name.endswith("Orders") else MetricUnit.NoUnit
        metrics.add_metric(name=name, unit=unit, value=value)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
