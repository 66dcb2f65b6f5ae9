"""Every answer of the claim and the provider in `finish`, with what each records, counts and calls: consent
changed between the checks and the claim, a frequency slot taken first, a duplicate, another container on
the sender, the brand's daily cap reached in between, the status callback's URL, each provider error
(in doubt, retryable, permanent, opted out, unreachable), and the sent record's segments, cost, counts and
touch. Written from the send path's surviving mutants (README, mutation testing)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from smsflows.domain.analytics.attribution import Touchpoint
from smsflows.domain.registration import Throughput
from smsflows.domain.sending.pacing import Decision, Pacer, next_pacific_midnight
from smsflows.domain.sending.send import Prepared, SendOutcome, finish, prepare, send_one, wait_until
from smsflows.domain.sending.tally import Tally
from smsflows.runtime.errors import ProviderError, TransientError
from tests.fakes import FakeMessageLog, FakeTokenBuckets, onboarded_shop, shop_sender
from tests.unit.sending.send_world import (
    DAY,
    PHONE,
    SHOP,
    Provider,
    Store,
    at,
    record,
    subscribed,
    text,
    world,
)

MID = "flow:welcome:ex-1:0"
API = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"


def checked(d: Any, message: Any = None, want: int | None = None) -> Prepared:
    ready = prepare(message or text(), d, want=want)
    assert isinstance(ready, Prepared)
    return ready


def flushed(tally: Tally) -> list[tuple[str, Any, str, dict[str, Any]]]:
    """What the batch's tally writes at its end."""
    out = Store()
    tally.flush(out, None, lambda what, exc: None)
    return out.counts


# -- the claim's answers -------------------------------------------------------------------------------


def test_consent_changed_between_the_checks_and_the_claim_suppresses_the_text_unsent():
    d = world()
    ready = checked(d)
    subscribed(d.log, version=2)  # a STOP and a YES in between: subscribed again, but not the consent checked
    assert finish(ready, d) == SendOutcome("suppressed", detail="consent changed")
    assert record(d) == {
        "state": "failed",
        "reason": "consent changed just before sending",
        "failed_at": at(DAY),
    }
    assert d.provider.sent == []  # type: ignore[attr-defined]


def test_a_frequency_slot_taken_first_by_another_send_is_retried_not_sent():
    d = world()
    ready = checked(d)
    d.log.history[(SHOP, PHONE)] = (1, [])  # type: ignore[attr-defined]
    with pytest.raises(TransientError) as raised:
        finish(ready, d)
    assert str(raised.value) == "another send reserved the frequency slot first; retry"
    assert d.provider.sent == [] and d.log.items == {}  # type: ignore[attr-defined]


def test_a_text_claimed_and_sent_already_is_a_duplicate_that_says_so():
    d = world()
    ready = checked(d)
    assert finish(ready, d).outcome == "sent"
    assert finish(ready, d) == SendOutcome("duplicate", detail="already sent")
    assert len(d.provider.sent) == 1  # type: ignore[attr-defined]


FIFTY = Throughput(sender_type="10dlc", trust_tier="low", segments_per_second=50, headroom=1.0)
WALL = 1_000.0


class Wall:
    """Real seconds that pass only when the sender sleeps."""

    def __init__(self) -> None:
        self.now = WALL
        self.slept_to: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept_to.append(self.now)


def paced(category: str = "marketing") -> tuple[Any, FakeTokenBuckets, Wall]:
    buckets, wall = FakeTokenBuckets(), Wall()
    d = world(shop=onboarded_shop(SHOP, throughput=FIFTY), log=FakeMessageLog(buckets=buckets),
              pacer=Pacer(buckets, wall=wall), wall=wall, sleep=wall.sleep)  # fmt: skip
    return d, buckets, wall


def test_a_lone_texts_slot_taken_by_another_container_is_booked_again_the_usual_way():
    d, buckets, wall = paced()
    ready = checked(d, want=1)  # a lone text: its slot is booked by its claim
    assert ready.fold is not None
    bucket = ready.fold.bucket
    assert bucket == shop_sender(SHOP) and buckets.looks_idle(bucket)
    buckets.tat[bucket] = WALL + 0.2  # another container booked the sender in between
    tally = Tally()
    assert finish(ready, d, tally).outcome == "sent"
    assert not buckets.looks_idle(bucket)  # this container now books it as busy: no more folded slots
    assert wall.slept_to and wall.slept_to[-1] >= WALL + 0.2  # it waited behind the other container's texts
    assert len(d.provider.sent) == 1  # type: ignore[attr-defined]
    assert d.measurement.counts == [] and flushed(tally)[0][3]["sent"] == 1  # type: ignore[union-attr]


@pytest.mark.parametrize("category", ["marketing", "transactional"])
def test_the_brands_daily_cap_reached_in_between_waits_for_pacific_midnight_unless_it_is_an_order_text(
    category,
):
    d, buckets, _ = paced(category)
    message = text(category)
    ready = checked(d, message, want=1)
    assert ready.fold is not None and ready.fold.daily is not None
    brand, day, _, cap = ready.fold.daily
    buckets.daily[(brand, day)] = cap  # the other containers' texts used the day up
    outcome = finish(ready, d)
    if category == "marketing":
        until = next_pacific_midnight(DAY)
        assert outcome == SendOutcome("deferred", detail="daily_cap", until=until)
        assert record(d)["reason"] == "daily_cap" and record(d)["deferred_until"] == at(until)
        [queued] = d.requeue.sent  # type: ignore[union-attr]
        assert queued["message_id"] == MID and queued["body"] == message.body
        assert d.provider.sent == []  # type: ignore[attr-defined]
    else:
        assert outcome.outcome == "sent"
        assert buckets.daily[(brand, day)] == cap  # not counted past the cap, and sent all the same
        assert buckets.tat[ready.fold.bucket] == round(ready.fold.end, 6)  # its slot booked by the claim


def test_a_paced_text_sent_on_time_has_no_lateness_on_its_record():
    d, _, _ = paced()
    assert send_one(text(), d).outcome == "sent"
    assert "sent_late_ms" not in record(d)


class Recording(Pacer):
    """A pacer whose answer is given: every acquire's arguments are kept."""

    def __init__(self, answer: Decision) -> None:
        super().__init__(FakeTokenBuckets())
        self.answer = answer
        self.asked: list[dict[str, Any]] = []

    def acquire(self, **kw: Any) -> Decision:  # type: ignore[override]
        self.asked.append(kw)
        return self.answer


def test_a_text_holding_a_place_in_the_backlog_line_books_as_its_holder():
    pacer = Recording(Decision(defer_s=3.0, reason="throughput", ticket=True))
    d = world(pacer=pacer, delay_scale=60.0)
    outcome = send_one(text(ticketed=True), d)
    assert pacer.asked[0]["has_ticket"] is True and pacer.asked[0]["category"] == "marketing"
    assert outcome == SendOutcome("deferred", detail="throughput", until=DAY + timedelta(seconds=180))
    [queued] = d.requeue.sent  # type: ignore[union-attr]
    assert (queued["ticketed"], queued["deferred"]) == (True, 1)
    assert d.requeue.delays == [3]  # type: ignore[union-attr]


def test_a_text_given_a_place_in_the_backlog_line_goes_back_with_its_ticket():
    pacer = Recording(Decision(defer_s=2.0, reason="throughput", ticket=True))
    d = world(pacer=pacer)
    assert send_one(text(), d) == SendOutcome(
        "deferred", detail="throughput", until=DAY + timedelta(seconds=2)
    )
    assert pacer.asked[0]["has_ticket"] is False
    [queued] = d.requeue.sent  # type: ignore[union-attr]
    assert queued["ticketed"] is True and record(d)["reason"] == "throughput"


def test_a_text_past_the_daily_cap_is_put_back_for_the_instant_the_pacer_names():
    until = next_pacific_midnight(DAY)
    d = world(pacer=Recording(Decision(defer_until=until, reason="daily_cap")))
    assert send_one(text(), d) == SendOutcome("deferred", detail="daily_cap", until=until)
    assert record(d)["deferred_until"] == at(until)


def test_waiting_for_an_instant_already_here_is_no_wait():
    wall = Wall()
    d = world(wall=wall, sleep=wall.sleep)
    assert wait_until(WALL, d) is False and wall.slept_to == []
    assert wait_until(WALL + 0.5, d) is True and wall.slept_to == [WALL + 0.5]


# -- the status callback -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "mid", "url"),
    [
        (f"{API}/", "campaign:spring/sale:1", f"{API}/sms/status?mid=campaign%3Aspring%2Fsale%3A1"),
        ("https://sms.demo-shop.example/BOX", MID, "https://sms.demo-shop.example/BOX/sms/status?mid=flow%3Awelcome%3Aex-1%3A0"),
        (None, MID, None),
    ],
)  # fmt: skip
def test_the_status_callback_names_the_message_escaped_on_the_apis_url(base, mid, url):
    d = world(status_callback_url=base)
    assert send_one(text(message_id=mid), d).outcome == "sent"
    assert d.provider.callbacks == [url]  # type: ignore[attr-defined]


# -- the provider's errors -----------------------------------------------------------------------------

LONG = "x" * 400


def test_an_answer_lost_in_transit_keeps_the_claim_in_doubt_and_retries():
    error = ProviderError(f"read timed out {LONG}", code=None, status=None, retryable=True, in_doubt=True)
    d = world(provider=Provider([error]))
    with pytest.raises(TransientError) as raised:
        send_one(text(), d)
    assert str(raised.value) == str(error)
    assert record(d)["state"] == "sending" and record(d)["in_doubt"] is True
    assert record(d)["reason"] == str(error)[:300]


@pytest.mark.parametrize(
    ("code", "status", "why"), [(None, 503, "provider 503: retry"), (20429, 429, "provider 20429: retry")]
)
def test_a_retryable_refusal_releases_the_claim_and_says_which(code, status, why):
    error = ProviderError("twilio busy", code=code, status=status, retryable=True)
    d = world(provider=Provider([error]))
    with pytest.raises(TransientError) as raised:
        send_one(text(), d)
    assert str(raised.value) == "twilio busy"
    assert (record(d)["state"], record(d)["reason"]) == ("retry", why)


@pytest.mark.parametrize("with_tally", [True, False])
def test_a_permanent_refusal_fails_the_text_and_counts_it_once_by_its_code(with_tally):
    error = ProviderError(f"twilio 30008: unknown error {LONG}", code=30008, status=400, retryable=False)
    d = world(provider=Provider([error]))
    tally = Tally() if with_tally else None
    assert finish(checked(d), d, tally) == SendOutcome("failed", detail="provider refused: 30008")
    failed = {k: record(d)[k] for k in ("state", "reason", "error_code", "failed_at")}
    assert failed == {
        "state": "failed",
        "reason": str(error)[:300],
        "error_code": 30008,
        "failed_at": at(DAY),
    }
    counted = {"failed": 1, "err#30008": 1}
    store: Store = d.measurement  # type: ignore[assignment]
    if tally is not None:
        assert store.counts == [] and flushed(tally) == [(SHOP, DAY, "flow#welcome#0", counted)]
    else:
        assert store.counts == [(SHOP, DAY, "flow#welcome#0", counted)]
    assert store.sent == []  # a text that never went out is no touch


def test_a_refusal_without_a_code_counts_under_code_0():
    error = ProviderError("no sender configured", code=None, status=None, retryable=False)
    d = world(provider=Provider([error]))
    assert send_one(text(), d).outcome == "failed"
    assert d.measurement.counts[0][3] == {"failed": 1, "err#0": 1}  # type: ignore[union-attr]


def test_twilio_saying_the_recipient_opted_out_records_the_opt_out():
    calls: list[tuple[str, str, str]] = []
    error = ProviderError("twilio 21610: unsubscribed", code=21610, status=400, retryable=False)
    d = world(provider=Provider([error]), on_provider_opt_out=lambda *a: calls.append(a))
    assert send_one(text(), d) == SendOutcome("suppressed", detail="provider says opted out (21610)")
    assert calls == [(SHOP, PHONE, MID)]


def test_without_an_opt_out_handler_twilios_opt_out_is_a_plain_refusal():
    error = ProviderError("twilio 21610: unsubscribed", code=21610, status=400, retryable=False)
    d = world(provider=Provider([error]))
    assert send_one(text(), d) == SendOutcome("failed", detail="provider refused: 21610")


def test_a_refusal_that_is_not_an_opt_out_never_calls_the_opt_out_handler():
    calls: list[Any] = []
    error = ProviderError("twilio 30007: filtered", code=30007, status=400, retryable=False)
    d = world(provider=Provider([error]), on_provider_opt_out=lambda *a: calls.append(a))
    assert send_one(text(), d).outcome == "failed" and calls == []


def test_a_landline_is_suppressed_with_the_carriers_code():
    error = ProviderError("twilio 30006: landline", code=30006, status=400, retryable=False)
    d = world(provider=Provider([error]))
    assert send_one(text(), d) == SendOutcome("suppressed", detail="number unreachable (30006): suppressed")
    assert d.log.unreachable[(SHOP, PHONE)] == {"reason": "twilio 30006", "since": at(DAY)}  # type: ignore[attr-defined]


# -- the sent record -----------------------------------------------------------------------------------

TWO_SEGMENTS = "Demo Shop: " + "a" * 200 + " Reply STOP to opt out"


@pytest.mark.parametrize("known", [True, False])
def test_a_sent_text_records_its_segments_and_their_estimated_cost(known):
    d = world(provider=Provider(segments_known=known))
    tally = Tally()
    outcome = finish(checked(d, text(body=TWO_SEGMENTS)), d, tally)
    assert outcome.outcome == "sent" and outcome.segments == 2 and outcome.sid
    assert record(d)["cost_est"] == "0.016600" and record(d)["sid"] == outcome.sid
    assert flushed(tally) == [(SHOP, DAY, "flow#welcome#0", {"sent": 1, "segments": 2, "cost_est": 0.0166})]
    store: Store = d.measurement  # type: ignore[assignment]
    assert store.counts == [] and store.sent == [(SHOP, PHONE, Touchpoint(DAY, "flow#welcome#0", MID), None)]


@pytest.mark.parametrize(
    ("category", "code", "touch"),
    [("marketing", None, True), ("marketing", "WELCOME10", True), ("transactional", "THANKS5", True),
     ("transactional", None, False)],
)  # fmt: skip
def test_the_touch_record_gets_marketing_texts_and_texts_with_a_code(category, code, touch):
    d = world()
    message = text(category, discount_code=code)
    assert send_one(message, d).outcome == "sent"
    scope = d.measurement.counts[0][2]  # type: ignore[union-attr]
    assert d.measurement.counts == [(SHOP, DAY, scope, {"sent": 1, "segments": 1, "cost_est": 0.0083})]  # type: ignore[union-attr]
    expected = [(SHOP, PHONE, Touchpoint(DAY, scope, MID), code)] if touch else []
    assert d.measurement.sent == expected  # type: ignore[union-attr]


def test_a_counter_that_fails_is_reported_and_the_text_stays_sent():
    errors: list[Exception] = []
    boom = RuntimeError("counter table throttled")
    d = world(measurement=Store(fail=boom), on_measure_error=errors.append)
    assert send_one(text(), d).outcome == "sent"
    assert errors == [boom] and record(d)["state"] == "sent"


def test_a_text_without_links_stores_none():
    d = world(link_api_base=API)
    assert send_one(text(), d).outcome == "sent"
    assert d.measurement.put_calls == 0  # type: ignore[union-attr]


# -- slots booked late, and again ----------------------------------------------------------------------


def test_a_text_checked_without_booking_and_finished_alone_books_its_slot_in_its_claim():
    d, buckets, _ = paced("transactional")
    ready = prepare(text("transactional"), d, book=False)
    assert isinstance(ready, Prepared) and ready.paced is False
    assert finish(ready, d).outcome == "sent"
    assert buckets.writes == 0 and buckets.tat == {shop_sender(SHOP): WALL + 1 / 50}  # one slot, no block


def test_a_text_whose_slot_passed_before_its_claim_books_a_new_one_first():
    d, buckets, wall = paced("transactional")
    ready = checked(d, text("transactional"), want=1)
    assert ready.send_at == WALL and ready.fold is not None
    wall.now += 1.0  # a slow call before this one in the batch
    at_send: list[float] = []
    send = d.provider.send
    d.provider.send = lambda **kw: at_send.append(wall()) or send(**kw)  # type: ignore[method-assign]
    assert finish(ready, d).outcome == "sent"
    assert at_send == [WALL + 1.0]  # at once, on a new slot, not on the one that passed
    assert buckets.writes == 0 and buckets.tat == {shop_sender(SHOP): WALL + 1.0 + 1 / 50}  # still one slot


def test_a_slot_too_near_for_a_claim_of_the_usual_length_is_booked_again_before_the_claim():
    d, _, wall = paced("transactional")
    for _ in range(10):
        d.pacer.note_claim(0.1)  # type: ignore[union-attr]
    assert d.pacer.lead() == pytest.approx(0.1)  # type: ignore[union-attr]
    ready = checked(d, text("transactional"), want=1)
    wall.now = ready.send_at - 0.05  # type: ignore[operator]  # the claim, starting now, would end 50 ms late
    asked: list[Any] = []
    acquire = d.pacer.acquire  # type: ignore[union-attr]
    d.pacer.acquire = lambda **kw: asked.append(kw) or acquire(**kw)  # type: ignore[method-assign,union-attr]
    assert finish(ready, d).outcome == "sent"
    assert len(asked) == 1 and asked[0]["want"] == 1  # one new slot, for this one text


def test_a_lone_texts_slot_taken_by_another_container_books_one_slot_not_a_block():
    d, buckets, _ = paced("transactional")
    ready = checked(d, text("transactional"), want=1)
    assert ready.fold is not None
    buckets.tat[ready.fold.bucket] = WALL + 0.2
    assert finish(ready, d).outcome == "sent"
    assert buckets.tat[ready.fold.bucket] == round(WALL + 0.2 + 1 / 50, 6)


def test_a_lone_marketing_text_whose_sender_is_booked_far_ahead_goes_back_to_the_queue():
    d, buckets, _ = paced()
    ready = checked(d, want=1)
    assert ready.fold is not None
    buckets.tat[ready.fold.bucket] = WALL + 600.0  # ten minutes of other texts ahead of it
    outcome = finish(ready, d)
    assert outcome.outcome == "deferred" and d.provider.sent == []  # type: ignore[attr-defined]
    assert record(d)["state"] == "deferred"


def test_an_order_text_past_the_brands_daily_cap_counts_into_the_batchs_tally():
    d, buckets, _ = paced("transactional")
    ready = checked(d, text("transactional"), want=1)
    assert ready.fold is not None and ready.fold.daily is not None
    brand, day, _, cap = ready.fold.daily
    buckets.daily[(brand, day)] = cap
    tally = Tally()
    assert finish(ready, d, tally).outcome == "sent"
    assert d.measurement.counts == [] and flushed(tally)[0][3]["sent"] == 1  # type: ignore[union-attr]


def test_the_segments_twilio_counted_are_the_ones_recorded_and_costed():
    class Counts3(Provider):
        def send(self, **kw: Any) -> Any:
            receipt = super().send(**kw)
            return type(receipt)(sid=receipt.sid, status=receipt.status, segments=3)

    d = world(provider=Counts3())
    outcome = send_one(text(body=TWO_SEGMENTS), d)
    assert outcome.segments == 3 and record(d)["segments"] == 3 and record(d)["cost_est"] == "0.024900"
