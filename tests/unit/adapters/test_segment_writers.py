"""The writers of the segments' summaries (docs/segments.md §1), under moto, read back as the by_segment index
holds them: the consent writer's `seg_pk` and zones, an order's counters, times and bought ids (with their
caps and guards), customers/update's aggregates and tags (guarded on updated_at), an inbound reply's time,
and the backfill of subscribers from before segments."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from smsflows.adapters.consent_store import DynamoConsentStore
from smsflows.adapters.conversations import DynamoConversations
from smsflows.adapters.segment_members import (
    DynamoSegmentMembers,
    backfill_page,
    member_from_item,
    members,
    projection,
)
from smsflows.adapters.shop_data import DynamoShopData
from smsflows.adapters.subscriber_summaries import DynamoSubscriberSummaries
from smsflows.domain import keys
from smsflows.domain.campaigns.segments import MAX_BOUGHT_IDS, SegmentMember, parse_segment, select
from smsflows.domain.compliance.locations import Address, candidate_locations
from smsflows.domain.consent.ledger import ConsentEvent
from smsflows.domain.consent.subscriptions import record
from smsflows.domain.profiles import ProfileRecord
from smsflows.domain.shopify.records import OrderRecord
from smsflows.domain.shopify.summary import CustomerSummary
from tests.contracts.conftest import NOW, SHOP, TABLE, peek

MIAMI = "+13055550100"
AUSTIN = "+15125550123"


@pytest.fixture
def stores(dynamodb: Any) -> Any:
    class Stores:
        ddb = dynamodb
        consent = DynamoConsentStore(dynamodb, TABLE)
        data = DynamoShopData(dynamodb, TABLE)
        customers = DynamoSubscriberSummaries(dynamodb, TABLE)
        replies = DynamoConversations(dynamodb, TABLE)
        index = DynamoSegmentMembers(dynamodb, TABLE)

    return Stores()


def consent(stores: Any, phone: str, kind: str = "opt_in", minutes: int = 0, source: str = "keyword") -> None:
    at = NOW + timedelta(minutes=minutes)
    event = ConsentEvent(
        event_id=f"{kind}-{minutes}", shop=SHOP, phone=phone, kind=kind, source=source, at=at
    )
    record(stores.consent, event)


def order(stores: Any, order_id: str, phone: str = MIAMI, days_ago: float = 0, total: str | None = "20.00",
          products: tuple[str, ...] = (), variants: tuple[str, ...] = (), places: tuple = ()) -> None:  # fmt: skip
    record_ = OrderRecord(shop=SHOP, order_id=order_id, name=f"#{order_id}", customer_key="customer:1", phone=phone,
                          total_price=total, created_at=NOW, product_ids=products, variant_ids=variants,
                          placed_at=NOW - timedelta(days=days_ago))  # fmt: skip
    profile = ProfileRecord(shop=SHOP, customer_key="customer:1", customer_id="1", phone=phone, phone_status="usable",
                            updated_at=NOW)  # fmt: skip
    stores.data.save_order(record_, profile, places)


def state_item(stores: Any, phone: str = MIAMI) -> dict[str, Any] | None:
    return peek(stores.ddb, keys.subscriber(SHOP, phone))


def indexed(stores: Any) -> dict[str, SegmentMember]:
    return {m.phone: m for m in members(stores.index, SHOP)}


def zones_of(phone: str, *addresses: Address) -> frozenset[str]:
    return frozenset(loc.time_zone for loc in candidate_locations(phone, *addresses))


def writes(ddb: Any) -> list[str]:
    made: list[str] = []
    for op in ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"):
        ddb.meta.events.register(f"before-call.dynamodb.{op}", lambda op=op, **_: made.append(op))
    return made


# Consent --------------------------------------------------------------------------------------------------


def test_a_subscription_puts_the_member_in_its_shard_and_an_opt_out_takes_it_out_in_the_same_write(stores):
    consent(stores, MIAMI, "opt_in_requested", source="web_form")
    assert "seg_pk" not in state_item(stores) and indexed(stores) == {}  # pending: not a member
    consent(stores, MIAMI, "opt_in_confirmed", minutes=1, source="web_form")
    item = state_item(stores)
    assert (
        item["seg_pk"]
        == keys.segment_partition(SHOP, MIAMI)
        == f"SEG#{SHOP}#{keys.segment_shard(SHOP, MIAMI):02d}"
    )
    member = indexed(stores)[MIAMI]
    assert (member.status, member.opt_in_source, member.subscribed_at) == (
        "subscribed", "web_form", NOW + timedelta(minutes=1),
    )  # fmt: skip
    assert member.candidate_zones == zones_of(MIAMI) and member.country == "US" and member.state == "FL"
    made = writes(stores.ddb)
    consent(stores, MIAMI, "opt_out", minutes=2)
    assert made == ["TransactWriteItems"]  # the ledger, the state and the index entry: one atomic write
    assert "seg_pk" not in state_item(stores) and indexed(stores) == {}
    consent(stores, MIAMI, "opt_in", minutes=3)
    assert indexed(stores)[MIAMI].subscribed_at == NOW + timedelta(minutes=3)


def test_the_consent_writer_keeps_the_zones_an_order_wrote_since_it_read_the_state(stores):
    order(stores, "1", places=(("US", "TX", "shipping_address"),))
    consent(stores, MIAMI)
    assert indexed(stores)[MIAMI].candidate_zones == zones_of(MIAMI, Address("US", "TX"))
    assert indexed(stores)[MIAMI].state == "TX"  # an address says more than the area code


# Orders ---------------------------------------------------------------------------------------------------


def test_an_order_is_counted_once_and_a_late_older_one_moves_only_the_first_order_time(stores):
    consent(stores, MIAMI)
    order(stores, "1", days_ago=3, total="19.99", products=("7001",), variants=("8001",))
    order(stores, "1", days_ago=3, total="19.99", products=("7001",), variants=("8001",))  # redelivered
    m = indexed(stores)[MIAMI]
    assert (m.orders_count, m.total_spent) == (1, Decimal("19.99"))
    assert m.first_order_at == m.last_order_at == NOW - timedelta(days=3)
    order(stores, "2", days_ago=1, total="5")
    order(stores, "0", days_ago=40, total="1.01", products=("7000",))  # an older order, arriving late
    m = indexed(stores)[MIAMI]
    assert (m.orders_count, m.total_spent) == (3, Decimal("26.00"))
    assert (m.first_order_at, m.last_order_at) == (NOW - timedelta(days=40), NOW - timedelta(days=1))
    assert m.product_ids == {"7000", "7001"} and m.variant_ids == {"8001"} and not m.bought_truncated
    assert peek(stores.ddb, keys.order(SHOP, "1"))["product_ids"] == ["7001"]  # the order keeps its ids too


def test_bought_ids_stop_at_their_cap_and_the_member_says_so(stores):
    consent(stores, MIAMI)
    first = tuple(str(7000 + i) for i in range(MAX_BOUGHT_IDS - 1))
    order(stores, "1", products=first)
    order(stores, "2", products=("7000", "9001"))  # one already held, one new: fits
    m = indexed(stores)[MIAMI]
    assert len(m.product_ids) == MAX_BOUGHT_IDS and not m.bought_truncated
    order(stores, "3", products=("9002", "9003"))
    m = indexed(stores)[MIAMI]
    assert len(m.product_ids) == MAX_BOUGHT_IDS and "9002" not in m.product_ids and m.bought_truncated
    assert m.orders_count == 3  # the order is counted all the same
    # past the cap "bought 9002" is unknown: the member is in neither the segment nor its negation
    bought = parse_segment({"bought": {"product": ["9002"]}})
    never = parse_segment({"not": {"bought": {"product": ["9002"]}}})
    assert list(select(bought, [m], NOW)) == [] and list(select(never, [m], NOW)) == []


def test_an_order_with_more_distinct_ids_than_the_cap_keeps_the_first_ones(stores):
    consent(stores, AUSTIN)
    ids = tuple(str(1000 + i) for i in range(MAX_BOUGHT_IDS + 20))
    order(stores, "1", phone=AUSTIN, variants=ids)
    m = indexed(stores)[AUSTIN]
    assert m.variant_ids == frozenset(ids[:MAX_BOUGHT_IDS]) and m.bought_truncated


def test_a_customer_who_orders_before_subscribing_has_a_history_when_they_opt_in(stores):
    order(stores, "1", days_ago=10, total="30", places=(("US", "TX", "shipping_address"),))
    order(stores, "2", phone=AUSTIN, days_ago=2)  # no places: a summary, and no consent state to read
    assert indexed(stores) == {}  # not subscribed: not in the index
    assert stores.consent.state(SHOP, AUSTIN) is None
    consent(stores, MIAMI)
    consent(stores, AUSTIN)
    got = indexed(stores)
    assert (got[MIAMI].orders_count, got[MIAMI].total_spent) == (1, Decimal("30"))
    assert got[MIAMI].candidate_zones == zones_of(MIAMI, Address("US", "TX"))
    assert (got[AUSTIN].orders_count, got[AUSTIN].last_order_at) == (1, NOW - timedelta(days=2))


def test_an_order_without_a_usable_phone_writes_no_summary(stores):
    record_ = OrderRecord(shop=SHOP, order_id="1", name="#1", customer_key="order:1", created_at=NOW)
    stores.data.save_order(record_, ProfileRecord(shop=SHOP, customer_key="order:1", updated_at=NOW))
    assert [i for i in stores.ddb.scan(TableName=TABLE)["Items"] if i["pk"]["S"].startswith("SUB#")] == []


# customers/update -----------------------------------------------------------------------------------------


def customer(minutes: int = 0, **kw: Any) -> CustomerSummary:
    base: dict[str, Any] = dict(customer_id="1", updated_at=NOW + timedelta(minutes=minutes), orders_count=7,
                                total_spent=Decimal("410.00"), tags=frozenset({"vip"}))  # fmt: skip
    base.update(kw)
    return CustomerSummary(**base)


def test_shopifys_own_figures_win_over_the_orders_seen_and_an_older_update_changes_nothing(stores):
    consent(stores, MIAMI)
    order(stores, "1", total="20")
    assert stores.customers.note_customer(SHOP, MIAMI, customer(10)) == "ok"
    m = indexed(stores)[MIAMI]
    assert (m.orders_count, m.total_spent, m.tags) == (
        7,
        Decimal("410.00"),
        {"vip"},
    )  # with orders before install
    assert (
        stores.customers.note_customer(SHOP, MIAMI, customer(5, orders_count=1, tags=frozenset())) == "stale"
    )
    assert indexed(stores)[MIAMI].tags == {"vip"}
    assert stores.customers.note_customer(SHOP, MIAMI, customer(20, tags=frozenset())) == "ok"
    assert indexed(stores)[MIAMI].tags == frozenset()
    assert (
        state_item(stores)["version"] == 1 and indexed(stores)[MIAMI].status == "subscribed"
    )  # consent untouched


def test_a_default_address_replaces_the_one_known_and_keeps_the_shipping_one(stores):
    order(stores, "1", places=(("US", "NY", "default_address"), ("US", "TX", "shipping_address")))
    consent(stores, MIAMI)
    assert stores.customers.note_customer(SHOP, MIAMI, customer(default_address=("US", "CA"))) == "ok"
    state = stores.consent.state(SHOP, MIAMI)
    assert state.addresses == (("US", "CA", "default_address"), ("US", "TX", "shipping_address"))
    m = indexed(stores)[MIAMI]
    assert m.candidate_zones == zones_of(MIAMI, Address("US", "CA"), Address("US", "TX"))
    assert (m.country, m.state) == ("US", "CA")
    assert stores.customers.note_customer(SHOP, MIAMI, customer(-5, default_address=("US", "WA"))) == "stale"
    assert stores.consent.state(SHOP, MIAMI).addresses[0] == ("US", "CA", "default_address")


def test_a_default_address_written_while_an_order_moved_the_addresses_keeps_the_orders(stores, monkeypatch):
    order(stores, "1", places=(("US", "NY", "default_address"),))
    consent(stores, MIAMI)
    real_seen = stores.customers._seen
    calls: list[int] = []

    def seen_then_an_order(shop: str, phone: str) -> dict[str, Any]:
        got = real_seen(shop, phone)
        calls.append(1)
        if len(calls) == 1:  # an order lands between the read and the write
            order(stores, "2", places=(("US", "NY", "default_address"), ("US", "TX", "shipping_address")))
        return got

    monkeypatch.setattr(stores.customers, "_seen", seen_then_an_order)
    assert stores.customers.note_customer(SHOP, MIAMI, customer(default_address=("US", "CA"))) == "ok"
    assert len(calls) == 2
    assert stores.consent.state(SHOP, MIAMI).addresses == (
        ("US", "CA", "default_address"), ("US", "TX", "shipping_address"),
    )  # fmt: skip


# Replies --------------------------------------------------------------------------------------------------


def test_a_reply_notes_its_time_on_a_known_subscriber_only_and_never_moves_it_back(stores):
    assert stores.replies.add(SHOP, AUSTIN, "SM1", "who is this?", NOW, "message")
    assert state_item(stores, AUSTIN) is None  # a stranger gets no state item from a reply
    consent(stores, MIAMI)
    assert stores.replies.add(SHOP, MIAMI, "SM2", "thanks!", NOW + timedelta(hours=1), "message")
    assert indexed(stores)[MIAMI].last_reply_at == NOW + timedelta(hours=1)
    assert stores.replies.add(SHOP, MIAMI, "SM3", "4", NOW, "rating", rating=4)  # stored, but older
    assert indexed(stores)[MIAMI].last_reply_at == NOW + timedelta(hours=1)
    assert not stores.replies.add(SHOP, MIAMI, "SM2", "thanks!", NOW + timedelta(hours=2), "message")
    assert indexed(stores)[MIAMI].last_reply_at == NOW + timedelta(hours=1)  # a duplicate notes nothing
    engaged = parse_segment({"engaged": {"replied_days": 1}})
    assert [m.phone for m in select(engaged, indexed(stores).values(), NOW + timedelta(hours=5))] == [MIAMI]


# The item and the member -----------------------------------------------------------------------------------


def test_the_member_reads_shopifys_figures_first_and_leaves_what_is_missing_unknown():
    base = {"phone": MIAMI, "status": "subscribed", "since": NOW.isoformat(), "orders_seen": 2,
            "spent_seen": Decimal("40")}  # fmt: skip
    m = member_from_item(base)
    assert (m.orders_count, m.total_spent, m.subscribed_at) == (2, Decimal("40"), NOW)
    m = member_from_item({**base, "orders_count": 9, "total_spent": Decimal("900.5")})
    assert (m.orders_count, m.total_spent) == (9, Decimal("900.5"))
    bare = member_from_item({"phone": MIAMI, "status": "subscribed"})
    assert bare == SegmentMember(MIAMI, "subscribed")  # no total: unknown, not zero
    gone = member_from_item({**base, "status": "unsubscribed"})
    assert gone.subscribed_at is None  # `since` is the opt-out's time then, not a subscription's


def test_a_reader_of_some_fields_gets_only_those(stores):
    consent(stores, MIAMI)
    order(stores, "1", products=("7001",))
    stores.customers.note_customer(SHOP, MIAMI, customer())
    narrow = DynamoSegmentMembers(stores.ddb, TABLE, fields={"tags"})
    [m] = members(narrow, SHOP)
    assert (m.phone, m.status, m.tags) == (MIAMI, "subscribed", {"vip"})
    assert (m.orders_count, m.product_ids, m.candidate_zones) == (0, frozenset(), frozenset())
    _, names = projection({"orders_count", "subscribed_at"})
    assert set(names.values()) == {
        "pk",
        "sk",
        "seg_pk",
        "phone",
        "status",
        "orders_count",
        "orders_seen",
        "since",
    }
    with pytest.raises(ValueError, match="not SegmentMember fields: shoe_size"):
        projection({"shoe_size"})


# Backfill -------------------------------------------------------------------------------------------------


def as_before_segments(stores: Any, phone: str) -> None:
    """The state item as the consent writer left it before segments: no seg_pk, no zones."""
    stores.ddb.update_item(TableName=TABLE, Key={"pk": {"S": keys.subscriber(SHOP, phone)["pk"]}, "sk": {"S": "STATE"}},
                           UpdateExpression="REMOVE seg_pk, zones, place_country, place_state")  # fmt: skip


def run_backfill(stores: Any, limit: int = 1, before_write: Any = None) -> dict[str, int]:
    totals: dict[str, int] = {}
    cursor = None
    while True:
        page = backfill_page(stores.ddb, TABLE, SHOP, cursor, limit, before_write=before_write)
        for key in ("states", "subscribed", "updated", "already", "changed_meanwhile", "truncated"):
            totals[key] = totals.get(key, 0) + getattr(page, key)
        cursor = page.cursor
        if cursor is None:
            return totals


def test_the_backfill_indexes_subscribers_from_before_segments_once(stores):
    order(stores, "1", places=(("US", "TX", "shipping_address"),))
    for phone in (MIAMI, AUSTIN, "+12065550100"):
        consent(stores, phone)
    consent(stores, "+12065550100", "opt_out", minutes=1)
    consent(stores, "+14155550100", "opt_in_requested")
    for phone in (MIAMI, AUSTIN):
        as_before_segments(stores, phone)
    assert indexed(stores) == {}
    totals = run_backfill(stores)
    assert totals == {
        "states": 4,
        "subscribed": 2,
        "updated": 2,
        "already": 0,
        "changed_meanwhile": 0,
        "truncated": 0,
    }
    got = indexed(stores)
    assert set(got) == {MIAMI, AUSTIN}
    assert got[MIAMI].candidate_zones == zones_of(MIAMI, Address("US", "TX"))  # from the addresses it had
    assert "seg_pk" not in state_item(stores, "+12065550100") and "seg_pk" not in state_item(
        stores, "+14155550100"
    )
    again = run_backfill(stores, limit=100)
    assert (again["updated"], again["already"]) == (0, 2)  # idempotent


def test_the_backfill_never_undoes_a_consent_change_made_meanwhile(stores):
    consent(stores, MIAMI)
    as_before_segments(stores, MIAMI)
    totals = run_backfill(stores, before_write=lambda: consent(stores, MIAMI, "opt_out", minutes=1))
    assert (totals["updated"], totals["changed_meanwhile"]) == (0, 1)
    assert indexed(stores) == {} and "seg_pk" not in state_item(stores)


def test_a_backfill_cursor_of_another_shop_is_refused(stores):
    with pytest.raises(ValueError, match="not a subscriber key of this shop"):
        backfill_page(
            stores.ddb, TABLE, SHOP, {"shop": "other.myshopify.com", "pk": "SUB#other#+1", "sk": "STATE"}
        )
    with pytest.raises(ValueError):
        backfill_page(stores.ddb, TABLE, SHOP, None, 0)


def test_a_reply_whose_time_cannot_be_noted_is_still_stored_and_answered(stores, monkeypatch):
    from botocore.exceptions import ClientError

    consent(stores, MIAMI)

    def throttled(**kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "UpdateItem")

    monkeypatch.setattr(stores.ddb, "update_item", throttled)
    assert stores.replies.add(SHOP, MIAMI, "SM7", "hello?", NOW, "message") is True
    assert peek(stores.ddb, keys.conversation(SHOP, MIAMI, "SM7"))["body"] == "hello?"
    assert indexed(stores)[MIAMI].last_reply_at is None
