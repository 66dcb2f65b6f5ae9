"""Whose data a privacy webhook is about (domain/shopify/privacy._subject): the phone Shopify gives is read in
the shop's default country, and a shop with no configuration left (uninstalled, or never set up) is still
answered, its phones read as US numbers."""

from datetime import UTC, datetime

from smsflows.domain.shopify import privacy
from smsflows.domain.shopify.privacy import PrivacyDeps
from smsflows.domain.shops import ShopConfig
from smsflows.runtime.clock import fixed_clock
from tests.fakes import FakeShopConfigs, onboarded_shop
from tests.unit.shopify.test_privacy_requests import Flows, Store

SHOP = "demo-shop.myshopify.com"
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def deps(*configs: ShopConfig, phones: list[str] | None = None) -> PrivacyDeps:
    return PrivacyDeps(
        store=Store(phones), shops=FakeShopConfigs(*configs), flows=Flows(), clock=fixed_clock(NOW)
    )


def collected(d: PrivacyDeps) -> tuple:
    return next(args for name, args in d.store.calls if name == "collect")


def test_the_phone_given_is_read_in_the_shops_default_country():
    d = deps(onboarded_shop(SHOP, default_country="GB"))
    privacy.data_request(SHOP, {"customer": {"id": 7001, "phone": "020 7946 0958"}}, d)
    assert collected(d) == (SHOP, "7001", ["+442079460958"], [])


def test_a_shop_without_a_configuration_is_answered_with_its_phones_read_as_us_numbers():
    d = deps(phones=["+15125550123"])
    assert privacy.data_request(SHOP, {"customer": {"id": 7001, "phone": "512-555-0124"}}, d) == (
        "export unknown ready (2 records)"
    )
    assert collected(d) == (SHOP, "7001", ["+15125550123", "+15125550124"], [])


def test_an_unusable_phone_given_is_left_out():
    d = deps(onboarded_shop(SHOP), phones=["+15125550123"])
    privacy.data_request(SHOP, {"customer": {"id": 7001, "phone": "555-0000"}}, d)
    assert collected(d) == (SHOP, "7001", ["+15125550123"], [])
