"""The report of a seeded deployment (moto), as `smsflows report --html` writes it, drawn by Chromium: the
charts are there, sized, with a mark per day that had texts, the funnel's four bars and the lift's interval."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from smsflows.local.provision import provision
from smsflows.runtime import deps as deps_module
from tests.report_seed import SHOP, seed


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        made = provision(lambda s: boto3.client(s, region_name="us-east-1"), prefix="br", shopify_secret="s",
                         twilio_token="t")  # fmt: skip
        for key, value in made.env.items():
            monkeypatch.setenv(key, value)
        deps_module.reset()
        expected = seed(deps_module.get_deps())
        from smsflows.admin import report

        yield report.build(SHOP, expected["since"], expected["until"])
        deps_module.reset()


def test_the_report_page_draws_its_charts(page: Any, built: dict[str, Any], requests_made: list[str]) -> None:
    from smsflows.admin.report_html import render_html

    page.set_content(render_html(built))
    for name in ("daily", "revenue", "funnel", "lift", "errors"):
        chart = page.locator(f'svg[data-chart="{name}"]')
        assert chart.count() == 1, name
        box = chart.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 80, name
    days_with_texts = sum(1 for d in built["days"] if d["sent"])
    assert page.locator('svg[data-chart="daily"] .mark').count() >= days_with_texts  # sent bars at least
    assert page.locator('svg[data-chart="funnel"] .mark').count() == 4
    assert page.locator('svg[data-chart="errors"] .mark').count() == len(built["errors"]) == 2
    assert page.locator('svg[data-chart="lift"] .mark').count() >= 3  # two rates and the interval
    assert "Black <b>Friday</b>" in page.inner_text("body")  # the name as text, never as markup
    assert page.locator("table b").count() == 0
    assert [u for u in requests_made if not u.startswith(("about:", "data:"))] == []
