"""What the shop-event use cases hand the segments' summary writers: an order's line-item ids and the time it
was placed; a customers/update's order count, total spent, tags, default address and updated_at, for the
customer's phone (the payload's, else their profile's)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from smsflows.domain.consent.subscriptions import ConsentDeps
from smsflows.domain.profiles import ProfileRecord
from smsflows.domain.shopify import webhooks
from smsflows.domain.shopify.events import (
    ShopEventDeps,
    ShopEventEnvelope,
    customer_summary,
    process_shop_event,
)
from smsflows.domain.shopify.summary import CustomerSummary, bought_update, iso_utc, place_summary, tags_of
from smsflows.local import samples
from smsflows.runtime.clock import fixed_clock
from tests.fakes import (
    FakeConsentStore,
    FakeConversations,
    FakeFlows,
    FakeInbox,
    FakeQueue,
    FakeShopConfigs,
    FakeShopData,
    FakeSubscriberSummaries,
    onboarded_shop,
)

SHOP = "demo-shop.myshopify.com"
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def deps() -> ShopEventDeps:
    store, shops, queue = FakeConsentStore(), FakeShopConfigs(onboarded_shop(SHOP)), FakeQueue()
    consent = ConsentDeps(store=store, shops=shops, send_queue=queue, conversations=FakeConversations(),
                          clock=fixed_clock(NOW))  # fmt: skip
    return ShopEventDeps(inbox=FakeInbox(), data=FakeShopData(store), send_queue=queue, flows=FakeFlows(),
                         clock=fixed_clock(NOW), consent=consent, shops=shops, summaries=FakeSubscriberSummaries())  # fmt: skip


def envelope(body: dict, topic: str, webhook_id: str = "wh-1") -> ShopEventEnvelope:
    return ShopEventEnvelope(shop=SHOP, topic=topic, webhook_id=webhook_id, received_at=NOW.isoformat(),
                             body=json.dumps(body))  # fmt: skip


def shopify_customer(**kw: object) -> dict:
    body: dict = {"id": 7000000001001, "first_name": "Ada", "phone": "+15125550123", "tags": "VIP , wholesale,",
                  "orders_count": 4, "total_spent": "199.50", "updated_at": "2026-11-23T09:00:00-05:00",
                  "default_address": {"country_code": "US", "province_code": "tx", "phone": None}}  # fmt: skip
    body.update(kw)
    return body


def test_an_order_hands_on_its_distinct_line_item_ids_and_when_it_was_placed(deps):
    body = samples.order(42, 1001, "+15125550123")
    body["line_items"] += [
        {"title": "Map", "product_id": 632910393, "variant_id": 808950810},
        {"title": "Compass again", "product_id": 632910392, "variant_id": None},
        {"title": "Custom engraving", "product_id": None},
    ]
    process_shop_event(envelope(body, "orders/create"), deps)
    stored = deps.data.get_order(SHOP, "42")
    assert stored.product_ids == ("632910392", "632910393") and stored.variant_ids == ("808950810",)
    assert stored.placed_at == datetime(2026, 11, 23, 15, 12, tzinfo=UTC)  # Shopify's created_at, in UTC
    assert stored.created_at == NOW  # when it was processed, as before


def test_a_customer_update_is_summarised_for_the_customers_phone(deps):
    outcome = process_shop_event(envelope(shopify_customer(), "customers/update"), deps)
    assert outcome.detail == "no birthday tag; summary updated"
    summary = deps.summaries.customers[(SHOP, "+15125550123")]
    assert summary == CustomerSummary(
        customer_id="7000000001001", updated_at=datetime(2026, 11, 23, 14, 0, tzinfo=UTC), orders_count=4,
        total_spent=Decimal("199.50"), tags=frozenset({"vip", "wholesale"}), default_address=("US", "tx"),
    )  # fmt: skip
    older = shopify_customer(updated_at="2026-11-22T09:00:00-05:00", tags="birthday:11-23")
    outcome = process_shop_event(envelope(older, "customers/update", "wh-2"), deps)
    assert outcome.detail == "birthday noted; summary older than the one recorded: left as it was"
    assert deps.data.get_profile(SHOP, "customer:7000000001001").birthday == "11-23"  # the birthday as before


def test_without_a_phone_in_the_payload_the_profiles_phone_is_used_and_without_either_nothing(deps):
    deps.data.profile_items[(SHOP, "customer:7000000001001")] = ProfileRecord(
        shop=SHOP, customer_key="customer:7000000001001", phone="+13055550100", updated_at=NOW
    )
    process_shop_event(envelope(shopify_customer(phone=None), "customers/update"), deps)
    assert list(deps.summaries.customers) == [(SHOP, "+13055550100")]
    nobody = shopify_customer(id=99, phone="12", default_address=None)
    assert process_shop_event(envelope(nobody, "customers/update", "wh-3"), deps).detail == (
        "no birthday tag; no phone for the summary"
    )


def test_values_of_another_shape_are_left_out_of_the_summary_not_a_reason_to_drop_the_event():
    odd = webhooks.ShopifyCustomer.model_validate(
        {"id": 1, "orders_count": "many", "total_spent": "n/a", "updated_at": "yesterday", "tags": None}
    )
    summary = customer_summary(odd, NOW)
    assert (summary.orders_count, summary.total_spent, summary.tags, summary.updated_at) == (
        None,
        None,
        frozenset(),
        NOW,
    )
    assert (
        customer_summary(
            webhooks.ShopifyCustomer.model_validate({"id": 1, "orders_count": "3"}), NOW
        ).orders_count
        == 3
    )


def test_without_a_summaries_writer_customers_update_does_what_it_did(deps):
    deps.summaries = None
    assert (
        process_shop_event(envelope(shopify_customer(), "customers/update"), deps).detail == "no birthday tag"
    )


def test_the_summary_helpers():
    assert tags_of(" VIP,vip , Wholesale ,,") == {"vip", "wholesale"}
    assert len(tags_of(",".join(f"t{i}" for i in range(300)))) == 250
    assert bought_update({"1", "2"}, ["2", "3", "4"], cap=3) == bought_update([], ["3"], cap=1).__class__(
        ("3",), True
    )
    assert bought_update({"1"}, ["1"], cap=1).truncated is False  # an id held already is no new id
    assert (
        iso_utc(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC) + timedelta(hours=-5))
        == "2026-01-01T22:04:05.000000+00:00"
    )
    with pytest.raises(ValueError):
        iso_utc(datetime(2026, 1, 1))  # naive: refused
    toll_free = place_summary("+18005550123", ())
    assert "America/Toronto" in toll_free.zones and (toll_free.country, toll_free.state) == (None, None)
    miami = place_summary("+13055550100", [("us", "tx", "shipping_address")])
    assert (miami.country, miami.state) == ("US", "TX") and "America/New_York" in miami.zones
