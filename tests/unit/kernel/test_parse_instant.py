"""`durations.parse_instant`: the one reader of the ISO 8601 times Shopify writes (webhooks, Admin API
answers), aware and in UTC, None for anything that is not one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smsflows.domain.durations import parse_instant


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23T15:00:00Z",
        "2026-11-23T09:00:00-06:00",
        "2026-11-23T15:00:00",
        " 2026-11-23T15:00:00+00:00 ",
    ],
)
def test_the_same_instant_in_every_spelling_is_one_utc_datetime(text):
    found = parse_instant(text)
    assert found == datetime(2026, 11, 23, 15, 0, tzinfo=UTC) and found.tzinfo is UTC


@pytest.mark.parametrize("value", [None, "", "  ", "yesterday", "2026-13-01T00:00:00Z", 1700000000, ["2026"]])
def test_what_is_not_an_instant_is_none(value):
    assert parse_instant(value) is None
