"""The MessageLog port, every method: the idempotency claim of a message id (with the conditions checked in
the same atomic write: consent, the frequency cap, a folded pacing reservation), its delivery record, the
recipient snapshot the sender decides on, and delivery statuses applied in any arrival order."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from smsflows.domain.compliance.frequency import SendRecord
from smsflows.domain.consent.ledger import ConsentEvent, SubscriberState, apply
from smsflows.domain.messages import OutboundMessage
from smsflows.domain.sending.delivery import StatusUpdate
from smsflows.domain.sending.pacing import Fold
from smsflows.ports import ProviderReceipt, SendConditions
from tests.contracts.conftest import NOW, OTHER_PHONE, OTHER_SHOP, PHONE, SHOP

LATER = NOW + timedelta(minutes=10)
DAY = "2026-11-23"


def msg(mid="m-1", to=PHONE, body="Demo Shop: your order shipped", **kw) -> OutboundMessage:
    base = dict(message_id=mid, shop=SHOP, to=to, body=body, category="transactional", created_at=NOW)
    base.update(kw)
    return OutboundMessage(**base)


def consent(port, kind: str, event_id: str, phone: str = PHONE) -> SubscriberState:
    current = port.state(SHOP, phone) or SubscriberState(shop=SHOP, phone=phone)
    e = ConsentEvent(event_id=event_id, shop=SHOP, phone=phone, kind=kind, source="keyword", at=NOW)
    new = apply(current, e)
    assert port.append(e, new, current.version) == "ok"
    return new


def receipt(sid="SM1", segments=2, price=None) -> ProviderReceipt:
    return ProviderReceipt(sid=sid, status="queued", segments=segments, price=price)


# The claim --------------------------------------------------------------------------------------------


def test_an_unknown_message_has_no_claim(message_log):
    assert message_log.log.claim("m-1") is None


def test_begin_claims_the_message_and_records_what_was_claimed(message_log):
    log = message_log.log
    assert log.begin(msg(flow="welcome", category="marketing"), NOW) is None
    got = log.claim("m-1")
    assert (got["state"], got["shop"], got["to"], got["category"], got["flow"]) == (
        "sending", SHOP, PHONE, "marketing", "welcome",
    )  # fmt: skip
    assert got["claimed_at"] == NOW.isoformat()
    assert got["body_hash"] == hashlib.sha256(b"Demo Shop: your order shipped").hexdigest()
    assert not got.get("in_doubt")


def test_message_claim_is_exclusive_until_released(message_log):
    log = message_log.log
    assert log.begin(msg(), NOW) is None
    assert log.begin(msg(), NOW) == "sending"
    log.release("m-1", "provider 500")
    got = log.claim("m-1")
    assert (got["state"], got["reason"]) == ("retry", "provider 500")
    assert log.begin(msg(), LATER) is None
    again = log.claim("m-1")
    assert (again["state"], again["claimed_at"]) == ("sending", LATER.isoformat())
    assert "reason" not in again  # a new claim: the released one is gone
    log.complete("m-1", receipt(), NOW)
    assert log.begin(msg(), NOW) == "sent"


def test_complete_records_the_receipt_and_extra_fields(message_log):
    log = message_log.log
    log.begin(msg(), NOW)
    log.complete("m-1", receipt(price="-0.0079"), LATER, {"settled": "provider had it"})
    got = log.claim("m-1")
    assert (got["state"], got["sid"], got["provider_status"], got["segments"], got["price"]) == (
        "sent", "SM1", "queued", 2, "-0.0079",
    )  # fmt: skip
    assert (got["sent_at"], got["settled"]) == (LATER.isoformat(), "provider had it")
    assert log.begin(msg(), LATER) == "sent"


def test_a_receipt_without_segments_or_price_records_none(message_log):
    log = message_log.log
    log.begin(msg(), NOW)
    log.complete("m-1", receipt(segments=None), NOW)
    got = log.claim("m-1")
    assert got["state"] == "sent"
    assert got.get("segments") is None and got.get("price") is None


def test_failed_message_stays_failed(message_log):
    log = message_log.log
    log.begin(msg(), NOW)
    log.fail("m-1", 21211, "invalid number", LATER)
    got = log.claim("m-1")
    assert (got["state"], got["error_code"], got["reason"], got["failed_at"]) == (
        "failed", 21211, "invalid number", LATER.isoformat(),
    )  # fmt: skip
    assert log.begin(msg(), NOW) == "failed"


def test_a_message_failed_before_its_claim_is_never_claimed(message_log):
    """The sender fails a message it will not send (expired, opted out) without claiming it first."""
    log = message_log.log
    log.fail("m-1", None, "expired before it could be sent", NOW)
    got = log.claim("m-1")
    assert (got["state"], got["reason"]) == ("failed", "expired before it could be sent")
    assert got.get("error_code") is None
    assert log.begin(msg(), NOW) == "failed"


def test_in_doubt_keeps_the_claim_and_says_so(message_log):
    log = message_log.log
    log.begin(msg(), NOW)
    log.mark_in_doubt("m-1", "read timeout")
    got = log.claim("m-1")
    assert (got["state"], got["in_doubt"], got["reason"]) == ("sending", True, "read timeout")
    assert got["claimed_at"] == NOW.isoformat()
    assert log.begin(msg(), NOW) == "sending"  # a redelivery must settle it, not send again


def test_take_over_needs_the_claim_as_it_was_read(message_log):
    log = message_log.log
    log.begin(msg(), NOW)
    log.mark_in_doubt("m-1", "read timeout")
    assert log.take_over("m-1", NOW.isoformat(), LATER) is True
    got = log.claim("m-1")
    assert (got["state"], got["claimed_at"], got["attempts"]) == ("sending", LATER.isoformat(), 1)
    assert not got.get("in_doubt")
    # another attempt that read the claim before: too late
    assert log.take_over("m-1", NOW.isoformat(), LATER + timedelta(minutes=1)) is False
    assert log.claim("m-1")["claimed_at"] == LATER.isoformat()
    later = LATER + timedelta(minutes=20)
    assert log.take_over("m-1", LATER.isoformat(), later) is True
    assert (log.claim("m-1")["attempts"], log.claim("m-1")["claimed_at"]) == (2, later.isoformat())


def test_take_over_refuses_a_message_that_is_not_sending(message_log):
    log = message_log.log
    assert log.take_over("m-1", NOW.isoformat(), LATER) is False  # unknown
    assert log.claim("m-1") is None
    log.begin(msg(), NOW)
    log.complete("m-1", receipt(), NOW)
    assert log.take_over("m-1", NOW.isoformat(), LATER) is False
    assert log.claim("m-1")["state"] == "sent"
    log.begin(msg("m-2"), NOW)
    log.release("m-2", "provider 503")
    assert log.take_over("m-2", NOW.isoformat(), LATER) is False
    assert log.claim("m-2")["state"] == "retry"


# Deferrals: the record says why a message waits, and until when ------------------------------------------


def test_a_deferral_records_its_reason_and_instant_and_the_message_is_claimed_when_it_comes_back(message_log):
    log = message_log.log
    log.defer("m-1", "quiet_hours", LATER, NOW)
    got = log.claim("m-1")
    assert (got["state"], got["reason"], got["deferred_until"], got["deferred_at"], got["deferrals"]) == (
        "deferred", "quiet_hours", LATER.isoformat(), NOW.isoformat(), 1,
    )  # fmt: skip
    assert "to" not in got and "shop" not in got  # the id only: nothing about the recipient
    later = LATER + timedelta(hours=1)
    log.defer("m-1", "daily_cap", later, LATER)
    got = log.claim("m-1")
    assert (got["reason"], got["deferred_until"], got["deferrals"]) == ("daily_cap", later.isoformat(), 2)
    assert log.begin(msg(), later) is None  # its own claim when it is due
    assert log.claim("m-1")["state"] == "sending"
    log.release("m-1", "provider 500")
    log.defer("m-1", "pacing", later, later)  # a released message may be deferred again
    assert log.claim("m-1")["state"] == "deferred"


def test_a_deferral_never_overwrites_a_claim_or_a_final_state(message_log):
    log = message_log.log
    log.begin(msg("m-1"), NOW)
    log.defer("m-1", "quiet_hours", LATER, NOW)  # a copy of the message deferred while another sends it
    assert log.claim("m-1")["state"] == "sending"
    log.complete("m-1", receipt(), NOW)
    log.defer("m-1", "quiet_hours", LATER, NOW)
    assert log.claim("m-1")["state"] == "sent"
    log.fail("m-2", None, "opted out", NOW)
    log.defer("m-2", "quiet_hours", LATER, NOW)
    assert (log.claim("m-2")["state"], log.claim("m-2")["reason"]) == ("failed", "opted out")


def test_a_deferred_message_dead_lettered_says_so_and_is_replayed(message_log):
    log = message_log.log
    log.defer("m-1", "pacing", LATER, NOW)
    assert log.dead_letter("m-1", "DynamoDB ThrottlingException", LATER) is True
    got = log.claim("m-1")
    assert (got["state"], got["dead_lettered_from"]) == ("dead_lettered", "deferred")
    assert log.replay("m-1", LATER) == "queued" and log.begin(msg(), LATER) is None


# Dead letters and their replay -----------------------------------------------------------------------------


def test_a_dead_letter_keeps_the_reason_its_attempt_recorded_and_a_replay_queues_it(message_log):
    log = message_log.log
    log.begin(msg(), NOW)
    log.release("m-1", "provider 20503: retry")
    assert log.dead_letter("m-1", None, LATER) is True
    got = log.claim("m-1")
    assert (got["state"], got["reason"], got["dead_lettered_at"]) == (
        "dead_lettered", "provider 20503: retry", LATER.isoformat(),
    )  # fmt: skip
    assert log.replay("m-1", LATER) == "queued"
    got = log.claim("m-1")
    assert (got["state"], got["replayed_at"]) == ("queued", LATER.isoformat())
    assert log.replay("m-1", LATER) is None  # replayed once: nothing to replay
    assert log.begin(msg(), LATER) is None  # claimed again, once
    assert log.begin(msg(), LATER) == "sending"
    assert log.claim("m-1")["state"] == "sending"


def test_a_dead_letter_records_the_reason_given_even_before_any_claim(message_log):
    log = message_log.log
    assert log.dead_letter("m-1", "DynamoDB ThrottlingException", NOW) is True  # failed before its claim
    got = log.claim("m-1")
    assert (got["state"], got["reason"]) == ("dead_lettered", "DynamoDB ThrottlingException")
    log.begin(msg("m-2"), NOW)
    log.release("m-2", "provider 20500: retry")
    assert log.dead_letter("m-2", "another attempt took this message over", NOW) is True
    assert log.claim("m-2")["reason"] == "another attempt took this message over"
    assert log.replay("m-1", LATER) == "queued"
    assert log.begin(msg("m-1"), LATER) is None


def test_a_dead_letter_never_hides_a_final_state_or_an_earlier_dead_letter(message_log):
    log = message_log.log
    log.begin(msg("m-1"), NOW)
    log.complete("m-1", receipt(), NOW)
    log.fail("m-2", 21211, "invalid number", NOW)
    assert log.dead_letter("m-1", "late", LATER) is False
    assert log.dead_letter("m-2", "late", LATER) is False
    assert [log.claim(m)["state"] for m in ("m-1", "m-2")] == ["sent", "failed"]
    assert log.claim("m-2")["reason"] == "invalid number"
    assert log.replay("m-1", LATER) is None and log.replay("m-3", LATER) is None
    assert log.claim("m-3") is None
    log.begin(msg("m-4"), NOW)
    log.mark_in_doubt("m-4", "twilio in doubt: ReadTimeout")
    assert log.dead_letter("m-4", None, NOW) is True
    assert log.dead_letter("m-4", "a second copy", LATER) is False  # the first one's origin is kept
    assert log.claim("m-4")["reason"] == "twilio in doubt: ReadTimeout"
    assert log.replay("m-4", LATER) == "sending"


def test_a_dead_letter_received_again_is_claimed_unless_its_claim_is_in_doubt(message_log):
    """SQS may deliver a copy of a message the redrive did not catch, or an operator may move it back by
    hand: a dead letter with no claim in doubt is claimed like a released one; one in doubt is restored
    to its claim ('sending', still in doubt) so that the sender asks the provider before sending again."""
    log = message_log.log
    log.begin(msg("m-1"), NOW)
    log.release("m-1", "provider 20500: retry")
    log.dead_letter("m-1", None, NOW)
    assert log.begin(msg("m-1"), LATER) is None
    assert log.claim("m-1")["state"] == "sending"
    log.begin(msg("m-2"), NOW)
    log.mark_in_doubt("m-2", "twilio in doubt: ReadTimeout")
    log.dead_letter("m-2", None, NOW)
    got = log.claim("m-2")
    assert (got["state"], got["in_doubt"], got["claimed_at"]) == ("dead_lettered", True, NOW.isoformat())
    assert log.begin(msg("m-2"), LATER) == "sending"
    got = log.claim("m-2")
    assert (got["state"], got["in_doubt"], got["claimed_at"]) == ("sending", True, NOW.isoformat())
    assert log.take_over("m-2", NOW.isoformat(), LATER) is True  # settled as any claim in doubt


# Conditions checked with the claim -------------------------------------------------------------------------


def test_require_subscribed_claims_only_for_the_state_version_read(message_log):
    log, store = message_log.log, message_log.consent
    must = SendConditions(state_version=1, require_subscribed=True)
    assert log.begin(msg(), NOW, must) == "consent_changed"  # no consent at all
    assert log.claim("m-1") is None
    consent(store, "opt_in", "SM1")
    assert (
        log.begin(msg(), NOW, SendConditions(state_version=0, require_subscribed=True)) == "consent_changed"
    )
    assert log.claim("m-1") is None
    assert log.begin(msg(), NOW, must) is None
    assert log.claim("m-1")["state"] == "sending"


def test_a_stop_since_the_read_wins_over_the_send(message_log):
    log, store = message_log.log, message_log.consent
    consent(store, "opt_in", "SM1")
    read = log.snapshot(SHOP, PHONE)  # the sender decides on this
    consent(store, "opt_out", "SM2")  # one second before the send
    conditions = SendConditions(state_version=read.state.version, require_subscribed=True)
    assert log.begin(msg(), NOW, conditions) == "consent_changed"
    assert log.claim("m-1") is None


def test_forbid_unsubscribed_allows_unknown_and_subscribed_but_not_unsubscribed(message_log):
    log, store = message_log.log, message_log.consent
    forbid = SendConditions(forbid_unsubscribed=True)
    assert log.begin(msg("m-1"), NOW, forbid) is None  # a transactional text to a phone we know nothing of
    consent(store, "opt_in", "SM1")
    assert log.begin(msg("m-2"), NOW, forbid) is None
    consent(store, "opt_out", "SM2")
    assert log.begin(msg("m-3"), NOW, forbid) == "consent_changed"
    assert log.claim("m-3") is None
    assert [log.claim(m)["state"] for m in ("m-1", "m-2")] == ["sending", "sending"]


def test_the_frequency_slot_is_reserved_with_the_claim_and_a_stale_read_conflicts(message_log):
    log = message_log.log
    first = [SendRecord(NOW, "welcome")]
    assert log.begin(msg("m-1"), NOW, SendConditions(frequency=(0, first))) is None
    snap = log.snapshot(SHOP, PHONE)
    assert (snap.history, snap.history_version) == (first, 1)
    # another sender read the history before m-1's reservation
    assert log.begin(msg("m-2"), NOW, SendConditions(frequency=(0, [SendRecord(NOW, "winback")]))) == (
        "frequency_conflict"
    )
    assert log.claim("m-2") is None
    assert (log.snapshot(SHOP, PHONE).history, log.snapshot(SHOP, PHONE).history_version) == (first, 1)
    both = [*first, SendRecord(LATER, "winback")]
    assert log.begin(msg("m-2"), LATER, SendConditions(frequency=(1, both))) is None
    snap = log.snapshot(SHOP, PHONE)
    assert len(snap.history) == 2
    assert (snap.history, snap.history_version) == (both, 2)


def test_a_frequency_reservation_expecting_a_version_never_stored_conflicts(message_log, request):
    log = message_log.log
    assert log.begin(msg(), NOW, SendConditions(frequency=(3, [SendRecord(NOW, "welcome")]))) == (
        "frequency_conflict"
    )
    assert log.snapshot(SHOP, PHONE).history_version == 0


def test_a_refused_claim_reserves_nothing(message_log):
    """One atomic write: when any part is refused, no part is written."""
    log, buckets = message_log.log, message_log.buckets
    assert log.begin(msg("m-1"), NOW) is None
    history = [SendRecord(NOW, "welcome")]
    fold = Fold("MG1", 1000.0, 1000.1, ("brand", DAY, 5, 10))
    everything = SendConditions(forbid_unsubscribed=True, frequency=(0, history), pace=fold)
    assert log.begin(msg("m-1"), NOW, everything) == "sending"  # already claimed
    consent(message_log.consent, "opt_out", "SM1")
    assert log.begin(msg("m-2"), NOW, everything) == "consent_changed"
    assert log.claim("m-2") is None
    assert log.snapshot(SHOP, PHONE).history_version == 0  # no frequency slot taken
    assert buckets.count_daily("brand", DAY, 10, 10) is True  # no daily segments counted
    assert buckets.reserve("MG1", 0.1, 1000.0, 10.0) == pytest.approx(1000.0)  # the bucket was not booked


def test_the_claimed_state_wins_over_every_other_reason(message_log):
    log = message_log.log
    log.begin(msg(), NOW)
    log.complete("m-1", receipt(), NOW)
    stale = SendConditions(state_version=7, require_subscribed=True, frequency=(5, []))
    assert log.begin(msg(), NOW, stale) == "sent"


def test_a_folded_pacing_reservation_books_an_idle_bucket_and_counts_the_day(message_log):
    log, buckets = message_log.log, message_log.buckets
    fold = Fold("MG1", 1000.0, 1000.02, ("brand", DAY, 1, 10))
    assert log.begin(msg("m-1"), NOW, SendConditions(pace=fold)) is None
    # the bucket is booked until the end of the folded slot: a second lone text finds it busy
    busy = Fold("MG1", 1000.01, 1000.03, ("brand", DAY, 1, 10))
    assert log.begin(msg("m-2"), NOW, SendConditions(pace=busy)) == "pacing_busy"
    assert log.claim("m-2") is None
    assert buckets.reserve("MG1", 0.02, 1000.0, 10.0) == pytest.approx(1000.02, abs=1e-5)
    # one segment of the brand's day is counted (9 more fit under a cap of 10, 10 do not)
    assert buckets.count_daily("brand", DAY, 10, 10) is False
    assert buckets.count_daily("brand", DAY, 9, 10) is True


def test_a_fold_past_the_daily_cap_is_refused_and_books_nothing(message_log):
    log, buckets = message_log.log, message_log.buckets
    assert buckets.count_daily("brand", DAY, 10, 10) is True  # the day is used up
    fold = Fold("MG1", 1000.0, 1000.02, ("brand", DAY, 1, 10))
    assert log.begin(msg("m-1"), NOW, SendConditions(pace=fold)) == "daily_cap"
    assert log.claim("m-1") is None
    # without the cap (a transactional text goes anyway) the same slot is still free
    assert log.begin(msg("m-1"), NOW, SendConditions(pace=Fold("MG1", 1000.0, 1000.02, None))) is None
    assert log.claim("m-1")["state"] == "sending"


# What the sender reads ---------------------------------------------------------------------------------


def test_the_snapshot_of_an_unknown_recipient_is_empty(message_log):
    snap = message_log.log.snapshot(SHOP, PHONE)
    assert (snap.state, snap.suppressed, snap.history, snap.history_version, snap.unreachable) == (
        None, False, [], 0, False,
    )  # fmt: skip


def test_the_snapshot_reads_consent_suppression_and_unreachability(message_log):
    log, store = message_log.log, message_log.consent
    subscribed = consent(store, "opt_in", "SM1")
    snap = log.snapshot(SHOP, PHONE)
    assert (snap.state, snap.suppressed) == (subscribed, False)
    unsubscribed = consent(store, "opt_out", "SM2")
    snap = log.snapshot(SHOP, PHONE)
    assert (snap.state, snap.suppressed, snap.unreachable) == (unsubscribed, True, False)
    log.mark_unreachable(SHOP, PHONE, "twilio 30006", NOW)
    assert log.snapshot(SHOP, PHONE).unreachable is True
    other = log.snapshot(OTHER_SHOP, PHONE)
    assert (other.state, other.suppressed, other.unreachable) == (None, False, False)


def test_snapshots_read_many_recipients_and_claimed_ids_at_once(message_log):
    log, store = message_log.log, message_log.consent
    subscribed = consent(store, "opt_in", "SM1")
    log.mark_unreachable(SHOP, OTHER_PHONE, "twilio 21614", NOW)
    log.begin(msg("m-1"), NOW)
    log.begin(msg("m-2"), NOW)
    log.complete("m-2", receipt(), NOW)
    recipients = [(SHOP, PHONE), (SHOP, OTHER_PHONE), (SHOP, PHONE), (OTHER_SHOP, PHONE)]
    snaps, states = log.snapshots(recipients, ["m-1", "m-2", "m-3", "m-1"])
    assert len(snaps) == 3
    assert snaps[(SHOP, PHONE)] == log.snapshot(SHOP, PHONE)
    assert (snaps[(SHOP, PHONE)].state, snaps[(SHOP, OTHER_PHONE)].unreachable) == (subscribed, True)
    assert snaps[(OTHER_SHOP, PHONE)].state is None
    assert len(states) == 2
    assert states == {"m-1": "sending", "m-2": "sent"}
    many = [(SHOP, f"+1512555{i:04d}") for i in range(40)]  # more than one batch read
    snaps, states = log.snapshots(many, [f"x-{i}" for i in range(40)])
    assert len(snaps) == 40 and states == {}
    assert all(s.state is None and s.history_version == 0 for s in snaps.values())


# Delivery statuses -------------------------------------------------------------------------------------


def status(state: str, sid="SM1", mid="m-1", **kw) -> StatusUpdate:
    return StatusUpdate(message_id=mid, sid=sid, status=state, **kw)


def test_a_status_for_an_unknown_message_is_ignored(message_log):
    assert message_log.log.apply_status(status("delivered"), NOW) is None
    assert message_log.log.claim("m-1") is None


def test_statuses_only_move_forward_whatever_their_arrival_order(message_log):
    log = message_log.log
    log.begin(msg(), NOW)
    log.complete("m-1", receipt(segments=1), NOW)
    assert _who(log.apply_status(status("sent"), NOW)) == (SHOP, PHONE)
    assert log.apply_status(status("sent"), NOW) is None  # a duplicate callback
    assert _who(log.apply_status(status("delivered", segments=2, price="-0.0158"), LATER)) == (SHOP, PHONE)
    assert log.apply_status(status("sent"), LATER) is None  # late and out of order
    assert log.apply_status(status("undelivered", error_code=30003), LATER) is None  # same rank: first wins
    got = log.claim("m-1")
    assert (got["delivery_status"], got["delivery_rank"], got["segments"], got["price"]) == (
        "delivered", 6, 2, "-0.0158",
    )  # fmt: skip
    assert (got["status_at"], got["state"]) == (LATER.isoformat(), "sent")
    assert got.get("delivery_error") is None


def test_a_status_of_another_provider_message_is_ignored(message_log):
    log = message_log.log
    log.begin(msg(), NOW)
    log.complete("m-1", receipt(sid="SM1"), NOW)
    assert log.apply_status(status("delivered", sid="SM2"), NOW) is None
    assert log.claim("m-1").get("delivery_status") is None


def test_a_status_arriving_before_the_receipt_is_recorded(message_log):
    log = message_log.log
    log.begin(msg(), NOW)
    assert _who(log.apply_status(status("failed", error_code=30006), NOW)) == (SHOP, PHONE)
    got = log.claim("m-1")
    assert (got["delivery_status"], got["delivery_error"], got["state"]) == ("failed", 30006, "sending")


def test_the_delivery_record_survives_the_receipt(message_log):
    log = message_log.log
    log.begin(msg(), NOW)
    log.apply_status(status("delivered"), NOW)
    log.complete("m-1", receipt(), LATER)
    got = log.claim("m-1")
    assert (got["state"], got["delivery_status"], got["sid"]) == ("sent", "delivered", "SM1")


def test_mark_unreachable_is_per_shop_and_phone(message_log):
    log = message_log.log
    log.mark_unreachable(SHOP, PHONE, "twilio 30006", NOW)
    log.mark_unreachable(SHOP, PHONE, "twilio 30006", LATER)  # again: still just unreachable
    assert log.snapshot(SHOP, PHONE).unreachable is True
    assert log.snapshot(SHOP, OTHER_PHONE).unreachable is False
    assert log.snapshot(OTHER_SHOP, PHONE).unreachable is False


def _who(applied):
    """(shop, phone) of a status that applied (None if it did not)."""
    return None if applied is None else (applied.shop, applied.phone)
