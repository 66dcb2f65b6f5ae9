"""Real handlers in-process under moto (Step Functions executing the real ASL), the real twilio client
against the fake Twilio on loopback."""

from __future__ import annotations

import base64
import copy
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from smsflows.domain.sending.pacing import Pacer
from smsflows.domain.shopify import webhooks
from smsflows.local.inprocess import InProcessCloud

EVENTS = Path(__file__).parents[1] / "events"
SHOP = "demo-shop.myshopify.com"
SHOPIFY_SECRET = "integration-shopify-secret"
TWILIO_TOKEN = "integration-twilio-token"


def api_event(
    body: bytes, headers: dict[str, str], path: str = "/webhooks/shopify", b64: bool = False
) -> dict[str, Any]:
    event = json.loads((EVENTS / "apigw_rest_proxy.json").read_text())
    event["path"] = event["resource"] = path
    event["requestContext"]["path"] = f"/{event['requestContext']['stage']}{path}"
    event["requestContext"]["resourcePath"] = path
    event["headers"] = {**event["headers"], **headers}
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    event["body"] = base64.b64encode(body).decode() if b64 else body.decode()
    event["isBase64Encoded"] = b64
    return event


def sqs_event(*bodies: str, receive_count: int = 1) -> dict[str, Any]:
    template = json.loads((EVENTS / "sqs_record.json").read_text())
    records = []
    for body in bodies:
        record = copy.deepcopy(template)
        record["messageId"] = str(uuid.uuid4())
        record["body"] = body
        record["attributes"]["ApproximateReceiveCount"] = str(receive_count)
        records.append(record)
    return {"Records": records}


def shopify_headers(
    body: bytes, topic: str = "orders/create", webhook_id: str | None = None, secret: str = SHOPIFY_SECRET
):
    return {
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-API-Version": "2026-04",
        "X-Shopify-Hmac-Sha256": webhooks.sign(secret.encode(), body),
    }


@pytest.fixture
def cloud():
    with InProcessCloud(SHOPIFY_SECRET, TWILIO_TOKEN) as c:
        yield c
    assert "SMSFLOWS_TWILIO_API_BASE" not in os.environ


@pytest.fixture
def slots_on_time(monkeypatch):
    """Every pacing slot counts as used on time. A claim slower than the late limit (31 ms at a whole rate)
    books a new slot and, after waiting for it, reads consent again: more calls. A loaded machine, or
    mutmut's tracing, can be that slow, so a test that counts a text's calls, and is not about lateness,
    holds its slots on time (lateness has its own tests: unit/sending/test_send_slots.py)."""
    monkeypatch.setattr(Pacer, "on_time", staticmethod(lambda send_at, now, throughput: True))


INBOUND_URL = "https://abc123.execute-api.us-east-1.amazonaws.com/prod/sms/inbound"
SHOP_SENDER = "MG" + "0" * 31 + "1"  # the local Messaging Service provision() assigns to the demo shop


def twilio_event(
    params: dict[str, str], token: str = TWILIO_TOKEN, url: str = INBOUND_URL, sign: bool = True
):
    from urllib.parse import urlencode

    from twilio.request_validator import RequestValidator

    body = urlencode(params).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "TwilioProxy/1.1"}
    if sign:
        headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(url, params)
    return api_event(body, headers, path="/sms/inbound")


def inbound_params(body: str, sid: str, frm: str = "+15125550123") -> dict[str, str]:
    return {
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 31 + "1",
        "MessagingServiceSid": SHOP_SENDER,
        "From": frm,
        "To": "+15125550000",
        "Body": body,
        "NumMedia": "0",
    }
