"""POST /sms/status?mid=<message id>: Twilio's status callback. Signature first (403 otherwise); the
status is applied only if it moves the message forward, so duplicates and late arrivals change nothing."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

from smsflows.domain.campaigns.fanout import parse_message_id
from smsflows.domain.sending.delivery import StatusUpdate
from smsflows.runtime.deps import get_deps
from smsflows.runtime.errors import BadRequest, Forbidden
from smsflows.runtime.http import error_response, raw_body
from smsflows.runtime.observability import logger, metrics
from smsflows.runtime.twilio_signature import form_params, is_signed_by_account

app = APIGatewayRestResolver()
CAMPAIGN_FINAL = {"delivered": "delivered", "undelivered": "undelivered", "failed": "undelivered"}


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
    recipient = deps.message_log.apply_status(update, deps.clock())
    applied = recipient is not None
    if recipient and update.unreachable:  # the carrier says this number cannot get texts: stop trying it
        shop, phone = recipient
        deps.message_log.mark_unreachable(shop, phone, f"twilio {update.error_code}", deps.clock())
    ran = parse_message_id(message_id) if recipient else None
    if ran is not None and recipient is not None and update.status in CAMPAIGN_FINAL:
        try:  # the campaign run's delivered/undelivered counts (best effort: the message log is the truth)
            deps.campaign_runs.count(recipient[0], ran[0], ran[1], CAMPAIGN_FINAL[update.status])
        except Exception:
            logger.warning("could not count the campaign delivery", message_id=message_id)
    logger.info(
        "status callback",
        message_id=message_id,
        status=update.status,
        error=update.error_code,
        applied=applied,
    )
    metrics.add_metric(name=f"Delivery_{update.status}", unit=MetricUnit.Count, value=1)
    return Response(status_code=200, content_type="text/plain", body="")


@app.exception_handler(Exception)
def handle_error(exc: Exception) -> Response:
    return error_response(exc)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
