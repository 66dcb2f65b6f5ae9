"""The ShopDataRepository port (and FlowReads): orders, profiles, checkouts, flow locks and restock sign-ups;
what an order teaches about where its customer is lands on the subscriber state the consent store reads."""

from __future__ import annotations

from datetime import datetime, timedelta

from smsflows.domain.consent.ledger import ConsentEvent, SubscriberState, apply
from smsflows.domain.profiles import ProfileRecord
from smsflows.domain.shopify.records import CheckoutRecord, OrderRecord
from tests.contracts.conftest import NOW, OTHER_PHONE, OTHER_SHOP, PHONE, SHOP


def profile(**kw) -> ProfileRecord:
    base = dict(shop=SHOP, customer_key="customer:1", customer_id="1", phone=PHONE, phone_status="usable",
                first_name="Ada", updated_at=NOW)  # fmt: skip
    base.update(kw)
    return ProfileRecord(**base)


def order(order_id="42", **kw) -> OrderRecord:
    base = dict(
        shop=SHOP, order_id=order_id, name="#1001", customer_key="customer:1", phone=PHONE, created_at=NOW
    )
    base.update(kw)
    return OrderRecord(**base)


def checkout(**kw) -> CheckoutRecord:
    base = dict(shop=SHOP, token="tok1", phone=PHONE, customer_key="customer:1", customer_id="1",
                first_name="Ada", url="https://demo-shop.example/c/tok1", product="Mug", updated_at=NOW)  # fmt: skip
    base.update(kw)
    return CheckoutRecord(**base)


# Orders and profiles ------------------------------------------------------------------------------------


def test_orders_are_stored_and_read_back(shop_data):
    data = shop_data.data
    full = order(first_name="Ada", total_price="19.99", currency="USD", product="Mug", checkout_token="tok1")
    data.save_order(full, profile())
    assert data.get_order(SHOP, "42") == full
    assert data.get_order(SHOP, "43") is None
    assert data.get_order(OTHER_SHOP, "42") is None
    assert data.get_profile(SHOP, "customer:1") == profile()


def test_a_later_order_never_overwrites_what_was_known_with_unknown(shop_data):
    data = shop_data.data
    data.save_order(order("1"), profile(country_code="US", birthday="03-14"))
    later = profile(first_name=None, country_code=None, phone_status="missing", phone=None,
                    last_order_at=NOW + timedelta(days=1), updated_at=NOW + timedelta(days=1))  # fmt: skip
    data.save_order(order("2", phone=None), later)
    got = data.get_profile(SHOP, "customer:1")
    assert (got.first_name, got.country_code, got.phone, got.phone_status, got.birthday) == (
        "Ada", "US", PHONE, "usable", "03-14",
    )  # fmt: skip
    assert got.last_order_at == NOW + timedelta(days=1)
    assert got.updated_at == NOW + timedelta(days=1)
    # a phone that became unusable is news, not "unknown": it is recorded
    data.save_order(order("3"), profile(phone_status="unusable", phone=None, phone_raw="12"))
    assert data.get_profile(SHOP, "customer:1").phone_status == "unusable"


def test_profiles_lists_every_profile_of_the_shop_only(shop_data):
    data = shop_data.data
    data.save_order(order("1"), profile())
    data.save_order(order("2", customer_key="customer:2"), profile(customer_key="customer:2", customer_id="2",
                                                                   phone=OTHER_PHONE))  # fmt: skip
    data.save_order(order("3", shop=OTHER_SHOP), profile(shop=OTHER_SHOP))
    found = data.profiles(SHOP)
    assert len(found) == 2
    assert sorted(p.customer_key for p in found) == ["customer:1", "customer:2"]
    assert len(data.profiles(OTHER_SHOP)) == 1
    assert data.profiles("unknown.myshopify.com") == []


def test_an_orders_places_become_the_subscribers_addresses_without_touching_consent(shop_data):
    data, consent = shop_data.data, shop_data.consent
    places = (("US", "TX", "shipping"), ("US", "CA", "billing"))
    data.save_order(order(), profile(), places)
    state = consent.state(SHOP, PHONE)
    assert state is not None
    assert (state.status, state.version, state.addresses, state.customer_id) == ("none", 0, places, "1")
    # the consent store still writes on top of it (version 0), and the places stay
    e = ConsentEvent(event_id="SM1", shop=SHOP, phone=PHONE, kind="opt_in", source="keyword", at=NOW)
    assert consent.append(e, apply(state, e), 0) == "ok"
    after = consent.state(SHOP, PHONE)
    assert (after.status, after.version, after.addresses) == ("subscribed", 1, places)
    # a newer order moves them; consent is untouched
    data.save_order(order("2"), profile(), (("US", "NY", "shipping"),))
    moved = consent.state(SHOP, PHONE)
    assert (moved.status, moved.version, moved.addresses) == ("subscribed", 1, (("US", "NY", "shipping"),))


def test_an_order_without_places_or_phone_leaves_the_subscriber_alone(shop_data):
    data, consent = shop_data.data, shop_data.consent
    data.save_order(order(), profile())
    data.save_order(order("2", phone=None), profile(phone=None, phone_status="missing"), (("US", "TX", "x"),))
    assert consent.state(SHOP, PHONE) is None


def test_tracking_is_added_to_a_known_order_and_unknown_values_keep_what_was_known(shop_data):
    data = shop_data.data
    data.save_order(order(), profile())
    data.set_tracking(SHOP, "42", "UPS", "https://ups.example/1Z")
    got = data.get_order(SHOP, "42")
    assert (got.tracking_company, got.tracking_url) == ("UPS", "https://ups.example/1Z")
    data.set_tracking(SHOP, "42", None, None)  # a fulfillment without tracking
    data.set_tracking(SHOP, "42", "USPS", None)
    got = data.get_order(SHOP, "42")
    assert (got.tracking_company, got.tracking_url) == ("USPS", "https://ups.example/1Z")
    data.set_tracking(SHOP, "43", "UPS", "https://ups.example/2")  # unknown order: nothing created
    assert data.get_order(SHOP, "43") is None


def test_set_birthday_updates_a_known_profile_and_clears_it(shop_data):
    data = shop_data.data
    data.save_order(order(), profile())
    data.set_birthday(SHOP, "customer:1", "07-04")
    got = data.get_profile(SHOP, "customer:1")
    assert (got.birthday, got.first_name, got.phone) == ("07-04", "Ada", PHONE)
    data.set_birthday(SHOP, "customer:1", None)
    assert not data.get_profile(SHOP, "customer:1").birthday
    assert data.get_profile(SHOP, "customer:1").birthday == ""


def test_set_birthday_of_a_customer_without_a_profile_keeps_profiles_readable(shop_data, request):
    data = shop_data.data
    data.save_order(order(), profile())
    data.set_birthday(SHOP, "customer:9", "12-24")  # customers/update of a customer who never ordered
    found = data.profiles(SHOP)
    assert len(found) == 2
    assert data.get_profile(SHOP, "customer:9").birthday == "12-24"


# Checkouts ----------------------------------------------------------------------------------------------


def test_a_checkout_is_kept_and_completing_it_is_remembered(shop_data):
    data, stored = shop_data.data, shop_data.checkout
    assert data.complete_checkout(SHOP, "tok1", NOW) is False  # unknown: nothing to end
    assert stored(SHOP, "tok1") is None
    data.save_checkout(checkout())
    got = stored(SHOP, "tok1")
    assert (got["phone"], got["first_name"], got["url"], got["product"]) == (
        PHONE, "Ada", "https://demo-shop.example/c/tok1", "Mug",
    )  # fmt: skip
    assert not got.get("completed_at")
    assert data.complete_checkout(SHOP, "tok1", NOW + timedelta(hours=1)) is True
    assert _at(stored(SHOP, "tok1")["completed_at"]) == NOW + timedelta(hours=1)


def test_a_late_checkout_update_keeps_completed_at_and_what_it_does_not_say(shop_data):
    data, stored = shop_data.data, shop_data.checkout
    data.save_checkout(checkout())
    data.complete_checkout(SHOP, "tok1", NOW)
    data.save_checkout(checkout(first_name=None, product="Teapot", updated_at=NOW + timedelta(minutes=1)))
    got = stored(SHOP, "tok1")
    assert _at(got["completed_at"]) == NOW
    assert (got["first_name"], got["product"]) == ("Ada", "Teapot")


def _at(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


# Flow locks -------------------------------------------------------------------------------------------


def test_swap_flow_lock_returns_the_previous_other_execution(shop_data):
    data = shop_data.data
    assert data.swap_flow_lock(SHOP, "abandoned_checkout", PHONE, "ex-1") is None
    assert data.swap_flow_lock(SHOP, "abandoned_checkout", PHONE, "ex-1") is None  # a redelivery
    assert data.swap_flow_lock(SHOP, "abandoned_checkout", PHONE, "ex-2") == "ex-1"
    assert data.swap_flow_lock(SHOP, "abandoned_checkout", PHONE, "") == "ex-2"  # cleared (opted out)
    assert data.swap_flow_lock(SHOP, "abandoned_checkout", PHONE, "ex-3") is None
    # per shop, flow and phone
    assert data.swap_flow_lock(SHOP, "welcome", PHONE, "w-1") is None
    assert data.swap_flow_lock(SHOP, "abandoned_checkout", OTHER_PHONE, "ex-9") is None
    assert data.swap_flow_lock(OTHER_SHOP, "abandoned_checkout", PHONE, "ex-8") is None
    assert data.swap_flow_lock(SHOP, "abandoned_checkout", PHONE, "ex-4") == "ex-3"


# Restock sign-ups --------------------------------------------------------------------------------------


def test_restock_signups_are_taken_once_one_per_phone(shop_data):
    data = shop_data.data
    assert data.take_restocks(SHOP, "v1") == []
    data.add_restock(SHOP, "v1", PHONE, "Mug", None)
    data.add_restock(SHOP, "v1", PHONE, "Mug (blue)", "https://demo-shop.example/p/mug")  # signs up again
    data.add_restock(SHOP, "v1", OTHER_PHONE, None, None)
    data.add_restock(SHOP, "v2", PHONE, "Teapot", None)
    taken = sorted(data.take_restocks(SHOP, "v1"), key=lambda s: s["phone"])
    assert len(taken) == 2
    assert [(s["phone"], s.get("product"), s.get("url")) for s in taken] == [
        (PHONE, "Mug (blue)", "https://demo-shop.example/p/mug"),
        (OTHER_PHONE, None, None),
    ]
    assert data.take_restocks(SHOP, "v1") == []  # each gets one text
    [other] = data.take_restocks(SHOP, "v2")
    assert (other["phone"], other["product"]) == (PHONE, "Teapot")
    assert data.take_restocks(OTHER_SHOP, "v2") == []


# FlowReads ---------------------------------------------------------------------------------------------


def test_flow_snapshot_reads_the_state_and_the_profile(shop_data):
    data, consent = shop_data.data, shop_data.consent
    assert data.flow_snapshot(SHOP, PHONE, "customer:1") == (None, None)
    data.save_order(order(), profile())
    e = ConsentEvent(event_id="SM1", shop=SHOP, phone=PHONE, kind="opt_in", source="keyword", at=NOW)
    new = apply(SubscriberState(shop=SHOP, phone=PHONE), e)
    assert consent.append(e, new, 0) == "ok"
    state, got = data.flow_snapshot(SHOP, PHONE, "customer:1")
    assert state == new
    assert got == profile()
    state, none = data.flow_snapshot(SHOP, PHONE, None)
    assert (state, none) == (new, None)
    assert data.flow_snapshot(SHOP, OTHER_PHONE, "customer:2") == (None, None)


# Profiles in pages (the daily job) ------------------------------------------------------------------


def _profiles(data, shop: str, n: int) -> list[str]:
    keys = [f"customer:{i:03d}" for i in range(n)]
    for key in keys:
        data.set_birthday(shop, key, "01-01", NOW)  # a profile, as customers/update makes one
    return keys


def test_profiles_page_walks_every_profile_of_the_shop_once_in_pages(shop_data):
    import json

    data = shop_data.data
    keys = _profiles(data, SHOP, 7)
    _profiles(data, OTHER_SHOP, 3)
    data.save_order(order("9", customer_key="customer:zzz"), profile(customer_key="customer:zzz"))
    seen, pages, cursor = [], 0, None
    while True:
        page, cursor = data.profiles_page(SHOP, cursor, 3)
        pages += 1
        assert len(page) <= 3
        seen += [p.customer_key for p in page]
        if cursor is None:
            break
        cursor = json.loads(json.dumps(cursor))  # it travels in a queue message as JSON
    assert seen == [*keys, "customer:zzz"]  # key order, each once, no other shop's
    assert pages in (3, 4)  # a full last page may be followed by an empty one
    assert data.profiles_page("unknown.myshopify.com") == ([], None)
    everything, cursor = data.profiles_page(SHOP, None, 1000)
    assert [p.customer_key for p in everything] == seen and cursor is None


def test_profiles_page_refuses_a_cursor_it_did_not_give_for_this_shop(shop_data):
    import pytest

    data = shop_data.data
    _profiles(data, SHOP, 3)
    _profiles(data, OTHER_SHOP, 3)
    _, mine = data.profiles_page(SHOP, None, 1)
    _, theirs = data.profiles_page(OTHER_SHOP, None, 1)
    assert mine is not None and theirs is not None
    bad = [
        "PROFILE#x",
        ["shop", "pk", "sk"],
        {},
        {**mine, "extra": "x"},
        {k: v for k, v in mine.items() if k != "sk"},
        {**mine, "pk": 7},
        {**mine, "pk": ""},
        {**mine, "pk": f"ORDER#{SHOP}#1"},
        {**mine, "sk": "ORDER"},
        {**mine, "shop": OTHER_SHOP},
        theirs,
    ]
    for cursor in bad:
        with pytest.raises(ValueError, match="cursor"):
            data.profiles_page(SHOP, cursor, 1)
    with pytest.raises(ValueError):
        data.profiles_page(SHOP, None, 0)
    page, _ = data.profiles_page(SHOP, mine, 1)  # the good one still works
    assert [p.customer_key for p in page] == ["customer:001"]


def test_a_daily_page_is_done_once_marked_per_shop_and_page(shop_data):
    data = shop_data.data
    assert not data.daily_page_done(SHOP, "daily-2026-11-23-first")
    data.mark_daily_page_done(SHOP, "daily-2026-11-23-first", NOW)
    data.mark_daily_page_done(SHOP, "daily-2026-11-23-first", NOW)  # a redelivery marks it again
    assert data.daily_page_done(SHOP, "daily-2026-11-23-first")
    assert not data.daily_page_done(OTHER_SHOP, "daily-2026-11-23-first")
    assert not data.daily_page_done(SHOP, "daily-2026-11-24-first")


def test_a_page_can_go_on_right_after_any_profile_it_returned(shop_data):
    data = shop_data.data
    keys = _profiles(data, SHOP, 6)
    page, _ = data.profiles_page(SHOP, None, 4)
    after = data.profiles_cursor(SHOP, page[1].customer_key)  # two of the four were handled
    rest, _ = data.profiles_page(SHOP, after, 1000)
    assert [p.customer_key for p in rest] == keys[2:]
    last = data.profiles_cursor(SHOP, keys[-1])
    assert data.profiles_page(SHOP, last, 10) == ([], None)
