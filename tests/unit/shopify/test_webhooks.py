import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsflows.domain.phones import first_usable
from smsflows.domain.shopify import webhooks

EVENTS = Path(__file__).parents[2] / "events" / "shopify"


def test_signature_matches_shopify_algorithm():
    body = b'{"id": 1}'
    expected = base64.b64encode(hmac.new(b"s3cret", body, hashlib.sha256).digest()).decode()
    assert webhooks.sign(b"s3cret", body) == expected
    assert webhooks.verify(b"s3cret", body, expected)


@given(st.binary(max_size=512), st.binary(min_size=1, max_size=64))
def test_any_change_to_the_body_breaks_the_signature(body, extra):
    header = webhooks.sign(b"k", body)
    assert webhooks.verify(b"k", body, header)
    assert not webhooks.verify(b"k", body + extra, header)
    assert not webhooks.verify(b"other", body, header)


@pytest.mark.parametrize("header", [None, "", "not-base64", "AAAA"])
def test_missing_or_garbage_signature_is_rejected(header):
    assert not webhooks.verify(b"k", b"{}", header)


def test_headers_are_read_case_insensitively():
    h = webhooks.WebhookHeaders.from_headers(
        {
            "x-shopify-topic": "Orders/Create",
            "X-SHOPIFY-SHOP-DOMAIN": "A-Shop.myshopify.com",
            "X-Shopify-Webhook-Id": " abc ",
        }
    )
    assert (h.topic, h.shop, h.webhook_id) == ("orders/create", "a-shop.myshopify.com", "abc")


def test_documented_order_example_parses_and_has_no_usable_phone():
    order = webhooks.Order.model_validate(json.loads((EVENTS / "orders_create.json").read_text()))
    assert order.name == "#9999"
    phone = first_usable(order.phone_candidates())
    # The documented example carries "555-555-SHIP" and a Canadian "123-123-1234": neither is a number.
    assert phone.status == "unusable"
    assert phone.raw in {"555-555-SHIP", "123-123-1234"}


def test_customer_phone_wins_over_address_phones():
    order = webhooks.Order.model_validate(
        {
            "id": 1,
            "name": "#1",
            "customer": {"id": 5, "phone": "+15125550123"},
            "shipping_address": {"phone": "(212) 555-0199", "country_code": "US"},
        }
    )
    assert first_usable(order.phone_candidates()).e164 == "+15125550123"


def test_address_phone_is_read_in_the_address_country():
    order = webhooks.Order.model_validate(
        {"id": 1, "name": "#1", "shipping_address": {"phone": "020 7946 0958", "country_code": "GB"}}
    )
    assert first_usable(order.phone_candidates()).e164 == "+442079460958"
