"""POST /webhooks/shopify: verify the HMAC, dedupe on the webhook id, keep and enqueue, answer fast."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

from smsflows.domain.shopify import webhooks
from smsflows.domain.shopify.ingest import accept_shopify_webhook
from smsflows.runtime.deps import get_deps
from smsflows.runtime.http import error_response, json_response, raw_body
from smsflows.runtime.observability import logger, metrics

app = APIGatewayRestResolver()


@app.post("/webhooks/shopify")
def shopify_webhook() -> Response:
    deps = get_deps()
    body, headers = raw_body(app.current_event.raw_event), app.current_event.headers
    signature = webhooks.WebhookHeaders.from_headers(headers).hmac

    def secret_for(shop: str) -> bytes | None:
        # The secret this body was signed with: the current one, the previous one kept during a rotation,
        # or, when neither verifies, the secret re-read once in case it was rotated (None: 401).
        return deps.shopify_secret_verifying(shop, lambda secret: webhooks.verify(secret, body, signature))

    accepted = accept_shopify_webhook(
        body,
        headers,
        secret_for=secret_for,
        inbox=deps.webhook_inbox,
        queue=deps.shop_events_queue,
        clock=deps.clock,
        time_scale=deps.settings.time_scale,
    )
    logger.info("webhook accepted", outcome=accepted.outcome, topic=accepted.topic, shop=accepted.shop)
    metrics.add_metric(name=f"Webhook_{accepted.outcome}", unit=MetricUnit.Count, value=1)
    return json_response(200, {"status": accepted.outcome})


@app.exception_handler(Exception)
def handle_error(exc: Exception) -> Response:
    return error_response(exc)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
