"""POST /storefront/events: product_viewed and checkout_started from the shop's web pixel.

Public and unsigned (what that means, and how the harm is bounded: domain/shopify/storefront_events.py):
204 for every valid event, whatever was done with it, so nothing about a shop or a customer can be learned
here; 400 for a body that is not one event, 413 over 8 KB, 429 with Retry-After past a rate limit."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.metrics import MetricUnit

from smsflows.domain.shopify import storefront_events
from smsflows.runtime.deps import get_deps
from smsflows.runtime.errors import TooManyRequests
from smsflows.runtime.http import error_response, raw_body
from smsflows.runtime.observability import logger, metrics

# The pixel runs in a sandbox on any storefront domain and sends no cookies. Retry-After (on a 429) is not a
# CORS-safelisted header: exposed, so that the pixel's script can read it.
app = APIGatewayRestResolver(cors=CORSConfig(allow_origin="*", max_age=600, expose_headers=["Retry-After"]))


@app.post("/storefront/events")
def events_route() -> Response:
    event = app.current_event
    content_type = next((v for k, v in (event.headers or {}).items() if k.lower() == "content-type"), "")
    received = storefront_events.parse(raw_body(event.raw_event), content_type or "")
    outcome = storefront_events.receive(
        received, event.request_context.identity.source_ip, get_deps().storefront_events
    )
    # Bounded fields only: no client id, customer id, address or title.
    logger.info("storefront event", shop=received.shop, event_name=received.name, outcome=outcome)
    metrics.add_metric(name=f"StorefrontEvent_{outcome}", unit=MetricUnit.Count, value=1)
    return Response(status_code=204)


@app.exception_handler(Exception)
def handle_error(exc: Exception) -> Response:
    response = error_response(exc)
    if isinstance(exc, TooManyRequests):
        metrics.add_metric(name="StorefrontEvent_rate_limited", unit=MetricUnit.Count, value=1)
    return response


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
