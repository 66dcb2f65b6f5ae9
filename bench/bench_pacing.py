"""Pacing against the fake Twilio: a burst of 2,000 one-segment texts for a sender registered at 50
segments/s. Prints the most texts the fake Twilio received in any 1-second window (must be <= 50), the
utilisation (achieved rate / registered rate, target >= 90 %) and the bucket writes per text.

What runs: the real Pacer with its token bucket in DynamoDB (moto, in-process), the real twilio client
against the fake Twilio on loopback, and three simulated Lambda containers that do what send_message
does with a batch of 10: book every text's slot first (or a place in the backlog line, re-delivered
when due as an SQS delay would), then send the batch concurrently, each text at its slot. The consent,
claim and log writes of the full send path are left out here: under moto they cost ~50 ms of CPU per
text on this 2-core machine, which alone would cap a single process below 50 texts/s. bench_send_path.py
measures that path; tests/integration/test_sender_at_scale.py runs it paced end to end.
"""

from __future__ import annotations

import os

os.environ.update(POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true", TZ="UTC")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")

import heapq
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from smsflows.adapters.pacing_store import DynamoTokenBuckets
from smsflows.adapters.twilio_provider import TwilioProvider
from smsflows.domain.registration import Throughput
from smsflows.domain.sending.pacing import Pacer
from smsflows.local.inprocess import InProcessCloud
from smsflows.local.provision import LOCAL_TWILIO_SID
from smsflows.ports import Sender
from smsflows.runtime import deps as deps_module

TEXTS = 2_000
REGISTERED = 50.0  # segments per second
CONTAINERS = 3
BATCH = 10
SENDER = Sender(messaging_service_sid="MG" + "5" * 32)
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


class Backlog:
    """The send queue: texts visible now, and texts delayed until their backlog place (SQS DelaySeconds)."""

    def __init__(self, texts: list[int]) -> None:
        self._ready = list(texts)
        self._delayed: list[tuple[float, int]] = []
        self._lock = threading.Lock()

    def take(self, n: int) -> list[int]:
        with self._lock:
            now = time.time()
            while self._delayed and self._delayed[0][0] <= now:
                self._ready.append(heapq.heappop(self._delayed)[1])
            out, self._ready = self._ready[:n], self._ready[n:]
            return out

    def delay(self, text: int, seconds: float) -> None:
        with self._lock:
            heapq.heappush(self._delayed, (time.time() + max(1.0, round(seconds)), text))  # whole seconds

    def empty(self) -> bool:
        with self._lock:
            return not self._ready and not self._delayed


def container(backlog: Backlog, buckets: DynamoTokenBuckets, provider: TwilioProvider, stats: dict) -> None:
    pacer = Pacer(buckets)
    throughput = Throughput(sender_type="toll_free", segments_per_second=REGISTERED)
    pool = ThreadPoolExecutor(max_workers=BATCH)
    tickets: set[int] = set()
    while not backlog.empty():
        batch = backlog.take(BATCH)
        if not batch:
            time.sleep(0.02)
            continue
        ready = []
        for text in batch:
            d = pacer.acquire(
                SENDER.key, "brand", throughput, 1, "marketing", NOW, has_ticket=text in tickets
            )
            if d.send_at is not None:
                ready.append((text, d.send_at))
            else:
                tickets.add(text)
                stats["deferred"] += 1
                backlog.delay(text, d.defer_s or 1.0)

        def send(item: tuple[int, float]) -> None:
            text, at = item
            wait = at - time.time()
            if wait > 0:
                time.sleep(wait)
            if not pacer.on_time(at, time.time(), throughput):
                stats["late"] += 1
                backlog.delay(text, 1.0)
                return
            provider.send(to=f"+1512{5550000 + text:07d}", body=f"Demo Shop: sale {text}", sender=SENDER,
                          status_callback=None)  # fmt: skip

        list(pool.map(send, ready))


def main() -> None:
    with InProcessCloud("bench-secret", "bench-token", prefix="pace") as cloud:
        cloud.twilio.send_status_callbacks = False
        deps = deps_module.get_deps()
        writes = {"n": 0}
        deps_module._session().events.register(
            "before-call.dynamodb.UpdateItem", lambda **_: writes.__setitem__("n", writes["n"] + 1)
        )
        buckets = DynamoTokenBuckets(deps.client("dynamodb"), deps.settings.table_name)
        provider = TwilioProvider(LOCAL_TWILIO_SID, "bench-token", api_base=cloud.twilio.base_url)
        provider.send(
            to="+15125550000", body="warm-up", sender=SENDER, status_callback=None
        )  # a warm container
        cloud.twilio.arrivals.clear()

        backlog = Backlog(list(range(1, TEXTS + 1)))
        stats = {"deferred": 0, "late": 0}
        started = time.time()
        threads = [threading.Thread(target=container, args=(backlog, buckets, provider, stats))
                   for _ in range(CONTAINERS)]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        arrivals = sorted(cloud.twilio.arrivals)
        assert len(arrivals) == TEXTS, len(arrivals)
        span = arrivals[-1] - arrivals[0]
        worst = 0
        j = 0
        for i, t in enumerate(arrivals):  # the most arrivals in any window [t, t + 1 s)
            while j < len(arrivals) and arrivals[j] < t + 1.0:
                j += 1
            worst = max(worst, j - i)
        rate = (TEXTS - 1) / span
        print(f"{TEXTS} one-segment texts, sender registered at {REGISTERED:.0f} segments/s, "
              f"{CONTAINERS} containers x batches of {BATCH}")  # fmt: skip
        print(f"  most texts in any 1-second window at the fake Twilio: {worst}  (limit {REGISTERED:.0f})")
        print(f"  achieved {rate:.1f} texts/s over {span:.1f} s: utilisation {rate / REGISTERED:.1%} "
              f"(pacing target {Throughput(segments_per_second=REGISTERED).rate:.1f}/s = 96 % headroom)")  # fmt: skip
        print(f"  bucket writes (UpdateItem) per text: {writes['n'] / TEXTS:.3f}; "
              f"deferred to the backlog line: {stats['deferred']}; slots given up late: {stats['late']}")  # fmt: skip
        print(f"  wall time {time.time() - started:.1f} s")


if __name__ == "__main__":
    main()
