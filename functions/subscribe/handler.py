"""POST /subscribe: a website or checkout sign-up, with the consent proof; answers with a double opt-in text.

Anonymous and public, so limited against SMS pumping (`subscribe`): 400 for a number of a country the shop
does not text, 429 with Retry-After past the per-address limit, and a repeat within 24 h gets 202 "pending"
like the first request, with no second text. A shop that texts nobody now (not onboarded, paused,
deactivated, uninstalled) is a 404 whose `error` says which ({"error": "shop_not_onboarded", ...}): nothing
is recorded and no text is promised."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.metrics import MetricUnit

from smsflows.domain import json_bodies
from smsflows.domain.consent.subscriptions import SubscribeRequest, subscribe
from smsflows.runtime.deps import get_deps
from smsflows.runtime.errors import BadRequest, TooManyRequests
from smsflows.runtime.http import error_response, json_response, raw_body
from smsflows.runtime.observability import logger, mask_phone, metrics

# The form is posted from the shop's storefront, whatever its domain; no cookies are involved. Retry-After
# (on a 429) is not a CORS-safelisted header: exposed, so that the form's script can read it.
app = APIGatewayRestResolver(cors=CORSConfig(allow_origin="*", max_age=600, expose_headers=["Retry-After"]))
MAX_BODY = 16_384


@app.post("/subscribe")
def subscribe_route() -> Response:
    event = app.current_event
    body = raw_body(event.raw_event)
    if len(body) > MAX_BODY:
        raise BadRequest("request too large")
    content_type = next((v for k, v in (event.headers or {}).items() if k.lower() == "content-type"), "")
    if "json" not in content_type.lower():  # header names and media types are case-insensitive (RFC 9110)
        raise BadRequest("send the sign-up as application/json")
    try:
        parsed = json_bodies.loads(body, strict_keys=True)  # a duplicate key is two answers to one question
    except json_bodies.BadJson as exc:
        raise BadRequest(f"body is not usable JSON: {exc}") from None
    request = SubscribeRequest.model_validate(parsed)
    identity = event.request_context.identity
    result = subscribe(request, identity.source_ip, identity.user_agent, get_deps().consent)
    logger.info("subscribe", shop=request.shop, to=mask_phone(result.phone), status=result.status,
                repeat=result.repeat)  # fmt: skip
    metrics.add_metric(name=f"Subscribe_{result.status}", unit=MetricUnit.Count, value=1)
    if result.repeat:  # no text, no ledger event; a spike of these is someone trying numbers again and again
        metrics.add_metric(name="Subscribe_repeat_within_24h", unit=MetricUnit.Count, value=1)
    return json_response(202 if result.status == "pending" else 200, {"status": result.status})


@app.exception_handler(Exception)
def handle_error(exc: Exception) -> Response:
    response = error_response(exc)
    if isinstance(exc, TooManyRequests):
        metrics.add_metric(name="Subscribe_rate_limited", unit=MetricUnit.Count, value=1)
    return response


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
