"""The WebhookInbox port: every authentic webhook as received, once per webhook id, for dedupe and replay."""

from __future__ import annotations

import os
from datetime import timedelta

from smsflows.domain.shopify.records import STALE_ACCEPTING, InboxRecord
from tests.contracts.conftest import NOW, OTHER_SHOP, SHOP


def record(webhook_id="wh-1", body=b'{"id": 1}', state="received", **kw) -> InboxRecord:
    base = dict(
        shop=SHOP, webhook_id=webhook_id, topic="orders/create", received_at=NOW, body=body, state=state
    )
    base.update(kw)
    return InboxRecord(**base)


def test_a_webhook_reads_back_as_it_was_recorded(inbox):
    assert inbox.get(SHOP, "wh-1") is None
    original = record(api_version="2026-04", body=b'{"id": 1, "note": "\xc3\xa9t\xc3\xa9"}' + b" " * 5000)
    assert inbox.record(original) is True
    assert inbox.get(SHOP, "wh-1") == original


def test_inbox_records_once_per_webhook_id(inbox):
    assert inbox.record(record()) is True
    assert inbox.record(record(body=b"{}")) is False  # a Shopify redelivery: the first body stays
    assert inbox.get(SHOP, "wh-1").body == b'{"id": 1}'
    assert inbox.get(SHOP, "other") is None


def test_webhook_ids_are_per_shop(inbox):
    assert inbox.record(record()) is True
    assert inbox.record(record(shop=OTHER_SHOP, body=b"{}")) is True
    assert inbox.get(SHOP, "wh-1").body == b'{"id": 1}'
    assert inbox.get(OTHER_SHOP, "wh-1").body == b"{}"


def test_inbox_forget_allows_the_retry(inbox):
    inbox.record(record())
    inbox.forget(SHOP, "wh-1")
    assert inbox.get(SHOP, "wh-1") is None
    assert inbox.record(record()) is True
    inbox.forget(SHOP, "never-recorded")  # forgetting twice, or an unknown id, is a no-op
    assert inbox.get(SHOP, "wh-1") == record()


def test_inbox_mark_changes_state_and_ignores_missing_records(inbox):
    inbox.record(record())
    inbox.mark(SHOP, "wh-1", "unparseable", "name: missing")
    got = inbox.get(SHOP, "wh-1")
    assert (got.state, got.reason) == ("unparseable", "name: missing")
    assert got.body == b'{"id": 1}'  # kept for the replay
    inbox.mark(SHOP, "nope", "ignored")  # nothing created
    assert inbox.get(SHOP, "nope") is None


def test_mark_without_a_reason_clears_the_previous_one(inbox):
    inbox.record(record(state="unparseable", reason="bad json"))
    inbox.mark(SHOP, "wh-1", "processed")
    got = inbox.get(SHOP, "wh-1")
    assert (got.state, got.reason) == ("processed", "")


def test_a_record_still_accepting_is_in_progress_for_a_concurrent_redelivery(inbox):
    assert inbox.record(record(state="accepting")) is True
    assert inbox.record(record(state="accepting", received_at=NOW + timedelta(seconds=5))) == "in_progress"
    assert inbox.get(SHOP, "wh-1").received_at == NOW


def test_a_stale_accepting_record_is_taken_over_by_the_redelivery(inbox):
    """The hand-off never finished (the function died between the record and the queue): Shopify's retry,
    after STALE_ACCEPTING, is accepted as if new, so the event is not lost."""
    assert inbox.record(record(state="accepting")) is True
    later = NOW + STALE_ACCEPTING + timedelta(seconds=1)
    assert inbox.record(record(state="accepting", received_at=later, body=b'{"id": 2}')) is True
    assert inbox.get(SHOP, "wh-1").received_at == later


def test_a_received_record_is_never_taken_over(inbox):
    assert inbox.record(record(state="received")) is True
    assert inbox.record(record(received_at=NOW + timedelta(days=1))) is False
    assert inbox.record(record(state="unparseable", received_at=NOW + timedelta(days=1))) is False


def test_a_body_too_large_for_one_item_is_kept_whole_and_forgotten_whole(inbox):
    body = b'{"note": "' + os.urandom(600_000).hex().encode() + b'"}'  # ~1.2 MB, compresses to ~600 KB
    assert inbox.record(record(body=body)) is True
    assert inbox.get(SHOP, "wh-1").body == body
    inbox.forget(SHOP, "wh-1")
    assert inbox.get(SHOP, "wh-1") is None
    assert inbox.record(record(body=b"{}")) is True and inbox.get(SHOP, "wh-1").body == b"{}"


def test_the_webhooks_ignored_for_their_shop_are_listed_newest_first(inbox):
    """What the sender never texted about because the shop is not onboarded, or deactivated, uninstalled or
    redacted (GET /_local/ignored): every shop's, with the reason; other states and reasons are not listed."""
    assert inbox.ignored() == []
    earlier, later = NOW - timedelta(hours=1), NOW + timedelta(hours=1)
    for webhook_id, shop, at in (("wh-1", SHOP, earlier), ("wh-2", OTHER_SHOP, later), ("wh-3", SHOP, NOW)):
        inbox.record(record(webhook_id, shop=shop, received_at=at))
    inbox.record(record("wh-4", topic="collections/update"))
    inbox.record(record("wh-5"))
    inbox.mark(SHOP, "wh-1", "ignored", "shop_not_onboarded")
    inbox.mark(OTHER_SHOP, "wh-2", "ignored", "shop_deactivated")
    inbox.mark(SHOP, "wh-3", "ignored", "shop_not_onboarded: consent opt_out; nothing texted")
    inbox.mark(SHOP, "wh-4", "ignored", "unsupported topic collections/update")  # not the shop's doing
    inbox.mark(SHOP, "wh-5", "unparseable", "shop_x")  # not ignored
    assert inbox.ignored() == [
        {"shop": OTHER_SHOP, "webhook_id": "wh-2", "topic": "orders/create", "received_at": later.isoformat(),
         "reason": "shop_deactivated"},
        {"shop": SHOP, "webhook_id": "wh-3", "topic": "orders/create", "received_at": NOW.isoformat(),
         "reason": "shop_not_onboarded: consent opt_out; nothing texted"},
        {"shop": SHOP, "webhook_id": "wh-1", "topic": "orders/create", "received_at": earlier.isoformat(),
         "reason": "shop_not_onboarded"},
    ]  # fmt: skip
    assert [r["webhook_id"] for r in inbox.ignored(limit=1)] == ["wh-2"]
