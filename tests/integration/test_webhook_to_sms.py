"""One real path through every layer, in-process: webhook handler -> SQS -> process_shop_event ->
send queue -> send_message -> twilio client -> fake Twilio; and the order_followup flow in moto."""

import json

from smsflows.local import samples
from smsflows.local.fake_twilio import Fault
from tests.integration.conftest import SHOP, api_event, shopify_headers, sqs_event


def post(cloud, payload, **kw):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return cloud.invoke("shopify_webhook", api_event(body, shopify_headers(body, **kw)))


def run_consumers(cloud):
    """Hand what is queued to the consumers once, as the event source mappings would."""
    bodies = cloud.queue_bodies("shop_events_queue")
    if bodies:
        assert cloud.invoke("process_shop_event", sqs_event(*bodies)) == {"batchItemFailures": []}
    sends = cloud.send_bodies()
    if sends:
        assert cloud.invoke("send_message", sqs_event(*sends)) == {"batchItemFailures": []}


def test_signed_order_webhook_ends_as_one_sms_with_the_order_name(cloud):
    response = post(cloud, samples.order(42, 1001, "+1 512 555 0123"), webhook_id="wh-42")
    assert response["statusCode"] == 200 and json.loads(response["body"]) == {"status": "queued"}
    run_consumers(cloud)
    [sms] = cloud.twilio.outbox()
    assert sms["to"] == "+15125550123" and "#1001" in sms["body"] and sms["segments"] == 1
    [msg] = cloud.items("MSG#")
    assert msg["state"] == "sent" and msg["sid"] == sms["sid"] and msg["segments"] == 1
    [order] = [i for i in cloud.items("ORDER#") if i["sk"] == "ORDER"]  # beside it: its attribution
    assert order["name"] == "#1001"
    [profile] = cloud.items("PROFILE#")
    assert profile["phone_status"] == "usable"


def test_wrong_signature_is_401_and_stores_and_queues_nothing(cloud):
    body = json.dumps(samples.order(42, 1001, "+15125550123")).encode()
    response = cloud.invoke("shopify_webhook", api_event(body, shopify_headers(body, secret="wrong")))
    assert response["statusCode"] == 401
    assert cloud.items("WEBHOOK#") == [] and cloud.items("ORDER#") == []
    assert cloud.receive("shop_events_queue") == []


def test_missing_signature_header_is_401(cloud):
    body = b'{"id": 1}'
    headers = shopify_headers(body)
    del headers["X-Shopify-Hmac-Sha256"]
    assert cloud.invoke("shopify_webhook", api_event(body, headers))["statusCode"] == 401


def test_base64_encoded_body_is_verified_over_the_decoded_bytes(cloud):
    body = json.dumps(samples.order(42, 1001, "+15125550123", first_name="Zoë")).encode()
    response = cloud.invoke("shopify_webhook", api_event(body, shopify_headers(body), b64=True))
    assert response["statusCode"] == 200


def test_redelivered_webhook_sends_one_sms(cloud):
    order = samples.order(42, 1001, "+15125550123")
    assert json.loads(post(cloud, order, webhook_id="wh-1")["body"])["status"] == "queued"
    assert json.loads(post(cloud, order, webhook_id="wh-1")["body"])["status"] == "duplicate"
    run_consumers(cloud)
    assert len(cloud.twilio.outbox()) == 1


def test_redelivered_queue_messages_send_one_sms(cloud):
    post(cloud, samples.order(42, 1001, "+15125550123"))
    [event_body] = cloud.queue_bodies("shop_events_queue")
    for _ in range(2):  # SQS at-least-once: the same event twice
        cloud.invoke("process_shop_event", sqs_event(event_body))
    sends = cloud.send_bodies()
    assert len(sends) == 2
    cloud.invoke("send_message", sqs_event(*sends))
    cloud.invoke("send_message", sqs_event(sends[0], receive_count=2))
    assert len(cloud.twilio.outbox()) == 1


def test_unusable_phone_is_recorded_and_nothing_is_sent(cloud):
    post(cloud, samples.order(42, 1001, "555-555-SHIP"))
    run_consumers(cloud)
    [profile] = cloud.items("PROFILE#")
    assert profile["phone_status"] == "unusable" and profile["phone_raw"] == "555-555-SHIP"
    assert cloud.twilio.outbox() == []


def test_unknown_topic_is_acknowledged_and_recorded_as_ignored(cloud):
    response = post(cloud, {"id": 7}, topic="collections/update", webhook_id="wh-p")
    assert response["statusCode"] == 200
    run_consumers(cloud)
    [item] = cloud.items("WEBHOOK#")
    assert item["state"] == "ignored" and item["topic"] == "collections/update"


def test_malformed_authentic_body_is_kept_for_replay_without_expiry(cloud):
    response = post(cloud, b"{truncated", webhook_id="wh-bad")
    assert response["statusCode"] == 200 and json.loads(response["body"]) == {"status": "unparseable"}
    [item] = cloud.items("WEBHOOK#")
    assert item["state"] == "unparseable" and "expires_at" not in item
    import gzip

    assert gzip.decompress(bytes(item["body_gz"])) == b"{truncated"
    assert cloud.receive("shop_events_queue") == []


def test_authentic_order_missing_required_fields_is_marked_unparseable_not_retried(cloud):
    post(
        cloud, {"id": 5, "note": "no name, no line items"}, webhook_id="wh-5"
    )  # not id-only: that is fetched
    [body] = cloud.queue_bodies("shop_events_queue")
    assert cloud.invoke("process_shop_event", sqs_event(body)) == {"batchItemFailures": []}
    [item] = cloud.items("WEBHOOK#")
    assert item["state"] == "unparseable" and "expires_at" not in item and "name" in item["reason"]


def test_provider_5xx_is_retried_by_redelivery_and_sends_once(cloud):
    post(cloud, samples.order(42, 1001, "+15125550123"))
    cloud.invoke("process_shop_event", sqs_event(*cloud.queue_bodies("shop_events_queue")))
    [send] = cloud.send_bodies()
    cloud.twilio.fail_next(Fault(status=500, code=20500, message="Internal Server Error"))
    result = cloud.invoke("send_message", sqs_event(send))
    assert len(result["batchItemFailures"]) == 1
    assert cloud.twilio.outbox() == []
    assert cloud.invoke("send_message", sqs_event(send, receive_count=2)) == {"batchItemFailures": []}
    assert len(cloud.twilio.outbox()) == 1


def test_invalid_number_at_the_provider_fails_for_good_without_retry(cloud):
    post(cloud, samples.order(42, 1001, "+15125550123"))
    cloud.invoke("process_shop_event", sqs_event(*cloud.queue_bodies("shop_events_queue")))
    [send] = cloud.send_bodies()
    cloud.twilio.fail_next(Fault(status=400, code=21211, message="Invalid 'To' Phone Number"))
    assert cloud.invoke("send_message", sqs_event(send)) == {"batchItemFailures": []}
    [msg] = cloud.items("MSG#")
    assert msg["state"] == "failed" and msg["error_code"] == 21211


# Shops exist only when onboarded (issue 14) ----------------------------------------------------------------
GHOST = "ghost.myshopify.com"


def post_for(cloud, shop, payload, webhook_id, topic="orders/create"):
    body = json.dumps(payload).encode()
    headers = shopify_headers(body, topic=topic, webhook_id=webhook_id)
    headers["X-Shopify-Shop-Domain"] = shop  # the app's secret signs every shop's webhooks
    return cloud.invoke("shopify_webhook", api_event(body, headers))


def test_a_signed_order_for_a_shop_nobody_set_up_is_kept_answered_and_texts_nobody(cloud):
    from smsflows.adapters.webhook_inbox import DynamoWebhookInbox
    from smsflows.runtime.deps import get_deps

    response = post_for(cloud, GHOST, samples.order(42, 1001, "+1 512 555 0123"), "wh-ghost-1")
    assert response["statusCode"] == 200 and json.loads(response["body"]) == {"status": "queued"}  # answered
    run_consumers(cloud)
    assert cloud.twilio.outbox() == [] and cloud.items("MSG#") == []  # texts nobody, not from any sender
    [record] = cloud.items(f"WEBHOOK#{GHOST}#")  # recorded, with why nothing happened
    assert (record["state"], record["reason"], record["topic"]) == (
        "ignored",
        "shop_not_onboarded",
        "orders/create",
    )
    assert "body_gz" in record and "expires_at" in record  # the body kept, for 30 days like any other
    assert cloud.items("ORDER#") == [] and cloud.items("PROFILE#") == []  # nothing of it kept beyond that
    assert cloud.items(f"SHOP#{GHOST}") == []  # and no shop record made up for it
    assert [i["sk"] for i in cloud.items("SHOPS")] == [SHOP]  # the list of shops: the onboarded one only
    deps = get_deps()
    listed = DynamoWebhookInbox(deps.client("dynamodb"), deps.settings.table_name).ignored()
    assert [(r["shop"], r["webhook_id"], r["reason"]) for r in listed] == [
        (GHOST, "wh-ghost-1", "shop_not_onboarded")
    ]


def test_onboarding_a_shop_later_does_not_text_about_what_arrived_before(cloud):
    from smsflows.domain.shopify.shop_settings import onboard
    from smsflows.runtime.deps import get_deps

    order = samples.order(42, 1001, "+1 512 555 0123")
    post_for(cloud, GHOST, order, "wh-ghost-1")
    [old_envelope] = cloud.queue_bodies("shop_events_queue")
    cloud.invoke("process_shop_event", sqs_event(old_envelope))
    deps = get_deps()
    settings = {"brand_name": "Ghost Goods", "support_contact": "help@ghost.example",
                "terms_url": "https://ghost.example/terms", "privacy_url": "https://ghost.example/privacy",
                "senders": "+18005550199", "throughput": {"sender_type": "toll_free"}}  # fmt: skip
    deps.shop_configs.put(onboard(GHOST, settings, existing=deps.shop_configs.get(GHOST), now=deps.clock()))
    # Shopify redelivers the old webhook (deduplicated), and the old event comes back (a redelivery, a replay)
    assert json.loads(post_for(cloud, GHOST, order, "wh-ghost-1")["body"]) == {"status": "duplicate"}
    assert cloud.invoke("process_shop_event", sqs_event(old_envelope, receive_count=2)) == {
        "batchItemFailures": []
    }
    run_consumers(cloud)
    assert cloud.twilio.outbox() == []
    # a new order after onboarding is texted, from the shop's own number under its own brand
    post_for(cloud, GHOST, samples.order(43, 1002, "+1 512 555 0123"), "wh-ghost-2")
    run_consumers(cloud)
    [sms] = cloud.twilio.outbox()
    assert sms["to"] == "+15125550123" and sms["body"].startswith("Ghost Goods: ") and "#1002" in sms["body"]
    assert sms["from"] == "+18005550199"
