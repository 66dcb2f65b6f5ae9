"""The campaign fan-out (issue 15 part 4), in-process with in-memory ports: 1,000,000 synthetic recipients.

What runs: `fanout.step` exactly as `release_campaign` runs it (segment evaluation, zone grouping, assignment
by hash, message rendering and validation, the window's delays), over a synthetic index of 16 shards that
makes each page's members on demand, so the only memory a run holds is its own: one page and one window.
Simulated time: each step runs at the instant its predecessor asked for. What it leaves out: the DynamoDB
Query, the SQS SendMessageBatch and BatchWriteItem calls (counted, not timed: see the AWS projection it
prints), and the sender.

Baseline in the same run: the same recipients read and evaluated without building texts (the enumeration
alone), so the share of the work that is the fan-out's own shows.

Figures, never pass/fail. Run: .venv/bin/python bench/bench_campaign_fanout.py [recipients]
"""

from __future__ import annotations

import math
import resource
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

from smsflows.domain.campaigns import campaign as C
from smsflows.domain.campaigns import fanout as F
from smsflows.domain.campaigns.segments import SegmentMember, compile_segment, parse_segment
from smsflows.domain.registration import Throughput
from smsflows.domain.shops import ShopConfig

SHOP = "bench-shop.myshopify.com"
SHARDS = 16
ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")
CONFIG = ShopConfig(
    shop=SHOP, brand_name="Bench Shop", throughput=Throughput(sender_type="10dlc", trust_tier="high")
)  # 225 x 0.96 segments/s
START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SEGMENT = parse_segment({"subscribed": True})
SAMPLE_EVERY = 10


class SyntheticIndex:
    """`n` subscribed members over SHARDS shards, made page by page (nothing kept between pages)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.reads = 0
        self.queries = 0

    def page(self, shard: int, cursor: Any, limit: int) -> tuple[list[SegmentMember], dict[str, str] | None]:
        self.queries += 1
        size = self.n // SHARDS + (1 if shard < self.n % SHARDS else 0)
        start = int(cursor["i"]) if cursor else 0
        end = min(size, start + limit)
        members = [
            SegmentMember(phone=f"+1{2125550000 + (i * SHARDS + shard) % 7_999_999_999:010d}", status="subscribed",
                          candidate_zones=frozenset({ZONES[(i + shard) % len(ZONES)]}))
            for i in range(start, end)
        ]  # fmt: skip
        self.reads += len(members)
        return members, ({"i": str(end)} if end < size else None)


def campaign() -> C.Campaign:
    made, _ = C.create(CONFIG, name="Bench", variants={"A": "Bench Shop: 20% off. Reply STOP to opt out.",
                       "B": "Bench Shop: a gift inside. Reply STOP to opt out."}, weights={"A": 50, "B": 50},
                       holdout=0.05, segment_doc={"subscribed": True}, now=START - timedelta(days=1), by="bench")  # fmt: skip
    return made


def fan_out(n: int) -> dict[str, float]:
    index = SyntheticIndex(n)
    made = campaign()
    progress, now = F.Progress(), START
    steps = texts = sent_batches = assignment_batches = 0
    peak_step = 0
    traced = 0.0
    began = time.perf_counter()
    while not progress.done:
        sampled = steps % SAMPLE_EVERY == 0  # memory traced on every SAMPLE_EVERY-th step (tracing is slow)
        if sampled:
            tracemalloc.start()
            t0 = time.perf_counter()
        result = F.step(made, F.ONCE, progress, index.page, SHARDS, CONFIG, now, segment=SEGMENT)
        bodies = [r.message.model_dump(mode="json") for r in result.releases]  # what goes on the wire
        texts += len(bodies)
        sent_batches += math.ceil(len(bodies) / 10)
        assignment_batches += math.ceil(len(result.assignments) / 25)
        if sampled:
            peak_step = max(peak_step, tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
            traced += time.perf_counter() - t0
        steps += 1
        progress = result.progress
        if progress.wait_until is not None:
            now = max(now, progress.wait_until)
    wall = time.perf_counter() - began - traced
    steps_timed = steps - math.ceil(steps / SAMPLE_EVERY)
    wall = wall * steps / max(1, steps_timed)  # the traced steps' time replaced by the untraced steps' mean
    return {"recipients": n, "texts": texts, "held_out": progress.held_out, "steps": steps, "wall_s": wall,
            "per_s": n / wall, "peak_step_mb": peak_step / 1e6, "queries": index.queries,
            "send_batches": sent_batches, "assignment_batches": assignment_batches,
            "virtual_h": ((progress.finished_at or now) - START).total_seconds() / 3600}  # fmt: skip


def enumerate_only(n: int) -> float:
    index = SyntheticIndex(n)
    holds = compile_segment(SEGMENT, START)
    began = time.perf_counter()
    for shard in range(SHARDS):
        cursor = None
        while True:
            members, cursor = index.page(shard, cursor, F.PAGE_LIMIT)
            for m in members:
                holds(m)
            if cursor is None:
                break
    return time.perf_counter() - began


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    print("recipients   steps   wall s   recipients/s   peak MB/step   queries  SQS batches  ddb batches  "
          "virtual h   enumeration-only s")  # fmt: skip
    for n in sizes:
        r = fan_out(n)
        base = enumerate_only(n)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{n:>10,} {r['steps']:>7,} {r['wall_s']:>8.1f} {r['per_s']:>14,.0f} {r['peak_step_mb']:>14.1f} "
              f"{r['queries']:>9,} {r['send_batches']:>12,} {r['assignment_batches']:>12,} {r['virtual_h']:>10.2f} "
              f"{base:>20.1f}   process max RSS {rss:,.0f} MB")  # fmt: skip
        calls = (r["queries"] + r["send_batches"] + r["assignment_batches"] + 3 * r["steps"]) / n
        print(f"    AWS calls per recipient (Query + SendMessageBatch + BatchWriteItem + 3 per step: cursor "
              f"receive/send, progress write): {calls:.3f}")  # fmt: skip
    print(
        "peak MB/step: the largest Python allocation peak of a step (tracemalloc, every 10th step); max RSS: "
        "the process's high-water mark so far. Both stay flat as the audience grows: a run holds one page "
        "and one window at a time."
    )


if __name__ == "__main__":
    main()
