"""POST /sms/status: signature-validated, idempotent, order-insensitive delivery states."""

import json
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from smsflows.local import samples
from tests.integration.conftest import TWILIO_TOKEN, api_event, shopify_headers, sqs_event

BASE = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"


def sent_message(cloud, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE)
    from smsflows.runtime import deps as deps_module

    deps_module.reset()
    cloud.twilio.send_status_callbacks = False  # the test posts them itself
    body = json.dumps(samples.order(42, 1001, "+15125550123")).encode()
    cloud.invoke("shopify_webhook", api_event(body, shopify_headers(body)))
    cloud.invoke("process_shop_event", sqs_event(*cloud.queue_bodies("shop_events_queue")))
    cloud.invoke("send_message", sqs_event(*cloud.send_bodies()))
    [sms] = cloud.twilio.outbox()
    return sms


def callback(cloud, sms, status, error=None, token=TWILIO_TOKEN, sid=None):
    params = {"MessageSid": sid or sms["sid"], "MessageStatus": status, "NumSegments": "1"}
    if error:
        params["ErrorCode"] = str(error)
    url = sms["status_callback"]
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": RequestValidator(token).compute_signature(url, params),
    }
    event = api_event(urlencode(params).encode(), headers, path="/sms/status")
    event["queryStringParameters"] = {"mid": url.split("mid=", 1)[1].replace("%3A", ":").replace("%2E", ".")}
    event["multiValueQueryStringParameters"] = {"mid": [event["queryStringParameters"]["mid"]]}
    return cloud.invoke("twilio_status", event)


def message_item(cloud):
    [item] = cloud.items("MSG#")
    return item


def test_the_sender_asks_for_status_callbacks_with_the_message_id(cloud, monkeypatch):
    sms = sent_message(cloud, monkeypatch)
    assert sms["status_callback"].startswith(f"{BASE}/sms/status?mid=order-confirmation")


def test_statuses_apply_in_order_once_and_late_ones_change_nothing(cloud, monkeypatch):
    sms = sent_message(cloud, monkeypatch)
    assert callback(cloud, sms, "delivered")["statusCode"] == 200
    assert callback(cloud, sms, "sent")["statusCode"] == 200  # late and out of order
    assert callback(cloud, sms, "delivered")["statusCode"] == 200  # twice
    item = message_item(cloud)
    assert item["delivery_status"] == "delivered" and item["segments"] == 1


def test_a_failure_records_its_error_code(cloud, monkeypatch):
    sms = sent_message(cloud, monkeypatch)
    callback(cloud, sms, "sent")
    callback(cloud, sms, "undelivered", error=30003)
    item = message_item(cloud)
    assert item["delivery_status"] == "undelivered" and item["delivery_error"] == 30003


def test_unsigned_or_foreign_callbacks_change_nothing(cloud, monkeypatch):
    sms = sent_message(cloud, monkeypatch)
    assert callback(cloud, sms, "failed", token="nope")["statusCode"] == 403
    assert callback(cloud, sms, "failed", sid="SM" + "f" * 32)["statusCode"] == 200  # another message's sid
    assert "delivery_status" not in message_item(cloud)


def test_an_unreachable_handset_suppresses_the_number(cloud, monkeypatch):
    sms = sent_message(cloud, monkeypatch)
    callback(cloud, sms, "undelivered", error=30005)
    [marker] = cloud.items("UNREACHABLE#")
    assert marker["reason"] == "twilio 30005"
    tx = {"message_id": "tx-next", "shop": "demo-shop.myshopify.com", "to": sms["to"], "body": "Demo Shop: hi",
          "category": "transactional", "created_at": "2026-11-23T17:00:00+00:00"}  # fmt: skip
    cloud.invoke("send_message", sqs_event(json.dumps(tx)))
    assert len(cloud.twilio.outbox()) == 1  # nothing more goes to that number


CALLBACK_API = "https://cb7x9k2m1q.execute-api.us-east-1.amazonaws.com"  # the HTTP API's $default stage


def http_api_callback(cloud, sms, status, host="cb7x9k2m1q.execute-api.us-east-1.amazonaws.com"):
    """The callback as the callback API (an HTTP API, payload version 1.0) hands it to the function."""
    params = {"MessageSid": sms["sid"], "MessageStatus": status, "NumSegments": "1"}
    url = sms["status_callback"]
    mid = url.split("mid=", 1)[1].replace("%3A", ":").replace("%2E", ".")
    event = json.loads((Path(__file__).parents[1] / "events/apigw_http_v1_proxy.json").read_text())
    event["headers"] = {**event["headers"], "Host": host,
                        "X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(url, params)}  # fmt: skip
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    event["queryStringParameters"] = {"mid": mid}
    event["multiValueQueryStringParameters"] = {"mid": [mid]}
    event["body"] = urlencode(params)
    return cloud.invoke("twilio_status", event)


def test_on_the_callback_api_the_sender_asks_for_it_there_and_its_signed_callbacks_apply(cloud, monkeypatch):
    # as the stack sets them: the senders know the callback API; twilio_status knows only the REST API's URL
    monkeypatch.setenv("STATUS_CALLBACK_BASE_URL", CALLBACK_API)
    sms = sent_message(cloud, monkeypatch)
    assert sms["status_callback"].startswith(f"{CALLBACK_API}/sms/status?mid=order-confirmation")
    monkeypatch.delenv("STATUS_CALLBACK_BASE_URL")
    from smsflows.runtime import deps as deps_module

    deps_module.reset()
    # signed for another host (the REST API's): refused, nothing applied
    forged = http_api_callback(cloud, sms, "delivered", host="abc123.execute-api.us-east-1.amazonaws.com")
    assert forged["statusCode"] == 403 and "delivery_status" not in message_item(cloud)
    assert http_api_callback(cloud, sms, "delivered")["statusCode"] == 200
    assert message_item(cloud)["delivery_status"] == "delivered"


def test_a_routine_callback_logs_nothing_at_info_and_a_failure_or_a_late_one_does(cloud, monkeypatch):
    """Two callbacks per text: a routine one is on its message, counted and in the access log already."""
    import io

    from smsflows.runtime import observability

    sms = sent_message(cloud, monkeypatch)
    buf = io.StringIO()
    monkeypatch.setattr(observability.logger.registered_handler, "stream", buf)
    observability.logger.setLevel("INFO")
    try:
        callback(cloud, sms, "sent")
        routine = [json.loads(line) for line in buf.getvalue().splitlines() if '"status callback"' in line]
        callback(cloud, sms, "undelivered", error=30007)
        callback(cloud, sms, "sent")  # late: changes nothing
    finally:
        observability.logger.setLevel("WARNING")
    assert routine == [] and message_item(cloud)["delivery_status"] == "undelivered"
    logged = [json.loads(line) for line in buf.getvalue().splitlines() if '"status callback"' in line]
    assert [(r["status"], r["applied"], r["level"]) for r in logged] == [
        ("undelivered", True, "INFO"),
        ("sent", False, "INFO"),
    ]
