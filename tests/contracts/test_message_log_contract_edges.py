"""The MessageLog port at its edges: where a dead letter says it came from (and a replay forgets it), a
replayed message dead-lettered again, and a record that has no state (marked in doubt before any claim)."""

from __future__ import annotations

from datetime import timedelta

from tests.contracts.conftest import NOW
from tests.contracts.test_message_log_contract import msg

LATER = NOW + timedelta(minutes=10)


def test_a_dead_letter_before_any_claim_says_it_came_from_the_queue(message_log):
    log = message_log.log
    assert log.dead_letter("m-1", "DynamoDB ThrottlingException", NOW) is True
    got = log.claim("m-1")
    assert (got["state"], got["dead_lettered_from"]) == ("dead_lettered", "queued")


def test_a_replayed_message_forgets_where_it_was_dead_lettered_from(message_log):
    log = message_log.log
    log.begin(msg(), NOW)
    log.mark_in_doubt("m-1", "twilio in doubt: ReadTimeout")
    log.dead_letter("m-1", None, NOW)
    assert log.claim("m-1")["dead_lettered_from"] == "sending"
    assert log.replay("m-1", LATER) == "sending"
    got = log.claim("m-1")
    assert got["state"] == "sending"
    assert "dead_lettered_from" not in got


def test_a_replayed_message_that_fails_again_is_dead_lettered_again(message_log):
    log = message_log.log
    log.dead_letter("m-1", "first", NOW)
    assert log.replay("m-1", NOW) == "queued"
    assert log.dead_letter("m-1", "second", LATER) is True  # 'queued' again: the replay's copy failed too
    got = log.claim("m-1")
    assert (got["state"], got["dead_lettered_from"], got["reason"], got["dead_lettered_at"]) == (
        "dead_lettered", "queued", "second", LATER.isoformat(),
    )  # fmt: skip


def test_a_record_without_a_state_is_dead_lettered(message_log):
    """An in-doubt mark on a message never claimed leaves a record with no state: it may still be
    dead-lettered (as one never claimed)."""
    log = message_log.log
    log.mark_in_doubt("m-1", "twilio in doubt: ReadTimeout")
    assert log.dead_letter("m-1", None, NOW) is True
    got = log.claim("m-1")
    assert (got["state"], got["dead_lettered_from"], got["reason"]) == (
        "dead_lettered", "queued", "twilio in doubt: ReadTimeout",
    )  # fmt: skip


def test_a_record_without_a_state_is_not_claimed_and_says_its_state_is_unknown(message_log):
    log = message_log.log
    log.mark_in_doubt("m-1", "twilio in doubt: ReadTimeout")
    assert log.begin(msg(), NOW) == "unknown"
    got = log.claim("m-1")
    assert "state" not in got and "claimed_at" not in got


def test_an_applied_status_names_the_texts_scope_and_its_cost_estimate(message_log):
    """What the status callback counts the delivery under (the flow step or campaign variant) and the
    estimated cost it corrects with Twilio's price; before the receipt there is no estimate yet."""
    from smsflows.domain.sending.delivery import StatusUpdate
    from smsflows.ports import ProviderReceipt, StatusApplied
    from tests.contracts.conftest import PHONE, SHOP

    log = message_log.log
    log.begin(msg("m-1", category="marketing", flow="welcome", step=1), NOW)
    log.complete(
        "m-1", ProviderReceipt(sid="SM1", status="queued", segments=2), NOW, {"cost_est": "0.016600"}
    )
    applied = log.apply_status(StatusUpdate(message_id="m-1", sid="SM1", status="delivered"), NOW)
    assert applied == StatusApplied(SHOP, PHONE, "flow#welcome#1", 0.0166)
    log.begin(msg("m-2"), NOW)
    early = log.apply_status(StatusUpdate(message_id="m-2", sid="SM2", status="sent"), NOW)
    assert early == StatusApplied(SHOP, PHONE, "system#transactional", None)
