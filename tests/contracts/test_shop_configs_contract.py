"""The ShopConfigs port: one configuration per shop, and which shop a sender (number or service) is."""

from __future__ import annotations

import json
from datetime import time

from smsflows.domain.registration import Throughput
from smsflows.domain.shops import DayWindow, FlowSettings, ShopConfig
from tests.contracts.conftest import OTHER_SHOP, SHOP
from tests.fakes import onboarded_shop, shop_sender

MG_A = "MG" + "a" * 32
MG_B = "MG" + "b" * 32
NUMBER = "+18005550100"


def config(shop: str = SHOP, **kw) -> ShopConfig:
    """An onboarded shop's config (tests/fakes.py), sending from MG_A unless told otherwise."""
    base = {
        **onboarded_shop(shop).model_dump(),
        "senders": (MG_A,),
        "throughput": Throughput(sender_type="10dlc"),
    }
    base.update(kw)
    return ShopConfig.model_validate(base)


def test_an_unknown_shop_has_no_config_and_an_unknown_sender_no_shop(shop_configs):
    assert shop_configs.get(SHOP) is None
    assert shop_configs.all() == []
    assert shop_configs.shop_for_sender(MG_A) is None


def test_a_config_reads_back_as_it_was_put(shop_configs):
    full = config(
        support_contact="help@demo-shop.example",
        keywords=("JOIN", "VIP"),
        quiet_hours_override=(
            DayWindow(start=time(9), end=time(20)),
            None,
            *(DayWindow(start=time(10), end=time(18)),) * 5,
        ),
        max_marketing_per_30_days=4,
        smart_sending_hours={"*": 12.0},
        senders=(MG_A, NUMBER),
        throughput=Throughput(sender_type="10dlc", trust_tier="mid"),
        flows={"welcome": FlowSettings(offsets_s=(0, 86400), templates={1: "Hi {first_name}"})},
    )
    shop_configs.put(full)
    assert shop_configs.get(SHOP) == full
    assert shop_configs.shop_for_sender(MG_A) == SHOP
    assert shop_configs.shop_for_sender(NUMBER) == SHOP


def test_put_replaces_the_config_and_its_senders(shop_configs):
    shop_configs.put(config(senders=(MG_A, NUMBER)))
    changed = config(brand_name="Renamed", senders=(MG_B, NUMBER), status="uninstalled")
    shop_configs.put(changed)
    assert shop_configs.get(SHOP) == changed
    assert shop_configs.shop_for_sender(MG_A) is None  # no longer this shop's
    assert shop_configs.shop_for_sender(MG_B) == SHOP
    assert shop_configs.shop_for_sender(NUMBER) == SHOP
    assert shop_configs.all() == [changed]


def test_all_lists_every_shop_once(shop_configs):
    a, b = config(), config(OTHER_SHOP, senders=(MG_B,))
    shop_configs.put(a)
    shop_configs.put(b)
    shop_configs.put(a)
    found = shop_configs.all()
    assert len(found) == 2
    assert sorted(found, key=lambda c: c.shop) == [a, b]
    assert shop_configs.shop_for_sender(MG_B) == OTHER_SHOP


def test_a_sender_belongs_to_the_shop_that_put_it_last(shop_configs):
    shop_configs.put(config(SHOP, senders=(MG_A,)))
    shop_configs.put(config(OTHER_SHOP, senders=(MG_A,)))
    assert shop_configs.shop_for_sender(MG_A) == OTHER_SHOP
    # the new owner lets it go: it belongs to nobody (the first shop's config still lists it)
    shop_configs.put(config(OTHER_SHOP, senders=()))
    assert shop_configs.shop_for_sender(MG_A) is None
    assert shop_configs.get(SHOP).senders == (MG_A,)


def test_all_is_in_shop_order_and_keeps_uninstalled_shops_for_the_caller_to_skip(shop_configs):
    shops = [f"shop-{n:02d}.myshopify.com" for n in (7, 3, 11, 1)]
    for shop in shops:
        shop_configs.put(config(shop, senders=(shop_sender(shop),)))
    shop_configs.put(config("shop-03.myshopify.com", senders=(shop_sender("shop-03.myshopify.com"),),
                            status="uninstalled"))  # fmt: skip
    found = shop_configs.all()
    assert [c.shop for c in found] == sorted(shops)
    assert [c.shop for c in found if not c.active] == ["shop-03.myshopify.com"]


def test_delete_removes_the_shop_and_its_entry_in_the_list_but_its_senders_stay_its_own(shop_configs):
    assert shop_configs.delete(SHOP) is False  # nothing to delete
    shop_configs.put(config(SHOP, senders=(MG_A, NUMBER)))
    shop_configs.put(config(OTHER_SHOP, senders=(MG_B,)))
    assert shop_configs.delete(SHOP) is True
    assert shop_configs.get(SHOP) is None
    assert [c.shop for c in shop_configs.all()] == [OTHER_SHOP]
    # a STOP to one of its numbers is still the shop's: recorded, never lost (and nothing answered)
    assert shop_configs.shop_for_sender(MG_A) == SHOP and shop_configs.shop_for_sender(NUMBER) == SHOP
    shop_configs.put(config(OTHER_SHOP, senders=(MG_B, NUMBER)))  # another shop takes a number over
    assert shop_configs.shop_for_sender(NUMBER) == OTHER_SHOP
    assert shop_configs.delete(SHOP) is False


def test_a_config_stored_before_todays_rules_is_read_as_it_was_stored(shop_configs, request):
    """A rule added later (a keyword reserved, a sender type that must fit) must not make a stored shop
    unreadable: every function reads its config, and one that cannot be read could not even record a STOP."""
    if request.node.callspec.params["shop_configs"] == "real":
        from smsflows.adapters._dynamo import to_item
        from smsflows.domain import keys

        ddb = request.getfixturevalue("dynamodb")
        old = json.dumps({"shop": SHOP, "brand_name": "Demo Shop", "keywords": ["STOP"], "senders": ["+15125550100"],
                          "support_webhook_url": "http://old.example/hook"})  # fmt: skip
        ddb.put_item(TableName="contract-data", Item=to_item({**keys.shop_config(SHOP), "type": "shop_config",
                                                              "shop": SHOP, "config": old}))  # fmt: skip
        got = shop_configs.get(SHOP)
        assert (got.keywords, got.senders, got.support_webhook_url) == (
            ("STOP",), ("+15125550100",), "http://old.example/hook",
        )  # fmt: skip
    else:
        legacy = ShopConfig.from_stored(
            json.dumps({"shop": SHOP, "keywords": ["STOP"], "senders": ["+15125550100"]})
        )
        shop_configs.put(legacy)
        assert shop_configs.get(SHOP) == legacy
