"""A campaign's audience now, by time-zone group: what `campaign preview`, `campaign schedule` and
`segment count` read before anything is sent (issue 15 parts 2 and 5).

The members are paged shard by shard (one page per shard being read in memory at a time; up to `WORKERS`
shards are read at once) and grouped by their candidate zones, the grouping a local-time campaign releases
by and the ETA estimates by.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from smsflows.domain.campaigns.eta import AudienceGroup
from smsflows.domain.campaigns.fanout import PAGE_LIMIT, zones_of
from smsflows.domain.campaigns.segments import Segment, SegmentMember, compile_segment

Page = Callable[[int, Mapping[str, str] | None, int], tuple[list[SegmentMember], dict[str, str] | None]]


# Shards read at once: the index's shards are independent partitions, so a count of a million members (about
# 30 pages a shard) takes the time of one shard's pages instead of all of them one after another. `page` must
# be safe to call from threads (a boto3 client is).
WORKERS = 16


def tally(
    segment: Segment, page: Page, shards: int, now: datetime, shop_country: str | None, workers: int = WORKERS
) -> dict[tuple[str, ...], int]:
    """Members the segment holds now, by candidate zones (sorted), largest group first."""
    holds = compile_segment(segment, now)

    def shard_counts(shard: int) -> dict[tuple[str, ...], int]:
        counts: dict[tuple[str, ...], int] = {}
        cursor: Mapping[str, str] | None = None
        while True:
            members, cursor = page(shard, cursor, PAGE_LIMIT)
            for member in members:
                if holds(member):
                    zones = zones_of(member, shop_country)
                    counts[zones] = counts.get(zones, 0) + 1
            if cursor is None:
                return counts

    if workers <= 1 or shards <= 1:
        per_shard = [shard_counts(shard) for shard in range(shards)]
    else:
        with ThreadPoolExecutor(max_workers=min(workers, shards), thread_name_prefix="tally") as pool:
            per_shard = list(pool.map(shard_counts, range(shards)))  # the first failure is raised here
    total: dict[tuple[str, ...], int] = {}
    for counts in per_shard:
        for zones, n in counts.items():
            total[zones] = total.get(zones, 0) + n
    return dict(sorted(total.items(), key=lambda kv: (-kv[1], kv[0])))


def groups(counts: Mapping[tuple[str, ...], int], country: str | None) -> list[AudienceGroup]:
    """The ETA's groups: a US or Canadian state unknown, so the strictest state rule applies (A2.2)."""
    return [AudienceGroup.of(n, *zones, country=country or "US") for zones, n in counts.items() if n > 0]
