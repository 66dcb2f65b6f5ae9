"""Nothing authentic is lost and no request gets a 5xx for its bytes (issue 12): the Shopify webhook route
through the real handler, moto and the real consumer."""

from __future__ import annotations

import base64
import gzip
import json
import os
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from smsflows.domain import keys
from smsflows.domain.shopify.records import STALE_ACCEPTING
from smsflows.local import samples
from tests.integration.conftest import SHOP, api_event, shopify_headers, sqs_event


def post(cloud, body: bytes, webhook_id: str, b64: bool = True, **kw):
    return cloud.invoke(
        "shopify_webhook", api_event(body, shopify_headers(body, webhook_id=webhook_id, **kw), b64=b64)
    )


def status_of(response) -> tuple[int, str | None]:
    return response["statusCode"], json.loads(response["body"]).get("status")


def inbox_item(cloud, webhook_id):
    key = keys.webhook(SHOP, webhook_id)
    [item] = [i for i in cloud.items("WEBHOOK#") if (i["pk"], i["sk"]) == (key["pk"], key["sk"])]
    return item


def process(cloud) -> None:
    bodies = cloud.queue_bodies("shop_events_queue")
    assert bodies, "nothing was handed on"
    assert cloud.invoke("process_shop_event", sqs_event(*bodies)) == {"batchItemFailures": []}


def send_all(cloud) -> None:
    sends = cloud.send_bodies()
    if sends:
        assert cloud.invoke("send_message", sqs_event(*sends)) == {"batchItemFailures": []}


def order_body(order_id=42, number=1001, **extra) -> bytes:
    return json.dumps(samples.order(order_id, number, "+15125550123") | extra).encode()


def test_a_webhook_whose_hand_off_fails_is_retried_by_shopify_and_processed_exactly_once(cloud, monkeypatch):
    from smsflows.runtime.deps import get_deps

    queue = get_deps().shop_events_queue
    real_send = queue.send
    calls = []

    def failing_once(body, **kw):
        calls.append(body)
        if len(calls) == 1:
            raise ConnectionError("SQS unreachable")
        return real_send(body, **kw)

    monkeypatch.setattr(queue, "send", failing_once)
    body = order_body()
    first = post(cloud, body, "wh-retry")
    assert first["statusCode"] >= 500  # Shopify retries a failure
    assert [i for i in cloud.items("WEBHOOK#")] == []  # and the id is free for the retry
    assert status_of(post(cloud, body, "wh-retry")) == (200, "queued")
    assert status_of(post(cloud, body, "wh-retry")) == (200, "duplicate")
    process(cloud)
    send_all(cloud)
    assert [m["to"] for m in cloud.twilio.outbox()] == ["+15125550123"]
    assert inbox_item(cloud, "wh-retry")["state"] == "processed"  # handled once, and it says so


def test_a_hand_off_that_died_midway_is_taken_over_once_stale_and_never_lost(cloud, monkeypatch):
    """The queue failed and so did the clean-up: the record stays "accepting". A redelivery while it is fresh
    is told to retry (409, not a 5xx, not "duplicate"); one after STALE_ACCEPTING takes it over."""
    from smsflows.runtime.deps import get_deps

    deps = get_deps()
    monkeypatch.setattr(
        deps.shop_events_queue, "send", lambda *a, **k: (_ for _ in ()).throw(ConnectionError())
    )
    monkeypatch.setattr(
        deps.webhook_inbox, "forget", lambda *a, **k: (_ for _ in ()).throw(ConnectionError())
    )
    body = order_body()
    assert post(cloud, body, "wh-stuck")["statusCode"] >= 500
    assert inbox_item(cloud, "wh-stuck")["state"] == "accepting"
    monkeypatch.undo()

    assert post(cloud, body, "wh-stuck")["statusCode"] == 409
    now = deps.clock()
    monkeypatch.setattr(deps, "clock", lambda: now + STALE_ACCEPTING + timedelta(seconds=1))
    assert status_of(post(cloud, body, "wh-stuck")) == (200, "queued")
    process(cloud)
    send_all(cloud)
    assert len(cloud.twilio.outbox()) == 1
    assert status_of(post(cloud, body, "wh-stuck")) == (200, "duplicate")


def test_a_lone_surrogate_escape_is_processed_without_the_broken_half(cloud):
    order = json.dumps(samples.order(42, 1001, "+15125550123", first_name="Zo")).encode()
    body = order.replace(b'"Zo"', b'"Zo\\ud83d"')  # half an emoji, as a JSON escape: valid JSON
    assert body != order
    assert status_of(post(cloud, body, "wh-sur")) == (200, "queued")
    process(cloud)
    send_all(cloud)
    [sms] = cloud.twilio.outbox()
    assert "Hi Zo," in sms["body"] and "#1001" in sms["body"] and sms["segments"] == 1
    kept = gzip.decompress(bytes(inbox_item(cloud, "wh-sur")["body_gz"].value))
    assert kept == body  # the evidence is the body as Shopify signed it, broken half and all


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"id": 1, "note": "\ud83d"}'.encode("utf-8", "surrogatepass"), "not UTF-8"),
        (b'{"id": 1, "x": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested deeper"),
        (b"[1, 2, 3]", "not a JSON object"),
        (b"\xff\xfe{", "not UTF-8"),
    ],
    ids=["raw-lone-surrogate", "nested-5000", "array", "binary"],
)
def test_an_authentic_body_that_cannot_be_read_is_kept_for_replay_with_its_reason(cloud, body, reason):
    response = post(cloud, body, "wh-bad")
    assert status_of(response) == (200, "unparseable")
    item = inbox_item(cloud, "wh-bad")
    assert item["state"] == "unparseable" and reason in item["reason"] and "expires_at" not in item
    assert cloud.receive("shop_events_queue") == []
    assert status_of(post(cloud, body, "wh-bad")) == (200, "duplicate")  # a redelivery does not stack up


def test_a_body_too_large_for_one_item_is_kept_in_parts_and_processed(cloud):
    body = order_body(note=os.urandom(450_000).hex())  # ~900 KB, ~470 KB compressed
    assert status_of(post(cloud, body, "wh-big")) == (200, "queued")
    parts = [i for i in cloud.items("WEBHOOK#") if str(i["sk"]).startswith("PART#")]
    assert len(parts) == 2
    process(cloud)
    send_all(cloud)
    assert len(cloud.twilio.outbox()) == 1 and inbox_item(cloud, "wh-big")["body_parts"] == 2


def test_an_unsigned_body_that_is_not_utf8_is_a_401_not_a_500(cloud):
    body = b"\xed\xa0\xbd\xff"
    headers = shopify_headers(body, webhook_id="wh-junk", secret="wrong")
    assert cloud.invoke("shopify_webhook", api_event(body, headers, b64=True))["statusCode"] == 401
    event = api_event(b"{}", headers)
    event["body"] = '{"x": "\udcff"}'  # undecodable bytes handed on as text
    assert cloud.invoke("shopify_webhook", event)["statusCode"] == 401
    assert cloud.items("WEBHOOK#") == []


# --- /subscribe: consent evidence is strict (issue 12 part 3) -------------------------------------------
def subscribe(cloud, body: bytes, content_type: str = "application/json"):
    return cloud.invoke("subscribe", api_event(body, {"Content-Type": content_type}, path="/subscribe"))


def sign_up(**overrides) -> dict:
    from tests.integration.test_consent import form

    return form(**overrides)


def consent_items(cloud):
    return cloud.items("SUB#")


@pytest.mark.parametrize("checked", ["yes", "on", "true", 1, None])
def test_consent_must_be_a_json_boolean(cloud, checked):
    body = sign_up()
    body["consent"] = {**body["consent"], "checked": checked}
    response = subscribe(cloud, json.dumps(body).encode())
    assert response["statusCode"] == 400 and consent_items(cloud) == [] and cloud.send_bodies() == []


@pytest.mark.parametrize("default_checked", ["on", "no", 0])
def test_the_checkbox_default_must_be_a_json_boolean(cloud, default_checked):
    body = sign_up()
    body["consent"] = {**body["consent"], "default_checked": default_checked}
    assert subscribe(cloud, json.dumps(body).encode())["statusCode"] == 400 and consent_items(cloud) == []


def test_a_duplicate_key_is_a_400_and_changes_nothing(cloud):
    text = json.dumps(sign_up())
    doubled = text[:-1] + ', "phone": "+15125550999"}'
    response = subscribe(cloud, doubled.encode())
    assert response["statusCode"] == 400 and "duplicate key" in json.loads(response["body"])["message"]
    assert consent_items(cloud) == []


def test_a_phone_written_with_letters_is_refused(cloud):
    response = subscribe(cloud, json.dumps(sign_up(phone="512-555-CALL")).encode())
    assert response["statusCode"] == 400 and "digits" in json.loads(response["body"])["message"]
    assert consent_items(cloud) == []


def test_full_width_digits_are_the_same_number_and_are_recorded_as_typed(cloud):
    from smsflows.runtime.deps import get_deps

    response = subscribe(cloud, json.dumps(sign_up(phone="(５１２) ５５５-０１２３")).encode())
    assert response["statusCode"] == 202
    [event] = get_deps().consent_store.events(SHOP, "+15125550123")
    assert event.phone_as_typed == "(５１２) ５５５-０１２３"


@pytest.mark.parametrize("content_type", ["APPLICATION/JSON", "Application/Json; charset=UTF-8"])
def test_the_media_type_is_read_without_regard_to_case(cloud, content_type):
    assert subscribe(cloud, json.dumps(sign_up()).encode(), content_type)["statusCode"] == 202


def test_a_subscribe_body_nested_thousands_deep_is_a_400(cloud):
    assert subscribe(cloud, b"[" * 5000 + b"]" * 5000)["statusCode"] == 400


# --- the Twilio routes and methods (issue 12 part 2) ----------------------------------------------------
def test_an_unsigned_form_that_is_not_utf8_is_a_403_not_a_500(cloud):
    from tests.integration.conftest import twilio_event

    event = twilio_event({"Body": "STOP"}, sign=False)
    event["body"], event["isBase64Encoded"] = (
        base64.b64encode(b"Body=\xff\xfe%ZZ&From=\xed\xa0\xbd").decode(),
        True,
    )
    assert cloud.invoke("twilio_inbound", event)["statusCode"] == 403
    assert cloud.items("") == [i for i in cloud.items("") if i.get("type") in ("shop_config", "sender")]


def test_a_signed_message_sid_longer_than_a_key_may_be_is_a_400(cloud):
    from tests.integration.conftest import inbound_params, twilio_event

    response = cloud.invoke("twilio_inbound", twilio_event(inbound_params("STOP", "SM" + "x" * 3000)))
    assert response["statusCode"] == 400 and cloud.items("SUB#") == []


def test_a_status_callback_with_an_absurd_error_code_is_answered(cloud):
    from twilio.request_validator import RequestValidator

    from tests.integration.conftest import INBOUND_URL, TWILIO_TOKEN

    url = INBOUND_URL.replace("/sms/inbound", "/sms/status") + "?mid=m1"
    params = {"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "9" * 5000, "NumSegments": "²"}
    body = urlencode(params).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(url, params)}  # fmt: skip
    event = api_event(body, headers, path="/sms/status")
    event["queryStringParameters"], event["multiValueQueryStringParameters"] = {"mid": "m1"}, {"mid": ["m1"]}
    assert cloud.invoke("twilio_status", event)["statusCode"] == 200


@pytest.mark.parametrize("function", ["shopify_webhook", "twilio_inbound", "twilio_status", "subscribe"])
@pytest.mark.parametrize("method", ["HEAD", "GET", "PUT"])
def test_another_method_is_a_405_with_allow(cloud, function, method):
    path = {"shopify_webhook": "/webhooks/shopify", "twilio_inbound": "/sms/inbound", "twilio_status": "/sms/status",
            "subscribe": "/subscribe"}[function]  # fmt: skip
    event = api_event(b"", {}, path=path)
    event["httpMethod"] = method
    response = cloud.invoke(function, event)
    assert response["statusCode"] == 405 and response["multiValueHeaders"]["Allow"] == ["POST"]


def test_one_correlation_id_follows_a_webhook_to_its_text_and_into_the_message_log(cloud):
    from smsflows.runtime import observability

    assert status_of(post(cloud, order_body(), "wh-corr")) == (200, "queued")
    [envelope] = cloud.queue_bodies("shop_events_queue")
    assert json.loads(envelope)["correlation_id"] == "shopify:wh-corr"
    assert cloud.invoke("process_shop_event", sqs_event(envelope)) == {"batchItemFailures": []}
    [send] = cloud.send_bodies()
    assert json.loads(send)["correlation_id"] == "shopify:wh-corr"
    assert cloud.invoke("send_message", sqs_event(send)) == {"batchItemFailures": []}
    [message] = cloud.items("MSG#")
    assert message["correlation_id"] == "shopify:wh-corr" and message["state"] == "sent"
    # and every log record written while a handler works on it carries it
    token = observability.correlation_id.set("shopify:wh-corr")
    try:
        assert json.loads(observability.bounded_json({"message": "x"}))["correlation_id"] == "shopify:wh-corr"
    finally:
        observability.correlation_id.reset(token)
    assert "correlation_id" not in json.loads(observability.bounded_json({"message": "x"}))


def test_in_the_local_cloud_each_log_record_names_the_function_that_wrote_it(cloud, monkeypatch):
    """Functions share one process (and one Powertools logger) in the local cloud, in threads: each record
    must still say which function wrote it."""
    import io
    import threading

    from smsflows.runtime import observability
    from tests.integration.conftest import twilio_event

    buf = io.StringIO()
    monkeypatch.setattr(observability.logger.registered_handler, "stream", buf)
    observability.logger.setLevel("INFO")
    try:
        body = b"{}"
        webhook = api_event(body, shopify_headers(body, secret="wrong"))  # "HMAC does not match"
        status = twilio_event({"MessageSid": "SM1"}, sign=False)  # "X-Twilio-Signature does not match"
        status["path"] = "/sms/status"
        calls = [("shopify_webhook", webhook), ("twilio_status", status)] * 10
        threads = [threading.Thread(target=cloud.invoke, args=call) for call in calls]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        observability.logger.setLevel("WARNING")
    records = [json.loads(line) for line in buf.getvalue().splitlines() if '"request rejected"' in line]
    assert len(records) == 20
    for record in records:
        expected = "shopify_webhook" if "HMAC" in record["detail"] else "twilio_status"
        assert record["function_name"] == expected, record


def test_an_unreadable_webhook_is_listed_with_its_reason_and_replayed_once_the_cause_is_fixed(
    cloud, monkeypatch
):
    """A webhook the consumer could not process (here: a model the running code rejects) is kept with its
    reason; `smsflows webhooks list --state unparseable` shows it, and `webhooks replay` after the fix sends its
    text once. Replaying what still cannot be read marks it again, with its reason."""
    from smsflows import admin
    from smsflows.domain.shopify import webhooks as shopify_webhooks

    real = shopify_webhooks.Order.model_validate
    monkeypatch.setattr(
        shopify_webhooks.Order, "model_validate", lambda *a, **k: (_ for _ in ()).throw(ValueError("v1 bug"))
    )
    assert status_of(post(cloud, order_body(), "wh-later")) == (200, "queued")
    assert status_of(post(cloud, b"[1, 2]", "wh-array")) == (200, "unparseable")
    process(cloud)
    listed = {r["webhook_id"]: r for r in admin.webhooks_list(SHOP, "unparseable")}
    assert set(listed) == {"wh-later", "wh-array"}
    assert listed["wh-later"]["reason"] == "v1 bug" and "not a JSON object" in listed["wh-array"]["reason"]
    assert cloud.twilio.outbox() == []

    monkeypatch.setattr(shopify_webhooks.Order, "model_validate", real)  # the fix is deployed
    assert admin.webhooks_replay(SHOP, all_unparseable=True)["replayed"] == 2
    process(cloud)
    send_all(cloud)
    assert [m["to"] for m in cloud.twilio.outbox()] == ["+15125550123"]
    assert [r["webhook_id"] for r in admin.webhooks_list(SHOP, "unparseable")] == ["wh-array"]
    admin.webhooks_replay(SHOP, "wh-later")  # replaying a processed one again sends nothing twice
    process(cloud)
    send_all(cloud)
    assert len(cloud.twilio.outbox()) == 1
    with pytest.raises(SystemExit, match="no webhook"):
        admin.webhooks_replay(SHOP, "wh-never")


def test_dlq_list_shows_a_dead_letter_whose_body_is_not_json(cloud):
    from smsflows import admin

    sqs = cloud.client("sqs")
    sqs.send_message(QueueUrl=cloud.res.dlq_urls["send_queue"], MessageBody="not json at all")
    rows = admin.dlq_list()
    assert [r["unreadable_body"] for r in rows if "unreadable_body" in r] == ["not json at all"]


def test_a_replayed_body_that_is_not_utf8_reaches_the_consumer_as_the_bytes_it_was(cloud):
    from smsflows import admin

    body = '{"id": 1, "note": "\ud83d"}'.encode("utf-8", "surrogatepass")
    assert status_of(post(cloud, body, "wh-raw")) == (200, "unparseable")
    admin.webhooks_replay(SHOP, "wh-raw")
    [sent] = cloud.queue_bodies("shop_events_queue")
    assert "body" not in json.loads(sent)  # not decoded with replacement characters on the way
    assert cloud.invoke("process_shop_event", sqs_event(sent)) == {"batchItemFailures": []}
    item = inbox_item(cloud, "wh-raw")
    assert item["state"] == "unparseable" and "not UTF-8" in item["reason"]
