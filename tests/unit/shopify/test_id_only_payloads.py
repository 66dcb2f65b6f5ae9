"""Shopify's id-only payloads (`{"id": ...}` for a body over its size limits): the resource is fetched
through the Admin API before the topic's handler runs, whichever way the webhook was delivered."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from smsflows.domain.shopify import admin_api
from smsflows.domain.shopify.events import ShopEventDeps, ShopEventEnvelope, process_shop_event
from smsflows.domain.shopify.records import InboxRecord, OrderRecord
from smsflows.runtime.clock import fixed_clock
from smsflows.runtime.errors import (
    ShopifyAccessDenied,
    ShopifyNotConnected,
    ShopifyThrottled,
    ShopifyUnavailable,
)
from tests.fakes import (
    FakeConsentStore,
    FakeFlows,
    FakeInbox,
    FakeQueue,
    FakeShopConfigs,
    FakeShopData,
    onboarded_shop,
)

SHOP = "demo-shop.myshopify.com"
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
ORDER_ID = 820982911946154508  # above 2^53, as Shopify's ids are

GRAPHQL_ORDER = {
    "id": f"gid://shopify/Order/{ORDER_ID}",
    "legacyResourceId": str(ORDER_ID),
    "name": "#1001",
    "phone": None,
    "email": "ada@example.com",
    "createdAt": "2026-11-23T15:00:00Z",
    "cancelledAt": None,
    "currencyCode": "USD",
    "totalPriceSet": {"shopMoney": {"amount": "42.00", "currencyCode": "USD"}},
    "discountCodes": [],
    "customer": {
        "id": "gid://shopify/Customer/7000000001001",
        "legacyResourceId": "7000000001001",
        "firstName": "Ada",
        "defaultPhoneNumber": {"phoneNumber": "+15125550123"},
        "defaultAddress": {"phone": None, "countryCodeV2": "US", "provinceCode": "TX", "firstName": "Ada"},
    },
    "shippingAddress": {"phone": "+15125550123", "countryCodeV2": "US", "provinceCode": "TX", "firstName": "Ada"},
    "billingAddress": None,
    "lineItems": {"nodes": [{"title": "Brass Compass", "quantity": 1, "product": {"legacyResourceId": "632910392"},
                             "variant": {"legacyResourceId": "808950810"}}]},
}  # fmt: skip


class ScriptedAdmin:
    """The ShopifyAdmin port answering from a script: {query name: data} or an error to raise."""

    def __init__(self, answers: dict[str, Any] | None = None, error: Exception | None = None) -> None:
        self.answers = answers or {}
        self.error = error
        self.calls: list[tuple[str, str, dict[str, Any] | None]] = []

    def graphql(self, shop: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        name = query.split("(", 1)[0].split()[-1]
        self.calls.append((shop, name, variables))
        if self.error is not None:
            raise self.error
        return self.answers.get(name, {})


def deps_with(admin: Any) -> ShopEventDeps:
    consent = FakeConsentStore()
    return ShopEventDeps(
        inbox=FakeInbox(),
        data=FakeShopData(consent),
        send_queue=FakeQueue(),
        flows=FakeFlows(),
        clock=fixed_clock(NOW),
        shops=FakeShopConfigs(onboarded_shop(SHOP)),
        admin=admin,
    )


def run(deps: ShopEventDeps, body: str, topic: str = "orders/create", webhook_id: str = "wh-big"):
    deps.inbox.record(
        InboxRecord(shop=SHOP, webhook_id=webhook_id, topic=topic, received_at=NOW, body=body.encode())
    )
    envelope = ShopEventEnvelope(shop=SHOP, topic=topic, webhook_id=webhook_id, received_at=NOW.isoformat(),
                                 body=body)  # fmt: skip
    return process_shop_event(envelope, deps)


def test_id_only_order_is_fetched_and_confirmed_like_a_full_one():
    admin = ScriptedAdmin({"Order": {"order": GRAPHQL_ORDER}})
    deps = deps_with(admin)
    outcome = run(deps, json.dumps({"id": ORDER_ID}))
    assert outcome.outcome == "processed"
    assert outcome.detail.startswith(
        "id-only payload: order fetched from the Admin API; order confirmation queued"
    )
    assert admin.calls == [(SHOP, "Order", {"id": f"gid://shopify/Order/{ORDER_ID}"})]
    order: OrderRecord = deps.data.get_order(SHOP, str(ORDER_ID))
    assert (order.name, order.phone, order.first_name, order.product) == (
        "#1001",
        "+15125550123",
        "Ada",
        "Brass Compass",
    )
    [text] = deps.send_queue.sent
    assert text["to"] == "+15125550123" and "#1001" in text["body"]
    assert deps.inbox.get(SHOP, "wh-big").state == "processed"


def test_a_full_payload_is_never_fetched():
    admin = ScriptedAdmin(error=AssertionError("no fetch for a full payload"))
    deps = deps_with(admin)
    body = admin_api.order_as_webhook(GRAPHQL_ORDER)
    assert run(deps, json.dumps(body)).outcome == "processed" and admin.calls == []


@pytest.mark.parametrize(
    "admin, why",
    [
        (
            ScriptedAdmin(error=ShopifyNotConnected("no token")),
            "no Admin API token for demo-shop.myshopify.com",
        ),
        (ScriptedAdmin({"Order": {"order": None}}), "not found through the Admin API"),
        (ScriptedAdmin(error=ShopifyAccessDenied("ACCESS_DENIED: read_orders")), "Shopify denied access"),
        (None, "the Admin API is not wired"),
    ],
    ids=["no-token", "not-found", "access-denied", "not-wired"],
)
def test_an_order_that_cannot_be_fetched_is_kept_for_replay_with_why(admin, why):
    deps = deps_with(admin)
    outcome = run(deps, json.dumps({"id": ORDER_ID}))
    assert outcome.outcome == "unparseable" and why in outcome.detail
    assert f"id-only payload of orders/create {ORDER_ID}" in outcome.detail
    stored = deps.inbox.get(SHOP, "wh-big")
    assert stored.state == "unparseable" and why in (stored.reason or "")  # kept (no expiry), replayable
    assert stored.body == json.dumps({"id": ORDER_ID}).encode()
    assert deps.send_queue.sent == [] and deps.data.get_order(SHOP, str(ORDER_ID)) is None


@pytest.mark.parametrize("error", [ShopifyThrottled("bucket empty"), ShopifyUnavailable("502")])
def test_shopify_throttling_or_outage_is_raised_for_the_queue_to_retry(error):
    deps = deps_with(ScriptedAdmin(error=error))
    with pytest.raises(type(error)):
        run(deps, json.dumps({"id": ORDER_ID}))
    assert deps.inbox.get(SHOP, "wh-big").state == "received"  # untouched: the retry decides


def test_id_only_fulfillment_is_fetched_for_its_order_and_tracking():
    deps = deps_with(ScriptedAdmin({"Order": {"order": GRAPHQL_ORDER}}))
    run(deps, json.dumps({"id": ORDER_ID}))  # the order (fetched too), so the shipping text has a phone
    deps.send_queue.sent.clear()
    fulfillment = {
        "id": "gid://shopify/Fulfillment/9007199254740993", "legacyResourceId": "9007199254740993",
        "order": {"id": f"gid://shopify/Order/{ORDER_ID}", "legacyResourceId": str(ORDER_ID)},
        "trackingInfo": [{"company": "UPS", "number": "1Z999", "url": "https://ups.example/1Z999"}],
    }  # fmt: skip
    admin = ScriptedAdmin({"Fulfillment": {"fulfillment": fulfillment}})
    deps.admin = admin
    outcome = run(deps, '{"id": 9007199254740993}', topic="fulfillments/create", webhook_id="wh-ful")
    assert outcome.detail == "id-only payload: fulfillment fetched from the Admin API; shipping update queued"
    assert admin.calls[0][2] == {"id": "gid://shopify/Fulfillment/9007199254740993"}
    order = deps.data.get_order(SHOP, str(ORDER_ID))
    assert (order.tracking_company, order.tracking_url) == ("UPS", "https://ups.example/1Z999")
    [text] = deps.send_queue.sent
    assert text["flow"] == "shipping" and text["to"] == "+15125550123"
    assert text["message_id"] == "shipping:demo-shop.myshopify.com:9007199254740993"


def test_id_only_checkout_has_no_fetch_and_is_kept_with_why():
    admin = ScriptedAdmin(error=AssertionError("checkouts are not fetched"))
    deps = deps_with(admin)
    outcome = run(deps, '{"id": 123}', topic="checkouts/create")
    assert outcome.outcome == "unparseable" and "no Admin API fetch for this topic" in outcome.detail
    assert admin.calls == []


def test_a_topic_whose_payload_may_be_just_an_id_is_not_taken_for_an_oversize_one():
    """app/uninstalled and the privacy topics are never fetched: their handlers take what comes."""
    deps = deps_with(ScriptedAdmin(error=AssertionError("not fetched")))
    outcome = run(deps, '{"id": 1}', topic="products/delete")
    assert outcome.outcome == "ignored"  # an unsupported topic, as before


def test_fulfillment_as_webhook_reads_every_tracking_url_and_exact_ids():
    body = admin_api.fulfillment_as_webhook(
        {"id": "gid://shopify/Fulfillment/18446744073709551615", "order": {"id": "gid://shopify/Order/5"},
         "trackingInfo": [{"company": None, "number": None, "url": None},
                          {"company": "DHL", "number": "7", "url": "https://dhl.example/7"}]}
    )  # fmt: skip
    assert body["id"] == 18446744073709551615 and body["order_id"] == 5
    assert (body["tracking_company"], body["tracking_url"], body["tracking_urls"]) == (
        "DHL", "https://dhl.example/7", ["https://dhl.example/7"],
    )  # fmt: skip
