"""Each flow's real ASL executed by moto's Step Functions interpreter, with the real flow_step handler.

Waits are skipped (moto_patches records their seconds) unless a test lets them run at real speed with
the shop's steps retimed to seconds."""

import json
from datetime import UTC, datetime, timedelta

from smsflows.domain.flows import definitions
from smsflows.domain.shops import FlowSettings
from smsflows.local import moto_patches, samples
from smsflows.local.inprocess import InProcessCloud
from tests.integration.conftest import (
    SHOP,
    SHOPIFY_SECRET,
    TWILIO_TOKEN,
    api_event,
    inbound_params,
    shopify_headers,
    sqs_event,
    twilio_event,
)
from tests.waiting import wait_until

PHONE = "+15125550123"


def webhook(cloud, topic, payload, webhook_id):
    body = json.dumps(payload).encode()
    assert (
        cloud.invoke(
            "shopify_webhook", api_event(body, shopify_headers(body, topic=topic, webhook_id=webhook_id))
        )["statusCode"]
        == 200
    )
    run_shop_events(cloud)


def run_shop_events(cloud):
    bodies = cloud.queue_bodies("shop_events_queue")
    if bodies:
        result = cloud.invoke("process_shop_event", sqs_event(*bodies))
        assert result == {"batchItemFailures": []}, cloud.lambdas.module(
            "process_shop_event"
        ).processor.exceptions


def join(cloud, sid="SM-join"):
    cloud.invoke("twilio_inbound", twilio_event(inbound_params("JOIN", sid)))
    run_shop_events(cloud)  # the consent engine's "subscribed" event starts the welcome series


def sent_messages(cloud):
    return [json.loads(b) for b in cloud.send_bodies()]


def retime(flow, offsets):
    from smsflows.runtime.deps import get_deps

    configs = get_deps().shop_configs
    config = configs.get(SHOP)
    configs.put(
        config.model_copy(update={"flows": {**config.flows, flow: FlowSettings(offsets_s=tuple(offsets))}})
    )


def real_time_waits(cloud):
    from smsflows.runtime.deps import get_deps

    moto_patches.install(cloud.lambdas.invoke, time_scale=1, clock=lambda: get_deps().clock())


def history_states(cloud, execution):
    events = cloud.client("stepfunctions").get_execution_history(executionArn=execution["executionArn"])[
        "events"
    ]
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def checkout(token):
    return {"token": token, "abandoned_checkout_url": f"https://demo-shop.example/checkouts/{token}/recover",
            "phone": PHONE, "customer": {"id": 9, "first_name": "Ada"}, "line_items": [{"title": "Brass Compass"}]}  # fmt: skip


def test_welcome_series_sends_its_three_steps_at_the_playbook_times(cloud):
    join(cloud)
    [execution] = cloud.wait_executions()
    assert execution["status"] == "SUCCEEDED" and execution["name"].startswith("welcome-v1-")
    messages = sent_messages(cloud)
    assert [m["message_id"].rsplit(":", 1)[1] for m in messages] == ["0", "1", "2"]
    assert "WELCOME10" in messages[0]["body"] and all(m["category"] == "marketing" for m in messages)
    waits = moto_patches.recorded_waits()
    assert [round(w / 60) for w in waits] == [0, 2 * 24 * 60, 5 * 24 * 60]  # planned seconds, to the minute
    cloud.invoke("send_message", sqs_event(*[json.dumps(m) for m in messages]))
    assert len(cloud.twilio.outbox()) == 3


def test_a_duplicate_trigger_starts_nothing_twice(cloud):
    join(cloud, "SM-1")
    cloud.wait_executions()
    cloud.invoke("twilio_inbound", twilio_event(inbound_params("STOP", "SM-2")))
    join(cloud, "SM-3")  # subscribed again: the welcome series ran for this phone already
    run_shop_events(cloud)
    assert len(cloud.wait_executions()) == 1


def test_abandoned_checkout_reminders_carry_the_link_and_the_code(cloud):
    join(cloud)
    cloud.wait_executions()
    cloud.send_bodies()
    webhook(cloud, "checkouts/create", checkout("tok1"), "wh-c1")
    executions = cloud.wait_executions()
    [abandoned] = [e for e in executions if e["name"].startswith("abandoned_checkout")]
    assert abandoned["status"] == "SUCCEEDED"
    messages = sent_messages(cloud)
    assert len(messages) == 3 and all(
        "https://demo-shop.example/checkouts/tok1/recover" in m["body"] for m in messages
    )
    assert "COMEBACK10" in messages[1]["body"] and "Brass Compass" in messages[0]["body"]


def test_a_completed_checkout_is_seen_by_the_flows_own_check_and_nothing_is_sent(cloud):
    from smsflows.domain import keys
    from smsflows.domain.flows import steps
    from smsflows.runtime.deps import get_deps

    join(cloud)
    cloud.wait_executions()
    cloud.send_bodies()
    deps = get_deps()
    from smsflows.domain.shopify.records import CheckoutRecord

    deps.shop_data.save_checkout(
        CheckoutRecord(shop=SHOP, token="tok9", phone=PHONE, updated_at=deps.clock())
    )
    deps.shop_data.complete_checkout(SHOP, "tok9", deps.clock())
    context = {"phone": PHONE, "checkout_key": keys.checkout(SHOP, "tok9"), "checkout_url": "https://x"}
    steps.start(definitions.ABANDONED_CHECKOUT, SHOP, "tok9", context, deps.flow_deps)
    [abandoned] = [e for e in cloud.wait_executions() if e["name"].startswith("abandoned")]
    assert abandoned["status"] == "SUCCEEDED" and "Exited" in history_states(cloud, abandoned)
    assert sent_messages(cloud) == []


def test_the_order_stops_the_abandoned_checkout_flow_mid_way(cloud):
    real_time_waits(cloud)
    retime("welcome", [0, 3600, 7200])
    retime("abandoned_checkout", [1, 30, 60])
    join(cloud)
    webhook(cloud, "checkouts/create", checkout("tok2"), "wh-c2")
    reminders = wait_until(
        lambda: [m for m in sent_messages(cloud) if m["flow"] == "abandoned_checkout"],
        what="the abandoned checkout's +1 s reminder on the send queue",
        timeout=10,
        interval=0.1,
    )
    assert len(reminders) == 1  # the +1 s reminder
    order = samples.order(77, 1077, PHONE)
    order["checkout_token"] = "tok2"
    webhook(cloud, "orders/create", order, "wh-o77")
    abandoned = wait_until(
        lambda: [e for e in cloud.executions() if e["name"].startswith("abandoned")],
        lambda found: len(found) == 1 and found[0]["status"] != "RUNNING",
        what="the abandoned checkout execution to end",
        timeout=5,
    )[0]
    assert abandoned["status"] == "ABORTED"
    assert not [m for m in sent_messages(cloud) if m["flow"] == "abandoned_checkout"]


def test_opt_out_mid_flow_ends_the_welcome_series(cloud):
    real_time_waits(cloud)
    retime("welcome", [0, 4, 8])  # seconds apart, so that a busy machine cannot merge steps 0 and 1
    join(cloud)
    first = wait_until(
        lambda: sent_messages(cloud), what="the welcome series' first step on the send queue", timeout=8
    )
    assert [m["message_id"][-1] for m in first] == ["0"]
    cloud.invoke("twilio_inbound", twilio_event(inbound_params("STOP", "SM-stop")))
    [welcome] = cloud.wait_executions(timeout=15)
    assert welcome["status"] == "SUCCEEDED" and "Exited" in history_states(cloud, welcome)
    assert sent_messages(cloud) == []
    output = json.loads(
        cloud.client("stepfunctions").describe_execution(executionArn=welcome["executionArn"])["output"]
    )
    assert output["plan"]["reason"] == "opted out"


def test_a_step_due_at_night_waits_for_the_recipients_morning_and_says_why():
    before_nine = datetime(2026, 11, 23, 14, 59, 50, tzinfo=UTC)  # 08:59:50 in Austin
    with InProcessCloud(SHOPIFY_SECRET, TWILIO_TOKEN, start_at=before_nine) as cloud:
        real_time_waits(cloud)
        join(cloud)
        # The first step waits for 09:00 (10 s away, from before the cloud is provisioned: the JOIN is planned
        # well before it), is sent, and the series then waits two days for its next step: what to wait for is
        # the first text, not the end of the execution.
        [message] = wait_until(
            lambda: sent_messages(cloud), what="the welcome text after 09:00 on the send queue", timeout=30
        )
        assert datetime.fromisoformat(message["created_at"]) >= datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
        [welcome] = cloud.executions()
        states = history_states(cloud, welcome)
        assert "1 Welcome code: wait for quiet hours" in states
        assert welcome["status"] == "RUNNING"  # on to the next step, two days later


def test_delivery_sends_the_notice_and_starts_post_purchase(cloud):
    join(cloud)
    cloud.wait_executions()
    cloud.send_bodies()
    webhook(cloud, "orders/create", samples.order(88, 1088, PHONE), "wh-o88")
    webhook(cloud, "fulfillment_events/create", {"id": 5, "order_id": 88, "status": "delivered"}, "wh-d")
    [post] = [e for e in cloud.wait_executions() if e["name"].startswith("post_purchase")]
    assert post["status"] == "SUCCEEDED"
    bodies = [m["body"] for m in sent_messages(cloud)]
    assert any("was delivered" in b for b in bodies)
    assert any("Reply with a rating from 1 to 5" in b for b in bodies)
    assert any("also love" in b for b in bodies)


def test_winback_starts_thirty_days_after_the_last_order(cloud, monkeypatch):
    from smsflows.runtime import deps as deps_module

    long_ago = datetime(2026, 10, 24, 17, 0, tzinfo=UTC)  # a Saturday noon in Austin: inside the window
    monkeypatch.setattr(deps_module.Deps, "clock", property(lambda self: lambda: long_ago))
    webhook(cloud, "orders/create", samples.order(99, 1099, PHONE), "wh-o99")
    join(cloud)
    cloud.wait_executions()
    now = long_ago + timedelta(days=30, minutes=1)  # 11:01 in Austin
    monkeypatch.setattr(deps_module.Deps, "clock", property(lambda self: lambda: now))
    deps_module.reset()  # composed dependencies captured the old clock
    cloud.client("sqs").send_message(
        QueueUrl=cloud.res.queue_urls["shop_events_queue"],
        MessageBody=json.dumps(
            {
                "shop": "*",
                "topic": "smsflows/daily",
                "webhook_id": "daily-1",
                "received_at": now.isoformat(),
                "body": "{}",
            }
        ),
    )
    run_shop_events(cloud)  # the daily event fans out: one message per shop
    run_shop_events(cloud)  # the shop's page of profiles
    winback = [e for e in cloud.wait_executions() if e["name"].startswith("winback")]
    assert len(winback) == 1 and winback[0]["status"] == "SUCCEEDED"


def test_a_disabled_flow_starts_nothing(cloud):
    from smsflows.runtime.deps import get_deps

    configs = get_deps().shop_configs
    configs.put(configs.get(SHOP).model_copy(update={"flows": {"welcome": FlowSettings(enabled=False)}}))
    join(cloud)
    assert cloud.wait_executions() == []


def test_back_in_stock_sign_up_on_the_form_then_restock_sends_once(cloud):
    from tests.integration.test_consent import DISCLOSURE

    join(cloud)
    cloud.wait_executions()
    cloud.send_bodies()
    form = {"shop": SHOP, "phone": PHONE, "consent": {"checked": True, "default_checked": False,
            "disclosure_text": DISCLOSURE}, "restock_variant_id": "808950810", "restock_product": "IPod Nano - 8GB"}  # fmt: skip
    response = cloud.invoke("subscribe", api_event(json.dumps(form).encode(), {"Content-Type": "application/json"},
                                                   path="/subscribe"))  # fmt: skip
    assert json.loads(response["body"]) == {"status": "already_subscribed"}
    product = {"id": 1, "title": "IPod Nano - 8GB", "handle": "ipod-nano",
               "variants": [{"id": 808950810, "inventory_quantity": 5}]}  # fmt: skip
    webhook(cloud, "products/update", product, "wh-p1")
    webhook(cloud, "products/update", product, "wh-p2")
    sends = cloud.send_bodies()
    assert len(sends) == 1 and "back in stock" in json.loads(sends[0])["body"]
    cloud.invoke("send_message", sqs_event(*sends))
    assert [m["to"] for m in cloud.twilio.outbox() if "back in stock" in m["body"]] == [PHONE]


def test_browse_abandonment_runs_its_asl_and_nudges_once(cloud):
    webhook(cloud, "orders/create", samples.order(66, 1066, PHONE), "wh-o66")
    join(cloud)
    cloud.wait_executions()
    cloud.send_bodies()
    view = {"customer_id": "7000000001066", "product": "Brass Compass", "product_id": "632910392",
            "product_url": "https://demo-shop.example/products/brass-compass"}  # fmt: skip
    cloud.client("sqs").send_message(
        QueueUrl=cloud.res.queue_urls["shop_events_queue"],
        MessageBody=json.dumps({"shop": SHOP, "topic": "storefront/product_viewed", "webhook_id": "view-1",
                                "received_at": "2026-11-23T17:00:00+00:00", "body": json.dumps(view)}),
    )  # fmt: skip
    run_shop_events(cloud)
    [browse] = [e for e in cloud.wait_executions() if e["name"].startswith("browse_abandonment")]
    assert browse["status"] == "SUCCEEDED"
    [nudge] = sent_messages(cloud)
    assert (
        "Still thinking about Brass Compass" in nudge["body"]
        and round(moto_patches.recorded_waits()[-1] / 60) == 90
    )
