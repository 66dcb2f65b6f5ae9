"""The HTML report in a real headless Chromium: every chart is drawn, with as many marks as the data has
points, inside its box; the data's strings are text, never markup; nothing is fetched; an empty report
still renders, saying there is no data."""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

import pytest

from smsflows.admin.report_html import render_html
from tests.browser.seeded_report import (
    CAMPAIGN_NAME,
    DAYS,
    ERROR_MEANING,
    LIFT_CI_TEXT,
    NO_ORDER_DAY,
    SHOP,
    empty_report,
    seeded_report,
)

CHARTS = ("daily", "revenue", "funnel", "lift", "errors")
DAILY_SERIES = ("sent", "delivered", "unique_clicks")


def show(page: Any, report: dict[str, Any]) -> str:
    html = render_html(report)
    page.set_content(html, wait_until="load")
    return html


def box(locator: Any) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, "not rendered"
    return dict(found)


def inside(inner: dict[str, float], outer: dict[str, float], slack: float = 0.5) -> bool:
    return (
        inner["x"] >= outer["x"] - slack
        and inner["y"] >= outer["y"] - slack
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack
    )


def expected_marks(report: dict[str, Any]) -> dict[str, int]:
    days = report["days"]
    return {
        "daily": sum(1 for d in days for key in DAILY_SERIES if d[key] > 0),  # a bar per series and day
        "revenue": sum(1 for d in days if d["revenue"] > 0),
        "funnel": 4,
        "lift": 4 * len(report["lift"]),  # two rate bars, the interval's whisker, the lift's point
        "errors": len(report["errors"]),
    }


def test_the_seeded_data_has_the_shape_the_counts_below_rely_on() -> None:
    report = seeded_report()
    assert len(report["days"]) == DAYS == 14
    assert expected_marks(report) == {"daily": 3 * 14, "revenue": 14 - 1, "funnel": 4, "lift": 4, "errors": 3}
    assert report["days"][NO_ORDER_DAY]["sent"] > 0 == report["days"][NO_ORDER_DAY]["revenue"]
    assert report["errors"][0]["code"] == 30007


def test_every_chart_is_drawn_with_a_mark_per_data_point_inside_its_box(page: Any) -> None:
    report = seeded_report()
    show(page, report)
    for kind, marks in expected_marks(report).items():
        chart = page.locator(f'svg.chart[data-chart="{kind}"]')
        assert chart.count() == 1, kind
        frame = box(chart)
        assert frame["width"] > 300 and frame["height"] > 80, (kind, frame)
        assert chart.locator(".mark").count() == marks, kind
        for i in range(marks):  # drawn, and not clipped by the chart's edges
            mark = box(chart.locator(".mark").nth(i))
            assert inside(mark, frame), (kind, i, mark, frame)
        texts = chart.locator("text")
        for i in range(texts.count()):  # no label runs off the chart
            assert inside(box(texts.nth(i)), frame, slack=1), (kind, texts.nth(i).text_content())
    assert page.locator("svg.chart").count() == len(CHARTS)


def test_the_page_fits_1200_px_and_the_side_by_side_charts_do_not_overlap(page: Any) -> None:
    show(page, seeded_report())
    main = box(page.locator("main"))
    assert main["x"] >= 0 and main["x"] + main["width"] <= 1200
    for table in page.locator("table").all():  # wide tables stay within the page
        assert box(table)["x"] + box(table)["width"] <= 1200
    funnel, errors = box(page.locator('[data-chart="funnel"]')), box(page.locator('[data-chart="errors"]'))
    assert funnel["x"] + funnel["width"] <= errors["x"]


def test_nothing_is_fetched_and_the_page_needs_no_script(page: Any, requests_made: list[str]) -> None:
    html = show(page, seeded_report())
    assert all(url.startswith(("about:", "data:")) for url in requests_made), requests_made
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\(|src=|href=", html, re.IGNORECASE)
    assert re.findall(r"https?://[^\"' )]+", html) == ["http://www.w3.org/2000/svg"] * len(CHARTS)


def test_the_data_s_strings_are_shown_as_text_never_as_markup(page: Any) -> None:
    show(page, seeded_report())
    assert page.locator("h1").inner_text() == SHOP
    assert page.locator("table b, svg b, b").count() == 0  # "<b>Black</b> Friday" made no element
    campaign = page.locator("table td", has_text=CAMPAIGN_NAME).first
    assert campaign.is_visible()
    assert CAMPAIGN_NAME in campaign.inner_text()
    assert page.locator("td", has_text=ERROR_MEANING).is_visible()


def test_the_numbers_a_reader_looks_for_are_on_the_page(page: Any) -> None:
    report = seeded_report()
    show(page, report)
    text = page.locator("body").inner_text()
    t = report["totals"]
    assert f"{t['sent']:,}" in text and f"{t['revenue']:,.2f} USD" in text
    assert LIFT_CI_TEXT in page.locator("table.lift").inner_text()  # the lift's 95% interval
    assert LIFT_CI_TEXT in page.locator('[data-chart="lift"]').text_content()
    assert page.locator(".card .badge", has_text="estimate").is_visible()  # the cost is an estimate
    for phone in ("+1******4567", "+1******0192"):
        assert page.get_by_text(phone, exact=True).is_visible()
    assert page.locator("tr.sub").count() == 4 + 4  # the flows' steps and the campaigns' variants


def test_an_empty_report_draws_axes_and_says_there_is_no_data(page: Any) -> None:
    show(page, empty_report())
    for kind in ("daily", "revenue", "funnel", "errors"):
        chart = page.locator(f'svg.chart[data-chart="{kind}"]')
        assert box(chart)["height"] > 0, kind
        assert chart.locator(".mark").count() == 0, kind
        assert chart.locator("line").count() >= 1, kind  # the axis is still there
        assert "no data" in chart.text_content(), kind
    assert page.locator('[data-chart="lift"]').count() == 0
    assert page.get_by_text("No holdout yet:").first.is_visible()
    assert "— delivery rate" in page.locator(".card", has_text="Delivered").inner_text()  # a null rate
    assert page.locator(".card .badge").count() == 0  # nothing sent, nothing estimated


@pytest.mark.parametrize("days", [1, 90])
def test_a_short_or_long_range_keeps_its_day_labels_apart(page: Any, days: int) -> None:
    report = seeded_report()
    report["days"] = [
        dict(report["days"][i % DAYS], day=f"2026-{9 + i // 30:02d}-{1 + i % 30:02d}") for i in range(days)
    ]
    show(page, report)
    chart = page.locator('[data-chart="daily"]')
    assert chart.locator(".mark").count() == expected_marks(report)["daily"]
    labels = [
        box(t) for t in chart.locator("text").all() if re.fullmatch(r"[A-Z][a-z]{2} \d+", t.text_content())
    ]
    assert labels and all(a["x"] + a["width"] < b["x"] for a, b in pairwise(labels))


def test_big_numbers_many_entries_and_a_negative_lift_stay_inside_their_charts(page: Any) -> None:
    report = seeded_report()
    for d in report["days"]:
        d.update(sent=d["sent"] * 97, delivered=d["delivered"] * 97, revenue=d["revenue"] * 41.3)
    report["totals"].update(sent=1_959_400, delivered=1_917_884, unique_clicks=290_224, conversions=37_054)
    first = report["lift"][0]
    report["lift"] += [
        dict(first, label="Winback, a flow whose label is far too long to fit", scope="flow:winback", lift=-0.123,
             lift_ci95=[-0.201, -0.045], conversion_sent=0.011, conversion_holdout=0.134, significant=True),
        dict(first, label="Welcome", scope="flow:welcome", lift=0.001, lift_ci95=None, significant=False),
    ]  # fmt: skip
    report["errors"] = [{"code": 30000 + i, "count": 10_000 - i * 900, "meaning": "x"} for i in range(11)]
    show(page, report)
    marks = {"lift": 4 + 4 + 3, "errors": 8}  # no whisker without an interval; the chart shows the top 8
    for kind in CHARTS:
        chart = page.locator(f'svg.chart[data-chart="{kind}"]')
        frame = box(chart)
        if kind in marks:
            assert chart.locator(".mark").count() == marks[kind]
        for element in chart.locator("text, .mark").all():
            assert inside(box(element), frame, slack=1), (kind, element.text_content())
