"""The Conversations port: inbound texts kept for the shop's support, once per provider message sid."""

from __future__ import annotations

from datetime import datetime

from tests.contracts.conftest import NOW, OTHER_PHONE, PHONE, SHOP


def test_a_reply_is_stored_once_per_message_sid(conversations):
    port, stored = conversations.port, conversations.stored
    assert stored(SHOP, PHONE, "SM1") is None
    assert port.add(SHOP, PHONE, "SM1", "Where is my order?", NOW, "support") is True
    assert port.add(SHOP, PHONE, "SM1", "something else", NOW, "support") is False  # a webhook retry
    item = stored(SHOP, PHONE, "SM1")
    assert (item["shop"], item["phone"], item["body"], item["kind"]) == (
        SHOP, PHONE, "Where is my order?", "support",
    )  # fmt: skip
    assert datetime.fromisoformat(item["at"]) == NOW
    assert not item.get("rating") and not item.get("review")


def test_replies_with_other_sids_are_kept_apart(conversations):
    port, stored = conversations.port, conversations.stored
    assert port.add(SHOP, PHONE, "SM1", "first", NOW, "support") is True
    assert port.add(SHOP, PHONE, "SM2", "second", NOW, "support") is True
    assert port.add(SHOP, OTHER_PHONE, "SM3", "third", NOW, "support") is True
    assert [stored(SHOP, PHONE, sid)["body"] for sid in ("SM1", "SM2")] == ["first", "second"]
    assert stored(SHOP, OTHER_PHONE, "SM3")["body"] == "third"
    assert stored(SHOP, PHONE, "SM3") is None


def test_a_rating_and_a_review_flag_are_kept(conversations):
    port, stored = conversations.port, conversations.stored
    assert port.add(SHOP, PHONE, "SM1", "5", NOW, "rating", rating=5, review=True) is True
    item = stored(SHOP, PHONE, "SM1")
    assert (item["kind"], item["rating"], item["review"]) == ("rating", 5, True)


def test_a_long_body_is_kept_to_the_longest_text_twilio_takes(conversations):
    port, stored = conversations.port, conversations.stored
    assert port.add(SHOP, PHONE, "SM1", "x" * 2000, NOW, "support") is True
    body = stored(SHOP, PHONE, "SM1")["body"]
    assert len(body) == 1600
    assert body == "x" * 1600
