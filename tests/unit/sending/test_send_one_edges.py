"""`send_one` as a caller uses it: it decides on the recipient snapshot the caller already read (a batch
reads every recipient at once), and it tells the pacer that it sends one text alone, so a lone text on an
idle sender books one slot inside its claim and counts its own segments, not a block, against the brand's
daily cap."""

from datetime import UTC, datetime

from smsflows.domain.messages import OutboundMessage
from smsflows.domain.registration import Throughput
from smsflows.domain.sending.pacing import Pacer
from smsflows.domain.sending.send import SendDeps, send_one
from smsflows.ports import RecipientSnapshot, Sender
from smsflows.runtime.clock import fixed_clock
from tests.fakes import (
    FakeMessageLog,
    FakeProvider,
    FakeShopConfigs,
    FakeTokenBuckets,
    onboarded_shop,
    shop_sender,
)

SHOP = "demo-shop.myshopify.com"
PHONE = "+15125550123"
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
WALL = 1_000.0
FIFTY_PER_SECOND = Throughput(sender_type="10dlc", trust_tier="low", segments_per_second=50, headroom=1.0)


def order_text(message_id: str = "m-1") -> OutboundMessage:
    return OutboundMessage(message_id=message_id, shop=SHOP, to=PHONE, body="Demo Shop: your order shipped",
                           category="transactional", created_at=NOW)  # fmt: skip


def deps(pacer: Pacer | None = None, log: FakeMessageLog | None = None) -> SendDeps:
    slept: list[float] = []
    return SendDeps(log=log or FakeMessageLog(), provider=FakeProvider(), sender=Sender(messaging_service_sid="MG1"),
                    clock=fixed_clock(NOW), shops=FakeShopConfigs(onboarded_shop(SHOP, throughput=FIFTY_PER_SECOND)),
                    pacer=pacer, sleep=slept.append, wall=lambda: WALL)  # fmt: skip


def test_the_callers_snapshot_decides_and_the_log_is_not_read_again():
    class CountingLog(FakeMessageLog):
        reads = 0

        def snapshot(self, shop, phone):
            self.reads += 1
            return super().snapshot(shop, phone)

    d = deps(log=CountingLog())
    batch_read = RecipientSnapshot(
        state=None, suppressed=False, history=[], history_version=0, unreachable=True
    )
    outcome = send_one(order_text(), d, batch_read)
    assert (outcome.outcome, outcome.detail) == ("suppressed", "number unreachable")
    assert d.provider.sent == [] and d.log.reads == 0
    assert send_one(order_text("m-2"), d).outcome == "sent"  # no snapshot given: read, and the number is fine
    assert d.log.reads == 1


def test_a_lone_text_on_an_idle_sender_books_one_slot_in_its_claim_and_counts_one_segment():
    buckets = FakeTokenBuckets()
    d = deps(Pacer(buckets, wall=lambda: WALL), FakeMessageLog(buckets=buckets))
    outcome = send_one(order_text(), d)
    assert outcome.outcome == "sent"
    assert buckets.writes == 0  # no bucket write of its own: the claim's transaction booked the slot
    assert buckets.tat == {shop_sender(SHOP): WALL + 1 / 50}  # one slot, not a block of ten
    assert buckets.daily == {(SHOP, "2026-11-23"): 1}  # one segment against the brand's daily cap
