"""POST /sms/inbound: Twilio's inbound SMS webhook. Signature first (403 otherwise), then keywords and
consent, answered with TwiML. An opt-out is recorded before the response: the next send sees it."""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from xml.sax.saxutils import escape

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

from smsflows.domain.campaigns.responses import on_response
from smsflows.domain.consent.subscriptions import InboundSms, handle_inbound
from smsflows.runtime.deps import get_deps
from smsflows.runtime.errors import Forbidden
from smsflows.runtime.http import error_response, raw_body
from smsflows.runtime.observability import logger, mask_phone, metrics
from smsflows.runtime.twilio_signature import form_params, is_signed_by_account

app = APIGatewayRestResolver()


def twiml(message: str | None) -> Response:
    inner = f"<Message>{escape(message)}</Message>" if message else ""
    return Response(
        status_code=200,
        content_type="text/xml",
        body=f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>',
    )


@app.post("/sms/inbound")
def inbound() -> Response:
    deps = get_deps()
    event = app.current_event.raw_event
    body = raw_body(event)
    settings = deps.settings
    if not is_signed_by_account(
        event, body, deps.secrets, settings.twilio_secret_id, settings.public_base_url
    ):
        raise Forbidden("X-Twilio-Signature does not match")
    sms = InboundSms.model_validate(form_params(body))
    outcome = handle_inbound(sms, deps.consent)
    logger.info(
        "inbound sms",
        sid=sms.message_sid,
        frm=mask_phone(sms.from_),
        intent=outcome.intent,
        review=outcome.review,
        not_texting=outcome.not_texting,  # the shop texts nobody: recorded, not answered
    )
    metrics.add_metric(name=f"Inbound_{outcome.intent}", unit=MetricUnit.Count, value=1)
    if outcome.intent == "opt_out":
        metrics.add_metric(name="OptOuts", unit=MetricUnit.Count, value=1)
    if outcome.shop and outcome.phone and outcome.not_texting is None:
        _measure(outcome.shop, outcome.phone, str(outcome.intent), deps)
    if outcome.forward:
        _forward(outcome.forward, deps)
    return twiml(outcome.reply)


def _measure(shop: str, phone: str, intent: str, deps: Any) -> None:
    """Best effort, after the consent is recorded: a counter that fails loses a count, never a STOP."""
    try:
        counted = on_response(shop, phone, intent, deps.clock(), deps.measurement, deps.campaign_runs,
                              deps.campaigns, deps.shop_configs.get(shop))  # fmt: skip
    except Exception as exc:
        logger.warning("could not count the response", error=type(exc).__name__)
        return
    if counted.get("counted") == "opt_outs":  # an opt-out answering a marketing text (its counters have it)
        metrics.add_metric(name="OptOutsAfterText", unit=MetricUnit.Count, value=1)
    if counted.get("paused"):
        logger.warning("campaign paused by the deliverability guard", reason=counted["paused"])
        metrics.add_metric(name="CampaignAutoPaused", unit=MetricUnit.Count, value=1)


def _forward(conversation: dict[str, Any], deps: Any) -> None:
    """Best effort: the conversation is stored already; a support webhook that is down loses nothing."""
    config = deps.shop_configs.get(conversation["shop"])
    url = config.support_webhook_url if config else None
    if not url or not url.startswith("https://"):
        return
    request = urllib.request.Request(  # noqa: S310 - https only, the shop's own endpoint
        url,
        data=json.dumps(conversation).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=2):  # noqa: S310
            pass
    except OSError as exc:
        logger.warning("support webhook failed", error=type(exc).__name__)


@app.exception_handler(Exception)
def handle_error(exc: Exception) -> Response:
    return error_response(exc)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
