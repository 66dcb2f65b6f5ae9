"""POST /storefront/events through the real handler (API Gateway events) under moto: the web pixel's events
bounded (rate limits, dedupe, nothing kept for anonymous visitors), then the real process_shop_event and
the browse flow's real ASL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from smsflows.domain.shopify import storefront_events as se
from smsflows.local import samples
from tests.integration.conftest import SHOP, api_event
from tests.integration.test_flow_executions import (
    PHONE,
    join,
    real_time_waits,
    retime,
    run_shop_events,
    sent_messages,
    webhook,
)
from tests.waiting import wait_until

CUSTOMER = "7000000001066"  # samples.order(66, 1066, ...)'s customer
PATH = "/storefront/events"


def pixel_event(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "v": 1, "shop": SHOP, "name": "product_viewed", "id": "sh-1", "client_id": "client-1",
        "timestamp": "2026-11-23T17:00:00.000Z", "customer_id": f"gid://shopify/Customer/{CUSTOMER}",
        "product": {"id": "gid://shopify/Product/632910392", "variant_id": "808950810", "title": "Brass Compass",
                    "url": "/products/brass-compass"},
        "checkout": None,
    }  # fmt: skip
    body.update(changes)
    return body


def post(cloud, body: bytes | dict[str, Any], ip: str = "203.0.113.7", content_type: str = "text/plain;charset=UTF-8",
         method: str = "POST", headers: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    event = api_event(raw, {"Content-Type": content_type, "Origin": "https://demo-shop.example", **(headers or {})},
                      path=PATH)  # fmt: skip
    event["httpMethod"] = event["requestContext"]["httpMethod"] = method
    event["requestContext"]["identity"]["sourceIp"] = ip
    return cloud.invoke("storefront_events", event)


def status(cloud, body: bytes | dict[str, Any], **kw: Any) -> int:
    return int(post(cloud, body, **kw)["statusCode"])


def clock_now() -> datetime:
    from smsflows.runtime.deps import get_deps

    return get_deps().clock()


def table(cloud) -> list[dict[str, Any]]:
    return cloud.items("")


def subscriber(cloud) -> None:
    """Customer 7000000001066 with a profile (an order) and a phone that texted JOIN."""
    webhook(cloud, "orders/create", samples.order(66, 1066, PHONE), "wh-o66")
    join(cloud)
    cloud.wait_executions()
    cloud.send_bodies()


def browse_executions(cloud) -> list[dict[str, Any]]:
    return [e for e in cloud.executions() if e["name"].startswith("browse_abandonment")]


def test_a_valid_event_is_204_with_cors_and_a_preflight_is_answered(cloud):
    answer = post(cloud, pixel_event(customer_id=None))
    assert answer["statusCode"] == 204 and not answer.get("body")
    assert answer["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["*"]
    preflight = post(cloud, b"", method="OPTIONS", headers={"Access-Control-Request-Method": "POST"})
    assert preflight["statusCode"] == 204
    assert preflight["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["*"]


def test_bad_bodies_are_4xx_that_say_why_and_change_nothing(cloud):
    before = table(cloud)
    too_big = post(cloud, json.dumps(pixel_event()).encode() + b" " * se.MAX_BODY)
    assert too_big["statusCode"] == 413
    for body, says in ((b"{", "not usable JSON"), (pixel_event(customer_id="someone"), "customer_id"),
                       (pixel_event(name="cart_viewed"), "name")):  # fmt: skip
        answer = post(cloud, body)
        assert answer["statusCode"] == 400 and says in json.loads(answer["body"])["message"], answer
    assert post(cloud, pixel_event(), content_type="application/xml")["statusCode"] == 400
    assert table(cloud) == before


def test_a_flood_from_one_client_is_limited_with_retry_after(cloud):
    answers = [
        post(cloud, pixel_event(customer_id=None))["statusCode"] for _ in range(se.PER_CLIENT_PER_MINUTE)
    ]
    assert answers == [204] * se.PER_CLIENT_PER_MINUTE
    refused = post(cloud, pixel_event(customer_id=None))
    assert refused["statusCode"] == 429 and json.loads(refused["body"])["error"] == "too_many_requests"
    wait = int(refused["multiValueHeaders"]["Retry-After"][0])
    assert 1 <= wait <= 60
    assert "Retry-After" in refused["multiValueHeaders"]["Access-Control-Expose-Headers"][0]
    assert post(cloud, pixel_event(customer_id=None, client_id="client-2"))["statusCode"] == 204


def test_anonymous_visitors_leave_only_counters_that_expire_within_two_minutes(cloud):
    before = {(i["pk"], i["sk"]) for i in table(cloud)}
    for n in range(5):
        assert (
            status(cloud, pixel_event(customer_id=None, client_id=f"visitor-{n}"), ip=f"198.51.100.{n}")
            == 204
        )
    assert status(cloud, pixel_event(customer_id=None, name="checkout_started", product=None)) == 204
    now = clock_now()
    written = [i for i in table(cloud) if (i["pk"], i["sk"]) not in before]
    assert written and all(i["pk"].startswith("PIXELRATE#") for i in written), written
    for item in written:
        expires = now.fromtimestamp(int(item["expires_at"]), now.tzinfo)
        assert now < expires <= now + timedelta(minutes=2), item
    stored = json.dumps(written, default=str)
    assert "198.51.100" not in stored and "visitor-" not in stored  # hashed, never the address or the id
    assert cloud.queue_bodies("shop_events_queue") == []


def test_a_second_view_of_the_same_product_the_same_day_enqueues_nothing(cloud):
    assert post(cloud, pixel_event())["statusCode"] == 204
    assert post(cloud, pixel_event(id="sh-2", client_id="client-2"), ip="198.51.100.20")["statusCode"] == 204
    [message] = cloud.queue_bodies("shop_events_queue")
    envelope = json.loads(message)
    assert envelope["topic"] == "storefront/product_viewed" and envelope["shop"] == SHOP
    assert json.loads(envelope["body"])["product_id"] == "632910392"
    now = clock_now()
    [day] = [i for i in table(cloud) if i["pk"].startswith("PIXELDAY#")]
    assert now < now.fromtimestamp(int(day["expires_at"]), now.tzinfo) <= now + timedelta(hours=25)


def test_a_customer_who_is_not_subscribed_gets_no_text(cloud):
    webhook(cloud, "orders/create", samples.order(66, 1066, PHONE), "wh-o66")  # a profile, no consent
    cloud.send_bodies()
    assert post(cloud, pixel_event())["statusCode"] == 204
    run_shop_events(cloud)
    assert browse_executions(cloud) == [] and sent_messages(cloud) == []


def test_a_subscribers_view_starts_the_browse_flow_and_nudges_once(cloud):
    subscriber(cloud)
    assert post(cloud, pixel_event())["statusCode"] == 204
    assert post(cloud, pixel_event(id="sh-2"))["statusCode"] == 204  # the same product again: nothing
    run_shop_events(cloud)
    cloud.wait_executions()
    [browse] = browse_executions(cloud)
    assert browse["status"] == "SUCCEEDED"
    [nudge] = sent_messages(cloud)
    assert nudge["to"] == PHONE and "Still thinking about Brass Compass" in nudge["body"]
    assert "/products/brass-compass" in nudge["body"] or "/l/" in nudge["body"]


def test_a_checkout_started_stops_the_running_browse_flow(cloud):
    subscriber(cloud)
    retime(
        "browse_abandonment", [30]
    )  # a real 30 s wait, so the flow is still waiting when the checkout comes
    real_time_waits(cloud)
    assert post(cloud, pixel_event())["statusCode"] == 204
    run_shop_events(cloud)
    wait_until(lambda: browse_executions(cloud), lambda found: found and found[0]["status"] == "RUNNING",
               what="the browse flow waiting")  # fmt: skip
    assert (
        post(cloud, pixel_event(name="checkout_started", product=None, checkout={"token": "t1"}))[
            "statusCode"
        ]
        == 204
    )
    [message] = cloud.queue_bodies("shop_events_queue")
    assert json.loads(message)["topic"] == "storefront/checkout_started"
    cloud.invoke("process_shop_event", {"Records": [sqs_record(message)]})
    [browse] = wait_until(lambda: browse_executions(cloud), lambda found: found[0]["status"] != "RUNNING",
                          what="the browse flow stopped")  # fmt: skip
    assert browse["status"] == "ABORTED" and sent_messages(cloud) == []
    assert post(cloud, pixel_event(product={"id": "1", "title": "Sextant"}))["statusCode"] == 204
    assert cloud.queue_bodies("shop_events_queue") == []  # a view after the checkout queues nothing


def sqs_record(body: str) -> dict[str, Any]:
    from tests.integration.conftest import sqs_event

    return sqs_event(body)["Records"][0]
