"""AWS API calls per webhook and per sent message (counted with botocore event hooks), and in-process
handler time, with the real handlers under moto and the real twilio client against the fake Twilio.

Targets (DESIGN.md): <= 3 AWS calls per webhook at ingress and <= 3 per message on the send path.
Handler times include moto's in-process emulation of every AWS call, so they are an upper bound.
"""

from __future__ import annotations

import os

os.environ.update(POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true", TZ="UTC")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")

import json
import statistics
import time
from collections import Counter

from smsflows.domain.shopify import webhooks
from smsflows.local import samples
from smsflows.local.front_door import proxy_event
from smsflows.local.inprocess import InProcessCloud
from smsflows.local.pollers import sqs_event
from smsflows.runtime import deps as deps_module

N = 100
SHOP = "demo-shop.myshopify.com"
SECRET = "bench-secret"


class CallCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        deps_module._session().events.register("before-call", self)

    def __call__(self, event_name: str, **_: object) -> None:
        _, service, operation = event_name.split(".", 2)
        self.calls[f"{service}.{operation}"] += 1

    def take(self) -> Counter[str]:
        out, self.calls = self.calls, Counter()
        return out


def webhook_event(i: int) -> dict:
    body = json.dumps(samples.order(10_000 + i, 10_000 + i, f"+1512555{i % 10000:04d}")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": f"bench-{i}",
        "X-Shopify-Hmac-Sha256": webhooks.sign(SECRET.encode(), body),
    }
    return proxy_event("POST", "/webhooks/shopify", {}, headers, body, "127.0.0.1")


def phase(
    cloud: InProcessCloud,
    counter: CallCounter,
    name: str,
    events: list[dict],
    per: int,
    label: str | None = None,
) -> None:
    # warm up once (cold start: secrets, client creation), then measure
    cloud.invoke(name, events[0])
    cold = counter.take()
    times = []
    for event in events[1:]:
        t0 = time.perf_counter()
        cloud.invoke(name, event)
        times.append((time.perf_counter() - t0) * 1000)
    warm = counter.take()
    units = (len(events) - 1) * per
    total = sum(warm.values())
    detail = ", ".join(f"{k} {v / units:.2f}" for k, v in sorted(warm.items()))
    print(f"{label or name:<20} {total / units:>5.2f} calls/unit  ({detail})")
    print(
        f"{'':<20} first (cold) invocation: {dict(cold)}; median {statistics.median(times):.1f} ms/invocation"
    )


def marketing_phase(cloud: InProcessCloud, counter: CallCounter) -> None:
    """Marketing to subscribers at 11:00 in Austin: consent, quiet hours, caps, claim, send, record."""
    from datetime import UTC, datetime

    from smsflows.domain.consent.subscriptions import InboundSms, handle_inbound

    daytime = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    deps_module.Deps.clock = property(lambda self: lambda: daytime)  # type: ignore[assignment,method-assign]
    deps_module.reset()
    deps = deps_module.get_deps()
    phones = [f"+1512555{i:04d}" for i in range(5000, 5000 + N)]
    for i, phone in enumerate(phones):
        handle_inbound(
            InboundSms.model_validate({"MessageSid": f"SMjoin{i}", "From": phone, "Body": "JOIN"}),
            deps.consent,
        )
    counter.take()
    arn = "arn:aws:sqs:us-east-1:123456789012:q"
    messages = [
        {"messageId": f"m{i}", "receiptHandle": "r", "body": json.dumps({
            "message_id": f"mkt-{i}", "shop": SHOP, "to": phone, "body": "Demo Shop: 20% off today. Reply STOP to opt out",
            "category": "marketing", "flow": "campaign", "created_at": daytime.isoformat()})}
        for i, phone in enumerate(phones)
    ]  # fmt: skip
    events = [
        {"Records": [{**m, "attributes": {}, "eventSource": "aws:sqs", "eventSourceARN": arn}]}
        for m in messages
    ]
    phase(cloud, counter, "send_message", events, per=1, label="send_message (mkt)")

    # The hot path of a broadcast: batches of 10, as the event source mapping delivers them, each batch
    # sent concurrently at its slots. Paced at 12 segments/s (10DLC, low trust score): under moto every
    # AWS call costs this process ~10 ms of CPU, so at the demo shop's 120/s the threads would wake
    # after their slots and book new ones, which is the emulator's cost, not the design's.
    from smsflows.domain.registration import Throughput

    configs = deps.shop_configs
    configs.put(
        configs.get(SHOP).model_copy(update={"throughput": Throughput(sender_type="10dlc", trust_tier="low")})
    )
    more = [f"+1512556{i:04d}" for i in range(N)]
    for i, phone in enumerate(more):
        handle_inbound(
            InboundSms.model_validate({"MessageSid": f"SMjoinb{i}", "From": phone, "Body": "JOIN"}),
            deps.consent,
        )
    batch_records = [
        {**m, "messageId": f"b{i}", "body": m["body"].replace('"mkt-', '"bmkt-').replace(phones[i], more[i]),
         "attributes": {}, "eventSource": "aws:sqs", "eventSourceARN": arn}
        for i, m in enumerate(messages)
    ]  # fmt: skip
    batches = [{"Records": batch_records[i : i + 10]} for i in range(0, N, 10)]
    counter.take()
    sent_before = len(cloud.twilio.outbox())
    for event in batches:
        cloud.invoke("send_message", event)
    got = counter.take()
    sent = len(cloud.twilio.outbox()) - sent_before
    detail = ", ".join(f"{k} {v / sent:.2f}" for k, v in sorted(got.items()))
    print(
        f"{'send_message (batch)':<20} {sum(got.values()) / sent:>5.2f} calls/message  ({detail}; {sent} sent)"
    )


def main() -> None:
    with InProcessCloud(SECRET, "bench-token", prefix="bench") as cloud:
        counter = CallCounter()
        print(f"{N} orders/create webhooks, in-process under moto")
        phase(cloud, counter, "shopify_webhook", [webhook_event(i) for i in range(N)], per=1)
        arn = "arn:aws:sqs:us-east-1:123456789012:q"
        shop_events = cloud.receive("shop_events_queue")
        counter.take()
        batches = [sqs_event([m], arn, "us-east-1") for m in shop_events]
        phase(cloud, counter, "process_shop_event", batches, per=1)
        cloud.wait_executions()
        counter.take()
        queued = cloud.receive("transactional_queue") + cloud.receive("send_queue")
        sends = [m for m in queued if "order-confirmation" in m["Body"]]
        counter.take()
        phase(
            cloud,
            counter,
            "send_message",
            [sqs_event([m], arn, "us-east-1") for m in sends],
            per=1,
            label="send_message (tx)",
        )
        batched = [sqs_event(sends[i : i + 10], arn, "us-east-1") for i in range(0, len(sends), 10)]
        for event in batched:  # redelivered: every one a duplicate, nothing sent
            cloud.invoke("send_message", event)
        dup = counter.take()
        print(f"{'redelivered sends':<20} {sum(dup.values()) / len(sends):>5.2f} calls/message ({dict(dup)})")
        marketing_phase(cloud, counter)
        print(
            f"fake Twilio accepted {len(cloud.twilio.outbox())} texts for {len(sends) + 2 * N} distinct message ids"
        )


if __name__ == "__main__":
    main()
