"""Attribution you can defend (issue 16 part 2): one order, one attribution, by the first rule that holds:
the last click within the click window, else a discount code a text carried, else (only if turned on) a
text received within the view window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smsflows.domain.analytics.attribution import Touches, Touchpoint, attribute

ORDER = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


def tp(hours_before: float, scope: str = "flow#welcome#0", mid: str = "m-1") -> Touchpoint:
    return Touchpoint(ORDER - hours_before * H, scope, mid)


def test_a_click_within_the_window_wins_and_the_window_is_inclusive():
    found = attribute(ORDER, [], Touches(last_click=tp(24, "campaign#spring#A", "cmp-1")))
    assert (found.rule, found.scope, found.message_id) == ("click", "campaign#spring#A", "cmp-1")
    assert attribute(ORDER, [], Touches(last_click=tp(24.01))) is None  # just outside 24 h
    assert attribute(ORDER, [], Touches(last_click=tp(30)), click_window_h=36).rule == "click"  # the shop's


def test_a_click_after_the_order_is_not_its_cause_and_one_at_the_same_instant_is():
    assert attribute(ORDER, [], Touches(last_click=tp(-0.5))) is None
    assert attribute(ORDER, [], Touches(last_click=tp(0))).rule == "click"


def test_the_last_click_wins_over_an_older_text_with_a_code():
    touches = Touches(
        last_click=tp(2, "flow#winback#0", "w"), codes={"WELCOME10": tp(20, "flow#welcome#0", "c")}
    )
    assert attribute(ORDER, ["WELCOME10"], touches).rule == "click"


def test_without_a_click_a_code_the_texts_carried_attributes_it_to_the_latest_such_text():
    touches = Touches(
        codes={"WELCOME10": tp(200, "flow#welcome#0", "a"), "BACK20": tp(50, "flow#winback#0", "b")}
    )
    found = attribute(ORDER, ["back20", "WELCOME10"], touches)  # codes match whatever their case
    assert (found.rule, found.scope, found.message_id) == ("discount_code", "flow#winback#0", "b")
    assert attribute(ORDER, ["SOMEONE-ELSES"], touches) is None  # a code no text to this customer carried
    assert attribute(ORDER, ["BACK20"], Touches(codes={"BACK20": tp(-1)})) is None  # sent after the order


def test_view_through_is_off_unless_the_shop_turns_it_on_and_then_has_its_own_window():
    touches = Touches(last_sent=tp(3, "campaign#spring#B", "v"))
    assert attribute(ORDER, [], touches) is None
    found = attribute(ORDER, [], touches, view_window_h=4)
    assert (found.rule, found.scope) == ("view", "campaign#spring#B")
    assert attribute(ORDER, [], touches, view_window_h=2) is None


def test_an_order_with_no_text_is_nobodys():
    assert attribute(ORDER, ["ANY"], Touches()) is None


@pytest.mark.parametrize("stored", [None, {}, {"at": "not a time", "scope": "x"}, {"at": ORDER.isoformat()}])
def test_a_touch_record_that_cannot_be_read_attributes_nothing(stored):
    assert Touchpoint.from_json(stored) is None


def test_touchpoints_round_trip_through_the_record():
    point = tp(1, "campaign#spring#A", "cmp:spring:once:abc")
    assert Touchpoint.from_json(point.to_json()) == point


def test_each_rule_says_when_the_text_touched_the_customer():
    click = attribute(ORDER, [], Touches(last_click=tp(2, "flow#a#0", "c")))
    code = attribute(ORDER, ["X1"], Touches(codes={"X1": tp(30, "flow#b#0", "d")}))
    view = attribute(ORDER, [], Touches(last_sent=tp(1, "flow#c#0", "v")), view_window_h=4)
    assert [(a.rule, a.touched_at, a.message_id) for a in (click, code, view)] == [
        ("click", ORDER - 2 * H, "c"), ("discount_code", ORDER - 30 * H, "d"), ("view", ORDER - H, "v")]  # fmt: skip
    assert attribute(ORDER, ["X1"], Touches(codes={"X1": tp(0, "flow#b#0", "d")})).rule == "discount_code"


def test_a_touch_without_its_message_id_reads_as_none_given():
    assert Touchpoint.from_json({"at": ORDER.isoformat(), "scope": "flow#a#0"}).message_id == ""
