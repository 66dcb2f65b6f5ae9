"""What a short link costs, on the real path: the sender's extra work for a text with a URL, and a click.

What runs, in-process (smsflows.local.inprocess: moto, the real handlers, the real twilio client against the
fake Twilio): N transactional texts through `send_message`, half with one URL (rewritten to a short link,
its link item written), half without (the baseline in the same run); then, on the links, `follow_link` as
API Gateway would invoke it: N person's clicks (the first on each link unique), N repeat clicks, N link
previews (iMessage's agent) and N unknown codes.

Measured: every DynamoDB call per text and per request, by operation (botocore hooks on the clients'
session), and each handler's duration (perf_counter around the invocation). Moto answers in this process:
durations say how much CPU our code and moto spend, not AWS's latency (a DynamoDB round trip in the same
region is single-digit milliseconds, on top of these). Write units are not sized here (bench_campaign_cost
sizes them): every item a click touches is well under 1 KB, so 1 WRU each.

Left out: API Gateway and WAF (per request, the same for a click as for any route: RULES.md E), Lambda cold
starts, the network. Figures, never pass/fail.
Run: PYTHONPATH=layers/core/python .venv/bin/python bench/bench_links.py [N]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from smsflows.local.inprocess import InProcessCloud  # noqa: E402
from tests.integration.conftest import SHOP, api_event, sqs_event  # noqa: E402

BASE = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/18.1 Mobile/15E148 Safari/604.1")  # fmt: skip
PREVIEW = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) "
           "Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0")  # fmt: skip


def _event(path: str, agent: str) -> dict[str, Any]:
    event = api_event(b"", {"User-Agent": agent}, path=path)
    event.update(
        httpMethod="GET", resource="/l/{code}", body=None, pathParameters={"code": path.rsplit("/", 1)[-1]}
    )
    return event


def main(n: int) -> None:
    import os

    os.environ["PUBLIC_BASE_URL"] = BASE
    with InProcessCloud("bench-shopify", "bench-twilio") as cloud:
        from smsflows.runtime.deps import get_deps

        calls: list[str] = []
        get_deps().client("dynamodb").meta.events.register(
            "before-call.dynamodb", lambda event_name, **_: calls.append(event_name.split(".")[-1])
        )
        cloud.twilio.send_status_callbacks = False

        def send(with_url: bool, i: int) -> tuple[Counter[str], float]:
            body = f"Demo Shop: order {i} shipped" + (
                f" https://demo-shop.example/track?id={i}" if with_url else ""
            )
            message = {"message_id": f"bench:{with_url}:{i}", "shop": SHOP, "to": f"+1512555{i % 10000:04d}",
                       "body": body, "category": "transactional", "flow": "shipping", "step": 0,
                       "created_at": "2026-11-23T17:00:00+00:00"}  # fmt: skip
            calls.clear()
            start = time.perf_counter()
            assert cloud.invoke("send_message", sqs_event(json.dumps(message))) == {"batchItemFailures": []}
            return Counter(calls), time.perf_counter() - start

        sends = {flag: [send(flag, i) for i in range(n)] for flag in (False, True)}
        urls = [m["body"].rsplit(" ", 1)[-1] for m in cloud.twilio.outbox() if "/l/" in m["body"]]

        def follow(url: str, agent: str) -> tuple[Counter[str], float, int]:
            calls.clear()
            start = time.perf_counter()
            out = cloud.invoke("follow_link", _event(url.removeprefix(BASE), agent))
            return Counter(calls), time.perf_counter() - start, int(out["statusCode"])

        kinds = {
            "first click (person)": [follow(u, IPHONE) for u in urls],
            "repeat click (person)": [follow(u, IPHONE) for u in urls],
            "link preview (iMessage)": [follow(u, PREVIEW) for u in urls],
            "unknown code": [follow(f"{BASE}/l/{'Q' * 9}{i % 10}", IPHONE) for i in range(len(urls))],
        }

    def per(counters: list[Counter[str]]) -> str:
        total: Counter[str] = Counter()
        for c in counters:
            total.update(c)
        return ", ".join(f"{op} {v / len(counters):.2f}" for op, v in sorted(total.items())) or "none"

    def ms(durations: list[float]) -> str:
        q = statistics.quantiles(durations, n=100)
        return f"p50 {statistics.median(durations) * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms"

    print(
        f"bench_links: {n} texts with a URL and {n} without (baseline), then {len(urls)} links followed 4 ways"
    )
    print("\nsend_message, DynamoDB calls per text (GetItem: the shop's settings, uncached in-process):")
    for flag, label in ((False, "without a URL (baseline)"), (True, "with one URL (short link)")):
        print(
            f"  {label:<28} {per([c for c, _ in sends[flag]])}; {ms([d for _, d in sends[flag]])} in-process"
        )
    extra = (
        sum(sum(c.values()) for c, _ in sends[True]) / n - sum(sum(c.values()) for c, _ in sends[False]) / n
    )
    print(f"  the short link adds {extra:.2f} DynamoDB call per text (its conditional PutItem: 1 WRU, $0.63 per "
          "million texts)")  # fmt: skip
    print("\nfollow_link, per request:")
    for label, rows in kinds.items():
        statuses = Counter(s for _, _, s in rows)
        reads = sum(
            c.get("GetItem", 0) + c.get("Query", 0) + c.get("BatchGetItem", 0) for c, _, _ in rows
        ) / len(rows)
        print(f"  {label:<24} HTTP {dict(statuses)}; reads {reads:.2f}; calls: {per([c for c, _, _ in rows])}; "
              f"{ms([d for _, d, _ in rows])} in-process")  # fmt: skip
    print("\nA person's click: the redirect's one UpdateItem finds the link and counts it (no read before it), "
          "then 3 writes\n(touch record, subscriber summary, day's counters): 4 WRU, $2.50 per million clicks "
          "on demand.")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
