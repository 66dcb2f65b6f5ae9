"""The local cloud as an HTTP server: keep-alive latency, a burst of connections, concurrent webhooks.

- fake Twilio: 200 message creates by the real twilio client on one keep-alive connection (mean, p50, p95);
- front door: 200 keep-alive `GET /_local/health` on one connection (mean, p50, p95);
- burst: 100 clients open a connection at once and ask for `/_local/health`: how many got an answer
  (the rest were refused or reset: the listen backlog overflowed);
- webhooks: 8 clients post a signed Shopify webhook at once, 5 rounds: p50/p95 of the answer time, and
  one client posting alone for comparison (the handler runs one invocation at a time, or several).

Figures only: it never fails the build.
"""

from __future__ import annotations

import os

os.environ.update(POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true", TZ="UTC")

import http.client
import socket
import statistics
import threading
import time
from collections.abc import Callable

from smsflows.local import client, samples
from smsflows.local.cloud import LocalCloud, LocalConfig
from smsflows.local.fake_twilio import FakeTwilio
from smsflows.local.provision import LOCAL_TWILIO_SID

N = 200
BURST = 100
CONCURRENT = 8
ROUNDS = 5
SHOP = "demo-shop.myshopify.com"
SECRET = "bench-shopify-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _figures(samples_s: list[float]) -> str:
    ms = sorted(x * 1000 for x in samples_s)
    p95 = ms[max(0, round(0.95 * len(ms)) - 1)]
    return f"mean {statistics.fmean(ms):6.2f} ms  p50 {statistics.median(ms):6.2f} ms  p95 {p95:6.2f} ms"


def _timed(call: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
    return out


def fake_twilio_keep_alive() -> None:
    from twilio.rest import Client

    from smsflows.adapters.twilio_provider import _http_client

    fake = FakeTwilio(LOCAL_TWILIO_SID, "bench-token").start()
    fake.send_status_callbacks = False
    try:
        messages = Client(LOCAL_TWILIO_SID, "bench-token", http_client=_http_client(fake.base_url)).messages

        def create() -> None:
            messages.create(to="+15125550100", body="bench", messaging_service_sid="MG" + "0" * 31 + "1")

        create()  # connect and warm up
        print(f"fake Twilio, {N} keep-alive creates (twilio client):  {_figures(_timed(create, N))}")
    finally:
        fake.stop()


def front_door_keep_alive(base_url: str) -> None:
    host, port = base_url.rsplit("/", 1)[-1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)

    def health() -> None:
        conn.request("GET", "/_local/health")
        response = conn.getresponse()
        response.read()
        assert response.status == 200, response.status

    health()
    print(f"front door, {N} keep-alive GET /_local/health:       {_figures(_timed(health, N))}")
    conn.close()


def burst(base_url: str) -> None:
    host, port = base_url.rsplit("/", 1)[-1].split(":")
    go = threading.Barrier(BURST)
    outcomes: list[str] = []
    lock = threading.Lock()

    slowest = [0.0]

    def one() -> None:
        go.wait()
        start = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            conn.request("GET", "/_local/health")
            status = conn.getresponse().status
            conn.close()
            outcome = str(status)
        except OSError as exc:
            outcome = type(exc).__name__
        with lock:
            outcomes.append(outcome)
            slowest[0] = max(slowest[0], time.perf_counter() - start)

    threads = [threading.Thread(target=one) for _ in range(BURST)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts = {k: outcomes.count(k) for k in sorted(set(outcomes))}
    print(f"burst of {BURST} connections at once: {counts}, slowest answer {slowest[0] * 1000:.0f} ms")


def webhooks(base_url: str) -> None:
    counter = iter(range(7000, 100000))
    lock = threading.Lock()

    def post() -> float:
        with lock:
            n = next(counter)
        order = samples.order(n, n, f"+1512555{n % 10000:04d}")
        start = time.perf_counter()
        result = client.post_shopify(base_url, order, secret=SECRET, topic="orders/create", shop=SHOP)
        elapsed = time.perf_counter() - start
        assert result.status == 200, result.status
        return elapsed

    post()
    alone = [post() for _ in range(CONCURRENT * ROUNDS)]
    together: list[float] = []
    for _ in range(ROUNDS):
        go = threading.Barrier(CONCURRENT)

        def one(go: threading.Barrier = go) -> None:
            go.wait()
            elapsed = post()
            with lock:
                together.append(elapsed)

        threads = [threading.Thread(target=one) for _ in range(CONCURRENT)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    print(f"signed webhook, one client:         {_figures(alone)}")
    print(f"signed webhook, {CONCURRENT} clients at once: {_figures(together)}")


def main() -> None:
    os.environ["SHOPIFY_API_SECRET"] = SECRET
    fake_twilio_keep_alive()
    port = _free_port()
    with LocalCloud(LocalConfig.from_env(port=port, time_scale=1.0)) as cloud:
        front_door_keep_alive(cloud.base_url)
        burst(cloud.base_url)
        webhooks(cloud.base_url)


if __name__ == "__main__":
    main()
