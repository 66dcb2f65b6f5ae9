"""The four privacy webhooks as the domain answers them (issue 10: the mutants that survived in
domain/shopify/privacy.py): what each asks the store and the flows for, with which arguments, and what it
records and says — with recording fakes, so that every argument is seen."""

from datetime import UTC, datetime
from typing import Any

from smsflows.domain.flows import definitions
from smsflows.domain.shopify import privacy
from smsflows.domain.shopify.privacy import PrivacyDeps
from smsflows.domain.shops import ShopConfig
from smsflows.runtime.clock import fixed_clock
from tests.fakes import FakeShopConfigs, onboarded_shop, shop_sender

SHOP = "demo-shop.myshopify.com"
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


class Store:
    def __init__(self, phones: list[str] | None = None) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.exports: dict[tuple[str, str], dict[str, Any]] = {}
        self._phones = phones or []

    def collect(self, shop, customer_id, phones, orders):
        self.calls.append(("collect", (shop, customer_id, phones, orders)))
        return {"orders": [{"id": o} for o in orders], "profiles": [{"phone": p} for p in phones]}

    def phones_of(self, shop, customer_id):
        self.calls.append(("phones_of", (shop, customer_id)))
        return list(self._phones)

    def save_export(self, shop, request_id, payload):
        self.exports[(shop, request_id)] = payload

    def load_export(self, shop, request_id):
        return self.exports.get((shop, request_id))

    def erase_subject(self, shop, customer_id, phones, orders, mentions):
        self.calls.append(("erase_subject", (shop, customer_id, phones, orders, mentions)))
        return 7

    def erase_shop(self, shop):
        self.calls.append(("erase_shop", (shop,)))
        return 42


class Flows:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def stop_subject(self, shop, names, phones, customer_keys, cause):
        self.calls.append(("stop_subject", (shop, names, phones, customer_keys, cause)))
        return 3

    def stop_all_for_shop(self, shop, cause):
        self.calls.append(("stop_all_for_shop", (shop, cause)))
        return 5


def deps(store: Store | None = None, config: ShopConfig | None = None) -> PrivacyDeps:
    shops = FakeShopConfigs(config or onboarded_shop(SHOP))
    return PrivacyDeps(store=store or Store(), shops=shops, flows=Flows(), clock=fixed_clock(NOW))


def test_a_data_request_exports_what_was_asked_for_with_its_id_and_time():
    d = deps(Store(phones=["+15125550123"]))
    request = {"customer": {"id": 7001, "phone": "512-555-0124"}, "orders_requested": [42, 43],
               "data_request": {"id": 9999}}  # fmt: skip
    assert privacy.data_request(SHOP, request, d) == "export 9999 ready (4 records)"
    assert ("collect", (SHOP, "7001", ["+15125550123", "+15125550124"], ["42", "43"])) in d.store.calls
    export = d.store.load_export(SHOP, "9999")
    assert export == {"shop": SHOP, "customer_id": "7001", "request_id": "9999", "made_at": NOW.isoformat(),
                      "data": {"orders": [{"id": "42"}, {"id": "43"}],
                               "profiles": [{"phone": "+15125550123"}, {"phone": "+15125550124"}]}}  # fmt: skip


def test_a_data_request_without_an_id_or_orders_is_still_answered():
    d = deps()
    assert privacy.data_request(SHOP, {"customer": {"id": 7001}}, d) == "export unknown ready (0 records)"
    assert d.store.load_export(SHOP, "unknown")["request_id"] == "unknown"
    assert ("collect", (SHOP, "7001", [], [])) in d.store.calls


def test_a_customer_redaction_stops_every_flow_named_or_keyed_after_the_customer_and_erases_them():
    d = deps(Store(phones=["+15125550123"]))
    request = {"customer": {"id": 7001, "email": "ada@example.com"}, "orders_to_redact": [42]}
    said = privacy.redact_customer(SHOP, request, d)
    assert said == "erased 7 records, stopped 3 flows; consent evidence and hashed suppression kept"
    assert ("phones_of", (SHOP, "7001")) in d.store.calls  # this shop's customer, not another shop's
    [(_, (shop, names, phones, customer_keys, cause))] = d.flows.calls
    assert shop == SHOP and cause == "customer redacted"
    assert names == {
        definitions.execution_name(f, SHOP, "42") for f in definitions.STATE_MACHINE_FLOWS.values()
    }
    assert phones == {"+15125550123"}
    assert customer_keys == {"phone:+15125550123", "order:42", "customer:7001"}
    [erase] = [c for c in d.store.calls if c[0] == "erase_subject"]
    assert erase[1][:4] == (SHOP, "7001", ["+15125550123"], ["42"])
    assert "ada@example.com" in erase[1][4] and '"id":7001' in erase[1][4]


def test_a_redaction_without_a_customer_id_still_stops_what_its_phone_and_orders_name():
    d = deps()
    privacy.redact_customer(SHOP, {"customer": {"phone": "(512) 555-0123"}, "orders_to_redact": ["42"]}, d)
    [(_, (_, _, phones, customer_keys, _))] = d.flows.calls
    assert phones == {"+15125550123"} and customer_keys == {"phone:+15125550123", "order:42"}
    assert not [c for c in d.store.calls if c[0] == "phones_of"]  # no id: nothing to look up by


def test_an_uninstall_stops_sending_and_every_flow_but_keeps_the_data():
    d = deps()
    assert privacy.uninstalled(SHOP, d) == "shop marked uninstalled, 5 flows stopped"
    assert d.shops.get(SHOP).status == "uninstalled" and d.shops.get(SHOP).senders == (shop_sender(SHOP),)
    assert d.flows.calls == [("stop_all_for_shop", (SHOP, "app uninstalled"))]
    assert not [c for c in d.store.calls if c[0] == "erase_shop"]


def test_a_shop_redaction_erases_the_shop_and_forgets_its_senders():
    d = deps()
    said = privacy.redact_shop(SHOP, d)
    assert said == "erased 42 records, stopped 5 flows; consent evidence and hashed suppressions kept"
    assert d.flows.calls == [("stop_all_for_shop", (SHOP, "shop redacted"))]
    assert ("erase_shop", (SHOP,)) in d.store.calls
    config = d.shops.get(SHOP)
    assert config.status == "redacted" and config.senders == ()
