"""`audience.tally`: who a segment holds now, by candidate zones, read from every shard of the index."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from smsflows.domain.campaigns import audience
from smsflows.domain.campaigns.segments import SegmentMember, parse_segment
from tests.fakes import FakeSegmentMembers

SHOP = "demo-shop.myshopify.com"
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def index(n: int = 3000) -> FakeSegmentMembers:
    members = FakeSegmentMembers()
    zones = (frozenset({"America/New_York"}), frozenset({"America/Chicago"}),
             frozenset({"America/Boise", "America/Los_Angeles"}))  # fmt: skip
    for i in range(n):
        members.put(SHOP, SegmentMember(phone=f"+1212555{i:04d}", status="subscribed", orders_count=i % 4,
                                        candidate_zones=zones[i % 3]))  # fmt: skip
    return members


def test_every_shard_is_counted_and_reading_them_at_once_counts_the_same():
    members = index()
    repeat = parse_segment({"repeat": True})  # 2+ orders

    def page(shard, cursor, limit):
        return members.page(SHOP, shard, cursor, limit)

    one_by_one = audience.tally(repeat, page, members.shards, NOW, "US", workers=1)
    at_once = audience.tally(repeat, page, members.shards, NOW, "US")
    assert one_by_one == at_once
    expected: dict[tuple[str, ...], int] = {}
    for i in range(3000):
        if i % 4 >= 2:
            zones = (("America/New_York",), ("America/Chicago",), ("America/Boise", "America/Los_Angeles"))[i % 3]
            expected[zones] = expected.get(zones, 0) + 1
    assert at_once == expected and sum(at_once.values()) == 1500
    assert list(at_once.values()) == sorted(at_once.values(), reverse=True)  # largest group first


def test_the_shards_are_read_at_the_same_time():
    """Each shard's first page waits until every shard has asked for one: read one after another, the first
    would wait alone and the barrier would break."""
    members = index(200)
    everyone = parse_segment({"subscribed": True})
    started = threading.Barrier(members.shards, timeout=10)
    first: set[int] = set()
    lock = threading.Lock()

    def page(shard, cursor, limit):
        with lock:
            fresh = shard not in first
            first.add(shard)
        if fresh:
            started.wait()  # BrokenBarrierError if the shards are not read together
        return members.page(SHOP, shard, cursor, limit)

    counts = audience.tally(everyone, page, members.shards, NOW, "US")
    assert sum(counts.values()) == 200 and len(first) == members.shards
