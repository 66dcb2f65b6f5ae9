"""The HTML report without a browser: numbers formatted for people, a null rate as "—", and every string
of the data escaped (the browser tests in tests/browser check the drawn page)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from smsflows.admin.report_html import fmt_ci, fmt_int, fmt_money, fmt_pp, fmt_rate, fmt_when, render_html
from tests.browser.seeded_report import CAMPAIGN_NAME, empty_report, metrics, seeded_report

MARKUP = '<img src=x onerror="alert(1)">'


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0, "0"), (999, "999"), (1234, "1,234"), (1234567, "1,234,567"), (12.6, "13"), (None, "—")],
)
def test_counts_have_thousands_separators(value: float | None, shown: str) -> None:
    assert fmt_int(value) == shown


def test_money_has_two_decimals_and_the_currency_code() -> None:
    assert fmt_money(29857.6, "USD") == "29,857.60 USD"
    assert fmt_money(0.005, "EUR") in ("0.01 EUR", "0.00 EUR")
    assert fmt_money(-3.5, "CAD") == "-3.50 CAD"
    assert fmt_money(None, "USD") == "—"


@pytest.mark.parametrize(
    ("rate", "shown"),
    [(None, "—"), (0.0, "0.0%"), (1.0, "100.0%"), (0.0512, "5.1%"), (0.979, "97.9%"), (0.0065, "0.65%")],
)
def test_rates_are_percentages_and_a_null_rate_is_a_dash(rate: float | None, shown: str) -> None:
    assert fmt_rate(rate) == shown


def test_a_lift_is_in_percentage_points_with_its_interval() -> None:
    assert fmt_pp(0.03) == "+3.0 pp"
    assert fmt_pp(-0.012) == "-1.2 pp"
    assert fmt_ci([0.004, 0.056]) == "+0.4 to +5.6 pp"
    assert fmt_ci([0.2, 3.0], "USD") == "+0.20 to +3.00 USD"
    assert fmt_ci(None) == fmt_pp(None) == "—"


def test_times_are_shown_in_utc_and_a_bad_one_as_given() -> None:
    assert fmt_when("2026-11-03T12:00:00+00:00") == "2026-11-03 12:00 UTC"
    assert fmt_when("2026-11-03T12:00:00-05:00") == "2026-11-03 12:00 UTC-0500"
    assert fmt_when("soon") == "soon"


def cards(html: str) -> dict[str, str]:
    """Card label → its value and sub-line, from the rendered page."""
    found = re.findall(
        r'<div class="label">(.*?)(?:<span class="badge">.*?</span>)?</div><div class="value">(.*?)</div>'
        r'<div class="sub">(.*?)</div>',
        html,
    )
    return {label: f"{value} | {sub}" for label, value, sub in found}


def test_the_cards_show_the_totals_and_the_cost_is_labelled_an_estimate() -> None:
    report = seeded_report()
    shown = cards(render_html(report))
    t = report["totals"]
    assert shown["Texts sent"] == f"{t['sent']:,} | {t['segments']:,} segments"
    assert shown["Delivered"] == f"{t['delivered']:,} | {fmt_rate(t['delivery_rate'])} delivery rate"
    assert shown["Cost"].startswith(f"{t['cost']:,.2f} USD")
    assert '<span class="badge">estimate</span>' in render_html(report)
    report["totals"]["cost_estimated"] = False
    assert "estimate</span>" not in render_html(report)


def test_null_rates_are_dashes_on_the_cards_and_in_the_tables() -> None:
    report = empty_report()
    report["flows"] = [{"flow": "welcome", **metrics(), "steps": [{"step": 0, **metrics()}]}]
    html = render_html(report)
    shown = cards(html)
    assert shown["Delivered"] == "0 | — delivery rate"
    assert shown["Opt-out rate"] == "— | 0 opt-outs"
    assert shown["Revenue per message"].startswith("— |")
    row = re.search(r"<tr class=\"\"><td>welcome</td>(.*?)</tr>", html)
    assert row is not None
    cells = re.findall(r"<td>(.*?)</td>", row.group(1))
    assert cells[2] == cells[4] == cells[7] == cells[9] == "—"  # delivery, CTR, revenue/message, opt-out


def with_markup(value: Any) -> Any:
    """Every string of the report (names, codes, dates, the currency) with markup appended."""
    if isinstance(value, dict):
        return {k: with_markup(v) for k, v in value.items()}
    if isinstance(value, list):
        return [with_markup(v) for v in value]
    return value + MARKUP if isinstance(value, str) else value


def test_every_string_from_the_data_is_escaped() -> None:
    report = with_markup(seeded_report())
    report["errors"][0]["code"] = "<script>30007"  # a code is a number, but a string still is text
    html = render_html(report)
    assert "<img" not in html and "<script" not in html
    assert html.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;") > 30
    assert "&lt;script&gt;30007" in html


def test_a_campaign_name_that_is_markup_is_printed_as_text() -> None:
    html = render_html(seeded_report())
    assert "<b>" not in html
    assert "&lt;b&gt;Black&lt;/b&gt; Friday" in html
    assert CAMPAIGN_NAME.startswith("<b>")


def test_an_empty_report_renders_without_charts_marks_or_lift() -> None:
    html = render_html(empty_report())
    assert html.count('class="mark"') == 0
    assert html.count("no data") == 4
    assert "No holdout yet:" in html and 'data-chart="lift"' not in html
    assert "Flow: welcome" in html  # the scope
