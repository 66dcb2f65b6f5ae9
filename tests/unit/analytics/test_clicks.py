"""The follow_link use case with a store in memory: what each kind of request gets back, and exactly what a
person's click records (the touch record's click, the day's counters), and that a failed counter still
redirects and is reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smsflows.domain.analytics import clicks
from smsflows.domain.analytics.links import Link

NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
CODE = "Ab3dE6gH9k"
LINK = Link(CODE, "demo-shop.myshopify.com", "+15125550123", "cmp:spring:once:abc", "campaign#spring#A",
            "https://demo-shop.example/sale?utm_source=sms", NOW - timedelta(days=1), NOW + timedelta(days=89))  # fmt: skip
PERSON = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Mobile/15E148 Safari/604.1"}


class Found:
    def __init__(self, link: Link | None, expired: bool = False, first: bool = False) -> None:
        self.link, self.expired, self.first = link, expired, first


class Store:
    def __init__(self, found: Found, fail: Exception | None = None) -> None:
        self.found, self.fail = found, fail
        self.asked: list[tuple[str, bool]] = []
        self.clicks: list[tuple[str, str, Any]] = []
        self.counts: list[tuple[str, str, dict[str, int]]] = []

    def follow(self, code: str, now: datetime, person: bool) -> Found:
        assert now == NOW, "the link's expiry is judged at the request's instant"
        self.asked.append((code, person))
        return self.found

    def note_click(self, shop: str, phone: str, click: Any) -> None:
        if self.fail:
            raise self.fail
        self.clicks.append((shop, phone, click))

    def count(self, shop: str, at: datetime, scope: str, values: Any) -> None:
        assert at == NOW, "a click counts on the day it happened"
        self.counts.append((shop, scope, dict(values)))


@pytest.mark.parametrize(("first", "counted", "unique"), [(True, "unique_click", 1), (False, "click", 0)])
def test_a_persons_click_redirects_and_records_the_click_for_attribution_and_the_counters(
    first, counted, unique
):
    store = Store(Found(LINK, first=first))
    out = clicks.follow(CODE, "GET", PERSON, NOW, store)
    assert (out.kind, out.location, out.link, out.counted) == ("redirect", LINK.target, LINK, counted)
    assert store.asked == [(CODE, True)]
    [(shop, phone, click)] = store.clicks
    assert (shop, phone) == (LINK.shop, LINK.phone)
    assert (click.at, click.scope, click.message_id) == (NOW, "campaign#spring#A", "cmp:spring:once:abc")
    assert store.counts == [(LINK.shop, "campaign#spring#A", {"clicks": 1, "unique_clicks": unique})]


def test_a_preview_is_redirected_to_the_same_target_and_records_nothing():
    store = Store(Found(LINK))
    out = clicks.follow(CODE, "GET", {"User-Agent": "Twitterbot/1.0"}, NOW, store)
    assert (out.kind, out.location, out.link, out.counted) == ("redirect", LINK.target, LINK, "bot")
    assert store.asked == [(CODE, False)] and store.clicks == [] and store.counts == []


def test_unknown_expired_and_malformed_codes():
    assert clicks.follow(CODE, "GET", PERSON, NOW, Store(Found(None))).kind == "unknown"
    expired = clicks.follow(CODE, "GET", PERSON, NOW, Store(Found(LINK, expired=True)))
    assert (expired.kind, expired.location, expired.link, expired.counted) == (
        "expired",
        None,
        LINK,
        "expired",
    )
    store = Store(Found(LINK))
    for bad in ("short", "Ab3dE6gH9k!", "Ab3dE6gH9kX", ""):
        assert clicks.follow(bad, "GET", PERSON, NOW, store).kind == "unknown"
    assert store.asked == []  # not a code: nothing asked


def test_a_counter_that_fails_still_redirects_the_person_and_says_so():
    failures: list[Exception] = []
    store = Store(Found(LINK, first=True), fail=RuntimeError("throttled"))
    out = clicks.follow(CODE, "GET", PERSON, NOW, store, on_error=failures.append)
    assert (out.kind, out.location) == ("redirect", LINK.target)
    assert [str(e) for e in failures] == ["throttled"]
    assert clicks.follow(CODE, "GET", PERSON, NOW, store).kind == "redirect"  # no on_error: still redirects
