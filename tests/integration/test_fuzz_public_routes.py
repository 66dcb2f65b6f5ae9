"""Fuzz the four public routes (issue 12): at least 5,000 generated requests per run through the real handlers
under moto, asserting no 5xx, no state change for any request refused (4xx) — which includes every request
without a valid signature on the three signed routes — and a service that still works afterwards.

The requests are mutations of valid ones (bytes flipped, truncated, repeated; JSON nested deep, keys doubled,
types swapped, lone surrogates, fields thousands of characters long; form fields and headers likewise; header
names and media types in other cases; base64 that is not; HEAD and GET), some signed over their mutated bytes,
so that authentic-but-strange input is exercised as well as junk. The seed is printed on failure:
`SMSFLOWS_FUZZ_SEED=<seed> pytest tests/integration/test_fuzz_public_routes.py` replays the run."""

from __future__ import annotations

import base64
import json
import os
import random
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from smsflows.domain.shopify import webhooks
from smsflows.local import samples
from tests.fakes import SIGN_UP_DISCLOSURE
from tests.integration.conftest import (
    INBOUND_URL,
    SHOP,
    SHOPIFY_SECRET,
    TWILIO_TOKEN,
    api_event,
    inbound_params,
    sqs_event,
)

REQUESTS = 5_000
STATUS_URL = INBOUND_URL.replace("/sms/inbound", "/sms/status")
ROUTES = ("shopify_webhook", "twilio_inbound", "twilio_status", "subscribe")
PATHS = {"shopify_webhook": "/webhooks/shopify", "twilio_inbound": "/sms/inbound", "twilio_status": "/sms/status",
         "subscribe": "/subscribe"}  # fmt: skip
DISCLOSURE = SIGN_UP_DISCLOSURE
WEIRD = [
    "\ud83d",
    "\udcff",
    "\x00",
    "😀" * 50,
    "A" * 5000,
    "",
    " ",
    "null",
    "true",
    "-1",
    "1e309",
    "\u202e",
    "é",
]


def fingerprint(cloud) -> tuple[Any, ...]:
    """Everything a request could have changed: every item, every queue's depth."""
    ddb, sqs = cloud.client("dynamodb"), cloud.client("sqs")
    items = ddb.scan(TableName=cloud.res.env["TABLE_NAME"], Select="COUNT")["Count"]
    depths = tuple(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
            "ApproximateNumberOfMessages"
        ]
        for url in cloud.res.queue_urls.values()
    )
    return items, depths, len(cloud.twilio.outbox())


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(5)
        if op == 0 and data:  # flip a byte
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif op == 1:  # truncate
            data = data[: rng.randrange(len(data) + 1)]
        elif op == 2:  # insert junk (invalid UTF-8 among it)
            at = rng.randrange(len(data) + 1)
            data[at:at] = rng.choice(
                [b"\xff\xfe", b"\xed\xa0\xbd", b"\\ud83d", b"\x00", b'"', b"{", b"]" * 3]
            )
        elif op == 3 and data:  # repeat a slice
            a = rng.randrange(len(data))
            data[a:a] = data[a : a + rng.randint(1, 50)] * rng.randint(1, 20)
        else:  # nothing: only the other layers change
            pass
    return bytes(data)


def weird_value(rng: random.Random) -> Any:
    return rng.choice(
        [*WEIRD, 0, -1, 2**70, 1.5, None, True, [], {}, [[[]]], {"a": {"b": None}}, "yes", "on"]
    )


def mutate_json(rng: random.Random, value: Any, depth: int = 0) -> Any:
    if isinstance(value, dict) and value:
        out = dict(value)
        key = rng.choice(list(out))
        op = rng.randrange(4)
        if op == 0:
            out[key] = weird_value(rng)
        elif op == 1:
            del out[key]
        elif op == 2:
            out[rng.choice(WEIRD) + str(rng.random())] = weird_value(rng)
        elif depth < 3:
            out[key] = mutate_json(rng, out[key], depth + 1)
        return out
    return weird_value(rng) if rng.random() < 0.5 else value


def json_bytes(rng: random.Random, value: Any) -> bytes:
    choice = rng.randrange(10)
    if choice == 0:
        return b"[" * 5000 + b"]" * 5000
    if choice == 1 and isinstance(value, dict) and value:  # a duplicate key
        key = next(iter(value))
        text = json.dumps(value)
        return (text[:-1] + f", {json.dumps(key)}: {json.dumps(weird_value(rng))}}}").encode()
    text = json.dumps(value, ensure_ascii=rng.random() < 0.5)
    return text.encode("utf-8", "surrogatepass")


def headers_case(rng: random.Random, headers: dict[str, str]) -> dict[str, str]:
    out = {}
    for k, v in headers.items():
        name = rng.choice([k, k.lower(), k.upper()])
        value = v.upper() if k.lower() == "content-type" and rng.random() < 0.3 else v
        out[name] = value
    return out


def form_body(rng: random.Random, params: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    params = dict(params)
    for _ in range(rng.randint(0, 3)):
        key = rng.choice(
            [*params, "MessageSid", "Body", "From", "MessageStatus", "ErrorCode", "NumSegments", "x"]
        )
        op = rng.randrange(3)
        if op == 0:
            params.pop(key, None)
        else:
            params[key] = str(weird_value(rng))
    body = urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in params.items()}).encode()
    return body, params


def build(rng: random.Random) -> tuple[str, dict[str, Any], bool]:
    """One request: (function, API Gateway event, whether it carries a valid signature)."""
    route = rng.choice(ROUTES)
    signed = rng.random() < 0.35
    if route == "shopify_webhook":
        body = json_bytes(
            rng, mutate_json(rng, samples.order(rng.randint(1, 99), rng.randint(1000, 1099), "+15125550123"))
        )
        body = mutate_bytes(rng, body) if rng.random() < 0.5 else body
        topic = rng.choice(
            [
                "orders/create",
                "checkouts/create",
                "customers/redact",
                "fulfillments/create",
                "x/y",
                "",
                "ORDERS/CREATE",
            ]
        )
        headers = {"X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": rng.choice([SHOP] * 4 + [SHOP.upper(), "evil.com", ""]),
                   "X-Shopify-Webhook-Id": rng.choice([str(uuid.uuid4())] * 6 + ["x" * 500, "", "../etc"]),
                   "X-Shopify-Hmac-Sha256": webhooks.sign(SHOPIFY_SECRET.encode() if signed else b"nope", body)}  # fmt: skip
        if rng.random() < 0.1:
            del headers["X-Shopify-Hmac-Sha256"]
        signed = signed and headers["X-Shopify-Shop-Domain"].lower() == SHOP  # host names know no case
    elif route in ("twilio_inbound", "twilio_status"):
        sid = "SM" + uuid.uuid4().hex
        params = inbound_params(rng.choice(["STOP", "HELP", "hi", "START", "YES", "5"]), sid)
        if route == "twilio_status":
            params = {
                "MessageSid": sid,
                "MessageStatus": rng.choice(["delivered", "sent", "failed", "x"]),
                "ErrorCode": "30003",
            }
        body, _ = form_body(rng, params)
        if rng.random() < 0.2:
            body = mutate_bytes(rng, body)
        url = (
            INBOUND_URL
            if route == "twilio_inbound"
            else STATUS_URL + "?mid=" + rng.choice(["m1", "x" * 300, ""])
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signed:
            from smsflows.runtime.twilio_signature import form_params

            headers["X-Twilio-Signature"] = RequestValidator(TWILIO_TOKEN).compute_signature(
                url, form_params(body)
            )
        elif rng.random() < 0.5:
            headers["X-Twilio-Signature"] = base64.b64encode(os.urandom(20)).decode()
    else:
        request = {"shop": SHOP, "phone": rng.choice(["+15125550123", "512-555-CALL", "５１２５５５０１２３", "+1", "x" * 60]),
                   "consent": {"checked": True, "default_checked": False, "disclosure_text": DISCLOSURE},
                   "submission_id": str(uuid.uuid4())}  # fmt: skip
        body = json_bytes(rng, mutate_json(rng, request) if rng.random() < 0.5 else request)
        body = mutate_bytes(rng, body) if rng.random() < 0.3 else body
        headers = {
            "Content-Type": rng.choice(
                ["application/json", "APPLICATION/JSON", "text/plain", "application/json; charset=utf-8"]
            )
        }
        signed = True  # a public form: no signature; only a refusal must change nothing
    event = api_event(b"", headers_case(rng, headers), path=PATHS[route], b64=True)
    event["body"] = base64.b64encode(body).decode()
    if rng.random() < 0.05:
        event["body"] = "not base64 %%%"  # an API Gateway event whose base64 is broken
    if rng.random() < 0.05:
        event["httpMethod"] = rng.choice(["HEAD", "GET", "PUT"])
    if route == "twilio_status" and "?mid=" in url:
        event["queryStringParameters"] = {"mid": url.split("?mid=", 1)[1]}
        event["multiValueQueryStringParameters"] = {"mid": [url.split("?mid=", 1)[1]]}
    return route, event, signed


@pytest.fixture(scope="module")
def cloud():
    from smsflows.local.inprocess import InProcessCloud

    with InProcessCloud(SHOPIFY_SECRET, TWILIO_TOKEN) as c:
        yield c


def test_thousands_of_mutated_requests_get_no_5xx_and_refusals_change_nothing(cloud):
    seed = int(os.environ.get("SMSFLOWS_FUZZ_SEED") or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)
    replay = f"replay with SMSFLOWS_FUZZ_SEED={seed}"
    statuses: dict[int, int] = {}
    for n in range(REQUESTS):
        route, event, signed = build(rng)
        before = fingerprint(cloud) if n % 5 == 0 else None  # a fifth of the requests are checked for state
        response = cloud.invoke(route, event)
        status = response["statusCode"]
        statuses[status] = statuses.get(status, 0) + 1
        assert status < 500, (
            f"request {n} to {route} got {status}: {response.get('body', '')[:200]} ({replay})"
        )
        if before is not None and status >= 400:
            assert fingerprint(cloud) == before, (
                f"request {n} to {route} was refused ({status}) but changed state ({replay})"
            )
        if status < 400 and route != "subscribe":
            assert signed, f"request {n} to {route} was accepted without a valid signature ({replay})"
        if n % 500 == 499:  # drain what was accepted, as the consumers would, so queues stay small
            for key in ("shop_events_queue", "transactional_queue", "send_queue"):
                bodies = cloud.queue_bodies(key)
                consumer = "process_shop_event" if key == "shop_events_queue" else "send_message"
                if bodies:
                    cloud.invoke(consumer, sqs_event(*bodies))
    assert len(statuses) >= 3, statuses  # refusals of several kinds and acceptances: the mutations vary
    assert statuses.get(200, 0) + statuses.get(202, 0) >= REQUESTS // 20, statuses  # deep paths were reached

    # healthy afterwards: a valid webhook is accepted and texted, a STOP is honoured
    body = json.dumps(samples.order(500, 1500, "+15125550199")).encode()
    headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Webhook-Id": "wh-after",
               "X-Shopify-Hmac-Sha256": webhooks.sign(SHOPIFY_SECRET.encode(), body)}  # fmt: skip
    assert cloud.invoke("shopify_webhook", api_event(body, headers))["statusCode"] == 200
    assert cloud.invoke("process_shop_event", sqs_event(*cloud.queue_bodies("shop_events_queue"))) == {
        "batchItemFailures": []
    }
    sent = cloud.send_bodies()
    assert sent and cloud.invoke("send_message", sqs_event(*sent)) == {"batchItemFailures": []}
    assert any(m["to"] == "+15125550199" and "#1500" in m["body"] for m in cloud.twilio.outbox())
