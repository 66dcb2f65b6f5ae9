"""The subscriber state each ledger event leaves, field by field: the state is what the sender reads (status,
version), what the proof points to (last event, opt-in source, since), what a review queue reads (review) and
what a redaction and the CRM sync find (customer id, country). Written from `ledger.apply`'s surviving
mutants: each test compares the whole state, so a field set under another name, or not at all, fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smsflows.domain.consent.ledger import ConsentEvent, SubscriberState, apply, replay

SHOP = "demo-shop.myshopify.com"
PHONE = "+15125550123"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def event(kind: str, n: int, **kw: Any) -> ConsentEvent:
    source = kw.pop("source", "keyword")
    return ConsentEvent(event_id=f"e{n}", shop=SHOP, phone=PHONE, kind=kind, source=source,  # type: ignore[arg-type]
                        at=T0 + timedelta(days=n), **kw)  # fmt: skip


def state(**kw: Any) -> SubscriberState:
    return SubscriberState(shop=SHOP, phone=PHONE, **kw)


def test_a_request_to_opt_in_makes_a_new_number_pending_since_the_request():
    assert apply(state(), event("opt_in_requested", 1)) == state(
        status="pending", since=T0 + timedelta(days=1), version=1, last_event_id="e1", pending_request="e1"
    )


def test_a_request_from_a_subscriber_keeps_them_subscribed_since_their_opt_in():
    before = state(status="subscribed", since=T0, version=3, last_event_id="e0", opt_in_source="web_form")
    assert apply(before, event("opt_in_requested", 1)) == before.model_copy(
        update={"version": 4, "last_event_id": "e1", "pending_request": "e1"}
    )


@pytest.mark.parametrize("kind", ["opt_in", "opt_in_confirmed"])
def test_an_opt_in_subscribes_clears_the_request_and_the_review_and_keeps_its_source(kind):
    before = state(status="unsubscribed", since=T0, version=2, last_event_id="e0", pending_request="e0",
                   review=True)  # fmt: skip
    assert apply(before, event(kind, 1, source="web_form")) == state(
        status="subscribed",
        since=T0 + timedelta(days=1),
        version=3,
        last_event_id="e1",
        opt_in_source="web_form",
    )


@pytest.mark.parametrize("review", [True, False])
def test_an_opt_out_unsubscribes_since_it_and_carries_its_review_flag(review):
    before = state(status="subscribed", since=T0, version=5, last_event_id="e0", pending_request="e0",
                   opt_in_source="checkout")  # fmt: skip
    assert apply(before, event("opt_out", 1, review=review)) == before.model_copy(
        update={"status": "unsubscribed", "since": T0 + timedelta(days=1), "version": 6, "last_event_id": "e1",
                "pending_request": None, "review": review}
    )  # fmt: skip


def test_a_second_opt_out_keeps_the_first_ones_time_and_takes_the_latest_review_flag():
    first = apply(state(status="subscribed", since=T0, version=1), event("opt_out", 1, review=True))
    second = apply(first, event("opt_out", 2, review=False))
    assert (second.status, second.since, second.review, second.version) == (
        "unsubscribed", T0 + timedelta(days=1), False, 3
    )  # fmt: skip


def test_the_customer_and_country_an_event_names_are_kept_and_not_forgotten_by_one_that_names_none():
    named = apply(state(), event("opt_in", 1, shopify_customer_id="gid://shopify/Customer/7", country="CA"))
    assert (named.customer_id, named.country) == ("gid://shopify/Customer/7", "CA")
    later = apply(named, event("opt_out", 2))
    assert (later.customer_id, later.country) == ("gid://shopify/Customer/7", "CA")


def test_replay_folds_events_in_the_order_the_ledger_got_them():
    stop = event("opt_out", 1, recorded_at=T0 + timedelta(days=5))
    yes = event("opt_in", 2)  # happened later, recorded earlier
    assert replay(SHOP, PHONE, [stop, yes]).status == "unsubscribed"
    assert replay(SHOP, PHONE, [yes, stop]).last_event_id == "e1"
