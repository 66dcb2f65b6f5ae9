"""Putting a text back for later (issue 10: the mutants that survived in sending/send.py `_defer`): the
body that goes back, SQS's delay in the local cloud's time, the 15-minute boundary between a delay and a
schedule, a schedule named per instant, and a text whose moment passed."""

from datetime import UTC, datetime, timedelta

import pytest

from smsflows.domain.messages import OutboundMessage
from smsflows.domain.sending.send import MAX_SQS_DELAY_S, SendDeps, _defer
from smsflows.ports import ProviderReceipt, Sender
from smsflows.runtime.clock import fixed_clock
from smsflows.runtime.errors import TransientError
from tests.fakes import FakeMessageLog, FakeProvider, FakeQueue

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


class Schedules:
    def __init__(self) -> None:
        self.made: list[tuple[dict, datetime, str]] = []

    def schedule(self, body, at, name):
        self.made.append((body, at, name))


def message(**kw) -> OutboundMessage:
    return OutboundMessage(**{"message_id": "m-1", "shop": "demo-shop.myshopify.com", "to": "+15125550123",
                              "body": "Demo Shop: hi", "category": "marketing", "created_at": NOW, **kw})  # fmt: skip


def deps(scale=1.0, schedules=True) -> SendDeps:
    return SendDeps(log=FakeMessageLog(), provider=FakeProvider(), sender=Sender(messaging_service_sid="MG1"),
                    clock=fixed_clock(NOW), requeue=FakeQueue(), delay_scale=scale,
                    deferrals=Schedules() if schedules else None)  # fmt: skip


def test_the_body_goes_back_counted_and_keeps_or_takes_its_place_in_line():
    d = deps()
    out = _defer(message(), NOW + timedelta(minutes=5), "quiet hours", NOW, d)
    assert (out.outcome, out.detail, out.until) == ("deferred", "quiet hours", NOW + timedelta(minutes=5))
    [body] = d.requeue.sent
    assert body["deferred"] == 1 and body["ticketed"] is False and d.requeue.delays == [300]
    _defer(message(deferred=1), NOW, "pacing", NOW, d, ticket=True)
    assert d.requeue.sent[1]["ticketed"] is True and d.requeue.sent[1]["deferred"] == 2
    _defer(message(ticketed=True), NOW, "pacing", NOW, d, ticket=False)
    assert d.requeue.sent[2]["ticketed"] is True  # a place in line once taken is kept
    assert d.requeue.delays[1:] == [0, 0]  # due now: no delay


def test_the_delay_is_in_the_local_clouds_real_seconds():
    d = deps(scale=2.0)  # two virtual seconds per real second
    _defer(message(), NOW + timedelta(minutes=10), "quiet hours", NOW, d)
    assert d.requeue.delays == [300]


def test_up_to_15_minutes_is_a_delay_and_beyond_a_schedule_named_per_instant():
    d = deps()
    _defer(message(), NOW + timedelta(seconds=MAX_SQS_DELAY_S), "quiet hours", NOW, d)
    assert d.requeue.delays == [MAX_SQS_DELAY_S] and d.deferrals.made == []
    later, latest = NOW + timedelta(hours=9), NOW + timedelta(hours=10)
    out = _defer(message(), later, "quiet hours", NOW, d)
    assert (out.outcome, out.detail, out.until) == ("deferred", "quiet hours: scheduled", later)
    _defer(message(), latest, "quiet hours", NOW, d)
    [(body, at, name), (_, at2, name2)] = d.deferrals.made
    assert (at, at2) == (later, latest) and body["deferred"] == 1
    assert name.startswith("smsflows-defer-") and name != name2


def test_without_a_scheduler_a_long_wait_is_hops_of_15_minutes():
    d = deps(schedules=False)
    _defer(message(), NOW + timedelta(hours=9), "quiet hours", NOW, d)
    assert d.requeue.delays == [MAX_SQS_DELAY_S]


def test_a_text_whose_moment_passed_is_expired_and_one_due_at_its_last_moment_is_not():
    d = deps()
    ends = NOW + timedelta(hours=2)
    out = _defer(message(not_after=ends), ends + timedelta(seconds=1), "quiet hours", NOW, d)
    assert (out.outcome, out.detail) == ("expired", "quiet hours") and d.requeue.sent == []
    assert d.log.items["m-1"]["state"] == "failed"
    assert (
        _defer(message(message_id="m-2", not_after=ends), ends, "quiet hours", NOW, d).outcome == "deferred"
    )


def test_without_a_queue_the_deferral_is_a_transient_error_that_says_why():
    d = deps()
    d.requeue = None
    with pytest.raises(TransientError, match=r"deferral needed \(quiet hours\) but no queue to defer to"):
        _defer(message(), NOW + timedelta(minutes=5), "quiet hours", NOW, d)


# The message's record says why it waits and until when (issue 14: GET /_local/message, `smsflows` read it)


def test_a_deferred_message_has_a_record_with_its_reason_and_the_instant_it_waits_for():
    d = deps()
    until = NOW + timedelta(minutes=5)
    _defer(message(), until, "quiet_hours", NOW, d)
    record = d.log.claim("m-1")
    assert record is not None
    assert (record["state"], record["reason"], record["deferred_until"], record["deferred_at"]) == (
        "deferred",
        "quiet_hours",
        until.isoformat(),
        NOW.isoformat(),
    )
    assert record["deferrals"] == 1
    later = NOW + timedelta(hours=9)  # a schedule, beyond SQS's 15 minutes: recorded the same way
    _defer(message(deferred=1), later, "daily_cap", until, d)
    record = d.log.claim("m-1")
    assert (record["reason"], record["deferred_until"], record["deferrals"]) == (
        "daily_cap",
        later.isoformat(),
        2,
    )
    assert "to" not in record  # nothing about the recipient: the id says which message it is


def test_a_deferred_message_is_claimed_when_it_comes_back_and_then_says_sent():
    d = deps()
    _defer(message(category="transactional"), NOW + timedelta(minutes=1), "pacing", NOW, d)
    assert d.log.begin(message(category="transactional"), NOW) is None  # its own claim, not a duplicate
    d.log.complete("m-1", ProviderReceipt(sid="SM1", status="queued", segments=1), NOW)
    assert d.log.claim("m-1")["state"] == "sent"


def test_a_deferral_never_overwrites_a_record_a_copy_of_the_message_claimed_meanwhile():
    d = deps()
    assert d.log.begin(message(), NOW) is None  # another copy (an SQS duplicate) is sending it
    _defer(message(), NOW + timedelta(minutes=5), "quiet_hours", NOW, d)
    assert d.log.claim("m-1")["state"] == "sending"
    d.log.complete("m-1", ProviderReceipt(sid="SM1", status="queued", segments=1), NOW)
    _defer(message(), NOW + timedelta(minutes=5), "quiet_hours", NOW, d)
    assert d.log.claim("m-1")["state"] == "sent"


def test_an_expired_deferral_is_recorded_as_failed_not_as_waiting():
    d = deps()
    ends = NOW + timedelta(minutes=1)
    _defer(message(not_after=ends), NOW + timedelta(minutes=5), "quiet_hours", NOW, d)
    assert d.log.claim("m-1")["state"] == "failed" and "deferred_until" not in d.log.claim("m-1")
