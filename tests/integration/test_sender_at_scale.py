"""The sender at carrier scale, with the real handler under moto and the real twilio client against the
fake Twilio: pacing per sender, the transactional queue, fairness between shops, in-doubt provider calls.

Window counts are upper bounds (never more than the rate: a property, not a speed); throughput figures
belong to bench/bench_pacing.py.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from smsflows import topology
from smsflows.domain.registration import Throughput
from smsflows.local.fake_twilio import Fault
from smsflows.local.inprocess import InProcessCloud
from smsflows.local.pollers import QueuePoller
from tests.fakes import onboarded_shop
from tests.integration.conftest import SHOP, SHOPIFY_SECRET, TWILIO_TOKEN, sqs_event
from tests.waiting import wait_until

OTHER_SHOP = "other-shop.myshopify.com"


def max_in_one_second(times: list[float]) -> int:
    times = sorted(times)
    return max((sum(1 for t in times if start <= t < start + 1.0) for start in times), default=0)


def message(mid: str, to: str, category: str = "transactional", shop: str = SHOP, **extra) -> dict:
    return {"message_id": mid, "shop": shop, "to": to, "body": f"{shop.split('.')[0]}: update {mid}",
            "category": category, "flow": "campaign" if category == "marketing" else None,
            "created_at": "2026-11-23T17:00:00+00:00", **extra}  # fmt: skip


def enqueue(cloud: InProcessCloud, messages: list[dict]) -> None:
    from smsflows.runtime.deps import get_deps

    for m in messages:
        get_deps().send_queue.send(m)  # the router: marketing to the bulk queue, the rest to transactional


def set_throughput(shop: str, throughput: Throughput, senders: tuple[str, ...] = ()) -> None:
    """The shop's registration (and senders), as `smsflows shop set` changes them; a shop not onboarded yet is
    onboarded first, as `smsflows shop add` does (tests/fakes.py)."""
    from smsflows.domain.shopify.shop_settings import change
    from smsflows.runtime.deps import get_deps

    configs = get_deps().shop_configs
    given = {"senders": senders} if senders else {}
    current = configs.get(shop) or onboarded_shop(shop, throughput=throughput, **given)
    changes = {"throughput": throughput.model_dump(), **given}
    configs.put(change(current, changes))


def subscribe(shop: str, phones: list[str]) -> None:
    """Text-to-join consent (the ledger's own path), recorded a while ago."""
    from smsflows.domain.consent.ledger import ConsentEvent
    from smsflows.domain.consent.subscriptions import record
    from smsflows.runtime.deps import get_deps

    for i, phone in enumerate(phones):
        event = ConsentEvent(event_id=f"join-{shop}-{i}", shop=shop, phone=phone, kind="opt_in", source="keyword",
                             at=datetime(2026, 11, 1, tzinfo=UTC), raw_text="JOIN", message_sid=f"SMjoin{i}")  # fmt: skip
        assert record(get_deps().consent_store, event).after.subscribed


def run_pollers(
    cloud: InProcessCloud, queues: list[str], texts: int, timeout: float = 60.0, per_queue: int = 1
):
    """Poll `queues` (`per_queue` pollers each, as concurrent Lambda invocations) until the fake Twilio
    holds `texts` texts; AssertionError (with the outbox count) after `timeout`."""
    sqs = cloud.client("sqs")
    spec = topology.function("send_message")
    stop = threading.Event()

    def work(url: str) -> None:
        poller = QueuePoller(sqs, url, spec, cloud.invoke, "us-east-1")
        while not stop.is_set():
            if poller.poll_once() == 0:
                time.sleep(0.05)

    threads = [threading.Thread(target=work, args=(cloud.res.queue_urls[q],), daemon=True)
               for q in queues for _ in range(per_queue)]  # fmt: skip
    for t in threads:
        t.start()
    try:
        wait_until(lambda: len(cloud.twilio.outbox()), lambda n: n >= texts, what=f"{texts} texts at the fake Twilio",
                   timeout=timeout, interval=0.1)  # fmt: skip
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)


@pytest.fixture
def cloud():
    with InProcessCloud(SHOPIFY_SECRET, TWILIO_TOKEN) as c:
        yield c


def warm_up(cloud: InProcessCloud) -> None:
    """One text first, as a warm container would have sent: the first provider call of a process also
    creates the twilio client and its connection, which makes it arrive late (jitter, not pacing)."""
    cloud.invoke("send_message", sqs_event(json.dumps(message("warm-up", "+15125550100"))))
    assert len(cloud.twilio.outbox()) == 1
    cloud.twilio.arrivals.clear()


def test_a_burst_is_paced_to_the_senders_rate_with_nothing_lost_or_doubled(cloud):
    set_throughput(SHOP, Throughput(sender_type="toll_free", segments_per_second=10, headroom=0.9))
    warm_up(cloud)
    phones = [f"+1512555{2000 + i:04d}" for i in range(60)]
    enqueue(cloud, [message(f"burst-{i}", p) for i, p in enumerate(phones)])
    run_pollers(cloud, [topology.TRANSACTIONAL_QUEUE], 61, per_queue=2)
    assert sorted(m["to"] for m in cloud.twilio.outbox()[1:]) == sorted(phones)  # each exactly once
    assert len(cloud.twilio.arrivals) == 60
    assert max_in_one_second(cloud.twilio.arrivals) <= 10
    buckets = [i for i in cloud.items("PACE#")]
    assert len(buckets) == 1 and buckets[0]["type"] == "pacing"


def test_order_texts_overtake_a_broadcast_and_another_shop_is_not_stuck_behind_it(cloud):
    # (headroom 0.8: two containers now send on shop A's sender at once, each spacing its own sends; this
    # test is about order, the burst test above about the window bound)
    slow = Throughput(sender_type="toll_free", segments_per_second=5, headroom=0.8)
    set_throughput(SHOP, slow)
    set_throughput(OTHER_SHOP, slow, senders=("+18005550199",))
    warm_up(cloud)
    a_phones = [f"+1512555{3000 + i:04d}" for i in range(30)]
    b_phones = [f"+1512555{4000 + i:04d}" for i in range(5)]
    subscribe(SHOP, a_phones)
    subscribe(OTHER_SHOP, b_phones)
    enqueue(cloud, [message(f"a-{i}", p, "marketing") for i, p in enumerate(a_phones)])
    enqueue(cloud, [message(f"b-{i}", p, "marketing", shop=OTHER_SHOP) for i, p in enumerate(b_phones)])
    enqueue(cloud, [message("order-1", "+15125559999", "transactional")])

    # Pollers per queue (the in-process Lambda runs one invocation at a time per queue): the first batch
    # books shop A's next two seconds of slots and sends them; the next batches find A's bucket booked,
    # give A's texts places in the backlog line (SQS delays) at once and go on to shop B's texts; the
    # transactional queue's invocations run beside them.
    queues = [topology.SEND_QUEUE, topology.TRANSACTIONAL_QUEUE]
    run_pollers(cloud, queues, 37, per_queue=3)
    outbox = cloud.twilio.outbox()[1:]
    order = [i for i, m in enumerate(outbox) if m["to"] == "+15125559999"]
    a_sent = [i for i, m in enumerate(outbox) if m["to"] in a_phones]
    b_sent = [i for i, m in enumerate(outbox) if m["to"] in b_phones]
    assert len(order) == 1 and len(a_sent) == 30 and len(b_sent) == 5  # all, once each
    # the order text waited at most the two seconds marketing may book ahead, not for the broadcast
    assert order[0] < a_sent[20]
    assert max(b_sent) < a_sent[-1]  # the other shop's texts were not queued behind shop A's backlog
    shop_a = {*a_phones, "+15125559999"}
    a_times = [t for t, m in zip(cloud.twilio.arrivals, outbox, strict=True) if m["to"] in shop_a]
    assert max_in_one_second(a_times) <= 5  # shop A's sender, order text included
    # most of the broadcast waited its turn in the backlog line (SQS delays), none was sent early
    log = {i["pk"][4:]: i for i in cloud.items("MSG#")}
    assert all(log[f"a-{i}"]["state"] == "sent" for i in range(30))


def test_the_brand_daily_cap_holds_marketing_until_pacific_midnight(cloud):
    """T-Mobile-style brand cap (RULES.md C): counted in DynamoDB per brand and Pacific day, in blocks."""
    set_throughput(SHOP, Throughput(sender_type="10dlc", trust_tier="low", segments_per_second=10,
                                    daily_segment_cap=25, brand_id="brand-demo"))  # fmt: skip
    phones = [f"+1512555{5000 + i:04d}" for i in range(30)]
    subscribe(SHOP, phones)
    bodies = [json.dumps(message(f"cap-{i}", p, "marketing")) for i, p in enumerate(phones)]
    for start in range(0, 30, 10):
        cloud.invoke("send_message", sqs_event(*bodies[start : start + 10]))
    sent = len(cloud.twilio.outbox())
    # Counted as booked (blocks sized to the batch: 9 segments, a second at 9.6/s, then the rest), so the
    # count never passes the cap and never counts less than was sent. A slot given up late (a slow
    # machine) is counted and unused: conservative, so a few texts may wait although the cap is not reached.
    [counter] = cloud.items("DAILY#brand-demo#2026-11-23")
    assert 20 <= sent <= counter["used"] <= 25
    assert counter["type"] == "daily_counter" and counter["expires_at"] > 0
    held = cloud.schedules()
    attrs = cloud.client("sqs").get_queue_attributes(
        QueueUrl=cloud.res.queue_urls[topology.SEND_QUEUE], AttributeNames=["All"]
    )["Attributes"]
    waiting = sum(
        int(attrs[k]) for k in ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed")
    )
    assert sent + len(held) + waiting == 30  # none dropped (a text that lost a late slot waits on the queue)
    assert held and {s["ScheduleExpression"] for s in held} == {"at(2026-11-24T08:00:00)"}  # LA midnight


def test_a_deferral_within_15_minutes_is_an_sqs_delay_and_beyond_a_schedule(cloud, monkeypatch):
    from smsflows.domain.messages import OutboundMessage
    from smsflows.domain.sending.send import _defer
    from smsflows.runtime.deps import get_deps

    deps = get_deps().send_deps
    now = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    m = OutboundMessage.model_validate(message("d-1", "+15125550111", "marketing"))
    assert _defer(m, now + timedelta(minutes=14), "test", now, deps).outcome == "deferred"
    assert cloud.schedules() == []
    sqs = cloud.client("sqs")
    attrs = sqs.get_queue_attributes(
        QueueUrl=cloud.res.queue_urls[topology.SEND_QUEUE], AttributeNames=["All"]
    )
    assert attrs["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"  # 840 s on the bulk queue
    assert cloud.send_bodies() == []  # not visible before its time
    outcome = _defer(m, now + timedelta(hours=3), "test", now, deps)
    assert outcome.outcome == "deferred" and outcome.detail == "test: scheduled"
    [schedule] = cloud.schedules()
    assert schedule["ScheduleExpression"] == "at(2026-11-23T20:00:00)"
    # the same deferral again (an SQS redelivery of the same attempt) does not create a second schedule
    _defer(m, now + timedelta(hours=3), "test", now, deps)
    assert len(cloud.schedules()) == 1


def test_an_expired_message_is_dropped_with_its_reason(cloud):
    from smsflows.domain.messages import OutboundMessage
    from smsflows.domain.sending.send import _defer
    from smsflows.runtime.deps import get_deps

    now = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    sale = OutboundMessage.model_validate(
        message("flash-1", "+15125550112", "marketing", not_after=(now + timedelta(hours=1)).isoformat())
    )
    outcome = _defer(sale, now + timedelta(hours=16), "quiet_hours", now, get_deps().send_deps)
    assert outcome.outcome == "expired"
    [item] = cloud.items("MSG#flash-1")
    assert item["state"] == "failed" and item["reason"].startswith("expired: quiet_hours until")
    assert cloud.schedules() == [] and cloud.send_bodies() == []  # not deferred, not lost silently


@pytest.mark.parametrize("accepted", [True, False], ids=["provider-had-it", "provider-did-not"])
def test_a_read_timeout_is_settled_with_the_provider_not_guessed(cloud, monkeypatch, accepted):
    """The call timed out after the request was written: Twilio may or may not have the message. The claim
    stays 'sending' and is marked in doubt; the retry asks Twilio before sending again."""
    monkeypatch.setenv("SMSFLOWS_PROVIDER_TIMEOUT_S", "0.2")
    from smsflows.runtime import deps as deps_module

    deps_module.reset()
    body = json.dumps(message("doubt-1", "+15125550113"))
    cloud.twilio.fail_next(Fault(status=201, delay_s=0.5, accept=True) if accepted
                           else Fault(status=504, code=20504, message="timeout", delay_s=0.5))  # fmt: skip
    first = cloud.invoke("send_message", sqs_event(body))
    assert len(first["batchItemFailures"]) == 1  # retried later, not failed
    [item] = cloud.items("MSG#doubt-1")
    assert item["state"] == "sending" and item["in_doubt"] is True
    # (the fake takes an accepted message before it hangs: the retry may come at once)
    second = cloud.invoke("send_message", sqs_event(body, receive_count=2))
    assert second["batchItemFailures"] == []
    assert len(cloud.twilio.outbox()) == 1  # exactly once either way
    [item] = cloud.items("MSG#doubt-1")
    assert item["state"] == "sent" and item["sid"] == cloud.twilio.outbox()[0]["sid"]
    assert ("settled" in item) is accepted


def test_a_claim_left_by_a_function_that_died_mid_call_is_settled_after_it_went_stale(cloud):
    from smsflows.domain.messages import OutboundMessage
    from smsflows.runtime.deps import get_deps

    m = OutboundMessage.model_validate(message("died-1", "+15125550114"))
    log, clock = get_deps().message_log, get_deps().clock
    stale = clock() - timedelta(minutes=10)
    assert log.begin(m, stale) is None  # an attempt claimed it ten minutes ago and never came back
    result = cloud.invoke("send_message", sqs_event(m.model_dump_json()))
    assert result["batchItemFailures"] == []
    assert len(cloud.twilio.outbox()) == 1
    fresh = OutboundMessage.model_validate(message("busy-1", "+15125550115"))
    assert log.begin(fresh, clock()) is None  # another attempt is sending it right now
    busy = cloud.invoke("send_message", sqs_event(fresh.model_dump_json()))
    assert len(busy["batchItemFailures"]) == 1 and len(cloud.twilio.outbox()) == 1  # retry later, no double


@contextlib.contextmanager
def refused_by_the_provider(cloud: InProcessCloud, monkeypatch, **env: str):
    """Twilio answers 503 to every text. Yields `attempt(body, receive)`, which delivers the body as its
    `receive`-th receive from the transactional queue, and the visibility changes (the backoffs) asked of SQS.
    `env` applies inside only: the dependencies are rebuilt on the way in and on the way out."""
    from smsflows.runtime import deps as deps_module

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    deps_module.reset()
    calls: list[dict] = []
    monkeypatch.setattr(
        deps_module.get_deps().client("sqs"), "change_message_visibility", lambda **kw: calls.append(kw)
    )
    cloud.twilio.fault_rule = lambda form: Fault(status=503, code=20503, message="Service Unavailable")

    def attempt(body: str, receive: int) -> dict:
        event = sqs_event(body, receive_count=receive)
        event["Records"][0]["eventSourceARN"] = "arn:aws:sqs:us-east-1:123456789012:it-transactional_queue"
        return cloud.invoke("send_message", event)

    try:
        yield attempt, calls
    finally:  # the next tests get the cloud's own clock and backoff back
        monkeypatch.undo()
        deps_module.reset()


def test_a_failed_attempt_comes_back_after_an_exponential_jittered_backoff(cloud, monkeypatch):
    body = json.dumps(message("retry-1", "+15125550116"))
    receives = topology.QUEUES[topology.TRANSACTIONAL_QUEUE].max_receive_count
    with refused_by_the_provider(
        cloud, monkeypatch, SMSFLOWS_RETRY_BASE_S="2", SMSFLOWS_RETRY_CAP_S="300"
    ) as (
        attempt,
        calls,
    ):
        for receive in range(1, receives + 2):
            assert len(attempt(body, receive)["batchItemFailures"]) == 1
            if receive == receives - 1:
                [item] = cloud.items("MSG#retry-1")
                assert item["state"] != "dead_lettered"  # one receive left: not yet
    assert [c["QueueUrl"] for c in calls] == [cloud.res.queue_urls[topology.TRANSACTIONAL_QUEUE]] * (
        receives + 1
    )
    for receive, call in enumerate(calls, start=1):
        ceiling = min(300, 2 * 2 ** (receive - 1))  # 2, 4, 8, ... seconds, then the 5-minute cap
        assert ceiling / 2 <= call["VisibilityTimeout"] <= ceiling + 1
    assert len(cloud.twilio.outbox()) == 0
    [item] = cloud.items("MSG#retry-1")
    # the receive at the queue's maxReceiveCount (and any past it) was the last: dead-lettered, and why
    assert item["state"] == "dead_lettered" and item["reason"].startswith("provider 20503")


def test_virtual_time_shortens_the_backoff_as_it_shortens_the_queues_visibility(cloud, monkeypatch):
    # the local cloud at --time-scale 3600: a 2-minute backoff is 2 virtual minutes, 1 s (SQS's least) real
    body = json.dumps(message("retry-scaled", "+15125550117"))
    scaled = {"SMSFLOWS_RETRY_BASE_S": "60", "SMSFLOWS_RETRY_CAP_S": "900", "SMSFLOWS_TIME_SCALE": "30"}
    with refused_by_the_provider(cloud, monkeypatch, **scaled) as (attempt, calls):
        for receive in (1, 5):
            attempt(body, receive)
    # attempt 1: 30-60 s of backoff -> 1-2 s at scale 30; attempt 5: 450-900 s -> 15-30 s
    assert 1 <= calls[0]["VisibilityTimeout"] <= 2 and 15 <= calls[1]["VisibilityTimeout"] <= 30


def test_a_lone_text_books_an_idle_sender_inside_its_claim_and_falls_back_when_busy(cloud, slots_on_time):
    from smsflows.runtime.deps import get_deps

    set_throughput(SHOP, Throughput(sender_type="10dlc", trust_tier="low", segments_per_second=10,
                                    daily_segment_cap=2, brand_id="brand-lone"))  # fmt: skip
    ddb = get_deps().client("dynamodb")
    calls: list[str] = []
    ddb.meta.events.register(
        "before-call.dynamodb", lambda event_name, **_: calls.append(event_name.split(".")[-1])
    )
    cloud.invoke("send_message", sqs_event(json.dumps(message("lone-1", "+15125550121"))))
    assert len(cloud.twilio.outbox()) == 1
    # one read, the claim with the bucket and the daily count in the same transaction, the log write, then
    # the day's counters (issue 16; a marketing text would add its touch record)
    # (GetItem: the shop's settings, which the in-process cloud reads every time; AWS caches them a minute)
    assert [c for c in calls if c != "GetItem"] == [
        "BatchGetItem",
        "TransactWriteItems",
        "UpdateItem",
        "UpdateItem",
    ]
    [bucket] = cloud.items("PACE#")
    [counter] = cloud.items("DAILY#brand-lone#")
    assert bucket["tat"] > 0 and counter["used"] == 1

    # another container booked the sender ahead: the folded claim is refused, the text books a slot
    ddb.update_item(TableName=get_deps().settings.table_name, Key={"pk": {"S": bucket["pk"]}, "sk": {"S": "BUCKET"}},
                    UpdateExpression="SET tat = :t", ExpressionAttributeValues={":t": {"N": str(time.time() + 0.5)}})  # fmt: skip
    get_deps().pacer.leases.clear()
    cloud.invoke("send_message", sqs_event(json.dumps(message("lone-2", "+15125550122"))))
    assert len(cloud.twilio.outbox()) == 2
    [counter] = cloud.items("DAILY#brand-lone#")
    assert counter["used"] == 2  # the cap (2) is now reached

    # at the cap: marketing waits for midnight in Los Angeles; an order text still goes
    subscribe(SHOP, ["+15125550123"])
    get_deps().pacer.leases.clear()
    get_deps().pacer.buckets._busy.clear()  # a fresh container: it takes the sender for idle
    # ... and it is: the slots booked above (0.5 s ahead, then lone-2's) are in the past
    wait_until(lambda: float(cloud.items("PACE#")[0]["tat"]), lambda tat: tat < time.time(),
               what="the sender's bucket to be idle (tat in the past)", timeout=5)  # fmt: skip
    cloud.invoke("send_message", sqs_event(json.dumps(message("lone-3", "+15125550123", "marketing"))))
    [held] = cloud.schedules()
    assert held["ScheduleExpression"] == "at(2026-11-24T08:00:00)"
    cloud.invoke("send_message", sqs_event(json.dumps(message("lone-4", "+15125550124"))))
    assert [m["to"] for m in cloud.twilio.outbox()][-1] == "+15125550124"


def test_shop_set_takes_the_sender_registration_merges_it_and_refuses_nonsense(cloud):
    from smsflows import admin

    first = admin.shop_set(
        SHOP, {"throughput": {"sender_type": "10dlc", "trust_tier": "high", "brand_id": "B1"}}
    )
    assert first["throughput"]["sender_type"] == "10dlc" and first["throughput"]["trust_tier"] == "high"
    later = admin.shop_set(SHOP, {"throughput": {"segments_per_second": 50}})  # keeps what was set before
    assert (later["throughput"]["sender_type"], later["throughput"]["segments_per_second"]) == ("10dlc", 50)
    with pytest.raises(SystemExit, match=r"nothing changed: throughput\.segments_per_second"):
        admin.shop_set(SHOP, {"throughput": {"segments_per_second": -3}})
    assert admin.shop_show(SHOP)["throughput"]["segments_per_second"] == 50  # nothing changed


def test_a_redelivered_batch_is_recognised_in_its_one_read_and_costs_no_slot(cloud):
    from smsflows.runtime.deps import get_deps

    bodies = [json.dumps(message(f"again-{i}", f"+1512555{7000 + i:04d}")) for i in range(10)]
    assert cloud.invoke("send_message", sqs_event(*bodies))["batchItemFailures"] == []
    assert len(cloud.twilio.outbox()) == 10
    calls: list[str] = []
    get_deps().client("dynamodb").meta.events.register(
        "before-call.dynamodb", lambda event_name, **_: calls.append(event_name.split(".")[-1])
    )
    [bucket] = cloud.items("PACE#")
    calls.clear()  # (the test's own look at the table)
    assert cloud.invoke("send_message", sqs_event(*bodies, receive_count=2))["batchItemFailures"] == []
    assert len(cloud.twilio.outbox()) == 10  # nothing twice
    assert [c for c in calls if c != "GetItem"] == ["BatchGetItem"]  # consent, caps and claims: one read
    assert cloud.items("PACE#") == [bucket]  # no slot booked for texts already sent


def test_a_batch_checks_every_text_before_it_books_the_first_slot(cloud, monkeypatch):
    """Booking each text's slot as it is checked spent the batch's first slots on the checks of the texts
    after them: the first text was late for its slot by the time the sends began, booked again at the end or
    sent to the backlog line (a gap at every batch). The checks come first, then the slots, in order; and a
    cold container builds its twilio client before booking, not in its first slot (which bunched the first
    texts together)."""
    from smsflows.adapters.twilio_provider import TwilioProvider
    from smsflows.domain.sending import pacing, send

    set_throughput(SHOP, Throughput(sender_type="toll_free", segments_per_second=50))
    warm_up(cloud)
    phones = [f"+1512555{5000 + i:04d}" for i in range(8)]
    subscribe(SHOP, phones)
    steps: list[str] = []
    checked, acquired, warmed = send._quiet_hours_block, pacing.Pacer.acquire, TwilioProvider.warm

    def check(message, *args, **kwargs):
        steps.append(f"check {message.to}")
        return checked(message, *args, **kwargs)

    def acquire(self, bucket, brand, throughput, segments, category, now, has_ticket=False, want=None):
        steps.append(f"slot {want}")
        return acquired(self, bucket, brand, throughput, segments, category, now, has_ticket, want)

    def warm(self):
        steps.append("warm")
        return warmed(self)

    monkeypatch.setattr(send, "_quiet_hours_block", check)
    monkeypatch.setattr(pacing.Pacer, "acquire", acquire)
    monkeypatch.setattr(TwilioProvider, "warm", warm)
    event = sqs_event(*(json.dumps(message(f"m-{i}", p, "marketing")) for i, p in enumerate(phones)))
    result = cloud.invoke("send_message", event)
    assert result == {"batchItemFailures": []}
    assert sorted(m["to"] for m in cloud.twilio.outbox()[1:]) == sorted(phones)
    # every check, the provider's client made ready, then one slot per text in record order, each sized to
    # what the batch still has to send; after them only the quiet-hours look of a text that waited for its slot
    # (and, on a loaded machine, a new single slot for a text whose thread started after its slot had passed,
    # "slot 1", or booked with its claim held when the claim itself ran late, "slot None": test_send_slots.py)
    slots = [f"slot {8 - i}" for i in range(8)]
    assert steps[:17] == [f"check {p}" for p in phones] + ["warm"] + slots
    after = steps[17:]
    assert all(step.startswith("check ") or step in ("slot 1", "slot None") for step in after), after
