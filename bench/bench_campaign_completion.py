"""Campaign completion against the physical limit (issue 15), through the real handlers on the local cloud.

A campaign to N subscribers (default 600) on a sender registered at 5 segments/s: `smsflows local` in this
process in real time (scale 1: handler CPU counts, nothing is virtual), the real release_campaign and
send_message handlers fed by their SQS pollers, moto for AWS, the real twilio client against the fake
Twilio, whose outbox stamps each accepted text. Printed: the time from the first text to the last against
the physical limit (segments ÷ registered rate), the most texts in any 1-second window and how many of the
windows that begin at a text hold more than the registered rate, the longest gap between two texts.

The application clock starts at 10:00 on a Tuesday in Chicago (where the subscribers are) and runs at real
speed, so quiet hours never hold the texts whatever the hour the benchmark runs at; pacing is metered in
real seconds, as carriers meter it.

Baseline in the same run: the same texts put on the send queue all at once (what a broadcast without the
fan-out does: the sender's backlog line then defers most of them). What it leaves out: AWS network latency
(moto is in-process), Lambda cold starts and concurrency limits, carrier delivery.

Figures, never pass/fail. Run: .venv/bin/python bench/bench_campaign_completion.py [subscribers]
"""

from __future__ import annotations

import os

os.environ.update(POWERTOOLS_LOG_LEVEL="ERROR", POWERTOOLS_METRICS_DISABLED="true", TZ="UTC")

import bisect
import itertools
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from smsflows.local.cloud import DEFAULT_SHOP, LocalCloud, LocalConfig, _free_port
from smsflows.runtime import deps as deps_module

RATE = 5.0  # registered segments per second
START = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # Tuesday 10:00 in Chicago: lawful for every subscriber
DISCLOSURE = (
    "Yes, text me offers from Demo Shop: recurring automated marketing texts, up to 6 msgs/mo. Consent is not "
    "a condition of purchase. Msg & data rates may apply. Reply HELP for help, STOP to cancel. "
    "Terms: https://demo-shop.example/terms Privacy: https://demo-shop.example/privacy"
)


def figures(stamps: list[datetime], segments: int) -> dict[str, float]:
    times = sorted(t.timestamp() for t in stamps)
    span = times[-1] - times[0]
    ideal = (segments - 1) / RATE  # the physical limit between the first text and the last
    counts = [bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)]  # the window from each text
    gaps = max((b - a for a, b in itertools.pairwise(times)), default=0.0)
    return {"texts": len(times), "span_s": span, "ideal_s": ideal, "ratio": span / ideal if ideal else 0.0,
            "max_in_1s": max(counts), "over": sum(1 for c in counts if c > RATE), "max_gap_s": gaps}  # fmt: skip


def wait_for(cloud: LocalCloud, marker: str, n: int, timeout: float) -> list[datetime]:
    deadline = time.monotonic() + timeout
    while True:
        box = [m for m in cloud.twilio.outbox() if marker in m["body"]]
        if len(box) >= n or (box and time.monotonic() > deadline):
            return [datetime.fromisoformat(m["at"]) for m in box]
        if time.monotonic() > deadline:
            sys.exit(f"no {marker} text arrived in {timeout:.0f} s")
        time.sleep(0.5)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    from smsflows.admin import campaigns, imports
    from smsflows.domain.campaigns.segments import SegmentMember  # noqa: F401 - the layer is importable

    config = LocalConfig.from_env(port=_free_port("127.0.0.1"), start_at=START)
    with LocalCloud(config) as cloud:
        cloud.twilio.send_status_callbacks = False
        shops = deps_module.get_deps().shop_configs
        shop = shops.get(DEFAULT_SHOP)
        throughput = {"sender_type": "toll_free", "segments_per_second": RATE}
        shops.put(shop.model_copy(update={"throughput": shop.throughput.model_validate(throughput)}))
        rows = ["phone,consent_at,source,disclosure_text"]
        rows += [f'+1312555{i:04d},2026-10-01T14:00:00Z,web_form,"{DISCLOSURE}"' for i in range(n)]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "subscribers.csv"
            path.write_text("\n".join(rows) + "\n")
            t0 = time.perf_counter()
            imported = imports.import_csv(path, DEFAULT_SHOP, dry_run=False)
            import_s = time.perf_counter() - t0
        print(f"{imported['imported']} subscribers imported in {import_s:.1f} s; sender registered at {RATE:g} "
              f"segments/s (paced to {shops.get(DEFAULT_SHOP).throughput.rate:g})")  # fmt: skip

        made = campaigns.campaign_create(DEFAULT_SHOP, name="Bench", text="Demo Shop: FANOUT 20% off today.",
                                         segment_file=_everyone(), by="bench")  # fmt: skip
        first = campaigns.campaign_preview(DEFAULT_SHOP, made["id"])["eta"]["first_text"]
        if first and datetime.fromisoformat(first) > deps_module.get_deps().clock() + timedelta(minutes=1):
            sys.exit(f"every text would wait for quiet hours (first lawful text {first}), though the clock starts "
                     f"at {START.isoformat()}: the benchmark's start no longer fits the rules")  # fmt: skip
        began = time.perf_counter()
        campaigns.campaign_transition(DEFAULT_SHOP, made["id"], "schedule", by="bench")
        stamps = wait_for(cloud, "FANOUT", n, timeout=n / RATE * 3 + 60)
        fan = figures(stamps, n)
        if os.environ.get("BENCH_DUMP"):
            Path(os.environ["BENCH_DUMP"]).write_text("\n".join(str(t.timestamp()) for t in sorted(stamps)))
        fan_wall = time.perf_counter() - began
        shown = campaigns.campaign_show(DEFAULT_SHOP, made["id"])["counts"]

        # Baseline: the same number of texts on the send queue at once (no fan-out)
        from smsflows.adapters.queues import SqsQueue

        queue = SqsQueue(deps_module.get_deps().client("sqs"), deps_module.get_deps().settings.send_queue_url)
        now = deps_module.get_deps().clock()
        bodies: list[dict[str, Any]] = [
            {"message_id": f"burst-{i}", "shop": DEFAULT_SHOP, "to": f"+1312555{i:04d}", "category": "marketing",
             "body": "Demo Shop: BURST 20% off today. Reply STOP to opt out.", "created_at": now.isoformat(),
             "not_after": (now + timedelta(hours=2)).isoformat(), "flow": "bench"}
            for i in range(n)
        ]  # fmt: skip
        queue.send_batch(bodies)
        burst = figures(wait_for(cloud, "BURST", n, timeout=n / RATE * 3 + 60), n)

    print(f"{'path':<34} {'texts':>6} {'first→last s':>13} {'limit s':>8} {'× limit':>8} {'max in 1 s':>11} "
          f"{'windows > rate':>15} {'max gap s':>10}")  # fmt: skip
    for label, f in (("campaign fan-out", fan), ("baseline: all on the queue at once", burst)):
        print(f"{label:<34} {f['texts']:>6} {f['span_s']:>13.1f} {f['ideal_s']:>8.1f} {f['ratio']:>8.3f} "
              f"{f['max_in_1s']:>11} {f['over']:>15} {f['max_gap_s']:>10.2f}")  # fmt: skip
    print(f"(fan-out wall time from `campaign schedule` to the last text: {fan_wall:.1f} s; the campaign's "
          f"deferrals: {shown.get('deferred', 0)})")  # fmt: skip


def _everyone() -> str:
    """The README's segment of every subscriber."""
    return str(Path(__file__).resolve().parents[1] / "examples" / "everyone.json")


if __name__ == "__main__":
    main()
