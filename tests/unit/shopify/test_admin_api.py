"""The typed Admin API operations (domain/shopify/admin_api.py) against the documented shapes of
tests/events/shopify_app/admin_graphql.json: the exact documents, the variables sent, and how each answer
maps (2026-10 consent states, userErrors, null phone numbers, cursor paging)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from smsflows.domain.shopify import admin_api
from smsflows.domain.shopify.webhooks import Order

FIXTURES = Path(__file__).resolve().parents[2] / "events"
DOC = json.loads((FIXTURES / "shopify_app" / "admin_graphql.json").read_text())
OPERATIONS = {op["id"]: op for op in DOC["operations"]}
SHOP = "demo-shop.myshopify.com"
CUSTOMER = "gid://shopify/Customer/207119551"


def response(operation: str, name: str) -> dict[str, Any]:
    found = next(r for r in OPERATIONS[operation]["responses"] if r["name"] == name)
    return dict(found["body"]["data"])


class ScriptedAdmin:
    """The ShopifyAdmin port answering each call with the next scripted `data`, recording what was asked."""

    def __init__(self, *answers: dict[str, Any]) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def graphql(self, shop: str, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        self.calls.append((shop, query, dict(variables or {})))
        return self.answers.pop(0)


@pytest.mark.parametrize(
    ("constant", "operation"),
    [
        ("CONSENT_UPDATE", "sms_consent_subscribe_2026_10_model"),
        ("READ_CONSENT", "read_customer_sms_consent_2026_10"),
        ("SEGMENT_MEMBERS", "segment_members_paginated"),
        ("SEGMENTS", "segments_list"),
    ],
)
def test_the_documents_are_the_validated_ones(constant, operation):
    assert getattr(admin_api, constant) == OPERATIONS[operation]["document"]
    assert "2026-10" in OPERATIONS[operation]["valid_in_versions"]


def test_a_double_opt_in_is_written_with_its_level_and_the_time_consent_was_given():
    admin = ScriptedAdmin(response("sms_consent_subscribe_2026_10_model", "success"))
    given = datetime(2026, 3, 2, 12, 9, 2, 731000, tzinfo=timezone(timedelta(hours=-6)))
    found = admin_api.update_sms_consent(admin, SHOP, CUSTOMER, "SUBSCRIBED", "CONFIRMED_OPT_IN", given)
    # exactly the fixture's variables: the instant in UTC to the second
    assert admin.calls == [
        (SHOP, admin_api.CONSENT_UPDATE, OPERATIONS["sms_consent_subscribe_2026_10_model"]["variables"])
    ]
    assert found == admin_api.SmsConsent(CUSTOMER, "+14155550123", "SUBSCRIBED", "CONFIRMED_OPT_IN", "OTHER",
                                         datetime(2026, 3, 2, 18, 9, 2, tzinfo=UTC))  # fmt: skip


def test_a_stop_is_written_without_an_opt_in_level():
    stop = OPERATIONS["sms_consent_unsubscribe_stop_keyword"]["variables"]
    admin = ScriptedAdmin({"customerSmsMarketingConsentUpdate": {"userErrors": [], "customer": None}})
    found = admin_api.update_sms_consent(
        admin, SHOP, "207119551", "UNSUBSCRIBED", None, datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
    )
    assert admin.calls[0][2] == stop  # a numeric id becomes the gid
    assert (found.state, found.opt_in_level) == ("UNSUBSCRIBED", None)


@pytest.mark.parametrize("name", ["user_error_customer_has_no_phone", "user_error_missing_argument"])
def test_user_errors_that_come_with_http_200_raise(name):
    admin = ScriptedAdmin(response("sms_consent_subscribe_legacy_selection", name))
    with pytest.raises(admin_api.ShopifyUserErrors) as raised:
        admin_api.update_sms_consent(admin, SHOP, CUSTOMER, "PENDING", None, datetime(2026, 3, 2, tzinfo=UTC))
    expected = next(
        r for r in OPERATIONS["sms_consent_subscribe_legacy_selection"]["responses"] if r["name"] == name
    )
    assert raised.value.errors == expected["body"]["data"]["customerSmsMarketingConsentUpdate"]["userErrors"]


@pytest.mark.parametrize("state", ["NOT_SUBSCRIBED", "REDACTED", "NEVER_SUBSCRIBED"])
def test_read_only_states_are_never_sent(state):
    admin = ScriptedAdmin()
    with pytest.raises(ValueError, match="cannot be written"):
        admin_api.update_sms_consent(admin, SHOP, CUSTOMER, state, None, datetime(2026, 3, 2, tzinfo=UTC))  # type: ignore[arg-type]
    assert admin.calls == []


def test_consent_is_read_in_the_2026_10_model_never_subscribed_included():
    admin = ScriptedAdmin(response("read_customer_sms_consent_2026_10", "never_subscribed"))
    found = admin_api.read_sms_consent(admin, SHOP, CUSTOMER)
    assert admin.calls[0][2] == {"id": CUSTOMER}
    assert found is not None
    assert (found.state, found.legacy_state, found.subscribed) == (
        "NEVER_SUBSCRIBED",
        "NOT_SUBSCRIBED",
        False,
    )
    assert (found.phone, found.opt_in_level, found.updated_at) == ("+14155550123", None, None)


@pytest.mark.parametrize("name", ["no_phone_number", "customer_not_found"])
def test_no_customer_or_no_phone_is_no_consent(name):
    admin = ScriptedAdmin(response("read_customer_sms_consent_both_models", name))
    assert admin_api.read_sms_consent(admin, SHOP, CUSTOMER) is None


def test_segment_members_are_paged_with_the_cursor_until_the_last_page():
    admin = ScriptedAdmin(
        response("segment_members_paginated", "page_1_of_2"),
        response("segment_members_paginated", "page_2_of_2"),
    )
    pages = list(admin_api.segment_members(admin, SHOP, "gid://shopify/Segment/210588551", page_size=2))
    sent = [call[2] for call in admin.calls]
    assert sent[0] == OPERATIONS["segment_members_paginated"]["variables"]
    assert sent[1] == OPERATIONS["segment_members_paginated"]["responses"][1]["variables"]
    members = [m for page in pages for m in page.members]
    assert [(m.phone, m.marketing_state) for m in members] == [
        ("+14155550123", "SUBSCRIBED"),
        (None, None),  # defaultPhoneNumber null: a member nobody can text
        ("+14155550199", "UNSUBSCRIBED"),
    ]
    assert members[0].first_name == "Ada" and members[1].display_name == "grace@example.com"
    assert [p.total_count for p in pages] == [3, 3] and not pages[-1].has_next_page


def test_an_empty_segment_is_one_empty_page():
    admin = ScriptedAdmin(response("segment_members_paginated", "empty_segment"))
    (page,) = admin_api.segment_members(admin, SHOP, "210588551")
    assert (page.members, page.total_count, page.end_cursor) == ([], 0, None)
    assert admin.calls[0][2]["segmentId"] == "gid://shopify/Segment/210588551"


def test_a_page_that_says_more_without_a_new_cursor_ends_the_walk():
    stuck = response("segment_members_paginated", "page_1_of_2")
    admin = ScriptedAdmin(stuck, stuck)
    pages = list(admin_api.segment_members(admin, SHOP, "1", after="eyJsYXN0X2lkIjo3MDAxfQ=="))
    assert len(pages) == 1


@pytest.mark.parametrize("size", [0, 1001])
def test_a_page_size_shopify_refuses_is_not_sent(size):
    admin = ScriptedAdmin()
    with pytest.raises(ValueError, match="page_size"):
        admin_api.segment_page(admin, SHOP, "1", page_size=size)
    assert admin.calls == []


def test_segments_are_listed():
    admin = ScriptedAdmin(response("segments_list", "one_page"))
    (segment,) = admin_api.list_segments(admin, SHOP)
    assert admin.calls[0][2] == OPERATIONS["segments_list"]["variables"]
    assert (segment.segment_id, segment.name, segment.query) == (
        "gid://shopify/Segment/210588551", "SMS subscribers who bought twice", "number_of_orders >= 2",
    )  # fmt: skip
    assert segment.edited_at == datetime(2026, 2, 10, 12, 30, tzinfo=UTC)


def test_a_customer_is_found_by_phone_only_when_the_number_matches():
    hit = {"customers": {"nodes": [{"id": CUSTOMER, "defaultPhoneNumber": {"phoneNumber": "+14155550123"}}]}}
    near = {"customers": {"nodes": [{"id": CUSTOMER, "defaultPhoneNumber": {"phoneNumber": "+14155550124"}}]}}
    admin = ScriptedAdmin(hit, near, {"customers": {"nodes": []}})
    assert admin_api.find_customer_by_phone(admin, SHOP, "+14155550123") == CUSTOMER
    assert admin.calls[0][2] == {"query": "phone:+14155550123"}
    assert admin_api.find_customer_by_phone(admin, SHOP, "+14155550123") is None
    assert admin_api.find_customer_by_phone(admin, SHOP, "+14155550123") is None


def test_an_order_maps_to_the_webhook_shape_the_order_model_reads():
    graph = {
        "id": "gid://shopify/Order/820982911946154508", "legacyResourceId": "820982911946154508", "name": "#9999",
        "phone": "+15125550100", "email": "jon@example.com", "createdAt": "2021-12-31T19:00:00-05:00",
        "cancelledAt": None, "currencyCode": "USD",
        "totalPriceSet": {"shopMoney": {"amount": "414.95", "currencyCode": "USD"}}, "discountCodes": ["SMS10"],
        "customer": {"id": "gid://shopify/Customer/115310627314723954", "legacyResourceId": "115310627314723954",
                     "firstName": "John", "defaultPhoneNumber": {"phoneNumber": "+15125550101"},
                     "defaultAddress": {"phone": None, "countryCodeV2": "US", "provinceCode": "TX", "firstName": "John"}},
        "shippingAddress": {"phone": "+15125550102", "countryCodeV2": "US", "provinceCode": "TX", "firstName": "Bob"},
        "billingAddress": None,
        "lineItems": {"nodes": [{"title": "Aviator sunglasses", "quantity": 1,
                                 "product": {"legacyResourceId": "788032119674292922"}, "variant": None}]},
    }  # fmt: skip
    admin = ScriptedAdmin({"order": graph})
    body = admin_api.fetch_order(admin, SHOP, 820982911946154508)
    assert admin.calls[0][2] == {"id": "gid://shopify/Order/820982911946154508"}
    assert body is not None
    order = Order.model_validate(body)
    assert order.id == 820982911946154508 and order.name == "#9999" and order.total_price == "414.95"
    assert order.customer is not None and order.customer.id == 115310627314723954
    assert order.customer.phone == "+15125550101" and order.first_name() == "John"
    assert order.shipping_address is not None and order.shipping_address.province_code == "TX"
    assert order.product() == "Aviator sunglasses" and order.product_ids() == [788032119674292922]
    assert order.variant_ids() == [None] and [d.code for d in order.discount_codes] == ["SMS10"]
    assert body["line_items"][0]["quantity"] == 1 and body["email"] == "jon@example.com"
    assert admin_api.fetch_order(ScriptedAdmin({"order": None}), SHOP, "1") is None


def test_a_bad_id_is_refused_before_any_call():
    with pytest.raises(ValueError, match="neither a number"):
        admin_api.fetch_order(ScriptedAdmin(), SHOP, "1; drop")


def test_webhook_subscriptions_are_listed_across_pages_with_their_topic_enum():
    first = {
        "webhookSubscriptions": {
            "nodes": [
                {
                    "id": "gid://shopify/WebhookSubscription/1",
                    "topic": "ORDERS_CREATE",
                    "uri": "https://api.example.com/webhooks/shopify",
                }
            ],
            "pageInfo": {"hasNextPage": True, "endCursor": "c1"},
        }
    }
    second = {"webhookSubscriptions": {"nodes": [{"id": "gid://shopify/WebhookSubscription/2",
              "topic": "CUSTOMERS_MARKETING_CONSENT_UPDATE", "uri": "arn:aws:events:us-east-1::event-source/aws.partner/x"}],
              "pageInfo": {"hasNextPage": False, "endCursor": "c2"}}}  # fmt: skip
    admin = ScriptedAdmin(first, second)
    found = admin_api.webhook_subscriptions(admin, SHOP)
    assert [c[2]["after"] for c in admin.calls] == [None, "c1"]
    assert [s.topic for s in found] == ["ORDERS_CREATE", "CUSTOMERS_MARKETING_CONSENT_UPDATE"]
    assert admin_api.topic_enum("customers_marketing_consent/update") == found[1].topic
    assert found[1].uri.startswith("arn:aws:events:")
