"""The consent engine through the real handlers under moto: sign-up with proof, double opt-in, keywords,
STOP (one confirmation), HELP, signatures, the STOP race, quiet hours and caps in the sender."""

import json
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest

from smsflows.domain import keys
from tests.integration.conftest import (
    SHOP,
    api_event,
    inbound_params,
    sqs_event,
    twilio_event,
)

PHONE = "+15125550123"
DISCLOSURE = (
    "By checking this box you agree to receive recurring automated marketing texts from Demo Shop "
    "(up to 6 msgs/month) at the number provided. Consent is not a condition of purchase. "
    "Msg & data rates may apply. Reply HELP for help and STOP to cancel. See Terms and Privacy."
)


def form(**overrides):
    body = {
        "shop": SHOP,
        "phone": "(512) 555-0123",
        "country": "US",
        "consent": {"checked": True, "default_checked": False, "disclosure_text": DISCLOSURE},
        "page_url": "https://demo-shop.example/pages/sms",
        "submission_id": "sub-1",
    }
    body.update(overrides)
    return body


def post_subscribe(cloud, payload):
    event = api_event(json.dumps(payload).encode(), {"Content-Type": "application/json"}, path="/subscribe")
    event["requestContext"]["identity"]["userAgent"] = "Mozilla/5.0 (iPhone)"
    return cloud.invoke("subscribe", event)


def reply_of(response) -> str | None:
    assert response["statusCode"] == 200, response
    assert response["multiValueHeaders"]["Content-Type"] == ["text/xml"]
    message = ElementTree.fromstring(response["body"]).find("Message")
    return None if message is None else message.text


def text(cloud, body, sid, frm=PHONE):
    return cloud.invoke("twilio_inbound", twilio_event(inbound_params(body, sid, frm)))


def state(cloud, phone=PHONE):
    from smsflows.runtime.deps import get_deps

    return get_deps().consent_store.state(SHOP, phone)


def send_all(cloud):
    bodies = cloud.send_bodies()
    if bodies:
        cloud.invoke("send_message", sqs_event(*bodies))
    return bodies


def test_web_sign_up_double_opt_in_then_yes_subscribes_with_proof(cloud):
    response = post_subscribe(cloud, form())
    assert response["statusCode"] == 202 and json.loads(response["body"]) == {"status": "pending"}
    assert state(cloud).status == "pending"
    send_all(cloud)
    [request] = cloud.twilio.outbox()
    assert request["to"] == PHONE and "Reply Y to confirm" in request["body"] and "STOP" in request["body"]

    confirmation = reply_of(text(cloud, "Y", "SM-yes-1"))
    assert "You're subscribed to Demo Shop marketing texts" in confirmation
    assert "Msg & data rates may apply" in confirmation and "HELP" in confirmation and "STOP" in confirmation
    subscribed = state(cloud)
    # the record says what happened: a web sign-up, confirmed, nothing pending (as DynamoDB stores it)
    assert (subscribed.status, subscribed.opt_in_source, subscribed.pending_request) == (
        "subscribed",
        "web_form",
        None,
    )
    [item] = [i for i in cloud.items(keys.subscriber(SHOP, PHONE)["pk"]) if i["sk"] == "STATE"]
    assert item["opt_in_source"] == "web_form" and "pending_request" not in item

    from smsflows.runtime.deps import get_deps

    events = {e.kind: e for e in get_deps().consent_store.events(SHOP, PHONE)}
    requested, confirmed = events["opt_in_requested"], events["opt_in_confirmed"]
    assert requested.disclosure_text == DISCLOSURE and len(requested.disclosure_version) == 64
    assert requested.checkbox_default == "unchecked" and requested.ip == "34.123.45.67"
    assert requested.user_agent == "Mozilla/5.0 (iPhone)" and requested.page_url.endswith("/pages/sms")
    assert confirmed.message_sid == "SM-yes-1" and confirmed.message_body == "Y"
    assert confirmed.confirmation_of == requested.event_id and confirmed.source == "web_form"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"consent": {"checked": True, "default_checked": True, "disclosure_text": DISCLOSURE}}, "pre-checked"),
        ({"consent": {"checked": False, "default_checked": False, "disclosure_text": DISCLOSURE}}, "not given"),
        ({"consent": {"checked": True, "default_checked": False, "disclosure_text": DISCLOSURE,
                      "required_for_purchase": True}}, "condition of purchase"),
        ({"consent": {"checked": True, "default_checked": False, "disclosure_text": "Get texts from Demo Shop!!!"}},
         "Msg & data rates"),
        ({"phone": "555-555-SHIP"}, "written with digits"), ({"phone": "555-0100"}, "not a valid"),
        ({"shop": "unknown-shop.myshopify.com"}, "is not onboarded for SMS"),
        ({"surprise": 1}, "Extra inputs"),
    ],
)  # fmt: skip
def test_bad_sign_ups_get_a_clear_4xx_and_change_nothing(cloud, change, message):
    response = post_subscribe(cloud, form(**change))
    assert 400 <= response["statusCode"] < 500
    assert message in json.loads(response["body"])["message"]
    assert state(cloud) is None and cloud.send_bodies() == []


def test_a_sign_up_for_a_shop_nobody_onboarded_is_a_404_saying_so_and_texts_nobody(cloud):
    response = post_subscribe(cloud, form(shop="ghost.myshopify.com"))
    assert response["statusCode"] == 404
    answer = json.loads(response["body"])
    assert answer["error"] == "shop_not_onboarded" and "SMS sign-ups are not open" in answer["message"]
    assert cloud.items("SUB#") == [] and cloud.items("OPTIN") == [] and cloud.items("SHOP#ghost") == []
    assert cloud.send_bodies() == [] and cloud.twilio.outbox() == []


def test_stop_gets_one_confirmation_and_a_second_stop_none(cloud):
    reply_of(text(cloud, "JOIN", "SM-join"))
    assert state(cloud).status == "subscribed"
    first = reply_of(text(cloud, "Stop", "SM-stop-1"))
    assert first.startswith("Demo Shop:") and "unsubscribed" in first and "%" not in first
    assert reply_of(text(cloud, "STOP", "SM-stop-2")) is None
    assert reply_of(text(cloud, "Stop", "SM-stop-1")) is None  # Twilio retrying the same message
    assert state(cloud).status == "unsubscribed"
    from smsflows.runtime.deps import get_deps

    assert get_deps().consent_store.is_suppressed(SHOP, PHONE)


def test_help_is_answered_with_brand_contact_and_opt_out(cloud):
    reply = reply_of(text(cloud, "help", "SM-help"))
    assert reply.startswith("Demo Shop:") and "help@demo-shop.example" in reply and "STOP" in reply
    assert "Msg & data rates may apply" in reply


def test_a_possible_revocation_suppresses_without_a_confirmation_and_is_flagged_for_review(cloud):
    from smsflows.runtime.deps import get_deps

    reply_of(text(cloud, "JOIN", "SM-join"))
    assert reply_of(text(cloud, "why am I getting so many texts from you??", "SM-amb")) is None
    assert state(cloud).status == "unsubscribed" and state(cloud).review is True
    assert get_deps().consent_store.is_suppressed(SHOP, PHONE)
    [convo] = [i for i in cloud.items("CONVO#")]
    assert convo["review"] is True and convo["kind"] == "opt_out_review"


def test_a_clear_revocation_in_a_sentence_is_confirmed_once(cloud):
    reply_of(text(cloud, "JOIN", "SM-join"))
    reply = reply_of(text(cloud, "can you stop sending these", "SM-stop"))
    assert reply is not None and "unsubscribed" in reply
    assert state(cloud).status == "unsubscribed" and state(cloud).review is False


def test_a_keyword_used_as_an_ordinary_word_is_a_flagged_conversation_not_an_opt_out(cloud):
    from smsflows.runtime.deps import get_deps

    reply_of(text(cloud, "JOIN", "SM-join"))
    assert reply_of(text(cloud, "can I cancel my order #1042? wrong size", "SM-order")) is None
    assert state(cloud).status == "subscribed"
    assert not get_deps().consent_store.is_suppressed(SHOP, PHONE)
    [convo] = [i for i in cloud.items("CONVO#")]
    assert convo["review"] is True and convo["kind"] == "message"


def test_yes_without_a_pending_request_is_not_an_opt_in(cloud):
    assert reply_of(text(cloud, "yes", "SM-yes")) is None
    assert state(cloud) is None
    [convo] = cloud.items("CONVO#")
    assert convo["body"] == "yes"


def test_ratings_and_messages_are_stored_for_support(cloud):
    text(cloud, "4", "SM-r")
    text(cloud, "Where is my order?", "SM-q")
    kinds = {i["body"]: (i["kind"], i.get("rating")) for i in cloud.items("CONVO#")}
    assert kinds == {"4": ("rating", 4), "Where is my order?": ("message", None)}


@pytest.mark.parametrize("how", ["unsigned", "wrong_token", "tampered", "wrong_url"])
def test_unsigned_or_mis_signed_inbound_is_403_and_changes_nothing(cloud, how):
    params = inbound_params("STOP", "SM-forged")
    if how == "unsigned":
        event = twilio_event(params, sign=False)
    elif how == "wrong_token":
        event = twilio_event(params, token="not-the-token")
    elif how == "wrong_url":
        event = twilio_event(params, url="https://evil.example/sms/inbound")
    else:
        event = twilio_event(params)
        event["body"] = event["body"].replace("STOP", "START")
    response = cloud.invoke("twilio_inbound", event)
    assert response["statusCode"] == 403
    assert state(cloud) is None and cloud.items("CONVO#") == []


def test_signature_over_a_custom_domain_with_a_base_path_is_accepted(cloud):
    params = inbound_params("HELP", "SM-cd")
    url = "https://sms.example.com/api/sms/inbound"
    event = twilio_event(params, url=url)
    event["headers"]["Host"] = "sms.example.com"
    event["requestContext"]["path"] = "/api/sms/inbound"
    assert reply_of(cloud.invoke("twilio_inbound", event)).startswith("Demo Shop:")


def marketing(message_id="mkt-1", flow="campaign"):
    return json.dumps(
        {
            "message_id": message_id,
            "shop": SHOP,
            "to": PHONE,
            "body": "Demo Shop: 20% off today. Reply STOP to opt out.",
            "category": "marketing",
            "flow": flow,
            "created_at": "2026-11-23T15:00:00+00:00",
        }
    )


@pytest.fixture
def daytime(monkeypatch):
    """Monday 2026-11-23 11:00 in Austin: inside every window for a Texas number."""
    from smsflows.runtime import deps as deps_module

    at = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    monkeypatch.setattr(deps_module.Deps, "clock", property(lambda self: lambda: at))
    return at


def test_stop_race_a_queued_marketing_message_is_not_sent(cloud, daytime):
    reply_of(text(cloud, "JOIN", "SM-join"))
    queued = marketing()  # queued while subscribed...
    reply_of(text(cloud, "STOP", "SM-stop"))  # ...STOP arrives before the sender runs
    assert cloud.invoke("send_message", sqs_event(queued)) == {"batchItemFailures": []}
    assert cloud.twilio.outbox() == []
    [msg] = cloud.items("MSG#")
    assert msg["state"] == "failed" and msg["reason"] == "opted out"


def test_stop_between_the_senders_read_and_its_claim_still_wins(cloud, daytime, monkeypatch):
    from smsflows.adapters.message_log import DynamoMessageLog

    reply_of(text(cloud, "JOIN", "SM-join"))
    real_snapshot = DynamoMessageLog.snapshot

    def snapshot_then_stop(self, shop, phone):
        snap = real_snapshot(self, shop, phone)
        reply_of(text(cloud, "STOP", "SM-late-stop"))  # lands after the read, before the claim
        return snap

    monkeypatch.setattr(DynamoMessageLog, "snapshot", snapshot_then_stop)
    cloud.invoke("send_message", sqs_event(marketing()))
    assert cloud.twilio.outbox() == []
    [msg] = cloud.items("MSG#")
    assert msg["reason"] == "consent changed just before sending"


def test_marketing_needs_consent_but_transactional_does_not(cloud, daytime):
    cloud.invoke("send_message", sqs_event(marketing()))
    assert cloud.twilio.outbox() == []
    [msg] = cloud.items("MSG#")
    assert msg["reason"] == "no marketing consent"


def test_subscribed_marketing_is_sent_inside_quiet_hours_window_and_recorded_with_the_rules(cloud, daytime):
    reply_of(text(cloud, "JOIN", "SM-join"))
    cloud.invoke("send_message", sqs_event(marketing()))
    [sms] = cloud.twilio.outbox()
    assert sms["to"] == PHONE
    [msg] = cloud.items("MSG#")
    assert msg["state"] == "sent" and msg["quiet_hours_rules"] and "America/Chicago" in msg["locations"]


@pytest.fixture
def requeued(monkeypatch):
    """What the sender puts back on the send queue, with its delay (a real SQS send still happens)."""
    from smsflows.adapters.queues import SqsQueue

    calls = []
    real = SqsQueue.send

    def spy(self, body, *, delay_seconds=0):
        if body.get("message_id"):  # the send queue only (shop events share the adapter class)
            calls.append((body["message_id"], delay_seconds))
        return real(self, body, delay_seconds=delay_seconds)

    monkeypatch.setattr(SqsQueue, "send", spy)
    return calls


def test_marketing_at_night_is_deferred_to_the_next_allowed_instant(cloud, monkeypatch, requeued):
    from smsflows.runtime import deps as deps_module

    reply_of(text(cloud, "JOIN", "SM-join"))
    clock = [datetime(2026, 11, 24, 4, 0, tzinfo=UTC)]  # 22:00 Monday in Austin
    monkeypatch.setattr(deps_module.Deps, "clock", property(lambda self: lambda: clock[0]))
    cloud.invoke("send_message", sqs_event(marketing()))
    assert cloud.twilio.outbox() == []
    # 22:00 -> 09:00 is 11 hours, beyond SQS's 15 minutes: a one-time schedule, not an SQS delay
    assert requeued == []
    # not claimed (it will be tried again); its record says why it waits, and until when
    [record] = cloud.items("MSG#")
    assert (record["pk"], record["state"], record["reason"]) == ("MSG#mkt-1", "deferred", "quiet_hours")
    assert record["deferred_until"] == "2026-11-24T15:00:00+00:00" and "to" not in record
    [schedule] = cloud.schedules()
    assert schedule["ScheduleExpression"] == "at(2026-11-24T15:00:00)"  # 09:00 in Austin
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["RetryPolicy"] == {
        "MaximumRetryAttempts": 185,
        "MaximumEventAgeInSeconds": 86400,
    }
    assert schedule["Target"]["DeadLetterConfig"]["Arn"].endswith("-send_queue-dlq")  # never silently gone
    assert schedule["Target"]["Arn"].endswith("-send_queue")  # marketing goes back to the bulk queue
    assert json.loads(schedule["Target"]["Input"])["deferred"] == 1

    assert cloud.fire_schedules(datetime(2026, 11, 24, 14, 59, tzinfo=UTC)) == 0  # not due yet
    clock[0] = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    assert cloud.fire_schedules(clock[0]) == 1 and cloud.schedules() == []  # fired once, then deleted
    cloud.invoke("send_message", sqs_event(*cloud.send_bodies()))
    [sent] = cloud.twilio.outbox()
    assert sent["body"].startswith("Demo Shop: 20% off")
    [record] = cloud.items("MSG#")
    assert record["state"] == "sent" and record["sid"] == sent["sid"]


def test_a_fourth_marketing_text_in_24_hours_is_deferred(cloud, daytime, requeued):
    reply_of(text(cloud, "JOIN", "SM-join"))
    for i in range(4):
        cloud.invoke("send_message", sqs_event(marketing(f"mkt-{i}", flow=f"f{i}")))
    assert len(cloud.twilio.outbox()) == 3
    # 3 per 24 h (A2.3): the fourth waits for the oldest to leave the window, a day away (a schedule)
    [schedule] = cloud.schedules()
    assert json.loads(schedule["Target"]["Input"])["message_id"] == "mkt-3"
    assert requeued == []


def test_smart_sending_skips_a_flow_message_after_recent_marketing(cloud, daytime):
    from smsflows.runtime.deps import get_deps

    configs = get_deps().shop_configs
    configs.put(configs.get(SHOP).model_copy(update={"smart_sending_hours": {"winback": 16}}))
    reply_of(text(cloud, "JOIN", "SM-join"))
    cloud.invoke("send_message", sqs_event(marketing("mkt-a", flow="campaign")))
    cloud.invoke("send_message", sqs_event(marketing("mkt-b", flow="winback")))
    assert len(cloud.twilio.outbox()) == 1
    skipped = next(i for i in cloud.items("MSG#") if i["pk"].endswith("mkt-b"))
    assert skipped["reason"] == "skipped: smart_sending"


def test_provider_21610_records_an_opt_out(cloud, daytime):
    from smsflows.local.fake_twilio import Fault

    cloud.twilio.fail_next(Fault(status=400, code=21610, message="Attempt to send to unsubscribed recipient"))
    transactional = json.loads(marketing("tx-1"))
    transactional["category"] = "transactional"
    cloud.invoke("send_message", sqs_event(json.dumps(transactional)))
    assert state(cloud).status == "unsubscribed"
    from smsflows.runtime.deps import get_deps

    [event] = get_deps().consent_store.events(SHOP, PHONE)
    assert event.source == "provider_opt_out" and event.classifier == "twilio:21610"


def test_opt_out_survives_when_the_state_item_is_erased(cloud, daytime):
    reply_of(text(cloud, "JOIN", "SM-join"))
    reply_of(text(cloud, "STOP", "SM-stop"))
    ddb = cloud.client("dynamodb")
    ddb.delete_item(
        TableName=cloud.res.env["TABLE_NAME"],
        Key={k: {"S": v} for k, v in keys.subscriber(SHOP, PHONE).items()},
    )
    transactional = json.loads(marketing("tx-2"))
    transactional["category"] = "transactional"
    cloud.invoke("send_message", sqs_event(json.dumps(transactional)))
    assert cloud.twilio.outbox() == []  # the hashed suppression still says no


def test_shopify_consent_webhook_records_both_directions(cloud):
    from tests.integration.conftest import shopify_headers

    def consent_update(state_name, webhook_id):
        payload = {
            "id": 77,
            "phone": "+15125550123",
            "sms_marketing_consent": {
                "state": state_name,
                "opt_in_level": "single_opt_in",
                "consent_updated_at": "2026-11-23T10:00:00-06:00",
                "consent_collected_from": "SHOPIFY",
            },
        }
        body = json.dumps(payload).encode()
        cloud.invoke(
            "shopify_webhook",
            api_event(
                body, shopify_headers(body, topic="customers_marketing_consent/update", webhook_id=webhook_id)
            ),
        )
        cloud.invoke("process_shop_event", sqs_event(*cloud.queue_bodies("shop_events_queue")))

    consent_update("subscribed", "wh-c1")
    assert state(cloud).status == "subscribed" and state(cloud).opt_in_source == "shopify_consent"
    consent_update("unsubscribed", "wh-c2")
    assert state(cloud).status == "unsubscribed"


def test_ledger_replays_to_the_stored_state(cloud):
    from smsflows.domain.consent.ledger import replay
    from smsflows.runtime.deps import get_deps

    post_subscribe(cloud, form())
    for body, sid in [("Y", "s1"), ("please stop", "s2"), ("START", "s3"), ("STOP", "s4"), ("UNSTOP", "s5")]:
        text(cloud, body, sid)
    store = get_deps().consent_store
    replayed = replay(SHOP, PHONE, store.events(SHOP, PHONE))
    stored = store.state(SHOP, PHONE)
    assert replayed.status == stored.status == "subscribed"
    assert replayed.version == stored.version == 6


def test_concurrent_senders_cannot_exceed_the_daily_cap(cloud, daytime, monkeypatch):
    """Eight sender invocations race for one recipient: the conditional reservation lets exactly three through.

    DynamoDB applies each request atomically; moto's in-process mock does not guard a transaction against
    another thread, so each DynamoDB call is made atomic here. Between calls the threads interleave
    freely: the read-decide-claim race is real.
    """
    import threading

    from botocore.client import BaseClient

    atomic = threading.Lock()
    real_call = BaseClient._make_api_call

    def one_request_at_a_time(self, operation, params):
        if self.meta.service_model.service_name != "dynamodb":
            return real_call(self, operation, params)
        with atomic:
            return real_call(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", one_request_at_a_time)

    from smsflows.domain.messages import OutboundMessage
    from smsflows.domain.sending.send import send_one
    from smsflows.runtime.deps import get_deps
    from smsflows.runtime.errors import TransientError

    reply_of(text(cloud, "JOIN", "SM-join"))
    deps = get_deps().send_deps
    outcomes: list[str] = []
    barrier = threading.Barrier(8, timeout=30)

    def sender(i: int) -> None:
        message = OutboundMessage.model_validate_json(marketing(f"race-{i}", flow=f"flow-{i}"))
        barrier.wait()
        for _ in range(20):  # what SQS redelivery does after a TransientError
            try:
                outcomes.append(send_one(message, deps).outcome)
                return
            except TransientError:
                continue
        outcomes.append("gave up")

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not [t for t in threads if t.is_alive()], "a sender is still running after 60 s"
    assert sorted(outcomes) == ["deferred"] * 5 + ["sent"] * 3
    assert len(cloud.twilio.outbox()) == 3


def test_quiet_hours_use_the_strictest_of_area_code_and_shipping_address(cloud, monkeypatch, requeued):
    """A Texas number shipping to Rhode Island: Monday 17:30 in Austin is 18:30 in Providence (RI ends 18:00)."""
    from smsflows.local import samples
    from smsflows.runtime import deps as deps_module
    from tests.integration.conftest import shopify_headers

    order = samples.order(55, 1055, PHONE)
    order["shipping_address"].update(province_code="RI", province="Rhode Island")
    body = json.dumps(order).encode()
    cloud.invoke("shopify_webhook", api_event(body, shopify_headers(body)))
    cloud.invoke("process_shop_event", sqs_event(*cloud.queue_bodies("shop_events_queue")))
    cloud.send_bodies()
    reply_of(text(cloud, "JOIN", "SM-join"))
    evening = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    monkeypatch.setattr(deps_module.Deps, "clock", property(lambda self: lambda: evening))
    cloud.invoke("send_message", sqs_event(marketing()))
    assert cloud.twilio.outbox() == []
    # the next instant allowed in both places: 09:00 Tuesday in Providence (14:00 UTC) is 08:00 in Austin,
    # still quiet there (Texas: from 09:00), so 09:00 in Austin, 15:00 UTC
    [schedule] = cloud.schedules()
    assert schedule["ScheduleExpression"] == "at(2026-11-24T15:00:00)"
