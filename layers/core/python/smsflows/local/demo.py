"""`smsflows demo`: a scripted store day on the local cloud, over real HTTP, printed as a transcript."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

from smsflows.local import client, samples
from smsflows.local.cloud import DEFAULT_SHOP, LocalCloud, LocalConfig

DEMO_START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 09:00 in Austin
DEMO_TIME_SCALE = 3600.0  # an hour of store time per second


class DemoFailed(RuntimeError):
    pass


def _wait_for(predicate: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise DemoFailed(f"timed out waiting for {what}")


def run_demo(out: TextIO, port: int = 0, time_scale: float = DEMO_TIME_SCALE) -> list[dict[str, Any]]:
    """Run the scenario; returns the outbox. Raises DemoFailed if the system misbehaves."""
    from smsflows.local.cloud import _free_port

    config = LocalConfig.from_env(
        port=port or _free_port("127.0.0.1"), time_scale=time_scale, start_at=DEMO_START
    )
    say = lambda text: print(text, file=out, flush=True)  # noqa: E731
    with LocalCloud(config) as cloud:
        base, secret = cloud.base_url, config.shopify_secret
        say(f"smsflows demo — local cloud at {base}, 1 s = {time_scale / 3600:g} h of store time\n")

        def step(label: str, result: client.HttpResult, expect: int) -> None:
            mark = "ok" if result.status == expect else "UNEXPECTED"
            answer = result.body.decode()[:40]
            say(f"  {cloud.clock():%H:%M} {label:<58} HTTP {result.status} {answer}  [{mark}]")
            if result.status != expect:
                raise DemoFailed(f"{label}: expected HTTP {expect}, got {result.status}")

        ada = samples.order(820982911946154508, 1001, "+1 512 555 0123", "Ada")
        step(
            "Ada orders #1001 (orders/create, signed)",
            client.post_shopify(
                base, ada, secret=secret, topic="orders/create", shop=DEFAULT_SHOP, webhook_id="wh-1001"
            ),
            200,
        )
        step(
            "Shopify redelivers the same webhook id",
            client.post_shopify(
                base, ada, secret=secret, topic="orders/create", shop=DEFAULT_SHOP, webhook_id="wh-1001"
            ),
            200,
        )
        step(
            "A forged webhook (wrong secret)",
            client.post_shopify(
                base,
                ada,
                secret="not-the-secret",  # noqa: S106 - a forged signature on purpose
                topic="orders/create",
                shop=DEFAULT_SHOP,
            ),
            401,
        )
        ship = samples.order(820982911946154509, 1002, "555-555-SHIP", "Steve")
        step(
            "Steve orders #1002 with phone '555-555-SHIP'",
            client.post_shopify(
                base, ship, secret=secret, topic="orders/create", shop=DEFAULT_SHOP, webhook_id="wh-1002"
            ),
            200,
        )
        step(
            "An unknown topic (products/update)",
            client.post_shopify(base, {"id": 1}, secret=secret, topic="products/update", shop=DEFAULT_SHOP),
            200,
        )
        say("\n  …store time passes; the order_followup flow waits 2 h on Step Functions…\n")
        outbox = _wait_for(lambda: (o := client.outbox(base)) and len(o) >= 2 and o, "the follow-up text")

        say("Ada talks to the store by SMS (replies are TwiML, sent back by Twilio):")
        from smsflows.local.provision import LOCAL_MESSAGING_SERVICE

        def text(body: str, sid: str) -> str | None:
            result = client.post_sms(
                base,
                token=config.twilio_token,
                body=body,
                sid=sid,
                from_="+15125550123",
                to="+15125550000",
                sender=LOCAL_MESSAGING_SERVICE,
            )
            if result.status != 200:
                raise DemoFailed(f"inbound {body!r}: HTTP {result.status}")
            answer = client.twiml_reply(result)
            say(f"  {cloud.clock():%H:%M} Ada: {body!r:<14} -> {answer or '(no reply)'}")
            return answer

        replies = [
            text("JOIN", "SMdemo1"),
            text("help", "SMdemo2"),
            text("stop please", "SMdemo3"),
            text("STOP", "SMdemo4"),
        ]
        if (
            not (replies[0] and "subscribed" in replies[0] and replies[2] and "unsubscribed" in replies[2])
            or replies[3]
        ):
            raise DemoFailed(f"unexpected replies: {replies}")
        queued = client.request(
            "POST",
            base + "/_local/enqueue",
            json.dumps({"message_id": "demo-campaign-1", "shop": DEFAULT_SHOP, "to": "+15125550123",
                        "body": "Demo Shop: 20% off today!", "category": "marketing"}).encode(),
        )  # fmt: skip
        logged = _wait_for(
            lambda: (m := client.request("GET", base + "/_local/message?id=demo-campaign-1").json()) and m,
            "the campaign",
        )
        say(
            f"  {cloud.clock():%H:%M} a campaign text queued for Ada after her STOP: {logged['state']} ({logged['reason']})"
        )
        if queued.status != 200 or logged["state"] != "failed":
            raise DemoFailed("a marketing text went to someone who said STOP")
        time.sleep(0.5)  # anything unexpected would show up now
        outbox = client.outbox(base)
        say("")

        say("SMS transcript (what the fake Twilio accepted):")
        for sms in outbox:
            at = datetime.fromisoformat(sms["at"])
            plural = "s" if sms["segments"] != 1 else ""
            say(f"  {at:%H:%M}  to {sms['to']}  ({sms['segments']} segment{plural}, {sms['encoding']})")
            say(f"         {sms['body']}")
        bodies = [m["body"] for m in outbox]
        if len(outbox) != 2 or "#1001" not in bodies[0] or "being prepared" not in bodies[1]:
            raise DemoFailed(f"unexpected outbox: {bodies}")
        say(f"\nexecutions: {cloud.executions()}")
        say(f"dead letters: {cloud.dead_letters()}")
        say(
            "\ndemo ok: confirmation and follow-up sent once each; forged webhook refused; bad phone kept; "
            "JOIN/HELP/STOP answered, one opt-out confirmation, no marketing after STOP"
        )
        return outbox
