"""The Segments port: FakeSegments and DynamoSegments (under moto) to one contract: a document put is got back
whole with who created it and when, a replace keeps its creation and moves `updated_at`, a shop's list is by
name and holds only its own segments, read with one Query (never a Scan)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from smsflows.domain import keys
from smsflows.domain.campaigns.segments import dump_segment, parse_segment
from tests.contracts.conftest import IMPLEMENTATIONS, NOW, OTHER_SHOP, SHOP, TABLE, peek

VIP = dump_segment(parse_segment({"all": [{"repeat": {}}, {"high_value": {"min_total": "250.00"}}]}))
LAPSED = dump_segment(parse_segment({"lapsed": {"days": 90}}))


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request: pytest.FixtureRequest) -> Any:
    from tests.fakes import FakeSegments

    if request.param == "fake":
        return FakeSegments()
    from smsflows.adapters.segment_store import DynamoSegments

    return DynamoSegments(request.getfixturevalue("dynamodb"), TABLE)


def test_a_segment_put_is_got_back_whole(store):
    assert store.get(SHOP, "vip") is None
    store.put(SHOP, "vip", VIP, "ana", NOW)
    got = store.get(SHOP, "vip")
    assert set(got) == {"name", "document", "created_by", "created_at", "updated_at"}
    assert got == {"name": "vip", "document": VIP, "created_by": "ana", "created_at": NOW, "updated_at": NOW}
    assert parse_segment(got["document"]) == parse_segment(VIP)  # the document reads back as the same segment


def test_a_replace_keeps_who_created_it_and_when(store):
    store.put(SHOP, "vip", VIP, "ana", NOW)
    store.put(SHOP, "vip", LAPSED, "bo", NOW + timedelta(hours=1))
    got = store.get(SHOP, "vip")
    assert (got["document"], got["created_by"], got["created_at"], got["updated_at"]) == (
        LAPSED, "ana", NOW, NOW + timedelta(hours=1),
    )  # fmt: skip


def test_the_list_is_by_name_and_holds_only_the_shops_own(store):
    for name in ("winback", "vip", "all.subscribers"):
        store.put(SHOP, name, VIP, "ana", NOW)
    store.put(OTHER_SHOP, "theirs", LAPSED, "cy", NOW)
    assert [s["name"] for s in store.list(SHOP)] == ["all.subscribers", "vip", "winback"]
    assert [s["name"] for s in store.list(OTHER_SHOP)] == ["theirs"]
    assert store.list("nobody.myshopify.com") == []
    assert store.get(OTHER_SHOP, "vip") is None
    assert store.list(SHOP)[1] == store.get(SHOP, "vip")


def test_the_list_is_a_query_of_the_shops_partition_and_the_item_is_the_shops(dynamodb, monkeypatch):
    from smsflows.adapters.segment_store import DynamoSegments

    store = DynamoSegments(dynamodb, TABLE)
    store.put(SHOP, "vip", VIP, "ana", NOW)
    calls: list[str] = []
    original = dynamodb.query

    def no_scan(**kwargs: Any) -> Any:
        raise AssertionError("a Scan")

    def query(**kwargs: Any) -> Any:
        calls.append(kwargs["ExpressionAttributeValues"][":p"]["S"])
        return original(**kwargs)

    monkeypatch.setattr(dynamodb, "scan", no_scan)
    monkeypatch.setattr(dynamodb, "query", query)
    assert [s["name"] for s in store.list(SHOP)] == ["vip"]
    assert calls == [keys.segment(SHOP, "")["pk"]]
    stored = peek(dynamodb, keys.segment(SHOP, "vip"))
    # in the by_shop index (shop/redact erases it) and described for a person reading the table
    assert stored is not None and stored["shop"] == SHOP and stored["type"] == "segment"
    assert stored["describe"].startswith("repeat buyers (2+ orders) and total spent")


SHOPIFY = {"id": "gid://shopify/Segment/210588551", "name": "VIP", "query": "amount_spent > 500"}
SUBSCRIBED_ONLY = dump_segment(parse_segment({"subscribed": {}}))


def test_a_shopify_segment_keeps_its_shopify_segment_and_its_last_count(store):
    store.put(SHOP, "vip", SUBSCRIBED_ONLY, "ana", NOW, shopify=SHOPIFY)
    got = store.get(SHOP, "vip")
    assert got["shopify"] == SHOPIFY and got["document"] == SUBSCRIBED_ONLY
    store.note_count(SHOP, "vip", {"textable": 12, "counted_at": NOW.isoformat()})
    assert store.get(SHOP, "vip")["shopify"] == {
        **SHOPIFY,
        "last_count": {"textable": 12, "counted_at": NOW.isoformat()},
    }
    assert store.list(SHOP)[0]["shopify"]["last_count"]["textable"] == 12

    store.put(SHOP, "vip", SUBSCRIBED_ONLY, "bo", NOW + timedelta(hours=1), shopify=SHOPIFY)
    assert "last_count" not in store.get(SHOP, "vip")["shopify"]  # a replaced segment is counted afresh
    store.put(SHOP, "vip", VIP, "bo", NOW + timedelta(hours=2))  # replaced by a document: no longer Shopify's
    assert "shopify" not in store.get(SHOP, "vip")


def test_a_count_is_kept_only_for_a_shopify_segment_that_exists(store):
    store.put(SHOP, "lapsed", LAPSED, "ana", NOW)
    store.note_count(SHOP, "lapsed", {"textable": 3})
    store.note_count(SHOP, "gone", {"textable": 3})
    assert set(store.get(SHOP, "lapsed")) == {"name", "document", "created_by", "created_at", "updated_at"}
    assert store.get(SHOP, "gone") is None
