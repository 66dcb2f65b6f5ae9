from datetime import UTC, datetime, timedelta

import pytest

from smsflows.domain.messages import OutboundMessage
from smsflows.domain.sending.send import SendDeps, send_one
from smsflows.domain.shops import ShopConfig
from smsflows.ports import Sender
from smsflows.runtime.clock import fixed_clock
from smsflows.runtime.errors import ProviderError, TransientError
from tests.fakes import FakeMessageLog, FakeProvider, FakeShopConfigs, onboarded_shop, shop_sender

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def message(**kw):
    base = dict(
        message_id="m-1",
        shop="demo-shop.myshopify.com",
        to="+15125550123",
        body="Demo Shop: hi",
        category="transactional",
        created_at=NOW,
    )
    base.update(kw)
    return OutboundMessage(**base)


def deps(provider=None, log=None):
    return SendDeps(
        log=log or FakeMessageLog(),
        provider=provider or FakeProvider(),
        sender=Sender(messaging_service_sid="MG1"),
        clock=fixed_clock(NOW),
        shops=FakeShopConfigs(onboarded_shop("demo-shop.myshopify.com")),
    )


def test_sends_once_and_records_the_receipt():
    d = deps()
    outcome = send_one(message(), d)
    assert outcome.outcome == "sent" and outcome.sid
    assert d.provider.sent == [
        {
            "to": "+15125550123",
            "body": "Demo Shop: hi",
            "sender": Sender(shop_sender("demo-shop.myshopify.com")),
        }
    ]
    assert d.log.items["m-1"]["state"] == "sent"


def test_redelivered_message_is_not_sent_twice():
    d = deps()
    send_one(message(), d)
    assert send_one(message(), d).outcome == "duplicate"
    assert len(d.provider.sent) == 1


def test_retryable_provider_error_releases_the_claim_and_raises_for_redelivery():
    d = deps(FakeProvider([ProviderError("busy", code=20429, status=429, retryable=True)]))
    with pytest.raises(TransientError):
        send_one(message(), d)
    assert d.log.items["m-1"]["state"] == "retry"
    assert send_one(message(), d).outcome == "sent"
    assert len(d.provider.sent) == 1


def test_an_invalid_number_is_recorded_suppressed_and_not_retried():
    d = deps(FakeProvider([ProviderError("bad to", code=21211, status=400, retryable=False)]))
    outcome = send_one(message(), d)
    assert outcome.outcome == "suppressed" and "unreachable" in outcome.detail
    assert d.log.items["m-1"]["error_code"] == 21211
    assert send_one(message(), d).outcome == "suppressed"  # redelivered: not sent
    assert send_one(message(message_id="m-2"), d).detail == "number unreachable"  # the next message neither
    assert d.provider.sent == []


@pytest.mark.parametrize(
    ("code", "kind"), [(30007, "content_error"), (21408, "config_error"), (99999, "provider refused")]
)
def test_content_and_account_errors_fail_without_retry_or_suppression(code, kind):
    d = deps(FakeProvider([ProviderError("no", code=code, status=400, retryable=False)]))
    outcome = send_one(message(), d)
    assert outcome.outcome == "failed" and kind in outcome.detail
    assert send_one(message(message_id="m-2"), d).outcome == "sent"  # the number itself is fine


def test_expired_message_is_dropped_with_a_reason():
    d = deps()
    outcome = send_one(message(not_after=NOW - timedelta(minutes=1)), d)
    assert outcome.outcome == "expired"
    assert d.log.items["m-1"]["reason"].startswith("expired")
    assert d.provider.sent == []


@pytest.mark.parametrize("to", ["5125550123", "+0123", "", "+1512555012345678"])
def test_message_needs_an_e164_recipient(to):
    with pytest.raises(ValueError):
        message(to=to)


@pytest.mark.parametrize(
    ("status", "category", "sent"),
    [
        ("paused", "marketing", False),
        ("paused", "transactional", False),
        ("paused", "compliance", True),  # a STOP or HELP reply still goes out while the operator pauses
        ("uninstalled", "compliance", False),
        ("active", "transactional", True),
    ],
)
def test_a_paused_shop_sends_only_compliance_replies(status, category, sent):
    d = deps()
    d.shops = FakeShopConfigs(onboarded_shop("demo-shop.myshopify.com", status=status))
    outcome = send_one(message(category=category), d)
    assert (outcome.outcome == "sent") is sent
    assert len(d.provider.sent) == int(sent)
    if not sent:
        assert (outcome.outcome, outcome.detail) == ("suppressed", f"shop_{status}")
        assert d.log.items["m-1"]["state"] == "failed"
        assert d.log.items["m-1"]["reason"] == f"shop_{status}"


@pytest.mark.parametrize("category", ["marketing", "transactional", "compliance"])
@pytest.mark.parametrize(
    ("config", "reason"),
    [
        (None, "shop_not_onboarded"),
        ({"status": "deactivated"}, "shop_deactivated"),
        ({"status": "redacted"}, "shop_redacted"),
        ({"brand_name": None}, "shop_not_onboarded"),  # a record from before onboarding, without a brand
    ],
)
def test_a_shop_not_onboarded_or_deactivated_texts_nobody_not_even_a_compliance_reply(
    config, reason, category
):
    d = deps()
    if config is None:
        d.shops = FakeShopConfigs()
    else:
        whole = onboarded_shop("demo-shop.myshopify.com").model_dump()
        d.shops = FakeShopConfigs(ShopConfig.model_validate({**whole, **config}))
    outcome = send_one(message(category=category), d)
    assert (outcome.outcome, outcome.detail) == ("suppressed", reason)
    assert d.provider.sent == []
    assert (d.log.items["m-1"]["state"], d.log.items["m-1"]["reason"]) == ("failed", reason)
    # final: onboarding (or reactivating) later does not send it, even if SQS delivers it again
    d.shops = FakeShopConfigs(onboarded_shop("demo-shop.myshopify.com"))
    again = send_one(message(category=category), d)
    assert d.provider.sent == []  # a marketing text without consent is suppressed again, the others are done
    assert again.outcome == ("suppressed" if category == "marketing" else "duplicate")


def test_without_shop_configs_wired_nothing_is_sent():
    d = deps()
    d.shops = None
    assert send_one(message(), d).detail == "shop_not_onboarded" and d.provider.sent == []


def test_a_message_checked_without_a_slot_books_one_before_it_is_sent():
    """prepare(book=False) is a batch's first half (every check, no slot); `pace` books the slot, and `finish`
    books one itself for a message that reaches it unbooked: nothing goes out unpaced."""
    from dataclasses import replace

    from smsflows.domain.sending.pacing import Pacer
    from smsflows.domain.sending.send import Prepared, finish, pace, prepare
    from tests.unit.sending.test_pacing import MemoryBuckets, Wall

    buckets, wall = MemoryBuckets(), Wall()
    d = replace(deps(), pacer=Pacer(buckets, wall=wall), wall=wall, sleep=lambda s: None)
    checked = prepare(message(), d, book=False)
    assert isinstance(checked, Prepared) and not checked.paced and checked.send_at is None
    assert buckets.tat == {} and buckets.writes == 0  # checked, nothing booked
    booked = pace(checked, d, want=3)
    assert isinstance(booked, Prepared) and booked.paced and booked.send_at == wall.t
    (lease,) = d.pacer.leases.values()
    assert (lease.count, lease.used) == (3, 1)  # a block for the three segments the batch will send
    again = prepare(message(message_id="m-2", to="+15125550124"), d, book=False)
    assert finish(again, d).outcome == "sent"
    assert [m["to"] for m in d.provider.sent] == ["+15125550124"]
    assert d.log.items["m-2"]["state"] == "sent"
    assert lease.used == 2  # finish booked its slot: the next of the block booked above


def test_a_batch_waits_for_its_slots_as_instants_so_the_virtual_clock_ends_at_the_last_one():
    """The local cloud's clock moves at once on a wait: a batch's sends wait side by side in threads, and
    waits given as spans (each read against a clock the others had already moved) added up, so a minute of
    a 3-a-second campaign sent hundreds. The sender waits for each slot's instant, and the clock ends at the
    batch's last slot."""
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import replace

    from smsflows.domain.sending.pacing import Pacer
    from smsflows.domain.sending.send import Prepared, finish, pace, prepare
    from smsflows.runtime.clock import SimClock
    from tests.unit.sending.test_pacing import MemoryBuckets

    sim = SimClock(NOW.timestamp())
    spans: list[float] = []
    d = replace(deps(), clock=sim.now, pacer=Pacer(MemoryBuckets(), wall=sim.time), wall=sim.time,
                sleep=spans.append, sleep_until=sim.sleep_until)  # fmt: skip
    ready = [prepare(message(message_id=f"m-{i}", to=f"+1512555{i:04d}"), d, book=False) for i in range(6)]
    booked = [pace(p, d, want=6 - i) for i, p in enumerate(ready)]
    assert all(isinstance(b, Prepared) for b in booked)
    slots = sorted(b.send_at for b in booked)
    assert slots[-1] > slots[0]  # the slots lie ahead: there is something to wait for
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(lambda p: finish(p, d), booked))
    assert [o.outcome for o in outcomes] == ["sent"] * 6
    assert spans == []  # no wait was a span
    assert sim.time() == pytest.approx(slots[-1])  # the last slot, not the sum of the waits
