"""shop/redact and app/uninstalled for a shop we hold no config for (Shopify sends them for any shop that
ever installed the app, and the config may be gone or never written): the webhook is still answered, the
shop's data erased, and the shop left recorded as redacted or uninstalled so that nothing is sent for it."""

from datetime import UTC, datetime
from typing import Any

from smsflows.domain.shopify import privacy
from smsflows.domain.shopify.privacy import PrivacyDeps
from smsflows.domain.shops import ShopConfig
from smsflows.runtime.clock import fixed_clock
from tests.fakes import FakeShopConfigs, onboarded_shop, shop_sender

SHOP = "gone-shop.myshopify.com"
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


class Store:
    def __init__(self) -> None:
        self.erased_shops: list[str] = []

    def erase_shop(self, shop: str) -> int:
        self.erased_shops.append(shop)
        return 4


class Flows:
    def __init__(self) -> None:
        self.stopped: list[tuple[str, str]] = []

    def stop_all_for_shop(self, shop: str, cause: str) -> int:
        self.stopped.append((shop, cause))
        return 2


def deps(*configs: ShopConfig) -> Any:
    return PrivacyDeps(store=Store(), shops=FakeShopConfigs(*configs), flows=Flows(), clock=fixed_clock(NOW))  # type: ignore[arg-type]


def test_a_shop_redaction_for_a_shop_without_a_config_erases_it_and_records_it_redacted():
    d = deps()
    said = privacy.redact_shop(SHOP, d)
    assert said == "erased 4 records, stopped 2 flows; consent evidence and hashed suppressions kept"
    assert d.store.erased_shops == [SHOP]
    assert d.flows.stopped == [(SHOP, "shop redacted")]
    assert d.shops.get(SHOP) == ShopConfig(shop=SHOP, status="redacted")
    assert not d.shops.get(SHOP).may_send("compliance")


def test_a_shop_redaction_keeps_nothing_of_the_shops_settings_but_its_name():
    config = onboarded_shop(SHOP, brand_name="Gone", support_contact="help@gone.example",
                            terms_url="https://gone.example/terms", smart_sending_hours={"*": 12})  # fmt: skip
    d = deps(config)
    privacy.redact_shop(SHOP, d)
    assert d.shops.get(SHOP) == ShopConfig(shop=SHOP, status="redacted")
    assert not d.shops.get(SHOP).onboarded
    assert (
        d.shops.shop_for_sender(shop_sender(SHOP)) is None
    )  # an inbound text to its old number finds no shop


def test_an_uninstall_of_a_shop_without_a_config_still_stops_it_and_creates_no_shop():
    d = deps()
    assert privacy.uninstalled(SHOP, d) == "shop not onboarded: nothing to mark, 2 flows stopped"
    assert d.shops.get(SHOP) is None and d.shops.all() == []  # no record that would look like a shop
    assert d.flows.stopped == [(SHOP, "app uninstalled")]
    assert d.store.erased_shops == []  # the data goes with shop/redact, 48 h later
