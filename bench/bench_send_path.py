"""In-process send path against a bare twilio client call, in the same run, against the same fake Twilio.

The send path is the real `send_message` handler with batches of 10 (consent and suppression read for the
batch, pacing, the atomic claim, the provider call, the log write). Its time splits into: the provider
call, the AWS calls (here emulated by moto in this process, in AWS network round trips counted by
bench_api_calls.py), and our own code, which is what this compares with the bare provider call.
Target: our own overhead per text smaller than the provider call.
"""

from __future__ import annotations

import os

os.environ.update(POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true", TZ="UTC")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")

import json
import threading
import time

from smsflows.adapters.twilio_provider import TwilioProvider
from smsflows.local.inprocess import InProcessCloud
from smsflows.local.pollers import sqs_event
from smsflows.local.provision import LOCAL_TWILIO_SID
from smsflows.ports import Sender
from smsflows.runtime import deps as deps_module

N = 300
SHOP = "demo-shop.myshopify.com"


class Timer:
    """Time spent inside AWS calls (botocore before-call .. after-call), per thread, summed."""

    def __init__(self, clients: list[object]) -> None:
        self.total = 0.0
        self.calls = 0
        self._local = threading.local()
        self._lock = threading.Lock()
        for client in clients:  # a client copies the session's hooks when it is made: hook each one
            client.meta.events.register("before-call", self.before)  # type: ignore[attr-defined]
            client.meta.events.register("after-call", self.after)  # type: ignore[attr-defined]

    def before(self, **_: object) -> None:
        self._local.t = time.perf_counter()

    def after(self, **_: object) -> None:
        with self._lock:
            self.total += time.perf_counter() - self._local.t
            self.calls += 1


def main() -> None:
    with InProcessCloud("bench-secret", "bench-token", prefix="path") as cloud:
        cloud.twilio.send_status_callbacks = False
        deps = deps_module.get_deps()
        sender = Sender(messaging_service_sid="MG" + "0" * 31 + "1")
        bare = TwilioProvider(LOCAL_TWILIO_SID, "bench-token", api_base=cloud.twilio.base_url)
        bare.send(to="+15125550000", body="warm-up", sender=sender, status_callback=None)

        # Our path, with the provider call timed separately.
        provider = deps.send_deps.provider
        provider_time = {"t": 0.0}
        real_send = provider.send

        def timed_send(**kwargs: object) -> object:
            t0 = time.perf_counter()
            try:
                return real_send(**kwargs)
            finally:
                provider_time["t"] += time.perf_counter() - t0

        provider.send = timed_send  # type: ignore[method-assign]
        texts = [json.dumps({"message_id": f"path-{i}", "shop": SHOP, "to": f"+1512555{6000 + i:04d}",
                             "body": "Demo Shop: your order shipped", "category": "transactional",
                             "created_at": "2026-11-23T17:00:00+00:00"}) for i in range(N + 10)]  # fmt: skip
        arn = "arn:aws:sqs:us-east-1:123456789012:q"
        cloud.invoke("send_message", {"Records": sqs_event([{"MessageId": "w", "ReceiptHandle": "r",
                                                             "Body": texts[-1]}], arn, "us-east-1")["Records"]})  # fmt: skip
        timer = Timer([deps.client(s) for s in ("dynamodb", "sqs", "secretsmanager", "scheduler")])
        provider_time["t"] = 0.0
        batches = [sqs_event([{"MessageId": str(j), "ReceiptHandle": "r", "Body": b} for j, b in
                              enumerate(texts[i : i + 10])], arn, "us-east-1") for i in range(0, N, 10)]  # fmt: skip
        # Sequential provider calls for a fair per-text split: one text per invocation here.
        singles = [sqs_event([{"MessageId": "s", "ReceiptHandle": "r", "Body": b}], arn, "us-east-1")
                   for b in texts[:N]]  # fmt: skip
        del batches
        started = time.perf_counter()
        for event in singles:
            cloud.invoke("send_message", event)
        path_s = time.perf_counter() - started
        assert len(cloud.twilio.outbox()) == N + 2, len(cloud.twilio.outbox())

        t0 = time.perf_counter()
        for i in range(N):
            bare.send(to=f"+1512555{8000 + i:04d}", body="Demo Shop: your order shipped", sender=sender,
                      status_callback=None)  # fmt: skip
        bare_s = time.perf_counter() - t0

        per = lambda seconds: seconds / N * 1000  # noqa: E731
        own = path_s - timer.total - provider_time["t"]
        print(f"{N} transactional texts, one per invocation, in-process (moto + the fake Twilio on loopback)")
        print(f"  bare twilio client call:          {per(bare_s):6.2f} ms/text  ({N / bare_s:.0f} texts/s)")
        print(f"  send path, whole:                 {per(path_s):6.2f} ms/text  ({N / path_s:.0f} texts/s)")
        print(f"    of which the provider call:     {per(provider_time['t']):6.2f} ms")
        print(
            f"    of which AWS calls under moto:  {per(timer.total):6.2f} ms  ({timer.calls / N:.2f} calls/text)"
        )
        print(f"    of which our own code:          {per(own):6.2f} ms")
        print(f"  our own overhead / bare provider call: {own / bare_s:.2f}x  (target < 1)")


if __name__ == "__main__":
    main()
