"""Counters add up to what a report shows (issue 16 part 3): a slice's metrics from its rows, rates, the
cost with Twilio's price where given and the estimate elsewhere, and the roll-up by day, flow, step,
campaign and variant."""

from __future__ import annotations

from datetime import date

import pytest

from smsflows.domain.analytics.counters import (
    Metrics,
    Row,
    campaign_scope,
    days_between,
    flow_scope,
    parse_scope,
    roll_up,
    scope_of,
)

ROW = {"sent": 1000, "delivered": 980, "failed": 20, "segments": 1200, "clicks": 130, "unique_clicks": 98,
       "replies": 7, "opt_outs": 4, "conversions": 12, "revenue": 1234.5678, "cost_est": 9.96, "priced": 500,
       "cost_actual": 4.0, "cost_replaced": 4.15, "err#30007": 15, "err#30003": 5, "ignored": 99}  # fmt: skip


def test_a_slices_metrics_say_every_count_rate_and_cost():
    m = Metrics()
    m.add(ROW)
    assert m.as_dict() == {
        "sent": 1000, "delivered": 980, "failed": 20, "segments": 1200, "clicks": 130, "unique_clicks": 98,
        "replies": 7, "opt_outs": 4, "conversions": 12, "revenue": 1234.57, "cost": 9.81,
        "cost_estimated": True, "delivery_rate": 0.98, "ctr": 0.1, "opt_out_rate": 0.004082,
        "revenue_per_message": 1.234570,
    }  # fmt: skip
    assert m.errors() == {30007: 15, 30003: 5}
    assert "ignored" not in m.values


def test_a_slice_with_nothing_has_zeros_and_no_rates():
    shown = Metrics().as_dict()
    assert {k: shown[k] for k in ("sent", "delivered", "revenue", "cost")} == {"sent": 0, "delivered": 0,
                                                                              "revenue": 0.0, "cost": 0.0}  # fmt: skip
    assert shown["delivery_rate"] is None and shown["ctr"] is None and shown["revenue_per_message"] is None
    assert shown["cost_estimated"] is False


def test_every_text_priced_by_twilio_is_no_estimate():
    m = Metrics()
    m.add({"sent": 2, "priced": 2, "cost_est": 0.0166, "cost_replaced": 0.0166, "cost_actual": 0.0158})
    assert m.as_dict()["cost"] == 0.0158 and m.as_dict()["cost_estimated"] is False


def test_rows_roll_up_per_day_flow_step_campaign_and_variant_and_narrow_to_one():
    rows = [Row("2026-11-23", flow_scope("welcome", 0), {"sent": 5}), Row("2026-11-23", flow_scope("welcome", 1), {"sent": 3}),
            Row("2026-11-24", campaign_scope("bf", "A"), {"sent": 7}), Row("2026-11-24", campaign_scope("bf", None), {"sent": 1}),
            Row("2026-11-24", "system#compliance", {"sent": 2})]  # fmt: skip
    all_ = roll_up(rows)
    assert all_.total.values["sent"] == 18
    assert {d: m.values["sent"] for d, m in all_.days.items()} == {"2026-11-23": 8, "2026-11-24": 10}
    assert all_.flows["welcome"].values["sent"] == 8 and all_.steps[("welcome", "1")].values["sent"] == 3
    assert all_.campaigns["bf"].values["sent"] == 8 and all_.variants[("bf", "-")].values["sent"] == 1
    assert roll_up(rows, flow="welcome").total.values["sent"] == 8
    assert roll_up(rows, campaign="bf").total.values["sent"] == 8
    assert roll_up(rows, campaign="nope").total.values == {}


@pytest.mark.parametrize(
    ("scope", "parsed"),
    [("flow#welcome#2", ("flow", "welcome", "2")), ("campaign#bf#A", ("campaign", "bf", "A")),
     ("system#compliance", ("system", "compliance", "")), ("odd", ("system", "odd", ""))],
)  # fmt: skip
def test_scopes_read_back(scope, parsed):
    assert parse_scope(scope) == parsed


def test_a_text_counts_in_its_campaigns_variant_else_its_flows_step_else_its_category():
    assert (
        scope_of(flow="campaign", step=None, campaign="bf", variant="B", category="marketing")
        == "campaign#bf#B"
    )
    assert (
        scope_of(flow="welcome", step=None, campaign=None, variant=None, category="marketing")
        == "flow#welcome#0"
    )
    assert (
        scope_of(flow=None, step=None, campaign=None, variant=None, category="compliance")
        == "system#compliance"
    )
    assert days_between(date(2026, 2, 27), date(2026, 3, 2)) == [
        "2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]  # fmt: skip


def test_utm_tags_of_each_kind_of_scope():
    from smsflows.domain.analytics.counters import utm_for

    assert utm_for("campaign#bf#-") == {"medium": "campaign", "campaign": "bf", "content": ""}
    assert utm_for("system#transactional") == {"medium": "sms", "campaign": "transactional", "content": ""}
    assert parse_scope("a#b#c") == ("system", "b", "")


def test_a_messages_scope_is_read_from_all_its_fields():
    from datetime import UTC, datetime

    from smsflows.domain.analytics.counters import message_scope
    from smsflows.domain.messages import OutboundMessage

    def m(**fields):
        return OutboundMessage(message_id="m", shop="s", to="+15125550123", body="x", created_at=datetime.now(UTC),
                               **fields)  # fmt: skip

    assert message_scope(m(category="marketing", flow="winback", step=2)) == "flow#winback#2"
    assert (
        message_scope(m(category="marketing", flow="campaign", campaign="bf", variant="B")) == "campaign#bf#B"
    )
    assert message_scope(m(category="transactional")) == "system#transactional"


def test_error_keys_that_are_not_codes_are_no_errors_and_cost_keeps_four_decimals():
    m = Metrics()
    m.add({"err#abc": 3, "err#30007": 1, "sent": 1, "cost_est": 0.00004})
    assert m.errors() == {30007: 1}
    assert m.as_dict()["cost"] == 0.0 and m.as_dict()["cost_estimated"] is True
    m.add({"cost_est": 0.00012})
    assert m.as_dict()["cost"] == 0.0002


def test_a_campaign_named_like_a_flow_is_not_that_flow():
    rows = [
        Row("2026-11-23", flow_scope("welcome", 0), {"sent": 5}),
        Row("2026-11-23", campaign_scope("welcome", "A"), {"sent": 9}),
    ]
    assert roll_up(rows, flow="welcome").total.values["sent"] == 5
    assert roll_up(rows, campaign="welcome").total.values["sent"] == 9
