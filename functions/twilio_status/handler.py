"""POST /sms/status?mid=<message id>: Twilio's status callback. Signature first (403 otherwise); the
status is applied only if it moves the message forward, so duplicates and late arrivals change nothing."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

from smsflows.domain.analytics import outcomes
from smsflows.domain.campaigns import guarding
from smsflows.domain.campaigns.fanout import parse_message_id
from smsflows.domain.sending.delivery import StatusUpdate
from smsflows.runtime.deps import get_deps
from smsflows.runtime.errors import BadRequest, Forbidden
from smsflows.runtime.http import error_response, raw_body
from smsflows.runtime.observability import logger, metrics
from smsflows.runtime.twilio_signature import form_params, is_signed_by_account

app = APIGatewayRestResolver()


def _int(value: str | None) -> int | None:
    return int(value) if value and len(value) <= 9 and value.isascii() and value.isdigit() else None


@app.post("/sms/status")
def status() -> Response:
    deps = get_deps()
    event = app.current_event.raw_event
    body = raw_body(event)
    settings = deps.settings
    if not is_signed_by_account(
        event, body, deps.secrets, settings.twilio_secret_id, settings.public_base_url
    ):
        raise Forbidden("X-Twilio-Signature does not match")
    params = form_params(body)
    message_id = (app.current_event.query_string_parameters or {}).get("mid")
    sid, state = params.get("MessageSid"), params.get("MessageStatus")
    if not message_id or not sid or not state:
        raise BadRequest("mid, MessageSid and MessageStatus are required")
    if len(message_id) > 200 or len(sid) > 64 or len(state) > 32:  # bounded where they enter (keys <= 1 KB)
        raise BadRequest("mid, MessageSid or MessageStatus is too long")
    update = StatusUpdate(
        message_id=message_id,
        sid=sid,
        status=state.lower(),
        error_code=_int(params.get("ErrorCode")),
        segments=_int(params.get("NumSegments")),
        price=(params.get("Price") or None) and params["Price"][:16],
    )
    now = deps.clock()
    applied = deps.message_log.apply_status(update, now)
    if applied is not None and update.unreachable:  # the carrier says this number cannot get texts
        deps.message_log.mark_unreachable(applied.shop, applied.phone, f"twilio {update.error_code}", now)
    if applied is not None and applied.scope:
        try:  # best effort: the message log is the truth, the counters its summary
            values = outcomes.delivery(update.status, update.error_code, update.price, applied.cost_est)
            deps.measurement.count(applied.shop, now, applied.scope, values)
        except Exception:
            logger.warning("could not count the delivery", message_id=message_id)
    ran = parse_message_id(message_id) if applied else None
    run_outcomes = outcomes.campaign_outcomes(update.status, update.error_code)
    if ran is not None and applied is not None and run_outcomes:
        try:  # the campaign run's delivered/undelivered counts, and the deliverability guard on them
            counts = deps.campaign_runs.count(
                applied.shop, ran[0], ran[1], run_outcomes[0], also=run_outcomes[1:]
            )
            paused = guarding.check(applied.shop, ran[0], counts, deps.shop_configs.get(applied.shop),
                                    deps.campaigns, now)  # fmt: skip
            if paused:
                logger.warning("campaign paused by the deliverability guard", campaign=ran[0], reason=paused)
                metrics.add_metric(name="CampaignAutoPaused", unit=MetricUnit.Count, value=1)
        except Exception:
            logger.warning("could not count the campaign delivery", message_id=message_id)
    applied_ok = applied is not None
    # A routine callback (applied, not a failure) is already on its message (the message log), counted
    # (Delivery_<status>) and in the callback API's access log: at two per text its line is DEBUG. A failure,
    # and a callback that changed nothing (late, repeated, another message's), are INFO.
    routine = applied_ok and not update.failed
    (logger.debug if routine else logger.info)(
        "status callback",
        message_id=message_id,
        status=update.status,
        error=update.error_code,
        applied=applied_ok,
    )
    metrics.add_metric(name=f"Delivery_{update.status}", unit=MetricUnit.Count, value=1)
    if applied_ok and update.status in outcomes.FINAL:  # business metrics: the delivery rate's two sides
        name = "MessagesDelivered" if update.status == "delivered" else "MessagesUndelivered"
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    return Response(status_code=200, content_type="text/plain", body="")


@app.exception_handler(Exception)
def handle_error(exc: Exception) -> Response:
    return error_response(exc)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
