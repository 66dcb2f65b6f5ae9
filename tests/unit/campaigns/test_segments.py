"""Segments as data (issue 15, part 3): each condition at its edges, composition in three-valued logic,
parse errors that name the path, the document's bounds, consent always required, and evaluation of a
million members in bounded memory."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tracemalloc
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsflows.domain.campaigns import segments
from smsflows.domain.campaigns.segments import (
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    MAX_LIST,
    MAX_NODES,
    AllOf,
    AnyOf,
    Not,
    SegmentError,
    SegmentMember,
    compile_segment,
    count,
    describe,
    dump_segment,
    matches,
    needs,
    parse_segment,
    select,
    warnings,
)

NOW = dt.datetime(2025, 6, 15, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def member(**fields: Any) -> SegmentMember:
    return SegmentMember(**{"phone": "+15125550100", "status": "subscribed", **fields})


def holds(document: Any, m: SegmentMember, now: dt.datetime = NOW) -> bool:
    return matches(parse_segment(document), m, now)


# ---------------------------------------------------------------------------------------------------------
# Consent is always required


@pytest.mark.parametrize("status", ["none", "pending", "unsubscribed", "SUBSCRIBED", ""])
def test_a_member_not_subscribed_never_matches_even_everyone_or_a_negation(status: str) -> None:
    m = member(status=status, orders_count=3, tags=frozenset({"vip"}))
    for document in (
        {"subscribed": {}},
        {"not": {"first_time": {}}},
        {"not": {"bought": {"product": ["1"]}}},
        {"any": [{"repeat": {}}, {"not": {"repeat": {}}}]},
    ):
        assert not holds(document, m)
    assert holds({"subscribed": {}}, dataclasses.replace(m, status="subscribed"))


def test_everyone_subscribed_is_the_subscribed_condition_and_accepts_true() -> None:
    assert holds({"subscribed": {}}, member())
    assert holds({"subscribed": True}, member())


# ---------------------------------------------------------------------------------------------------------
# Order history


@pytest.mark.parametrize(("orders", "first", "repeat", "repeat3"), [(0, False, False, False),
                         (1, True, False, False), (2, False, True, False), (3, False, True, True)])  # fmt: skip
def test_first_time_is_exactly_one_order_and_repeat_is_at_least_min_orders(
    orders: int, first: bool, repeat: bool, repeat3: bool
) -> None:
    m = member(orders_count=orders)
    assert holds({"first_time": {}}, m) is first
    assert holds({"repeat": {}}, m) is repeat
    assert holds({"repeat": {"min_orders": 3}}, m) is repeat3


def test_high_value_is_total_spent_at_least_the_amount_and_unknown_without_a_total() -> None:
    document = {"high_value": {"min_total": "250.00"}}
    assert holds(document, member(total_spent=Decimal("250")))
    assert holds(document, member(total_spent=Decimal("250.01")))
    assert not holds(document, member(total_spent=Decimal("249.99")))
    assert not holds(document, member(total_spent=None))
    assert not holds({"not": document}, member(total_spent=None))  # unknown, and so is its negation
    assert holds({"high_value": {"min_total": 0}}, member(total_spent=Decimal(0)))
    assert holds({"high_value": {"min_total": 99.5}}, member(total_spent=Decimal("99.5")))


def test_lapsed_is_last_order_more_than_n_days_ago_and_exactly_n_is_not_lapsed() -> None:
    document = {"lapsed": {"days": 90}}
    assert not holds(document, member(orders_count=2, last_order_at=NOW - 90 * DAY))
    assert holds(document, member(orders_count=2, last_order_at=NOW - 90 * DAY - dt.timedelta(seconds=1)))
    assert not holds(document, member(orders_count=2, last_order_at=NOW - 10 * DAY))
    assert not holds(document, member(orders_count=2, last_order_at=NOW + DAY))  # a clock ahead of ours


def test_lapsed_needs_an_order_and_is_unknown_when_the_last_order_time_is_missing() -> None:
    never = member(orders_count=0)
    assert not holds({"lapsed": {"days": 30}}, never)
    assert holds({"not": {"lapsed": {"days": 30}}}, never)  # never ordered: known not lapsed
    gap = member(orders_count=4, last_order_at=None)
    assert not holds({"lapsed": {"days": 30}}, gap)
    assert not holds({"not": {"lapsed": {"days": 30}}}, gap)


def test_one_time_buyer_is_one_order_n_or_more_days_ago_inclusive() -> None:
    document = {"one_time_buyer": {"days": 30}}
    assert holds(document, member(orders_count=1, last_order_at=NOW - 30 * DAY))
    assert not holds(document, member(orders_count=1, last_order_at=NOW - 30 * DAY + dt.timedelta(seconds=1)))
    assert not holds(document, member(orders_count=2, last_order_at=NOW - 300 * DAY))
    assert not holds(document, member(orders_count=0))
    assert holds(document, member(orders_count=1, first_order_at=NOW - 31 * DAY))  # first is the last
    assert not holds(document, member(orders_count=1))
    assert not holds({"not": document}, member(orders_count=1))  # unknown when


# ---------------------------------------------------------------------------------------------------------
# Subscription


def test_subscribed_since_days_is_within_the_last_n_days_inclusive() -> None:
    document = {"subscribed_since": {"days": 7}}
    assert holds(document, member(subscribed_at=NOW - 7 * DAY))
    assert not holds(document, member(subscribed_at=NOW - 7 * DAY - dt.timedelta(seconds=1)))
    assert holds(document, member(subscribed_at=NOW))
    assert not holds(document, member(subscribed_at=None))
    assert not holds({"not": document}, member(subscribed_at=None))


def test_subscribed_since_a_date_starts_at_midnight_utc() -> None:
    document = {"subscribed_since": {"date": "2025-06-01"}}
    assert holds(document, member(subscribed_at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC)))
    assert not holds(document, member(subscribed_at=dt.datetime(2025, 5, 31, 23, 59, 59, tzinfo=dt.UTC)))
    # the same instant written in another offset compares as that instant
    eastern = dt.timezone(dt.timedelta(hours=-4))
    assert holds(document, member(subscribed_at=dt.datetime(2025, 5, 31, 20, 0, tzinfo=eastern)))


@pytest.mark.parametrize(
    ("names", "source", "expected"),
    [
        (["web_form"], "web_form", True),
        (["web_form", "checkout"], "checkout", True),
        (["keyword"], "web_form", False),
        (["shopify"], "shopify_consent", True),  # the document's "shopify" is the ledger's shopify_consent
        (["import"], "import", True),
        (["import"], None, False),
    ],
)
def test_consent_source_matches_the_current_opt_in_source(
    names: list[str], source: str | None, expected: bool
) -> None:
    assert holds({"consent_source": {"any": names}}, member(opt_in_source=source)) is expected


def test_consent_source_unknown_is_neither_in_nor_out() -> None:
    assert not holds({"not": {"consent_source": {"any": ["keyword"]}}}, member(opt_in_source=None))


# ---------------------------------------------------------------------------------------------------------
# What was bought


def test_bought_matches_any_listed_product_variant_or_collection_and_accepts_gids_and_numbers() -> None:
    m = member(product_ids=frozenset({"11"}), variant_ids=frozenset({"21"}), collection_ids=frozenset({"31"}))
    assert holds({"bought": {"product": ["gid://shopify/Product/11"]}}, m)
    assert holds({"bought": {"variant": [21]}}, m)
    assert holds({"bought": {"collection": ["31"]}}, m)
    assert holds({"bought": {"product": ["99"], "collection": ["31"]}}, m)
    assert not holds({"bought": {"product": ["21"]}}, m)  # a variant id is not a product id
    assert holds({"not": {"bought": {"product": ["99"]}}}, m)
    assert not holds({"not": {"bought": {"product": ["11"]}}}, m)


def test_bought_past_the_cap_is_unknown_for_an_id_not_kept_so_neither_bought_nor_not_bought() -> None:
    full = member(product_ids=frozenset(str(i) for i in range(1, 101)), bought_truncated=True)
    assert holds({"bought": {"product": ["5"]}}, full)  # kept: known
    assert not holds({"bought": {"product": ["500"]}}, full)
    assert not holds({"not": {"bought": {"product": ["500"]}}}, full)
    assert not holds({"not": {"bought": {"product": ["5"]}}}, full)


# ---------------------------------------------------------------------------------------------------------
# Tags


def test_tags_any_and_all_compare_without_case_or_spaces() -> None:
    m = member(tags=frozenset({"vip", "wholesale"}))
    assert holds({"tags": {"any": [" VIP ", "other"]}}, m)
    assert not holds({"tags": {"any": ["other"]}}, m)
    assert holds({"tags": {"all": ["Vip", "WHOLESALE"]}}, m)
    assert not holds({"tags": {"all": ["vip", "other"]}}, m)
    assert not holds({"tags": {"any": ["vip"]}}, member())
    assert holds({"not": {"tags": {"any": ["vip"]}}}, member())  # no tags is known: not tagged


def test_normal_tag_is_what_the_summary_stores() -> None:
    assert segments.normal_tag("  Straße VIP ") == "strasse vip"


# ---------------------------------------------------------------------------------------------------------
# Location


def test_location_country_and_state_and_a_qualified_state_asks_for_the_country() -> None:
    texan = member(country="US", state="TX")
    assert holds({"location": {"country": ["us"]}}, texan)
    assert holds({"location": {"state": ["TX", "FL"]}}, texan)
    assert holds({"location": {"state": ["US-TX"]}}, texan)
    assert not holds({"location": {"state": ["CA-TX"]}}, texan)
    assert not holds({"location": {"country": ["CA"]}}, texan)
    assert holds({"location": {"country": ["US"], "state": ["TX"]}}, texan)
    assert not holds({"location": {"country": ["US"], "state": ["FL"]}}, texan)
    nowhere = member()
    assert not holds({"location": {"country": ["US"]}}, nowhere)
    assert not holds({"not": {"location": {"country": ["US"]}}}, nowhere)  # unknown place


def test_a_multi_zone_number_matches_any_candidate_zone_by_default_and_every_one_with_zones_all() -> None:
    # a Florida number: Eastern and Central candidates (domain/compliance/locations.py)
    florida = member(candidate_zones=frozenset({"America/New_York", "America/Chicago"}))
    assert holds({"location": {"time_zone": ["America/Chicago"]}}, florida)
    assert not holds({"location": {"time_zone": ["America/Chicago"], "zones": "all"}}, florida)
    assert holds(
        {"location": {"time_zone": ["America/Chicago", "America/New_York"], "zones": "all"}}, florida
    )
    assert not holds({"location": {"time_zone": ["America/Denver"]}}, florida)
    assert not holds({"location": {"time_zone": ["America/Denver"]}}, member())  # no zones: unknown
    assert not holds({"not": {"location": {"time_zone": ["America/Denver"]}}}, member())


def test_the_candidate_zones_from_the_compliance_capability_feed_the_member() -> None:
    from smsflows.domain.compliance.locations import Address, candidate_locations

    found = candidate_locations("+13055550100", Address("US", "TX"))  # a Miami number, a Texas address
    m = member(country="US", state="TX", candidate_zones=frozenset(loc.time_zone for loc in found))
    assert holds({"location": {"time_zone": ["America/New_York"]}}, m)
    assert holds({"location": {"time_zone": ["America/Denver"]}}, m)  # west Texas
    assert not holds({"location": {"time_zone": ["America/New_York"], "zones": "all"}}, m)


# ---------------------------------------------------------------------------------------------------------
# Engagement


def test_engaged_replied_within_n_days_inclusive() -> None:
    document = {"engaged": {"replied_days": 30}}
    assert holds(document, member(last_reply_at=NOW - 30 * DAY))
    assert not holds(document, member(last_reply_at=NOW - 30 * DAY - dt.timedelta(seconds=1)))
    assert not holds(document, member())
    assert holds({"not": document}, member())  # never replied is known


def test_clicked_within_n_days_counts_now_that_clicks_are_recorded() -> None:
    clicked = member(last_click_at=NOW - DAY)
    only_clicks = parse_segment({"engaged": {"clicked_days": 14}})
    assert matches(only_clicks, clicked, NOW)
    assert not matches(only_clicks, member(last_click_at=NOW - 15 * DAY), NOW)
    assert not matches(Not(of=only_clicks), clicked, NOW)
    assert warnings(only_clicks) == []
    both = parse_segment({"engaged": {"replied_days": 7, "clicked_days": 14}})
    assert matches(both, clicked, NOW)
    assert matches(both, member(last_reply_at=NOW - DAY), NOW)
    assert "last_click_at" in needs(both)


def test_clicked_is_ignored_with_a_warning_where_clicks_are_not_recorded() -> None:
    clicked = member(last_click_at=NOW - DAY)
    only_clicks = parse_segment({"engaged": {"clicked_days": 14}})
    assert not compile_segment(only_clicks, NOW, clicks_recorded=False)(clicked)
    assert warnings(only_clicks, clicks_recorded=False) == [
        "engaged.clicked_days is ignored until link clicks are recorded: this condition matches nobody for now"
    ]
    both = parse_segment({"engaged": {"replied_days": 7, "clicked_days": 14}})
    assert "matches replies only" in warnings(both, clicks_recorded=False)[0]
    assert "last_click_at" not in needs(both, clicks_recorded=False)
    assert not compile_segment(only_clicks, NOW, clicks_recorded=True)(member(last_click_at=NOW - 15 * DAY))
    assert warnings(only_clicks, clicks_recorded=True) == []
    assert "last_click_at" in needs(both, clicks_recorded=True)


# ---------------------------------------------------------------------------------------------------------
# Composition


def test_all_any_not_compose_and_nest() -> None:
    document = {
        "all": [
            {"repeat": {}},
            {"lapsed": {"days": 90}},
            {"not": {"bought": {"product": ["7001"]}}},
            {"any": [{"tags": {"any": ["vip"]}}, {"high_value": {"min_total": "250.00"}}]},
        ]
    }
    base = member(orders_count=3, last_order_at=NOW - 120 * DAY, total_spent=Decimal(100))
    assert not holds(document, base)
    assert holds(document, dataclasses.replace(base, tags=frozenset({"vip"})))
    assert holds(document, dataclasses.replace(base, total_spent=Decimal(300)))
    assert not holds(
        document, dataclasses.replace(base, total_spent=Decimal(300), product_ids=frozenset({"7001"}))
    )
    assert not holds(document, dataclasses.replace(base, total_spent=Decimal(300), orders_count=1))


def test_unknown_in_any_is_overridden_by_a_true_and_in_all_by_a_false() -> None:
    gap = member(orders_count=2, total_spent=None)
    assert holds({"any": [{"high_value": {"min_total": 1}}, {"repeat": {}}]}, gap)
    assert not holds({"any": [{"high_value": {"min_total": 1}}, {"first_time": {}}]}, gap)
    assert not holds({"all": [{"high_value": {"min_total": 1}}, {"repeat": {}}]}, gap)
    # all(unknown, false) is false, so its negation holds
    assert holds({"not": {"all": [{"high_value": {"min_total": 1}}, {"first_time": {}}]}}, gap)


# ---------------------------------------------------------------------------------------------------------
# Parse errors name the path and the accepted form


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"any": [{"repeat": {}}, {"lapsed": {"days": 0}}]},
            "any[1].lapsed.days: must be a whole number ≥ 1",
        ),
        (
            {"any": [{"repeat": {}}, {"lapsed": {"days": "9"}}]},
            "any[1].lapsed.days: must be a whole number ≥ 1",
        ),
        ({"lapsed": {"days": 9.0}}, "lapsed.days: must be a whole number ≥ 1"),
        ({"lapsed": {"days": True}}, "lapsed.days: must be a whole number ≥ 1"),
        ({"lapsed": {}}, "lapsed.days: required: a whole number ≥ 1"),
        ({"lapsed": {"dayz": 3}}, "lapsed.dayz: unknown field; accepted: days"),
        (
            {"all": [{"lapse": {"days": 3}}]},
            "all[0]: unknown condition 'lapse'; one of all, any, not, subscribed",
        ),
        ({"lapse": {}}, "segment: unknown condition 'lapse'"),
        ({"all": []}, "all: must be a non-empty list of conditions"),
        ({"any": {"repeat": {}}}, "any: must be a non-empty list of conditions"),
        ({"not": [{"repeat": {}}]}, "not: must be one condition: an object with one key"),
        ({"repeat": {}, "lapsed": {"days": 3}}, "segment: must be one condition: an object with one key"),
        ([{"repeat": {}}], "segment: must be one condition"),
        ({"tags": {"any": ["a"], "all": ["b"]}}, "tags: give exactly one of any, all"),
        ({"tags": {"any": []}}, f"tags.any: must be a list of 1 to {MAX_LIST} tags"),
        ({"tags": {"any": ["ok", ""]}}, "tags.any[1]: must be a tag: text of 1 to 255 characters"),
        ({"bought": {}}, "bought: give at least one of product, variant, collection"),
        (
            {"bought": {"product": ["12", "abc"]}},
            'bought.product[1]: must be a Shopify id: digits or "gid://shopify/',
        ),
        ({"bought": {"variant": "12"}}, "bought.variant: must be a list of 1 to 500 Shopify ids"),
        (
            {"high_value": {"min_total": -1}},
            "high_value.min_total: must be an amount ≥ 0 in the shop currency",
        ),
        ({"high_value": {"min_total": "lots"}}, "high_value.min_total: must be an amount ≥ 0"),
        ({"high_value": {"min_total": "NaN"}}, "high_value.min_total: must be an amount ≥ 0"),
        ({"high_value": 250}, "high_value: must be an object of the condition's fields; accepted: min_total"),
        ({"repeat": {"min_orders": 1}}, "repeat.min_orders: must be a whole number ≥ 2"),
        ({"first_time": {"orders": 1}}, "first_time.orders: unknown field; it takes no fields: {} or true"),
        ({"first_time": False}, "first_time: must be an object"),
        ({"subscribed_since": {}}, "subscribed_since: give exactly one of days, date"),
        (
            {"subscribed_since": {"days": 3, "date": "2025-01-01"}},
            "subscribed_since: give exactly one of days, date",
        ),
        ({"subscribed_since": {"date": "2025-02-30"}}, 'subscribed_since.date: must be a date "YYYY-MM-DD"'),
        ({"subscribed_since": {"date": "1 June"}}, 'subscribed_since.date: must be a date "YYYY-MM-DD"'),
        ({"location": {}}, "location: give at least one of country, state, time_zone"),
        ({"location": {"country": ["USA"]}}, "location.country[0]: must be a two-letter country code"),
        ({"location": {"state": ["Texas"]}}, "location.state[0]: must be a state or province code"),
        ({"location": {"time_zone": ["Mars/Olympus"]}}, "location.time_zone[0]: must be an IANA time zone"),
        ({"location": {"time_zone": ["../etc/passwd"]}}, "location.time_zone[0]: must be an IANA time zone"),
        ({"location": {"time_zone": ["UTC"], "zones": "some"}}, 'location.zones: must be "any"'),
        (
            {"consent_source": {"any": ["sms"]}},
            "consent_source.any[0]: must be one of web_form, checkout, keyword",
        ),
        ({"consent_source": {"any": [["web_form"]]}}, "consent_source.any[0]: must be one of web_form"),
        ({"engaged": {}}, "engaged: give at least one of replied_days, clicked_days"),
        ({"engaged": {"replied_days": 0}}, "engaged.replied_days: must be a whole number ≥ 1"),
        ({"all": [{"not": {"tags": {"kind": "x"}}}]}, "all[0].not.tags.kind: unknown field"),
    ],
)
def test_a_bad_document_is_one_error_naming_the_path_and_the_accepted_form(
    document: Any, message: str
) -> None:
    with pytest.raises(SegmentError) as raised:
        parse_segment(document)
    assert str(raised.value).startswith(message), str(raised.value)
    assert str(raised.value).startswith(raised.value.path + ": ")
    assert raised.value.status_code == 400


def test_text_that_is_not_json_is_an_error_of_the_document() -> None:
    with pytest.raises(SegmentError, match=r"^segment: not JSON"):
        parse_segment('{"repeat": ')
    assert parse_segment('{"repeat": {}}') == parse_segment({"repeat": True})
    assert parse_segment(b'{"repeat": {}}') == parse_segment({"repeat": {}})


# ---------------------------------------------------------------------------------------------------------
# The document's bounds


def _nested(levels: int) -> dict[str, Any]:
    doc: dict[str, Any] = {"repeat": {}}
    for _ in range(levels):
        doc = {"not": doc}
    return doc


def test_nesting_is_bounded() -> None:
    parse_segment(_nested(MAX_DEPTH))
    with pytest.raises(SegmentError, match=f"nested more than {MAX_DEPTH} levels"):
        parse_segment(_nested(MAX_DEPTH + 1))


def test_a_pathologically_deep_json_text_is_refused_without_a_crash() -> None:
    deep = "[" * 30_000 + "]" * 30_000  # within the byte bound, too deep for any parser's stack
    with pytest.raises(SegmentError, match=f"^segment: nested more than {MAX_DEPTH} levels deep"):
        parse_segment(deep)
    for levels in (6000, 200):  # past the JSON parser's own limit, and within it
        deep_nots = '{"not":' * levels + '{"repeat": {}}' + "}" * levels
        with pytest.raises(SegmentError, match=f"nested more than {MAX_DEPTH} levels"):
            parse_segment(deep_nots)
    with pytest.raises(
        SegmentError, match=f"^(not\\.){{{MAX_DEPTH}}}not: nested more than {MAX_DEPTH} levels"
    ):
        parse_segment(json.dumps(_nested(200)))


def test_the_number_of_conditions_is_bounded() -> None:
    parse_segment({"any": [{"repeat": {}}] * (MAX_NODES - 1)})
    with pytest.raises(
        SegmentError, match=rf"^any\[{MAX_NODES - 1}\]\.repeat: .*more than {MAX_NODES} conditions"
    ):
        parse_segment({"any": [{"repeat": {}}] * MAX_NODES})


def test_listed_values_are_bounded_per_list_and_per_document() -> None:
    parse_segment({"bought": {"product": [str(i) for i in range(1, MAX_LIST + 1)]}})
    with pytest.raises(SegmentError, match=r"^bought\.product: must be a list of 1 to 500"):
        parse_segment({"bought": {"product": [str(i) for i in range(1, MAX_LIST + 2)]}})
    many = {"any": [{"bought": {"product": [str(i) for i in range(1, MAX_LIST + 1)]}}] * 5}
    with pytest.raises(SegmentError, match=r"^any\[4\]\.bought: the document lists more than 2000 values"):
        parse_segment(many)


def test_the_document_text_is_bounded_in_bytes() -> None:
    big = json.dumps({"tags": {"any": ["x" * 200] * 400}})
    assert len(big) > MAX_DOCUMENT_BYTES
    with pytest.raises(SegmentError, match=f"^segment: the document is over {MAX_DOCUMENT_BYTES} bytes"):
        parse_segment(big)


# ---------------------------------------------------------------------------------------------------------
# describe, needs, dump


def test_describe_is_one_readable_line() -> None:
    segment = parse_segment(
        {
            "all": [
                {"repeat": {}},
                {"lapsed": {"days": 90}},
                {"not": {"bought": {"product": ["7001"]}}},
                {"any": [{"tags": {"any": ["VIP"]}}, {"high_value": {"min_total": "250.00"}}]},
            ]
        }
    )
    assert describe(segment) == (
        "repeat buyers (2+ orders) and last order more than 90 days ago and not (bought product 7001) "
        "and (tagged any of vip or total spent ≥ 250.00 (shop currency))"
    )
    assert describe(parse_segment({"subscribed": {}})) == "all subscribers"
    assert describe(parse_segment({"bought": {"product": ["1", "2", "3", "4", "5"]}})) == (
        "bought product 1, 2, 3 and 2 more"
    )
    assert describe(parse_segment({"location": {"time_zone": ["America/Chicago"], "zones": "all"}})) == (
        "in time zone America/Chicago (every candidate zone)"
    )
    assert describe(parse_segment({"one_time_buyer": {"days": 1}})) == "one order only, 1 day or more ago"
    assert "\n" not in describe(parse_segment(_nested(MAX_DEPTH)))


def test_needs_lists_only_the_fields_read() -> None:
    assert needs(parse_segment({"subscribed": {}})) == {"phone", "status"}
    assert needs(parse_segment({"all": [{"lapsed": {"days": 3}}, {"tags": {"all": ["a"]}}]})) == {
        "phone", "status", "orders_count", "last_order_at", "tags",
    }  # fmt: skip
    assert needs(parse_segment({"not": {"bought": {"variant": ["1"]}}})) == {
        "phone", "status", "variant_ids", "bought_truncated",
    }  # fmt: skip
    assert needs(parse_segment({"location": {"state": ["TX"]}})) == {"phone", "status", "country", "state"}
    assert needs(parse_segment({"location": {"time_zone": ["UTC"]}})) == {
        "phone",
        "status",
        "candidate_zones",
    }


def test_needs_is_enough_a_member_with_only_the_needed_fields_evaluates_the_same() -> None:
    full = member(orders_count=3, last_order_at=NOW - 100 * DAY, total_spent=Decimal(500),
                  tags=frozenset({"vip"}), country="US", state="TX", opt_in_source="checkout",
                  subscribed_at=NOW - 3 * DAY, product_ids=frozenset({"1"}))  # fmt: skip
    defaults = SegmentMember(phone="")
    for document in (
        {"all": [{"lapsed": {"days": 30}}, {"high_value": {"min_total": 100}}]},
        {"any": [{"tags": {"any": ["vip"]}}, {"bought": {"product": ["1"]}}]},
        {"all": [{"location": {"state": ["TX"]}}, {"consent_source": {"any": ["checkout"]}}]},
        {"subscribed_since": {"days": 7}},
    ):
        segment = parse_segment(document)
        projected = dataclasses.replace(defaults, **{name: getattr(full, name) for name in needs(segment)})
        assert matches(segment, projected, NOW) is matches(segment, full, NOW) is True


def test_dump_is_the_normalised_document_and_reads_back_equal() -> None:
    segment = parse_segment({"all": [{"tags": {"any": [" VIP", "vip"]}}, {"bought": {"product": [12]}}]})
    assert dump_segment(segment) == {"all": [{"tags": {"any": ["vip"]}}, {"bought": {"product": ["12"]}}]}
    assert parse_segment(json.dumps(dump_segment(segment))) == segment


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        compile_segment(parse_segment({"subscribed": {}}), dt.datetime(2025, 1, 1))


# ---------------------------------------------------------------------------------------------------------
# Properties


_ZONES = ("America/New_York", "America/Chicago", "America/Denver")
_leaves = st.sampled_from(
    [
        {"subscribed": {}},
        {"first_time": {}},
        {"repeat": {}},
        {"high_value": {"min_total": 100}},
        {"lapsed": {"days": 30}},
        {"one_time_buyer": {"days": 30}},
        {"subscribed_since": {"days": 10}},
        {"bought": {"product": ["1", "2"]}},
        {"tags": {"any": ["vip"]}},
        {"tags": {"all": ["vip", "b"]}},
        {"location": {"country": ["US"], "time_zone": ["America/Chicago"]}},
        {"location": {"time_zone": list(_ZONES[:2]), "zones": "all"}},
        {"consent_source": {"any": ["checkout", "keyword"]}},
        {"engaged": {"replied_days": 14, "clicked_days": 3}},
    ]
)
documents = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.builds(lambda d: {"not": d}, inner),
        st.builds(lambda ds: {"all": ds}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda ds: {"any": ds}, st.lists(inner, min_size=1, max_size=3)),
    ),
    max_leaves=6,
)
_maybe_time = st.one_of(st.none(), st.integers(-5, 60).map(lambda d: NOW - d * DAY))
members = st.builds(
    SegmentMember,
    phone=st.just("+15125550100"),
    status=st.sampled_from(["subscribed", "subscribed", "subscribed", "unsubscribed", "pending"]),
    opt_in_source=st.sampled_from([None, "checkout", "keyword", "web_form"]),
    subscribed_at=_maybe_time,
    orders_count=st.integers(0, 3),
    total_spent=st.one_of(st.none(), st.integers(0, 200).map(Decimal)),
    last_order_at=_maybe_time,
    product_ids=st.frozensets(st.sampled_from(["1", "2", "3"])),
    bought_truncated=st.booleans(),
    tags=st.frozensets(st.sampled_from(["vip", "b", "c"])),
    country=st.sampled_from([None, "US", "CA"]),
    candidate_zones=st.frozensets(st.sampled_from(_ZONES)),
    last_reply_at=_maybe_time,
)


def _verdict(segment: Any, m: SegmentMember) -> bool | None:
    """The three-valued verdict (before the consent gate), for properties that speak of it."""
    return segments._compile(segment, NOW, False)(m)


@given(documents, members)
def test_double_negation_and_singleton_compositions_change_nothing(document: Any, m: SegmentMember) -> None:
    s = parse_segment(document)
    expected = matches(s, m, NOW)
    assert matches(Not(of=Not(of=s)), m, NOW) is expected
    assert matches(AllOf(of=(s,)), m, NOW) is expected
    assert matches(AnyOf(of=(s,)), m, NOW) is expected
    assert _verdict(Not(of=Not(of=s)), m) is _verdict(s, m)


@given(documents, documents, members)
def test_de_morgan_holds_and_a_member_is_never_in_both_a_segment_and_its_negation(
    a: Any, b: Any, m: SegmentMember
) -> None:
    sa, sb = parse_segment(a), parse_segment(b)
    assert _verdict(Not(of=AllOf(of=(sa, sb))), m) is _verdict(AnyOf(of=(Not(of=sa), Not(of=sb))), m)
    assert _verdict(Not(of=AnyOf(of=(sa, sb))), m) is _verdict(AllOf(of=(Not(of=sa), Not(of=sb))), m)
    assert not (matches(sa, m, NOW) and matches(Not(of=sa), m, NOW))
    if m.status != "subscribed":
        assert not matches(sa, m, NOW) and not matches(Not(of=sa), m, NOW)


@given(documents)
def test_every_segment_dumps_to_a_document_that_parses_back_equal_and_describes_in_one_line(
    document: Any,
) -> None:
    s = parse_segment(document)
    assert parse_segment(json.dumps(dump_segment(s))) == s
    text = describe(s)
    assert text and "\n" not in text
    assert {"phone", "status"} <= needs(s) <= {f.name for f in dataclasses.fields(SegmentMember)}


# ---------------------------------------------------------------------------------------------------------
# A million members, one at a time


def _synthetic(n: int) -> Iterator[SegmentMember]:
    """A generator: each member exists only while it is evaluated (values shared, so that making a member
    costs little next to evaluating it)."""
    tag_sets = (frozenset(), frozenset({"vip"}))
    zone_sets = (frozenset({"America/Chicago"}), frozenset({"America/New_York", "America/Chicago"}))
    bought = (frozenset(), frozenset({"7001"}))
    spent = [Decimal(k) for k in range(400)]
    ordered = [NOW - k * DAY for k in range(200)]
    for i in range(n):
        yield SegmentMember(
            "+15125550100",
            "unsubscribed" if i % 10 == 0 else "subscribed",
            orders_count=i % 4,
            total_spent=spent[i % 400],
            last_order_at=ordered[i % 200],
            product_ids=bought[i % 3 == 0],
            tags=tag_sets[i % 2],
            candidate_zones=zone_sets[i % 5 == 0],
        )


def _expected(i: int) -> bool:
    return i % 10 != 0 and i % 4 >= 2 and (i % 200) > 90 and i % 3 != 0 and (i % 2 == 1 or i % 400 >= 250)


def test_a_million_members_are_counted_one_at_a_time_in_bounded_memory() -> None:
    segment = parse_segment(
        {
            "all": [
                {"repeat": {}},
                {"lapsed": {"days": 90}},
                {"not": {"bought": {"product": ["7001"]}}},
                {"any": [{"tags": {"any": ["vip"]}}, {"high_value": {"min_total": "250.00"}}]},
            ]
        }
    )
    n = 1_000_000
    expected = sum(1 for i in range(n) if _expected(i))
    tracemalloc.start()
    try:
        counted = count(segment, _synthetic(n), NOW)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert counted == expected > 0
    # a list of a million members would hold hundreds of MB; one at a time stays within a few KB
    assert peak < 1_000_000, peak


def test_select_is_lazy() -> None:
    pulled: list[int] = []

    def source() -> Iterator[SegmentMember]:
        for i in range(10):
            pulled.append(i)
            yield member(orders_count=2)

    chosen = select(parse_segment({"repeat": {}}), source(), NOW)
    assert pulled == []
    assert next(chosen).orders_count == 2
    assert pulled == [0]
