"""DynamoDB and SQS faults on every handler's path: throttling (ProvisionedThroughputExceededException,
ThrottlingException, RequestThrottled) and 5xx (InternalServerError, ServiceUnavailable) answered by "AWS"
(tests/aws_faults.py) and retried by botocore's own retry handler as `runtime.deps` configures it. Each test
checks the handler's result, that each item and text exists exactly once, and how often each call was
retried. A call that fails on every attempt ends as a failure its caller retries (SQS redelivery, Shopify
or Twilio), and that retry loses nothing and sends nothing twice; so does a write that AWS applied but
answered with a 5xx.

Every call of a handler under `each_call(THROTTLED, UNAVAILABLE)` is throttled once, then fails once
inside AWS, then goes through: botocore sleeps up to 1 s after the throttle (its jittered backoff), so a
handler here takes a second or two.

Every pacing slot counts as on time here (`slots_on_time`): a claim slowed by a retry's backoff books a new
slot (an UpdateItem, then a consent re-read), and whether it is slow enough depends on botocore's jitter
and the machine, so the calls these tests count and fail would too. Under slow AWS a text goes late rather
than never: unit/sending/test_send_slots.py checks that with a clock that does not depend on either.
"""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from smsflows import topology
from smsflows.local import samples
from smsflows.local.inprocess import DEFAULT_START
from smsflows.runtime import deps as deps_module
from tests.aws_faults import (
    THROTTLED,
    THROTTLING,
    UNAVAILABLE,
    UNPROCESSED,
    AwsFaults,
    Fault,
    each_call,
    first_calls,
)
from tests.integration.conftest import (
    SHOP,
    TWILIO_TOKEN,
    api_event,
    inbound_params,
    shopify_headers,
    sqs_event,
    twilio_event,
)
from tests.integration.test_consent import form, post_subscribe, reply_of

pytestmark = pytest.mark.usefixtures("slots_on_time")

PHONE = "+15125550123"
CLAIMS = {"PutItem", "TransactWriteItems"}  # the sender's claim: a lone put, or a transaction


def transactional(mid: str, to: str = PHONE, category: str = "transactional") -> str:
    return json.dumps({"message_id": mid, "shop": SHOP, "to": to, "body": "Demo Shop: your order shipped",
                       "category": category, "created_at": DEFAULT_START.isoformat()})  # fmt: skip


def from_queue(cloud, key: str, *bodies: str, receive_count: int = 1) -> dict:
    """An SQS event as the queue's event source mapping delivers it (its ARN: the sender knows the queue)."""
    event = sqs_event(*bodies, receive_count=receive_count)
    arn = f"arn:aws:sqs:us-east-1:123456789012:{cloud.res.queue_urls[key].rsplit('/', 1)[-1]}"
    for record in event["Records"]:
        record["eventSourceARN"] = arn
    return event


def message(cloud, mid: str) -> dict:
    [item] = cloud.items(f"MSG#{mid}")
    return item


# The configuration -------------------------------------------------------------------------------------


def test_every_client_retries_in_standard_mode_within_the_shortest_function_timeout(cloud):
    shortest = min(spec.timeout_s for spec in topology.FUNCTIONS)
    attempts = deps_module.AWS_MAX_ATTEMPTS
    for service in ("dynamodb", "sqs", "stepfunctions", "scheduler", "secretsmanager"):
        config = cloud.client(service).meta.config  # the clients the handlers use
        assert config.retries == {"mode": "standard", "total_max_attempts": attempts}, service
        assert (config.connect_timeout, config.read_timeout) == (
            deps_module.AWS_CONNECT_TIMEOUT_S, deps_module.AWS_READ_TIMEOUT_S,
        )  # fmt: skip
    # botocore's standard backoff before retry i: up to min(2^(i-1), 20) s after a throttle, 0.05 s * 2^(i-1)
    # after anything else (0.025 s for DynamoDB)
    throttled = sum(min(2 ** (i - 1), 20) for i in range(1, attempts))
    hung = attempts * (deps_module.AWS_CONNECT_TIMEOUT_S + deps_module.AWS_READ_TIMEOUT_S) + sum(
        0.05 * 2 ** (i - 1) for i in range(1, attempts)
    )
    assert throttled <= shortest / 3  # a throttled call leaves the function most of its time
    assert hung < shortest  # even a call whose every attempt hangs ends before the function times out
    local = deps_module.client_config("http://127.0.0.1:5000")
    assert local.read_timeout == deps_module.LOCAL_READ_TIMEOUT_S  # moto's server on a busy laptop


# The sender ---------------------------------------------------------------------------------------------


def test_send_message_retries_every_call_and_sends_each_text_once(cloud):
    event = from_queue(cloud, topology.TRANSACTIONAL_QUEUE, transactional("m-1"),
                       transactional("m-2", "+15125550124"))  # fmt: skip
    with AwsFaults(each_call(THROTTLED, UNAVAILABLE)).armed() as faults:
        assert cloud.invoke("send_message", event) == {"batchItemFailures": []}
    assert sorted(m["to"] for m in cloud.twilio.outbox()) == [PHONE, "+15125550124"]
    assert [message(cloud, mid)["state"] for mid in ("m-1", "m-2")] == ["sent", "sent"]
    assert faults.every_call_retried(2), faults
    assert {"dynamodb.BatchGetItem", "dynamodb.UpdateItem"} <= set(faults.calls)  # the read, the receipts


def test_a_claim_that_fails_on_every_attempt_is_redelivered_and_sent_once(cloud):
    body = transactional("m-1")
    every = each_call(THROTTLING, UNAVAILABLE, THROTTLING, only=CLAIMS)
    with AwsFaults(every).armed() as faults:
        result = cloud.invoke("send_message", from_queue(cloud, topology.TRANSACTIONAL_QUEUE, body))
    assert len(result["batchItemFailures"]) == 1 and cloud.twilio.outbox() == []
    [claim] = faults.injected  # the one claim, failed on every attempt it was allowed
    assert faults.calls[claim] == 1
    assert faults.attempts[claim] == deps_module.AWS_MAX_ATTEMPTS == faults.injected[claim]
    assert cloud.items("MSG#") == []  # nothing claimed, nothing to undo
    again = cloud.invoke(
        "send_message", from_queue(cloud, topology.TRANSACTIONAL_QUEUE, body, receive_count=2)
    )
    assert again == {"batchItemFailures": []}
    assert [m["to"] for m in cloud.twilio.outbox()] == [PHONE] and message(cloud, "m-1")["state"] == "sent"


def test_a_claim_failing_on_the_last_receive_is_recorded_as_dead_lettered_and_why(cloud):
    body = transactional("m-1")
    last = topology.QUEUES[topology.TRANSACTIONAL_QUEUE].max_receive_count
    with AwsFaults(each_call(THROTTLED, THROTTLED, THROTTLED, only=CLAIMS)).armed():
        event = from_queue(cloud, topology.TRANSACTIONAL_QUEUE, body, receive_count=last)
        assert len(cloud.invoke("send_message", event)["batchItemFailures"]) == 1
    item = message(cloud, "m-1")
    assert (item["state"], item["reason"]) == (
        "dead_lettered",
        "DynamoDB ProvisionedThroughputExceededException",
    )
    from smsflows.runtime.deps import get_deps

    assert get_deps().message_log.replay("m-1", get_deps().clock()) == "queued"  # `smsflows dlq replay`
    replayed = from_queue(cloud, topology.TRANSACTIONAL_QUEUE, body)  # a new message: a new count
    assert cloud.invoke("send_message", replayed) == {"batchItemFailures": []}
    assert [m["to"] for m in cloud.twilio.outbox()] == [PHONE] and message(cloud, "m-1")["state"] == "sent"


def test_a_receipt_that_cannot_be_recorded_is_settled_with_the_provider_never_sent_twice(cloud, monkeypatch):
    """Twilio accepted the text, then every attempt to record it failed: the claim stays 'sending'. The
    redelivery waits until that claim is stale, asks Twilio, finds the text and records it as sent."""
    body = transactional("m-1")
    receipts = each_call(UNAVAILABLE, UNAVAILABLE, UNAVAILABLE, only={"UpdateItem"})
    with AwsFaults(receipts).armed() as faults:
        result = cloud.invoke("send_message", from_queue(cloud, topology.TRANSACTIONAL_QUEUE, body))
    assert len(result["batchItemFailures"]) == 1
    assert faults.attempts["dynamodb.UpdateItem"] == deps_module.AWS_MAX_ATTEMPTS
    [sms] = cloud.twilio.outbox()
    assert message(cloud, "m-1")["state"] == "sending"
    later = deps_module.get_deps().clock() + timedelta(minutes=3)  # the claim is stale by now
    monkeypatch.setattr(deps_module.Deps, "clock", property(lambda self: lambda: later))
    deps_module.reset()
    again = cloud.invoke(
        "send_message", from_queue(cloud, topology.TRANSACTIONAL_QUEUE, body, receive_count=2)
    )
    assert again == {"batchItemFailures": []}
    assert cloud.twilio.outbox() == [sms]  # once
    item = message(cloud, "m-1")
    assert (item["state"], item["sid"], item["settled"]) == ("sent", sms["sid"], "provider had it")


@pytest.mark.parametrize("claim", sorted(CLAIMS))
def test_a_claim_applied_but_answered_with_a_5xx_is_recognised_as_its_own(cloud, claim, monkeypatch):
    """DynamoDB applied the claim and answered 500; the retry finds the claim there. Its token says it is
    this attempt's own (not another sender's), so the text goes out now, once, not after a stale-claim wait."""
    body = transactional("m-1")
    if claim == "PutItem":  # a lone put: a compliance reply checks nothing with its claim (and unpaced here)
        from smsflows.domain.sending import send

        monkeypatch.setattr(send, "_pace", lambda ready, now, deps, want=None: ready)
        body = transactional("m-1", category="compliance")
    lost = Fault(500, "InternalServerError", lost_answer=True)
    with AwsFaults(each_call({"dynamodb": lost}, only={claim})).armed() as faults:
        result = cloud.invoke("send_message", from_queue(cloud, topology.TRANSACTIONAL_QUEUE, body))
    assert result == {"batchItemFailures": []}
    assert faults.calls[f"dynamodb.{claim}"] == 1 and faults.retries[f"dynamodb.{claim}"] == [1]
    assert [m["to"] for m in cloud.twilio.outbox()] == [PHONE] and message(cloud, "m-1")["state"] == "sent"


def test_a_batch_read_left_unprocessed_is_asked_again(cloud):
    event = from_queue(cloud, topology.TRANSACTIONAL_QUEUE, transactional("m-1"),
                       transactional("m-2", "+15125550124"))  # fmt: skip
    with AwsFaults(first_calls(1, UNPROCESSED, only={"BatchGetItem"})).armed() as faults:
        assert cloud.invoke("send_message", event) == {"batchItemFailures": []}
    assert faults.calls["dynamodb.BatchGetItem"] == 2  # unprocessed (a 200, not retried), then asked again
    assert len(cloud.twilio.outbox()) == 2


# Shop events ------------------------------------------------------------------------------------------


def test_process_shop_event_retries_every_call_and_queues_each_text_once(cloud):
    body = json.dumps(samples.order(42, 1001, PHONE)).encode()
    assert cloud.invoke("shopify_webhook", api_event(body, shopify_headers(body)))["statusCode"] == 200
    event = sqs_event(*cloud.queue_bodies("shop_events_queue"))
    with AwsFaults(each_call(THROTTLED, UNAVAILABLE)).armed() as faults:
        assert cloud.invoke("process_shop_event", event) == {"batchItemFailures": []}
    assert faults.every_call_retried(2), faults
    assert "sqs.SendMessage" in faults.calls
    [send] = cloud.send_bodies()  # one text queued
    assert "#1001" in json.loads(send)["body"]
    orders = [i for i in cloud.items("ORDER#") if i["sk"] == "ORDER"]  # beside it: its attribution
    assert len(orders) == 1 and len(cloud.items("PROFILE#")) == 1


def test_a_queued_text_applied_but_answered_with_a_5xx_is_sent_once(cloud):
    """SQS took the message and answered 503: the retry queues a second copy, and the sender's claim on
    the message id sends one text."""
    body = json.dumps(samples.order(42, 1001, PHONE)).encode()
    cloud.invoke("shopify_webhook", api_event(body, shopify_headers(body)))
    event = sqs_event(*cloud.queue_bodies("shop_events_queue"))
    lost = {"sqs": Fault(503, "ServiceUnavailable", lost_answer=True)}
    with AwsFaults(each_call(lost, only={"SendMessage"})).armed():
        assert cloud.invoke("process_shop_event", event) == {"batchItemFailures": []}
    copies = cloud.send_bodies()
    assert len(copies) == 2 and len(set(copies)) == 1
    assert cloud.invoke("send_message", sqs_event(*copies)) == {"batchItemFailures": []}
    assert len(cloud.twilio.outbox()) == 1


# Flow steps ---------------------------------------------------------------------------------------------


def plan_event(step: int = 0) -> dict:
    context = {"shop": SHOP, "phone": PHONE, "started_at": DEFAULT_START.isoformat()}
    return {"action": "plan", "flow": "welcome", "version": 1, "step": step, "execution": "ex-1",
            "context": context}  # fmt: skip


def test_flow_step_retries_every_read_and_decides_as_without_faults(cloud):
    assert "subscribed" in reply_of(
        cloud.invoke("twilio_inbound", twilio_event(inbound_params("JOIN", "SM-j")))
    )
    calm = cloud.invoke("flow_step", plan_event())
    with AwsFaults(each_call(THROTTLING, UNAVAILABLE)).armed() as faults:
        result = cloud.invoke("flow_step", plan_event())
    assert (result["decision"], result["reason"]) == (calm["decision"], calm["reason"]) == ("send", "ok")
    sent, planned = json.loads(result["message"]), json.loads(calm["message"])
    assert (sent["to"], sent["body"]) == (planned["to"], planned["body"]) == (PHONE, planned["body"])
    assert faults.every_call_retried(2), faults
    assert all(op.split(".")[1].startswith(("Get", "BatchGet", "Query")) for op in faults.calls)  # reads only


def test_flow_step_reads_keys_a_batch_read_left_unprocessed(cloud):
    assert "subscribed" in reply_of(
        cloud.invoke("twilio_inbound", twilio_event(inbound_params("JOIN", "SM-j")))
    )
    with AwsFaults(first_calls(1, UNPROCESSED, only={"BatchGetItem"})).armed():
        result = cloud.invoke("flow_step", plan_event())
    assert result["decision"] == "send", result


# The API handlers' writes (their behaviour under faults is theirs: here, that the clients retry) --------


def test_shopify_webhook_retries_every_call_and_queues_the_event_once(cloud):
    body = json.dumps(samples.order(42, 1001, PHONE)).encode()
    with AwsFaults(each_call(THROTTLED, UNAVAILABLE)).armed() as faults:
        response = cloud.invoke("shopify_webhook", api_event(body, shopify_headers(body, webhook_id="wh-1")))
    assert response["statusCode"] == 200 and json.loads(response["body"]) == {"status": "queued"}
    assert faults.every_call_retried(2), faults
    assert {"dynamodb.PutItem", "sqs.SendMessage"} <= set(faults.calls)
    assert len(cloud.queue_bodies("shop_events_queue")) == 1 and len(cloud.items("WEBHOOK#")) == 1


def test_a_webhook_whose_record_fails_on_every_attempt_is_accepted_on_shopifys_retry(cloud):
    body = json.dumps(samples.order(42, 1001, PHONE)).encode()
    event = api_event(body, shopify_headers(body, webhook_id="wh-1"))
    with AwsFaults(each_call(THROTTLED, THROTTLED, THROTTLED, only={"PutItem"})).armed() as faults:
        response = cloud.invoke("shopify_webhook", event)
    assert response["statusCode"] >= 500  # Shopify retries it
    assert faults.attempts["dynamodb.PutItem"] == deps_module.AWS_MAX_ATTEMPTS
    assert cloud.queue_bodies("shop_events_queue") == []
    assert cloud.invoke("shopify_webhook", event)["statusCode"] == 200
    assert len(cloud.queue_bodies("shop_events_queue")) == 1 and len(cloud.items("WEBHOOK#")) == 1


def test_twilio_inbound_retries_every_call_and_records_the_stop_once(cloud):
    reply_of(cloud.invoke("twilio_inbound", twilio_event(inbound_params("JOIN", "SM-join"))))
    with AwsFaults(each_call(THROTTLED, UNAVAILABLE)).armed() as faults:
        reply = reply_of(cloud.invoke("twilio_inbound", twilio_event(inbound_params("STOP", "SM-stop"))))
    assert reply.startswith("Demo Shop:") and "unsubscribed" in reply
    assert faults.every_call_retried(2), faults
    from smsflows.runtime.deps import get_deps

    consent = get_deps().consent_store
    assert consent.state(SHOP, PHONE).status == "unsubscribed" and consent.is_suppressed(SHOP, PHONE)
    assert [e.kind for e in consent.events(SHOP, PHONE)].count("opt_out") == 1


def test_twilio_status_retries_its_write_and_records_the_status_once(cloud, monkeypatch):
    from twilio.request_validator import RequestValidator

    base = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"
    monkeypatch.setenv("PUBLIC_BASE_URL", base)
    deps_module.reset()
    cloud.twilio.send_status_callbacks = False  # this test posts the callback
    cloud.invoke("send_message", from_queue(cloud, topology.TRANSACTIONAL_QUEUE, transactional("m-1")))
    [sms] = cloud.twilio.outbox()
    params = {"MessageSid": sms["sid"], "MessageStatus": "delivered", "NumSegments": "1"}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(sms["status_callback"], params)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    event = api_event(urlencode(params).encode(), headers, path="/sms/status")
    event["queryStringParameters"] = {"mid": "m-1"}
    event["multiValueQueryStringParameters"] = {"mid": ["m-1"]}
    with AwsFaults(each_call(THROTTLED, UNAVAILABLE)).armed() as faults:
        response = cloud.invoke("twilio_status", event)
    assert response["statusCode"] == 200
    assert faults.every_call_retried(2) and "dynamodb.UpdateItem" in faults.calls, faults
    item = message(cloud, "m-1")
    assert (item["state"], item["delivery_status"]) == ("sent", "delivered")


def test_subscribe_retries_every_call_and_records_and_queues_the_request_once(cloud):
    with AwsFaults(each_call(THROTTLING, UNAVAILABLE)).armed() as faults:
        response = post_subscribe(cloud, form())
    assert response["statusCode"] == 202 and json.loads(response["body"]) == {"status": "pending"}
    assert faults.every_call_retried(2), faults
    from smsflows.runtime.deps import get_deps

    events = get_deps().consent_store.events(SHOP, PHONE)
    assert [e.kind for e in events] == ["opt_in_requested"]
    [request] = cloud.send_bodies()
    assert "Reply Y to confirm" in json.loads(request)["body"]


def test_a_webhook_record_applied_but_answered_with_a_5xx_is_recognised_by_its_retry(cloud):
    """The inbox's put landed and DynamoDB answered 500: botocore retries it, the condition fails on the
    record the first attempt wrote, and the token says it is this request's own: queued at once, not a 409."""
    body = json.dumps(samples.order(42, 1001, PHONE)).encode()
    lost = Fault(500, "InternalServerError", lost_answer=True)
    with AwsFaults(each_call({"dynamodb": lost}, only={"PutItem"})).armed() as faults:
        response = cloud.invoke(
            "shopify_webhook", api_event(body, shopify_headers(body, webhook_id="wh-lost"))
        )
    assert response["statusCode"] == 200 and json.loads(response["body"]) == {"status": "queued"}
    assert faults.retries["dynamodb.PutItem"] == [1]
    assert len(cloud.queue_bodies("shop_events_queue")) == 1


def test_a_claim_read_that_keeps_failing_is_a_transient_error(cloud):
    """Every attempt throttled: the message log says so as a TransientError (the sender then backs off and
    SQS redelivers), not as botocore's own exception."""
    from smsflows.runtime.deps import get_deps
    from smsflows.runtime.errors import TransientError

    log = get_deps().message_log
    with (
        AwsFaults(each_call(THROTTLED, THROTTLED, THROTTLED, only={"GetItem"})).armed(),
        pytest.raises(TransientError),
    ):
        log.claim("m-1")


def test_a_shop_erasure_reads_more_than_one_batch_and_the_keys_a_batch_left_unprocessed(cloud):
    """250 items of a shop: three batch reads of at most 100 keys, the first answered with its keys left
    unprocessed (asked again), and every item erased and counted."""
    from smsflows.runtime.deps import get_deps

    deps = get_deps()
    ddb, table = cloud.client("dynamodb"), deps.settings.table_name
    for n in range(250):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"MSG#bulk-{n}"}, "sk": {"S": "MSG"}, "type": {"S": "message"},
                                            "shop": {"S": SHOP}})  # fmt: skip
    before = len([i for i in cloud.items("MSG#bulk-")])
    with AwsFaults(first_calls(1, UNPROCESSED, only={"BatchGetItem"})).armed() as faults:
        erased = deps.privacy.store.erase_shop(SHOP)
    assert before == 250 and erased >= 250 and cloud.items("MSG#bulk-") == []
    assert faults.calls["dynamodb.BatchGetItem"] >= 4  # 3 batches, one asked twice
