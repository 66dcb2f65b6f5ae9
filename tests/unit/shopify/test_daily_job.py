"""The daily job fans out: the "smsflows/daily" event queues one message per shop, each message does one
page of the shop's profiles (win-back and birthdays in one pass) and queues the next; every message is
idempotent under redelivery, and a failing page is retried alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from smsflows.domain.flows import definitions
from smsflows.domain.profiles import ProfileRecord
from smsflows.domain.shopify import events
from smsflows.domain.shopify.events import (
    DAILY_SHOP_TOPIC,
    ShopEventDeps,
    ShopEventEnvelope,
    process_shop_event,
)
from smsflows.domain.shops import FlowSettings, ShopConfig
from smsflows.runtime.errors import TransientError
from tests.fakes import FakeFlows, FakeInbox, FakeQueue, FakeShopConfigs, FakeShopData, onboarded_shop

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # the schedule's time
LAPSED = NOW - timedelta(days=30, hours=12)  # a last order 30 days ago: win-back
TODAY = "11-23"
PAGE = 10  # profiles per message in these tests (events.DAILY_PAGE_SIZE)
REAL_PAGE_SIZE, REAL_MAX_CALLS = events.DAILY_PAGE_SIZE, events.DAILY_MAX_CALLS


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    """Pages of 10 and no cap on calls unless a test sets one: the behaviour, not the sizes, is tested here
    (test_the_sizes_keep_a_message_far_inside_the_timeout checks the real ones)."""
    monkeypatch.setattr(events, "DAILY_PAGE_SIZE", PAGE)
    monkeypatch.setattr(events, "DAILY_MAX_CALLS", 10_000)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def shop_name(n: int) -> str:
    return f"shop-{n:03d}.myshopify.com"


def make_deps(*configs: ShopConfig) -> ShopEventDeps:
    return ShopEventDeps(
        inbox=FakeInbox(),
        data=FakeShopData(),
        send_queue=FakeQueue(),
        flows=FakeFlows(),
        clock=Clock(),
        shops=FakeShopConfigs(*configs),
        events=FakeQueue(),
    )


def add_profiles(deps: ShopEventDeps, shop: str, n: int, *, lapsed_every: int = 1, birthday_every: int = 0):
    for i in range(n):
        key = f"customer:{i:05d}"
        deps.data.profile_items[(shop, key)] = ProfileRecord(
            shop=shop, customer_key=key, phone=f"+1512{i:07d}", first_name="Ada", updated_at=NOW,
            last_order_at=LAPSED if lapsed_every and i % lapsed_every == 0 else NOW - timedelta(days=3),
            birthday=TODAY if birthday_every and i % birthday_every == 0 else None,
        )  # fmt: skip


def daily(webhook_id: str = "daily-2026-11-23T15:00:00Z", received_at: str = "2026-11-23T15:00:00Z"):
    return ShopEventEnvelope(
        shop="*", topic="smsflows/daily", webhook_id=webhook_id, received_at=received_at, body="{}"
    )


def take(deps: ShopEventDeps) -> list[dict]:
    """What the job put on the shop-events queue since the last take (the queue's consumer receives it)."""
    sent, deps.events.sent = deps.events.sent, []
    return sent


def run(deps: ShopEventDeps, message: dict):
    return process_shop_event(ShopEventEnvelope.model_validate(message), deps)


def drain(deps: ShopEventDeps) -> list:
    """Process every queued message, and what they queue, in order: the outcomes."""
    outcomes, pending = [], take(deps)
    while pending:
        outcomes.append(run(deps, pending.pop(0)))
        pending += take(deps)
    return outcomes


def winbacks(deps: ShopEventDeps, shop: str | None = None) -> list[dict]:
    tag = definitions.shop_tag(shop) if shop else ""
    return [p for name, (flow, p) in deps.flows.started.items() if flow == "winback" and tag in name]


# Fan-out ------------------------------------------------------------------------------------------------


def test_the_daily_event_queues_one_message_per_active_shop_ten_per_batch_and_reads_no_profiles():
    active = [onboarded_shop(shop_name(n)) for n in range(23)]
    others = [
        onboarded_shop("gone.myshopify.com", status="uninstalled"),
        onboarded_shop("erased.myshopify.com", status="redacted"),
        onboarded_shop("quiet.myshopify.com", flows={"winback": FlowSettings(enabled=False),
                                                      "birthday": FlowSettings(enabled=False)}),
    ]  # fmt: skip
    deps = make_deps(*active, *others)
    for config in active + others:
        add_profiles(deps, config.shop, 3)
    outcome = process_shop_event(daily(), deps)
    assert (outcome.outcome, outcome.detail) == (
        "processed",
        "23 shops fanned out, 3 inactive or with both flows off",
    )
    sent = take(deps)
    assert deps.events.batches == [10, 10, 3]  # SendMessageBatch takes ten
    assert sorted(m["shop"] for m in sent) == [c.shop for c in active]
    assert {m["topic"] for m in sent} == {DAILY_SHOP_TOPIC}
    assert {m["webhook_id"] for m in sent} == {
        "daily-2026-11-23-first"
    }  # one id per shop, derived from the day
    assert getattr(deps.data, "pages_read", 0) == 0 and deps.flows.started == {}
    page = json.loads(sent[0]["body"])
    assert page == {"at": "2026-11-23T15:00:00Z", "page": 1, "cursor": None}
    assert {m["correlation_id"] for m in sent} == {"smsflows:daily-2026-11-23T15:00:00Z"}


def test_a_shop_with_one_flow_off_still_gets_the_other():
    deps = make_deps(
        onboarded_shop(shop_name(1), flows={"winback": FlowSettings(enabled=False)}),
        onboarded_shop(shop_name(2), flows={"birthday": FlowSettings(enabled=False)}),
    )
    for n in (1, 2):
        add_profiles(deps, shop_name(n), 4, lapsed_every=1, birthday_every=1)
    process_shop_event(daily(), deps)
    outcomes = drain(deps)
    assert sorted(o.detail.split(": ", 1)[1] for o in outcomes) == [
        "0 win-back flows started, 4 birthday texts queued",
        "4 win-back flows started, 0 birthday texts queued",
    ]
    assert {m["to"] for m in deps.send_queue.sent} == {f"+1512{i:07d}" for i in range(4)}
    assert len(winbacks(deps, shop_name(2))) == 4 and winbacks(deps, shop_name(1)) == []


# Pages ----------------------------------------------------------------------------------------------


def test_each_message_does_one_page_and_queues_the_next_until_the_shop_is_done():
    shop = shop_name(1)
    deps = make_deps(onboarded_shop(shop))
    n = 2 * PAGE + 7
    add_profiles(deps, shop, n, lapsed_every=3, birthday_every=5)
    process_shop_event(daily(), deps)
    [first] = pending = take(deps)
    details, ids = [], [first["webhook_id"]]
    while pending:
        outcome = run(deps, pending.pop(0))
        details.append(outcome.detail)
        queued = take(deps)
        assert len(queued) <= 1  # a page queues at most the next one
        ids += [m["webhook_id"] for m in queued]
        pending += queued
        for m in queued:  # the cursor travels as plain JSON
            assert json.loads(m["body"])["cursor"] == json.loads(json.dumps(json.loads(m["body"])["cursor"]))
    assert (
        details
        == [
            "page 1, 10 profiles, next page queued: 4 win-back flows started, 2 birthday texts queued",  # 0 3 6 9, 0 5
            "page 2, 10 profiles, next page queued: 3 win-back flows started, 2 birthday texts queued",  # 12 15 18, 10 15
            "page 3, 7 profiles: 2 win-back flows started, 2 birthday texts queued",  # 21 24, 20 25
        ]
    )
    assert deps.data.pages_read == 3  # one read per page: win-back and birthdays in the same pass
    assert len(set(ids)) == 3 and all(i.startswith("daily-2026-11-23-") for i in ids)
    assert len(winbacks(deps)) == len(range(0, n, 3))
    assert len(deps.send_queue.sent) == len(range(0, n, 5))
    [payload] = [p for p in winbacks(deps) if p["context"]["customer_key"] == "customer:00003"]
    assert (payload["context"]["phone"], payload["context"]["first_name"]) == ("+15120000003", "Ada")


def test_the_last_page_may_be_empty_when_the_shop_fills_its_pages_exactly():
    shop = shop_name(1)
    deps = make_deps(onboarded_shop(shop))
    add_profiles(deps, shop, PAGE)
    process_shop_event(daily(), deps)
    outcomes = drain(deps)
    assert [o.detail for o in outcomes] == [
        "page 1, 10 profiles, next page queued: 10 win-back flows started, 0 birthday texts queued",
        "page 2, 0 profiles: 0 win-back flows started, 0 birthday texts queued",
    ]


def test_the_window_and_the_day_are_the_runs_not_the_clocks():
    """A page retried hours later (after midnight) still finds the candidates of the run's day."""
    shop = shop_name(1)
    deps = make_deps(onboarded_shop(shop))
    add_profiles(deps, shop, 5, lapsed_every=1, birthday_every=1)
    process_shop_event(daily(), deps)
    deps.clock.now = NOW + timedelta(hours=20)  # the next day
    [outcome] = drain(deps)
    assert outcome.detail.endswith(": 5 win-back flows started, 5 birthday texts queued")
    assert {m["message_id"].rsplit(":", 1)[1] for m in deps.send_queue.sent} == {"2026"}


def test_only_lapses_of_30_days_and_profiles_with_a_phone_count():
    shop = shop_name(1)
    deps = make_deps(onboarded_shop(shop))
    for key, days, phone in (("a", 30.5, "+15125550001"), ("b", 29.9, "+15125550002"), ("c", 31.1, "+15125550003"),
                             ("d", 30.5, None), ("e", 31, "+15125550005"), ("f", 30, "+15125550006")):  # fmt: skip
        deps.data.profile_items[(shop, key)] = ProfileRecord(
            shop=shop, customer_key=key, phone=phone, updated_at=NOW, last_order_at=NOW - timedelta(days=days)
        )
    process_shop_event(daily(), deps)
    drain(deps)
    # at least 30 and less than 31 days before the run: each lapse is found on exactly one day
    assert sorted(p["context"]["customer_key"] for p in winbacks(deps)) == ["a", "f"]


# Idempotent under redelivery ---------------------------------------------------------------------------


def test_a_redelivered_daily_event_fans_out_nothing_twice():
    deps = make_deps(*(onboarded_shop(shop_name(n)) for n in range(3)))
    process_shop_event(daily(), deps)
    assert len(take(deps)) == 3
    again = process_shop_event(daily(), deps)
    assert again.outcome == "ignored" and take(deps) == []


def test_a_redelivered_page_does_nothing_and_queues_no_second_next_page():
    shop = shop_name(1)
    deps = make_deps(onboarded_shop(shop))
    add_profiles(deps, shop, PAGE + 10, birthday_every=2)
    process_shop_event(daily(), deps)
    [first] = take(deps)
    run(deps, first)
    [second] = take(deps)
    started, texts, reads = dict(deps.flows.started), list(deps.send_queue.sent), deps.data.pages_read
    redelivered = run(deps, first)
    assert redelivered.outcome == "ignored" and take(deps) == []
    assert (deps.flows.started, deps.send_queue.sent, deps.data.pages_read) == (started, texts, reads)
    run(deps, second)
    assert run(deps, second).outcome == "ignored"
    assert len(winbacks(deps)) == PAGE + 10


def test_a_page_that_failed_after_queueing_the_next_is_redone_without_duplicate_texts():
    """The worst redelivery: the page's work and its next page were done, its mark was not. Redoing it
    starts and queues nothing new (execution names, message ids), and its second copy of the next page is
    skipped once the first copy is done."""
    shop = shop_name(1)
    deps = make_deps(onboarded_shop(shop))
    add_profiles(deps, shop, PAGE + 10, birthday_every=1)
    process_shop_event(daily(), deps)
    [first] = take(deps)
    real_mark = deps.data.mark_daily_page_done
    deps.data.mark_daily_page_done = lambda *a: (_ for _ in ()).throw(TransientError("DynamoDB throttled"))
    with pytest.raises(TransientError):
        run(deps, first)
    deps.data.mark_daily_page_done = real_mark
    [next_a] = take(deps)
    started, texts = dict(deps.flows.started), [m["message_id"] for m in deps.send_queue.sent]
    assert run(deps, first).outcome == "processed"  # SQS redelivers it: redone
    [next_b] = take(deps)
    assert next_a == next_b  # the same next page, under the same id
    assert deps.flows.started == started  # no execution started twice (FakeFlows: names are unique)
    # the birthday texts are queued again under the same message ids: the sender's claim sends each once
    assert [m["message_id"] for m in deps.send_queue.sent] == texts * 2
    run(deps, next_a)
    assert run(deps, next_b).outcome == "ignored"
    assert len(winbacks(deps)) == PAGE + 10


def test_birthday_texts_of_a_redone_page_carry_the_same_message_ids():
    shop = shop_name(1)
    deps = make_deps(onboarded_shop(shop))
    add_profiles(deps, shop, 3, birthday_every=1)
    process_shop_event(daily(), deps)
    [first] = take(deps)
    run(deps, first)
    ids = [m["message_id"] for m in deps.send_queue.sent]
    deps.data.daily_pages.clear()  # as if the mark had been lost
    run(deps, first)
    assert [m["message_id"] for m in deps.send_queue.sent] == ids * 2  # the sender's claim sends each once


# A failing page -----------------------------------------------------------------------------------------


class FlakyFlows(FakeFlows):
    def __init__(self, failing_shop: str) -> None:
        super().__init__()
        self.tag = definitions.shop_tag(failing_shop)
        self.fail = True

    def start(self, flow, name, payload):
        if self.fail and self.tag in name:
            raise TransientError("Step Functions throttled")
        return super().start(flow, name, payload)


def test_a_failing_page_is_retried_alone_without_redoing_other_pages_or_shops():
    shops = [shop_name(n) for n in range(3)]
    deps = make_deps(*(onboarded_shop(s) for s in shops))
    deps.flows = FlakyFlows(shops[1])
    for shop in shops:
        add_profiles(deps, shop, PAGE + 5)
    process_shop_event(daily(), deps)
    failed, pending = [], take(deps)
    while pending:  # one pass over the queue: SQS would redeliver the failed message later
        message = pending.pop(0)
        try:
            run(deps, message)
        except TransientError:
            failed.append(message)
        pending += take(deps)
    assert [m["shop"] for m in failed] == [shops[1]]
    assert len(winbacks(deps, shops[0])) == len(winbacks(deps, shops[2])) == PAGE + 5
    done_before, reads_before = dict(deps.flows.started), deps.data.pages_read
    deps.flows.fail = False
    run(deps, failed[0])  # the redelivery
    drain(deps)  # and the shop's next page
    assert len(winbacks(deps, shops[1])) == PAGE + 5
    assert deps.data.pages_read == reads_before + 2  # only the failed shop's two pages were read again
    assert {k: v for k, v in deps.flows.started.items() if k in done_before} == done_before


# Inactive shops ---------------------------------------------------------------------------------------


def test_a_shop_uninstalled_after_the_fan_out_ends_its_run():
    shop = shop_name(1)
    deps = make_deps(onboarded_shop(shop))
    add_profiles(deps, shop, PAGE + 5, birthday_every=1)
    process_shop_event(daily(), deps)
    [first] = take(deps)
    run(deps, first)
    [second] = take(deps)
    deps.shops.put(onboarded_shop(shop, status="uninstalled"))
    outcome = run(deps, second)
    assert outcome.detail == "shop inactive or win-back and birthday texts off: the run ends here"
    assert take(deps) == [] and len(winbacks(deps)) == PAGE


# Bad messages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"at": "2026-11-23T15:00:00Z", "page": 2, "cursor": {"shop": "other.myshopify.com", "pk": "PROFILE#x", "sk": "PROFILE"}},
        {"at": "2026-11-23T15:00:00Z", "page": 2, "cursor": {"pk": "PROFILE#shop-001.myshopify.com#customer:1"}},
        {"at": "2026-11-23T15:00:00Z", "page": 2, "cursor": ["PROFILE#x"]},
        {"at": "2026-11-23T15:00:00", "page": 1, "cursor": None},  # no time zone
        {"at": "2026-11-23T15:00:00Z", "page": 0, "cursor": None},
        {"at": "2026-11-23T15:00:00Z", "cursor": None, "extra": 1},
    ],
    ids=["other-shop", "missing-keys", "not-an-object", "naive-time", "page-0", "unknown-field"],
)  # fmt: skip
def test_a_malformed_page_message_is_dropped_as_unparseable_not_retried(body):
    shop = shop_name(1)
    deps = make_deps(onboarded_shop(shop))
    add_profiles(deps, shop, 3)
    message = {"shop": shop, "topic": DAILY_SHOP_TOPIC, "webhook_id": "daily-2026-11-23-x",
               "received_at": "2026-11-23T15:00:00Z", "body": json.dumps(body)}  # fmt: skip
    outcome = run(deps, message)  # no exception: SQS deletes it instead of redelivering it five times
    assert outcome.outcome == "unparseable"
    assert take(deps) == [] and deps.flows.started == {}


def test_without_the_shop_events_queue_the_daily_event_fails_loudly():
    deps = make_deps(onboarded_shop(shop_name(1)))
    deps.events = None
    with pytest.raises(RuntimeError, match="shop-events queue"):
        process_shop_event(daily(), deps)


def test_page_ids_derive_from_the_day_the_shop_and_the_cursor():
    cursor = {"shop": "a.myshopify.com", "pk": "PROFILE#a.myshopify.com#customer:1", "sk": "PROFILE"}
    at = datetime(2026, 11, 23, 15, tzinfo=UTC)
    same_day = datetime(2026, 11, 23, 23, 59, tzinfo=UTC)
    one = events.daily_page_id(at, "a.myshopify.com", cursor)
    assert one == events.daily_page_id(same_day, "a.myshopify.com", dict(reversed(list(cursor.items()))))
    assert one != events.daily_page_id(at + timedelta(days=1), "a.myshopify.com", cursor)
    assert one != events.daily_page_id(at, "b.myshopify.com", cursor)
    assert one != events.daily_page_id(at, "a.myshopify.com", {**cursor, "pk": cursor["pk"] + "0"})
    assert events.daily_page_id(at, "a.myshopify.com", None) == "daily-2026-11-23-first"
    assert "customer" not in one  # the cursor names a customer: only its hash is in the id


# The calls' cap ----------------------------------------------------------------------------------------


def test_a_page_with_more_candidates_than_calls_goes_on_in_the_next_message(monkeypatch):
    """30 days after a Black Friday: every profile is a candidate. Each message makes at most
    DAILY_MAX_CALLS calls and hands the rest of its page on, from the profile after its last one."""
    monkeypatch.setattr(events, "DAILY_MAX_CALLS", 4)
    shop = shop_name(1)
    deps = make_deps(onboarded_shop(shop))
    add_profiles(deps, shop, 2 * PAGE + 3, lapsed_every=1, birthday_every=3)  # 23 flows, 8 texts: 31 calls
    process_shop_event(daily(), deps)
    details = [o.detail for o in drain(deps)]
    assert details[:3] == [
        "page 1, 3 profiles, next page queued: 3 win-back flows started, 1 birthday texts queued",  # 0(2) 1 2
        "page 2, 3 profiles, next page queued: 3 win-back flows started, 1 birthday texts queued",  # 3(2) 4 5
        "page 3, 3 profiles, next page queued: 3 win-back flows started, 1 birthday texts queued",
    ]
    assert len(details) == 8 and details[-1].startswith("page 8, 2 profiles: ")  # 21(2) 22: the last page
    assert len(winbacks(deps)) == 23 and len(deps.send_queue.sent) == 8  # every profile once
    assert deps.data.pages_read == 8


def test_a_profile_is_handled_whole_even_if_it_passes_the_cap(monkeypatch):
    monkeypatch.setattr(events, "DAILY_MAX_CALLS", 1)
    shop = shop_name(1)
    deps = make_deps(onboarded_shop(shop))
    add_profiles(deps, shop, 2, lapsed_every=1, birthday_every=1)
    process_shop_event(daily(), deps)
    assert [o.detail for o in drain(deps)] == [
        "page 1, 1 profiles, next page queued: 1 win-back flows started, 1 birthday texts queued",
        "page 2, 1 profiles: 1 win-back flows started, 1 birthday texts queued",
    ]


def test_the_sizes_keep_a_message_far_inside_the_timeout():
    """The real sizes (the autouse fixture changes them for the other tests): a batch of messages, each at
    its worst (every call a slow StartExecution, 60 ms, and its page's reads, 0.3 s), in half the timeout."""
    from smsflows import topology

    consumer = topology.function("process_shop_event")
    assert 100 <= REAL_PAGE_SIZE <= 1000
    assert consumer.batch_size * (REAL_MAX_CALLS * 0.06 + 0.3) <= consumer.timeout_s / 2
