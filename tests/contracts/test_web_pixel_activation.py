"""`smsflows shopify pixel` (admin/shopify_app.activate_pixel) through the real Admin API adapter against the
fake Shopify on loopback: the pixel is created with this deployment's endpoint, left alone when it already
posts there, pointed here when it posts elsewhere, and a refusal is one clear error that changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from smsflows.adapters.secrets import SecretsStore
from smsflows.adapters.shopify_admin import ShopifyAdminClient, token_secret_id
from smsflows.admin.errors import BadValue
from smsflows.admin.shopify_app import activate_pixel, pixel_endpoint
from smsflows.local.fake_shopify import FakeShopify
from smsflows.runtime.errors import ShopifyNotConnected, ShopifyUserErrors

SHOP = "demo-shop.myshopify.com"
PREFIX = "contract/shopify-admin"
TOKEN = "shpat_pixel-contract-token-0123456789"
ENDPOINT = pixel_endpoint("https://abc123.execute-api.us-east-1.amazonaws.com/prod/")


@pytest.fixture
def fake() -> Iterator[FakeShopify]:
    shopify = FakeShopify(clock=lambda: datetime(2026, 11, 23, 15, 0, tzinfo=UTC)).start()
    shopify.add_token(SHOP, TOKEN)
    yield shopify
    shopify.stop()


@pytest.fixture
def admin(fake: FakeShopify) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        client.create_secret(
            Name=token_secret_id(PREFIX, SHOP), SecretString=json.dumps({"access_token": TOKEN})
        )
        yield ShopifyAdminClient(SecretsStore(lambda: client), PREFIX, api_base=fake.base_url, timeout_s=2)


def test_the_pixel_is_created_with_the_deployments_endpoint_then_left_alone(admin, fake):
    assert ENDPOINT == "https://abc123.execute-api.us-east-1.amazonaws.com/prod/storefront/events"
    first = activate_pixel(admin, SHOP, ENDPOINT)
    assert first["action"] == "created" and first["pixel_id"]
    assert json.loads(fake.pixels[SHOP]["settings"]) == {"endpoint": ENDPOINT}
    again = activate_pixel(admin, SHOP, ENDPOINT)
    assert (again["action"], again["pixel_id"]) == ("unchanged", first["pixel_id"])


def test_a_pixel_posting_elsewhere_is_pointed_here(admin, fake):
    activate_pixel(admin, SHOP, "https://old.example.net/storefront/events")
    moved = activate_pixel(admin, SHOP, ENDPOINT)
    assert moved["action"] == "updated"
    assert json.loads(fake.pixels[SHOP]["settings"]) == {"endpoint": ENDPOINT}
    assert len(fake.pixels) == 1


def test_an_endpoint_that_is_not_https_is_refused_before_any_call(admin, fake):
    calls = len(fake.calls)
    with pytest.raises(BadValue, match="https"):
        activate_pixel(admin, SHOP, "http://shop.example/storefront/events")
    assert len(fake.calls) == calls and SHOP not in fake.pixels


def test_a_shop_without_a_token_is_not_connected(admin, fake):
    with pytest.raises(ShopifyNotConnected):
        activate_pixel(admin, "other-shop.myshopify.com", ENDPOINT)


def test_shopifys_user_errors_are_one_clear_error_and_change_nothing(admin, fake):
    fake.answer_next(200, {"errors": [{"message": "No web pixel was found for this app.",
                                       "extensions": {"code": "NOT_FOUND"}}]})  # fmt: skip
    fake.answer_next(200, {"data": {"webPixelCreate": {"webPixel": None, "userErrors": [
        {"code": "UNABLE_TO_CREATE", "field": None, "message": "Access to web pixels is not granted"}]}}})  # fmt: skip
    with pytest.raises(
        ShopifyUserErrors, match=r"not created on demo-shop\.myshopify\.com: Access to web pixels"
    ):
        activate_pixel(admin, SHOP, ENDPOINT)
    assert SHOP not in fake.pixels
