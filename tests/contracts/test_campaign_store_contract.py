"""The campaign store: FakeCampaigns and DynamoCampaigns (under moto) to one contract: what is put is got
back, a write names the version it read and a stale one is refused with nothing written, a shop's list is
newest first and holds only its own campaigns, read with a Query (never a Scan)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from smsflows.adapters.campaigns import StaleCampaign
from smsflows.domain import keys
from smsflows.domain.campaigns.campaign import Campaign, SendAt, create
from smsflows.domain.shops import ShopConfig
from smsflows.runtime.errors import Conflict
from tests.contracts.conftest import IMPLEMENTATIONS, NOW, OTHER_SHOP, SHOP, TABLE, peek


def config(shop: str = SHOP) -> ShopConfig:
    return ShopConfig(shop=shop, brand_name="Demo Shop", senders=["+18445550100"],
                      support_contact="help@demo-shop.example", terms_url="https://demo-shop.example/t",
                      privacy_url="https://demo-shop.example/p")  # fmt: skip


def draft(name: str = "Black Friday", shop: str = SHOP, minutes: int = 0) -> Campaign:
    made, _ = create(config(shop), name=name, variants={"A": "Demo Shop: 20% off. Reply STOP to opt out."},
                     segment="vip", send_at=SendAt.at(NOW + timedelta(days=2)), now=NOW + timedelta(minutes=minutes),
                     by="ana")  # fmt: skip
    return made


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request: pytest.FixtureRequest) -> Any:
    from tests.fakes import FakeCampaigns

    if request.param == "fake":
        return FakeCampaigns()
    from smsflows.adapters.campaigns import DynamoCampaigns

    return DynamoCampaigns(request.getfixturevalue("dynamodb"), TABLE)


def test_a_campaign_put_is_got_back_whole_with_its_version(store):
    made = draft()
    assert store.get(SHOP, made.id) is None
    assert store.put(made) == 1
    got, version = store.get(SHOP, made.id)
    assert (got, version) == (made, 1)
    moved = made.transition("scheduled", "ana", NOW + timedelta(hours=1))
    assert store.put(moved, 1) == 2
    got, version = store.get(SHOP, made.id)
    assert (got.state, version, len(got.history)) == ("scheduled", 2, 1)
    assert got.history[0].by == "ana" and got.history[0].at == NOW + timedelta(hours=1)


def test_a_stale_write_is_refused_and_nothing_is_written(store):
    made = draft()
    store.put(made)
    with pytest.raises(StaleCampaign):
        store.put(made)  # "new" again: it exists already
    first = made.transition("scheduled", "ana", NOW)
    store.put(first, 1)
    second = made.transition("cancelled", "bo", NOW)  # bo read version 1 too
    with pytest.raises(Conflict, match="changed since it was read"):
        store.put(second, 1)
    with pytest.raises(Conflict):
        store.put(second, 7)  # a version never stored
    got, version = store.get(SHOP, made.id)
    assert (got.state, version) == ("scheduled", 2)


def test_the_list_is_newest_first_and_holds_only_the_shops_own(store):
    older, newer, newest = draft("One", minutes=0), draft("Two", minutes=5), draft("Three", minutes=10)
    theirs = draft("Theirs", shop=OTHER_SHOP, minutes=20)
    for made in (newer, older, theirs, newest):
        store.put(made)
    assert [c.id for c in store.list(SHOP)] == [newest.id, newer.id, older.id]
    assert [c.id for c in store.list(OTHER_SHOP)] == [theirs.id]
    assert store.list("nobody.myshopify.com") == []
    assert store.get(OTHER_SHOP, older.id) is None  # a shop reads only its own campaigns


def test_the_list_is_a_query_of_the_shops_partition_never_a_scan(dynamodb, monkeypatch):
    from smsflows.adapters.campaigns import DynamoCampaigns

    store = DynamoCampaigns(dynamodb, TABLE)
    made = draft()
    store.put(made)
    calls: list[str] = []
    original_query = dynamodb.query

    def no_scan(**kwargs: Any) -> Any:
        raise AssertionError("a Scan")

    def query(**kwargs: Any) -> Any:
        calls.append(kwargs["ExpressionAttributeValues"][":p"]["S"])
        return original_query(**kwargs)

    monkeypatch.setattr(dynamodb, "scan", no_scan)
    monkeypatch.setattr(dynamodb, "query", query)
    assert [c.id for c in store.list(SHOP)] == [made.id]
    assert calls == [keys.campaign(SHOP, "")["pk"]]
    stored = peek(dynamodb, keys.campaign(SHOP, made.id))
    assert (
        stored is not None and stored["shop"] == SHOP and stored["version"] == 1
    )  # in by_shop: redacted with it
