"""Pacing rules (RULES.md C) and the pacer's decisions, against an in-memory bucket store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from smsflows.domain.registration import Throughput
from smsflows.domain.sending import pacing
from smsflows.domain.sending.pacing import Lease, Pacer
from smsflows.domain.sending.retry import backoff_s

NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("settings", "rate", "cap"),
    [
        ({}, 3.0, None),  # toll-free default, 3 MPS per number, no T-Mobile brand cap
        ({"sender_type": "short_code"}, 100.0, None),
        ({"sender_type": "10dlc", "trust_tier": "high"}, 225.0, 200_000),
        ({"sender_type": "10dlc", "trust_tier": "mid"}, 120.0, 40_000),
        ({"sender_type": "10dlc", "trust_tier": "low"}, 12.0, 10_000),
        ({"sender_type": "10dlc", "trust_tier": "low_volume"}, 3.75, 2_000),  # the conservative source
        ({"sender_type": "sole_proprietor"}, 1.0, 1_000),
        ({"sender_type": "toll_free", "segments_per_second": 25}, 25.0, None),  # high-throughput TF
        ({"sender_type": "10dlc", "trust_tier": "high", "daily_segment_cap": 50_000}, 225.0, 50_000),
    ],
)
def test_registered_throughput_follows_the_carrier_tables(settings, rate, cap):
    t = Throughput(**settings)
    assert t.registered() == (rate, cap)
    assert t.rate == pytest.approx(rate * t.headroom) and t.rate < rate  # paced just under the limit
    assert t.daily_cap == cap


@pytest.mark.parametrize("bad", [{"segments_per_second": 0}, {"headroom": 1.5}, {"sender_type": "pigeon"},
                                 {"daily_segment_cap": 0}, {"surprise": 1}])  # fmt: skip
def test_bad_throughput_settings_are_refused(bad):
    with pytest.raises(ValidationError):
        Throughput(**bad)


def test_t_mobile_day_is_the_pacific_day_and_resets_at_pacific_midnight():
    late_pacific = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)  # 23:30 on the 23rd in Los Angeles
    assert pacing.pacific_day(late_pacific) == "2026-11-23"
    assert pacing.next_pacific_midnight(late_pacific) == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # PDT: midnight is 07:00 UTC
    assert pacing.next_pacific_midnight(summer) == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)


def test_a_lease_hands_out_evenly_spaced_slots_and_gives_up_late_ones():
    lease = Lease(start=100.0, rate=10.0, count=10, late=0.03)
    assert lease.take(1, 100.0) == 100.0
    assert lease.take(2, 100.0) == pytest.approx(100.1)  # a 2-segment text uses two slots
    assert lease.take(1, 100.0) == pytest.approx(100.3)
    # the holder fell behind: slots more than the late limit in the past are dropped, never sent in a burst
    assert lease.take(1, 100.62) == pytest.approx(100.6)
    assert lease.take(1, 100.74) == pytest.approx(100.8)  # 100.7 was 40 ms ago
    assert lease.take(1, 100.9) == pytest.approx(100.9)
    assert lease.take(1, 101.2) is None  # used up


class MemoryBuckets:
    """The TokenBuckets port in memory, with the same semantics as the DynamoDB adapter."""

    def __init__(self) -> None:
        self.tat: dict[str, float] = {}
        self.backlog: dict[str, float] = {}
        self.daily: dict[tuple[str, str], int] = {}
        self.writes = 0

    def reserve(self, bucket, seconds, now, horizon):
        self.writes += 1
        tat = self.tat.get(bucket, 0.0)
        if tat < now:
            self.tat[bucket] = now + seconds
            return now
        if tat + seconds <= now + horizon:
            self.tat[bucket] = tat + seconds
            return tat
        return None

    def ticket(self, bucket, seconds, floor):
        self.writes += 1
        start = max(self.backlog.get(bucket, 0.0), floor)
        self.backlog[bucket] = start + seconds
        return start

    def give_back(self, bucket, start, end):
        self.writes += 1
        if self.tat.get(bucket) == end:
            self.tat[bucket] = start

    def looks_idle(self, bucket):
        return self.tat.get(bucket, 0.0) < 1.0  # never touched: folded into the claim (see below)

    def note_busy(self, bucket):
        self.tat.setdefault(bucket, 1.0)

    def count_daily(self, brand, day, segments, cap):
        self.writes += 1
        used = self.daily.get((brand, day), 0)
        if used + segments > cap:
            return False
        self.daily[(brand, day)] = used + segments
        return True


class Wall:
    def __init__(self, t: float = 1_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_slots_never_exceed_the_rate_in_any_second_and_blocks_save_writes():
    buckets, wall = MemoryBuckets(), Wall()
    pacer = Pacer(buckets, wall=wall)
    t = Throughput(segments_per_second=50, headroom=1.0)
    sends = []
    for _ in range(500):
        d = pacer.acquire("MG1", "brand", t, 1, "transactional", NOW)
        assert d.send_at is not None
        wall.t = max(wall.t, d.send_at)  # the sender sleeps until its slot
        sends.append(d.send_at)
    assert sends == sorted(sends)
    worst = max(sum(1 for s in sends if start <= s < start + 1) for start in sends)
    assert worst == 50
    assert sends[-1] - sends[0] == pytest.approx(499 / 50)  # and no slot wasted: full utilisation
    assert buckets.writes == 50  # blocks of 10 segments: one bucket write per 10 texts


def test_marketing_beyond_the_horizon_takes_a_ticket_in_the_backlog_line():
    buckets, wall = MemoryBuckets(), Wall()
    pacer = Pacer(buckets, wall=wall)
    t = Throughput(segments_per_second=10, headroom=1.0)
    decisions = [pacer.acquire("MG1", "b", t, 1, "marketing", NOW) for _ in range(100)]
    now_sends = [d for d in decisions if d.send_at is not None]
    deferred = [d for d in decisions if d.defer_s is not None]
    # 2 s of horizon at 10/s are booked now; everyone else gets a distinct later place, once
    assert len(now_sends) == 20 and len(deferred) == 80
    assert all(d.ticket and d.reason == "throughput" for d in deferred)
    waits = [d.defer_s for d in deferred]
    assert waits == sorted(waits) and waits[0] == pytest.approx(2.0) and waits[-1] == pytest.approx(9.9)


def test_transactional_texts_never_take_tickets_and_wait_at_most_the_marketing_horizon():
    buckets, wall = MemoryBuckets(), Wall()
    pacer = Pacer(buckets, wall=wall)
    t = Throughput(segments_per_second=10, headroom=1.0)
    for _ in range(500):  # a broadcast fills the bucket as far as marketing may
        pacer.acquire("MG1", "b", t, 1, "marketing", NOW)
    order = Pacer(buckets, wall=wall).acquire("MG1", "b", t, 1, "transactional", NOW)  # another container
    assert order.send_at is not None and order.send_at - wall.t <= pacing.MARKETING_HORIZON_S


def test_a_ticket_holder_bumped_by_transactional_traffic_retries_soon_without_losing_its_place():
    buckets, wall = MemoryBuckets(), Wall()
    buckets.tat["MG1"] = wall.t + 60  # booked a minute ahead (e.g. a burst of order confirmations)
    d = Pacer(buckets, wall=wall).acquire("MG1", "b", Throughput(), 1, "marketing", NOW, has_ticket=True)
    assert d.defer_s is not None and d.defer_s <= 5 and not d.ticket
    assert buckets.backlog == {}  # no second place in line


def test_the_brand_daily_cap_defers_marketing_to_pacific_midnight_but_not_order_texts():
    buckets, wall = MemoryBuckets(), Wall()
    t = Throughput(sender_type="10dlc", trust_tier="low_volume")  # 2,000 segments/day at T-Mobile
    buckets.daily[("brand", "2026-11-23")] = 1_999
    d = Pacer(buckets, wall=wall).acquire("MG1", "brand", t, 1, "marketing", NOW)
    assert (d.defer_until, d.reason) == (datetime(2026, 11, 24, 8, 0, tzinfo=UTC), "daily_cap")
    order = Pacer(buckets, wall=wall).acquire("MG1", "brand", t, 1, "transactional", NOW)
    assert order.send_at is not None
    other_brand = Pacer(buckets, wall=wall).acquire("MG2", "other", t, 1, "marketing", NOW)
    assert other_brand.send_at is not None and buckets.daily[("other", "2026-11-23")] >= 1


def test_each_sender_has_its_own_bucket():
    buckets, wall = MemoryBuckets(), Wall()
    pacer = Pacer(buckets, wall=wall)
    t = Throughput(segments_per_second=5, headroom=1.0)
    for _ in range(50):
        pacer.acquire("+18005550100", "a", t, 1, "marketing", NOW)
    other = pacer.acquire("+18005550199", "b", t, 1, "marketing", NOW)
    assert other.send_at == wall.t  # a broadcast from one shop's number costs another shop nothing


@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 5, 8, 20])
def test_backoff_grows_exponentially_with_jitter_and_a_cap(attempt):
    ceiling = min(300, 2 * 2 ** (attempt - 1))
    low = backoff_s(attempt, 2, 300, rng=lambda: 0.0)
    high = backoff_s(attempt, 2, 300, rng=lambda: 0.999999)
    assert low == pytest.approx(ceiling / 2, abs=1) and high == pytest.approx(ceiling, abs=1)
    assert high <= 300
    draws = {backoff_s(attempt, 2, 300) for _ in range(50)}
    assert attempt < 2 or len(draws) > 1  # jitter: retries of one outage spread out


def test_a_lone_text_on_an_idle_sender_books_its_slot_in_the_claim_transaction():
    buckets, wall = MemoryBuckets(), Wall()
    t = Throughput(sender_type="10dlc", trust_tier="low", segments_per_second=50, headroom=1.0)
    d = Pacer(buckets, wall=wall).acquire("MG1", "brand", t, 1, "transactional", NOW, want=1)
    assert d.send_at == wall.t and buckets.writes == 0  # no write of its own
    assert d.fold == pacing.Fold("MG1", wall.t, wall.t + 1 / 50, ("brand", "2026-11-23", 1, 10_000))


def test_a_lone_text_on_a_busy_sender_books_and_counts_one_slot_not_a_block():
    buckets, wall = MemoryBuckets(), Wall()
    buckets.tat["MG1"] = wall.t - 5  # used before, idle now
    t = Throughput(sender_type="10dlc", trust_tier="low", segments_per_second=50, headroom=1.0)
    d = Pacer(buckets, wall=wall).acquire("MG1", "brand", t, 1, "transactional", NOW, want=1)
    assert d.send_at == wall.t and d.fold is None
    assert buckets.tat["MG1"] == pytest.approx(wall.t + 1 / 50)  # one slot, not ten
    assert buckets.daily[("brand", "2026-11-23")] == 1  # a low-volume day is not eaten up by blocks
    batch = Pacer(buckets, wall=wall)
    batch.acquire("MG1", "brand", t, 2, "marketing", NOW, want=7)  # a batch of 7 segments, 2 of them here
    assert buckets.daily[("brand", "2026-11-23")] == 8


class RestartedBuckets(MemoryBuckets):
    def looks_idle(self, bucket):
        return True  # the adapter's view after this container's last reserve found the bucket idle


def test_the_last_text_of_a_batch_follows_its_own_block_instead_of_folding_ahead_of_it():
    """A lone text may book its slot in its claim only on an idle sender: this container's own block still
    running means it is not idle (the fold would be refused at the claim, and the text booked again)."""
    buckets, wall = RestartedBuckets(), Wall()
    t = Throughput(sender_type="toll_free", segments_per_second=5)  # paced to 4.8/s: blocks of 4 slots
    pacer = Pacer(buckets, wall=wall)
    decisions = [pacer.acquire("TF1", "brand", t, 1, "marketing", NOW, want=5 - i) for i in range(5)]
    assert [d.fold for d in decisions] == [None] * 5
    assert [d.send_at for d in decisions] == pytest.approx([wall.t + i / t.rate for i in range(5)])
    wall.t += 5  # the block ran out long ago: a lone text on the idle sender folds again
    assert pacer.acquire("TF1", "brand", t, 1, "marketing", NOW, want=1).fold is not None


def _two_containers_sending(lateness: float, others: float, seed: int) -> int:
    """Two containers take turns on one 5/s sender (paced 4.8/s), a block of four texts a turn. The last text of each
    turn goes out `lateness` after its slot (a container whose claims ran slow), the others up to `others`
    after theirs (uniformly). The most texts in any 1-second window."""
    import random

    rng = random.Random(seed)
    buckets, wall = MemoryBuckets(), Wall()
    t = Throughput(sender_type="toll_free", segments_per_second=5)
    pacers = [Pacer(buckets, wall=wall), Pacer(buckets, wall=wall)]
    sent = []
    for i in range(400):
        d = pacers[(i // 4) % 2].acquire("MG1", "b", t, 1, "transactional", NOW, want=4)
        assert d.send_at is not None
        sent.append(d.send_at + (lateness if i % 4 == 3 else rng.uniform(0, others)))
        wall.t = max(wall.t, d.send_at - 0.5)  # time moves on as the texts go
    sent.sort()
    return max(sum(1 for s in sent if start <= s < start + 1) for start in sent)


@pytest.mark.parametrize("seed", range(5))
def test_texts_within_the_late_limit_never_exceed_the_rate_in_any_second_whoever_sends(seed):
    limit = pacing.late_limit(Throughput(sender_type="toll_free", segments_per_second=5))
    assert _two_containers_sending(limit, limit, seed) <= 5
    # the bound is the point: a turn's last text 100 ms late (half a slot) and the other container's on
    # time put six texts into one second
    assert _two_containers_sending(0.1, 0.0, seed) == 6


@pytest.mark.parametrize(("rate", "limit"), [(1.5, 0.0208333), (3.75, 0.025)])
def test_at_a_fractional_rate_the_bound_is_whole_texts_in_their_share_of_a_second(rate, limit):
    """3.75/s (10DLC low volume): three texts in 0.8 s, 3/4 of 3/3.6 - 3/3.75; 1.5/s: one in 0.67 s. Not the
    5 ms floor that counting whole texts in a whole second would give."""
    t = Throughput(sender_type="toll_free", segments_per_second=rate)
    assert pacing.late_limit(t) == pytest.approx(limit, rel=1e-4)


def test_the_lead_is_the_90th_percentile_of_the_last_32_claims_capped():
    pacer = Pacer(MemoryBuckets(), wall=Wall())
    assert pacer.lead() == 0.0  # no claim yet
    for ms in range(1, 11):
        pacer.note_claim(ms / 1000)
    assert pacer.lead() == 0.009  # of 1..10 ms
    for _ in range(32):
        pacer.note_claim(0.002)
    assert pacer.lead() == 0.002  # only the last 32 count
    for _ in range(32):
        pacer.note_claim(5.0)
    assert pacer.lead() == pacing.MAX_LEAD_S


def test_a_slot_exactly_at_the_late_limit_is_on_time_and_a_lease_uses_the_senders_limit():
    t = Throughput(sender_type="toll_free", segments_per_second=5)
    limit = pacing.late_limit(t)
    assert Pacer.on_time(0.0, limit, t) and not Pacer.on_time(0.0, limit + 1e-9, t)
    pacer = Pacer(MemoryBuckets(), wall=Wall())
    pacer.acquire("MG1", "b", t, 1, "transactional", NOW, want=4)
    (lease,) = pacer.leases.values()
    assert lease.late == limit


def test_a_block_is_never_more_than_ten_segments_whatever_the_batch_wants():
    pacer = Pacer(MemoryBuckets(), wall=Wall())
    pacer.acquire(
        "MG1", "b", Throughput(segments_per_second=50, headroom=1.0), 1, "transactional", NOW, want=20
    )
    (lease,) = pacer.leases.values()
    assert lease.count == pacing.MAX_BLOCK


def test_a_block_past_the_daily_cap_is_given_back_and_forgotten():
    buckets, wall = MemoryBuckets(), Wall()
    t = Throughput(sender_type="10dlc", trust_tier="low_volume", segments_per_second=10, headroom=1.0)
    buckets.daily[("brand", "2026-11-23")] = 1_999  # one segment left of 2,000
    buckets.tat["MG1"] = wall.t + 0.5  # booked half a second ahead
    pacer = Pacer(buckets, wall=wall)
    d = pacer.acquire("MG1", "brand", t, 1, "marketing", NOW, want=4)  # a block of 4 passes the cap
    assert d.reason == "daily_cap"
    assert buckets.tat["MG1"] == wall.t + 0.5  # the block's slots went back
    assert "MG1" not in pacer.leases


def test_a_ticket_is_a_place_in_that_senders_line():
    buckets, wall = MemoryBuckets(), Wall()
    buckets.tat["MG1"] = wall.t + 60
    d = Pacer(buckets, wall=wall).acquire("MG1", "b", Throughput(), 1, "marketing", NOW)
    assert d.ticket and set(buckets.backlog) == {"MG1"}


@pytest.mark.parametrize(("category", "retry_s"), [("marketing", 1.0), ("transactional", 2.5)])
def test_a_text_that_finds_the_sender_booked_beyond_its_horizon_comes_back_soon(category, retry_s):
    buckets, wall = MemoryBuckets(), Wall()
    buckets.tat["MG1"] = wall.t + 60
    d = Pacer(buckets, wall=wall).acquire("MG1", "b", Throughput(), 1, category, NOW, has_ticket=True)
    assert (d.defer_s, d.reason, d.ticket) == (retry_s, "throughput", False)
