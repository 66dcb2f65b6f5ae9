"""`smsflows demo`: a store's day (and week) on the local cloud in compressed time, driven over real
HTTP as Shopify, Twilio and a storefront would, printed as the SMS transcript."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from smsflows.local import client, samples
from smsflows.local.cloud import DEFAULT_SHOP, LocalCloud, LocalConfig
from smsflows.local.provision import LOCAL_MESSAGING_SERVICE

DEMO_START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 09:00 in Austin
DEMO_TIME_SCALE = 21600.0  # six hours of store time per second
ADA, BOB = "+15125550123", "+15125550177"
AUSTIN = ZoneInfo("America/Chicago")
DISCLOSURE = (
    "Yes, text me offers from Demo Shop: recurring automated marketing texts, up to 6 msgs/mo. Consent is not a "
    "condition of purchase. Msg & data rates may apply. Reply HELP for help, STOP to cancel. Terms & Privacy: "
    "https://demo-shop.example/legal"
)

# What the fake Twilio must have accepted, in order: (recipient, a phrase of the text)
EXPECTED = [
    (BOB, "Reply Y to confirm"),
    (BOB, "Welcome to Demo Shop! Here's 10% off"),
    (ADA, "Welcome to Demo Shop! Here's 10% off"),
    (ADA, "you left Brass Compass in your cart"),
    (ADA, "thanks for your order #1001"),
    (ADA, "shipped with UPS"),
    (BOB, "Our best sellers"),
]


# What must come before what, per recipient. Texts of independent flows (Ada's welcome and her cart
# reminder) may arrive in either order: when both wait for the same morning, they come back from their
# deferrals in no guaranteed order.
BEFORE = [
    (BOB, "Reply Y to confirm", "Welcome to Demo Shop! Here's 10% off"),
    (BOB, "Welcome to Demo Shop! Here's 10% off", "Our best sellers"),
    (ADA, "you left Brass Compass in your cart", "thanks for your order #1001"),
    (ADA, "Welcome to Demo Shop! Here's 10% off", "thanks for your order #1001"),
    (ADA, "thanks for your order #1001", "shipped with UPS"),
]


class DemoFailed(RuntimeError):
    pass


def outbox_matches(got: list[tuple[str, str]]) -> bool:
    """Exactly the EXPECTED texts, each once, to the right people, in the order BEFORE requires."""
    if len(got) != len(EXPECTED):
        return False
    position: dict[tuple[str, str], int] = {}
    taken: set[int] = set()
    for to, phrase in EXPECTED:
        found = next(
            (i for i, (who, body) in enumerate(got) if i not in taken and who == to and phrase in body), None
        )
        if found is None:
            return False
        taken.add(found)
        position[(to, phrase)] = found
    return all(position[(to, first)] < position[(to, then)] for to, first, then in BEFORE)


def _wait_for(predicate: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
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

        def now() -> str:
            return f"{cloud.clock().astimezone(AUSTIN):%a %H:%M}"

        def shopify(
            label: str, topic: str, payload: dict[str, Any] | bytes, expect: int = 200, **kw: Any
        ) -> None:
            result = client.post_shopify(base, payload, secret=kw.pop("with_secret", secret), topic=topic,
                                         shop=DEFAULT_SHOP, **kw)  # fmt: skip
            mark = "ok" if result.status == expect else "UNEXPECTED"
            say(f"  {now()}  Shopify  {label:<52} HTTP {result.status} [{mark}]")
            if result.status != expect:
                raise DemoFailed(f"{label}: expected HTTP {expect}, got {result.status}")

        def text(who: str, phone: str, body: str, sid: str) -> str | None:
            result = client.post_sms(base, token=config.twilio_token, body=body, sid=sid, from_=phone,
                                     to="+15125550000", sender=LOCAL_MESSAGING_SERVICE)  # fmt: skip
            if result.status != 200:
                raise DemoFailed(f"inbound {body!r}: HTTP {result.status}")
            answer = client.twiml_reply(result)
            say(f"  {now()}  {who:<7}  texts {body!r:<10} -> reply: {answer or '(none)'}")
            return answer

        def outbox_has(count: int, what: str) -> list[dict[str, Any]]:
            return _wait_for(lambda: o if len(o := client.outbox(base)) >= count else None, what)

        say(
            f"smsflows demo: the local cloud at {base}; 1 s = {time_scale / 3600:g} h of store time; "
            "times are Austin time (the customers' area code)\n"
        )

        # Bob signs up on the website: double opt-in, then the welcome series
        form = {"shop": DEFAULT_SHOP, "phone": "(512) 555-0177", "source": "web_form",
                "consent": {"checked": True, "default_checked": False, "disclosure_text": DISCLOSURE},
                "page_url": "https://demo-shop.example/"}  # fmt: skip
        result = client.request(
            "POST", base + "/subscribe", json.dumps(form).encode(), {"Content-Type": "application/json"}
        )
        say(
            f"  {now()}  Bob      signs up on the website                                  HTTP {result.status}"
        )
        outbox_has(1, "the double opt-in request")
        text("Bob", BOB, "Y", "SMdemo-bob-y")
        outbox_has(2, "Bob's welcome text")

        # Ada ticks the SMS box at checkout and leaves; an hour later the reminder goes out
        checkout = {"token": "ck-1001", "abandoned_checkout_url": "https://demo-shop.example/checkouts/ck-1001/recover",
                    "buyer_accepts_sms_marketing": True, "sms_marketing_phone": "+1 512 555 0123",
                    "customer": {"id": 7000000001001, "first_name": "Ada"},
                    "line_items": [{"title": "Brass Compass", "variant_id": 1}]}  # fmt: skip
        shopify("Ada starts a checkout, SMS box ticked (checkouts/create)", "checkouts/create", checkout)
        outbox_has(4, "the abandoned-checkout reminder")

        # Ada orders: the reminders stop, the order and shipping texts go out
        order = samples.order(820982911946154508, 1001, "+1 512 555 0123", "Ada")
        order["checkout_token"] = "ck-1001"  # noqa: S105 - a checkout token, not a password
        shopify("Ada orders #1001 (orders/create)", "orders/create", order, webhook_id="wh-1001")
        shopify("Shopify redelivers the same webhook", "orders/create", order, webhook_id="wh-1001")
        shopify("A forged webhook (wrong secret)", "orders/create", order, expect=401, with_secret="forged")  # noqa: S106
        shopify("Steve orders #1002, phone '555-555-SHIP'", "orders/create",
                samples.order(820982911946154509, 1002, "555-555-SHIP", "Steve"), webhook_id="wh-1002")  # fmt: skip
        outbox_has(5, "the order confirmation")
        fulfillment = {"id": 4411, "order_id": 820982911946154508, "tracking_company": "UPS",
                       "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784"}  # fmt: skip
        shopify("The order ships (fulfillments/create)", "fulfillments/create", fulfillment)
        outbox_has(6, "the shipping text")

        # Two days later Bob gets the next welcome text; he replies HELP, then STOP: the series ends
        say("\n  ... two days pass ...\n")
        outbox_has(7, "Bob's second welcome text")
        text("Bob", BOB, "HELP", "SMdemo-bob-help")
        text("Bob", BOB, "STOP", "SMdemo-bob-stop")
        text("Bob", BOB, "stop", "SMdemo-bob-stop2")

        def settled() -> list[dict[str, Any]] | None:
            """Every execution, once both welcome series (Ada's and Bob's) have ended."""
            executions = cloud.executions()
            welcomes = [e for e in executions if e["flow"] == "welcome"]
            return (
                executions if len(welcomes) == 2 and all(e["status"] != "RUNNING" for e in welcomes) else None
            )

        executions = _wait_for(settled, "the welcome series to end")
        time.sleep(1.0)  # anything that should not be sent would show up now
        outbox = client.outbox(base)

        say("\nSMS transcript (what the fake Twilio accepted):")
        for sms in outbox:
            at = datetime.fromisoformat(sms["at"]).astimezone(AUSTIN)
            who = {ADA: "Ada", BOB: "Bob"}.get(sms["to"], sms["to"])
            say(f"  {at:%a %H:%M}  to {who}  ({sms['segments']} segment{'s' if sms['segments'] != 1 else ''}, "
                f"{sms['encoding']})")  # fmt: skip
            say(f"      {sms['body']}")
        say("\nflows:")
        for execution in sorted(executions, key=lambda e: e["name"]):
            say(f"  {execution['flow']:<20} {execution['status']}")
        say(f"dead letters: {cloud.dead_letters()}")

        got = [(m["to"], m["body"]) for m in outbox]
        if not outbox_matches(got):
            raise DemoFailed(f"unexpected outbox: {got}")
        say("\ndemo ok: double opt-in, welcome series, abandoned checkout stopped by the order, order and shipping "
            "texts, one STOP confirmation, the series ended, no duplicate, forged webhook refused")  # fmt: skip
        return outbox
