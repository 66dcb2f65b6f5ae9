"""`smsflows demo`: a store's week on the local cloud, driven over real HTTP as Shopify, Twilio and a
storefront would, printed as one timeline of what happened and what was texted.

Time is virtual (`smsflows.local.virtual_time`): the demo holds the clock, acts at exact instants, and lets
time run to the next one; everything due on the way (Step Functions Waits, deferrals, retries) happens at
its own instant. Two runs print the same transcript. The demo is also the scripted check of the main paths:
a wrong outbox, a text at the wrong time or a dead letter raises DemoFailed (exit 1).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from smsflows.admin import campaigns, segments
from smsflows.domain.flows import definitions
from smsflows.local import client, samples
from smsflows.local.cloud import DEFAULT_SHOP, LocalCloud, LocalConfig
from smsflows.local.provision import LOCAL_MESSAGING_SERVICE
from smsflows.runtime import deps as deps_module

AUSTIN = ZoneInfo("America/Chicago")
DEMO_START = datetime(2026, 11, 23, 9, 0, tzinfo=AUSTIN)  # Monday 09:00 in Austin (the customers' area code)
WIDTH = 100
ADA, BOB, CY, STEVE_PHONE = "+15125550123", "+15125550177", "+15125550199", "555-555-SHIP"
PEOPLE = {ADA: "Ada", BOB: "Bob", CY: "Cy"}
GHOST = "ghost.myshopify.com"
FORGED = "forged"
REMINDER_DELAY = timedelta(seconds=definitions.FLOWS["abandoned_checkout"].steps[0].offset_s)
SECOND_WELCOME = timedelta(seconds=definitions.FLOWS["welcome"].steps[1].offset_s)

# What the fake Twilio must have accepted, in order: (recipient, a phrase of the text)
EXPECTED = [
    (BOB, "Reply Y to confirm"),
    (BOB, "Welcome to Demo Shop! Here's 10% off"),
    (ADA, "Welcome to Demo Shop! Here's 10% off"),
    (ADA, "you left Brass Compass in your cart"),
    (ADA, "thanks for your order #1001"),
    (ADA, "shipped with UPS"),
    (CY, "Welcome to Demo Shop! Here's 10% off"),
    (CY, "you left Tide Clock in your cart"),
    (CY, "thanks for your order #1003"),
    (BOB, "Our best sellers"),
    (ADA, "WINTER20"),
    (CY, "WINTER20"),
]
CAMPAIGN_TEXT = (
    "Demo Shop: the winter sale starts now, 20% off everything with WINTER20. Reply STOP to opt out."
)
EVERYONE = {"subscribed": True}


class DemoFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Line:
    """One entry of the timeline: something that happened (an event) or a text that went out."""

    at: datetime
    kind: int  # 0: an event, 1: a text (a text caused by an event comes after it in the same minute)
    who: str
    what: str
    detail: str = ""


def outbox_matches(got: list[tuple[str, str]]) -> bool:
    """Exactly the EXPECTED texts, each once, to the right people, in EXPECTED order per recipient."""
    if len(got) != len(EXPECTED):
        return False
    taken: set[int] = set()
    last: dict[str, int] = {}
    for to, phrase in EXPECTED:
        found = next(
            (i for i, (who, body) in enumerate(got) if i not in taken and who == to and phrase in body), None
        )
        if found is None or found < last.get(to, -1):
            return False
        taken.add(found)
        last[to] = found
    return True


def _minute(at: datetime) -> str:
    return f"{at.astimezone(AUSTIN):%a %H:%M}"


def render(lines: list[Line]) -> list[str]:
    """The timeline, sorted by minute (events before the texts they caused), wrapped to WIDTH columns."""
    out: list[str] = []
    for line in sorted(lines, key=lambda x: (x.at.replace(second=0, microsecond=0), x.kind, x.who, x.what)):
        head = f"{_minute(line.at)}  {line.who:<7} "
        if line.kind == 0:
            out += textwrap.wrap(line.what, WIDTH, initial_indent=head, subsequent_indent=" " * len(head))
            if line.detail:
                out += textwrap.wrap(line.detail, WIDTH, initial_indent=" " * len(head) + "→ ",
                                     subsequent_indent=" " * (len(head) + 2))  # fmt: skip
        else:
            out += textwrap.wrap(f"◀ text: {line.what}", WIDTH, initial_indent=head,
                                 subsequent_indent=" " * (len(head) + 8))  # fmt: skip
    return out


def run_demo(out: TextIO, port: int = 0) -> list[dict[str, Any]]:
    """Run the week; returns the outbox. Raises DemoFailed if the system misbehaves."""
    from smsflows.local.cloud import _free_port

    config = LocalConfig.from_env(
        port=port or _free_port("127.0.0.1"), virtual_time=True, start_at=DEMO_START
    )
    say = lambda text: print(text, file=out, flush=True)  # noqa: E731
    events: list[Line] = []
    with LocalCloud(config) as cloud:
        keeper = cloud.keeper
        assert keeper is not None
        keeper.hold()
        base, secret = cloud.base_url, config.shopify_secret
        _brand_links()

        def at(day: int, hour: int, minute: int) -> None:
            """Let the store's time run to day `day` (0: Monday) at hh:mm, everything due on the way first."""
            target = (DEMO_START + timedelta(days=day)).replace(hour=hour, minute=minute)
            keeper.advance(target.timestamp())

        def event(who: str, what: str, detail: str) -> None:
            events.append(Line(cloud.clock(), 0, who, what, detail))

        def shopify(who: str, what: str, topic: str, payload: dict[str, Any], expect: int, said: Callable[
                [dict[str, Any]], str], **kw: Any) -> None:  # fmt: skip
            result = client.post_shopify(base, payload, secret=kw.pop("with_secret", secret), topic=topic,
                                         shop=kw.pop("shop", DEFAULT_SHOP), **kw)  # fmt: skip
            if result.status != expect:
                raise DemoFailed(f"{what}: expected HTTP {expect}, got {result.status} {result.body[:200]!r}")
            answer = result.json() if result.body else {}
            keeper.settle()
            event(who, f"{what} ({topic}, HTTP {result.status})", said(answer))

        def webhook_outcome(shop: str, webhook_id: str) -> str:
            stored = deps_module.get_deps().webhook_inbox.get(shop, webhook_id)
            return f"{stored.reason}" if stored is not None and stored.reason else "(no outcome recorded)"

        def ignored_reason(shop: str) -> str:
            return next(
                (i["reason"] for i in cloud.ignored() if i["shop"] == shop), "(not listed as ignored)"
            )

        def text(who: str, phone: str, body: str, sid: str, said: str) -> None:
            result = client.post_sms(base, token=config.twilio_token, body=body, sid=sid, from_=phone,
                                     to="+15125550000", sender=LOCAL_MESSAGING_SERVICE)  # fmt: skip
            if result.status != 200:
                raise DemoFailed(f"inbound {body!r}: HTTP {result.status}")
            reply = client.twiml_reply(result)
            keeper.settle()
            event(who, f"texts {body!r}", f"{said}; reply: {reply}" if reply else f"{said}; no reply")

        # Monday: Bob signs up in the storefront's popup (the theme app extension, through Shopify's signed app
        # proxy: the demo storefront plays Shopify) and confirms; he is a customer of the shop in Shopify
        assert cloud.shopify is not None
        cloud.shopify.add_customer(DEFAULT_SHOP, phone=BOB, first_name="Bob", customer_id=7000000001002)
        proxy = base + "/_local/storefront/apps/sms"
        storefront = client.request("GET", proxy + "/config")
        if storefront.status != 200:
            raise DemoFailed(f"storefront config: HTTP {storefront.status} {storefront.body[:200]!r}")
        form = {"phone": "(512) 555-0177", "submission_id": "demo-bob-popup",
                "consent": {"checked": True, "default_checked": False,
                            "disclosure_text": json.loads(storefront.body)["disclosure"]},
                "page_url": "https://demo-shop.example/"}  # fmt: skip
        result = client.request(
            "POST", proxy + "/subscribe", json.dumps(form).encode(), {"Content-Type": "application/json"}
        )
        if result.status >= 300:
            raise DemoFailed(f"sign-up: HTTP {result.status} {result.body[:200]!r}")
        keeper.settle()
        event("Bob", f"signs up in the storefront popup (app proxy, signature checked: HTTP {result.status})",
              "consent pending: the double opt-in request goes out")  # fmt: skip
        at(0, 9, 2)
        bob = lambda: cloud.consent({"shop": DEFAULT_SHOP, "phone": BOB})["state"] or {}  # noqa: E731
        text("Bob", BOB, "Y", "SMdemo-bob-y", "confirmed")
        state = bob()
        if (
            state.get("status") != "subscribed"
            or state.get("pending_request")
            or state.get("opt_in_source") not in ("web_form", "web")
        ):
            raise DemoFailed(f"Bob's consent after a web double opt-in: {state}")
        events[-1] = replace(events[-1], detail=events[-1].detail.replace(
            "confirmed", f"{state.get('status')} (opt-in source {state.get('opt_in_source')}, pending request "
                         f"{state.get('pending_request') or 'none'}); the welcome series starts", 1))  # fmt: skip

        # Ada ticks the SMS box at checkout and leaves; the reminder is due an hour later
        at(0, 9, 30)
        checkout = {"token": "ck-1001", "abandoned_checkout_url": "https://demo-shop.example/checkouts/ck-1001/recover",
                    "buyer_accepts_sms_marketing": True, "sms_marketing_phone": "+1 512 555 0123",
                    "customer": {"id": 7000000001001, "first_name": "Ada"},
                    "line_items": [{"title": "Brass Compass", "variant_id": 1}]}  # fmt: skip
        checkout_at = cloud.clock()
        shopify("Ada", "starts a checkout, SMS box ticked", "checkouts/create", checkout, 200,
                lambda _: f"subscribed at checkout; welcome series, and a cart reminder due at "
                          f"{(checkout_at + REMINDER_DELAY).astimezone(AUSTIN):%H:%M}")  # fmt: skip

        # Her phone draws a preview of the reminder's link, then she taps it: one click, hers
        at(0, 10, 40)
        _click(base, event)

        # Ada orders: the reminders stop, the order and shipping texts go out
        at(0, 11, 15)
        order = samples.order(820982911946154508, 1001, "+1 512 555 0123", "Ada")
        order["checkout_token"] = "ck-1001"  # noqa: S105 - a checkout token, not a password
        order["created_at"] = cloud.clock().isoformat()  # placed now, 35 minutes after her click
        shopify("Ada", "orders #1001", "orders/create", order, 200,
                lambda _: f"order kept; {webhook_outcome(DEFAULT_SHOP, 'wh-1001')} (to the cart reminder she "
                          "clicked); her cart reminders and welcome offers end", webhook_id="wh-1001")  # fmt: skip
        order_at = cloud.clock()
        at(0, 11, 16)
        shopify("Shopify", "redelivers the same webhook", "orders/create", order, 200,
                lambda a: f"recognised ({a.get('status')}): nothing is done or sent twice", webhook_id="wh-1001")  # fmt: skip
        at(0, 11, 17)
        shopify("Someone", "posts a forged order webhook", "orders/create", order, 401,
                lambda _: "refused: the signature does not verify; nothing kept", with_secret=FORGED)  # fmt: skip
        at(0, 11, 20)
        shopify("Steve", f"orders #1002, phone {STEVE_PHONE!r}", "orders/create",
                samples.order(820982911946154509, 1002, STEVE_PHONE, "Steve"), 200,
                lambda _: f"order kept, no text: {webhook_outcome(DEFAULT_SHOP, 'wh-1002')}",
                webhook_id="wh-1002")  # fmt: skip
        at(0, 11, 25)
        shopify("Shopify", f"an order webhook for {GHOST}, a shop nobody onboarded", "orders/create",
                samples.order(820982911946154510, 7, "+1 512 555 0188", "Gus"), 200,
                lambda _: f"authentic, kept and answered; texts nobody: {ignored_reason(GHOST)}",
                shop=GHOST, webhook_id="wh-ghost-7")  # fmt: skip
        at(0, 14, 0)
        fulfillment = {"id": 4411, "order_id": 820982911946154508, "tracking_company": "UPS",
                       "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784"}  # fmt: skip
        shopify("Shopify", "Ada's order ships", "fulfillments/create", fulfillment, 200,
                lambda _: "shipping text with the tracking link")  # fmt: skip

        # Cy checks out in the evening: the reminder falls due after the shop's sending hours and waits
        at(0, 19, 40)
        evening = {"token": "ck-1003", "abandoned_checkout_url": "https://demo-shop.example/checkouts/ck-1003/recover",
                   "buyer_accepts_sms_marketing": True, "sms_marketing_phone": "+1 512 555 0199",
                   "customer": {"id": 7000000001003, "first_name": "Cy"},
                   "line_items": [{"title": "Tide Clock", "variant_id": 3}]}  # fmt: skip
        shopify("Cy", "starts a checkout at night, SMS box ticked", "checkouts/create", evening, 200,
                lambda _: "subscribed at checkout; welcome series; a cart reminder due at 20:40")  # fmt: skip
        at(0, 21, 0)
        event("system", "Cy's cart reminder, due at 20:40, is held", f"{_flow_waiting(cloud, 'ck-1003')} (the "
              "shop texts marketing 09:00-20:00 recipient time; the law allows 08:00-21:00)")  # fmt: skip
        at(1, 10, 0)
        shopify("Cy", "orders #1003", "orders/create",
                {**samples.order(820982911946154511, 1003, "+1 512 555 0199", "Cy"), "checkout_token": "ck-1003"},
                200, lambda _: "confirmation sent; her other cart reminders end", webhook_id="wh-1003")  # fmt: skip

        # Wednesday: Bob's second welcome text; at noon he asks for HELP, then says STOP, twice
        at(2, 12, 0)
        text("Bob", BOB, "HELP", "SMdemo-bob-help", "help")
        text("Bob", BOB, "STOP", "SMdemo-bob-stop", "unsubscribed; his welcome series ends")
        text("Bob", BOB, "stop", "SMdemo-bob-stop2", "already unsubscribed: no second confirmation")
        # What reached Shopify's customer record (customerSmsMarketingConsentUpdate), and what its echoes did
        written = [w for w in cloud.shopify.consent_writes() if w["phone"] == BOB]
        ledger = cloud.consent({"shop": DEFAULT_SHOP, "phone": BOB})["events"]
        echoed = [code for _, code in cloud.shopify.echoes_posted]
        if (any(e.get("source") == "shopify_consent" for e in ledger) or len(written) < 3
                or echoed != [200] * len(cloud.shopify.consent_writes())):  # fmt: skip
            raise DemoFailed(
                f"Bob's consent in Shopify: writes {written}, ledger sources {[e.get('source') for e in ledger]}"
            )
        event("Shopify", "Bob's consent written back to his customer record",
              ", ".join(w["state"] + (f" ({w['opt_in_level']})" if w["state"] == "SUBSCRIBED" else "")
                        for w in written) + f"; {len(written)} echo webhooks recognised, none re-applied")  # fmt: skip

        # Wednesday afternoon the marketer saves a segment and schedules a campaign for Thursday 10:00 in each
        # subscriber's own time
        at(2, 15, 0)
        campaign_id = _campaign(event)
        at(3, 11, 30)
        shown = campaigns.campaign_show(DEFAULT_SHOP, campaign_id)
        counts = shown["counts"]
        event("system", f"campaign {shown['state']}",
              f"{counts['targeted']} targeted, {counts['sent']} sent, {counts['suppressed']} suppressed; estimated "
              f"finish {_minute(datetime.fromisoformat(shown['estimate']['finish']))}, actual "
              f"{_minute(datetime.fromisoformat(shown['runs'][0]['actual_finish']))}")  # fmt: skip

        # The rest of the week: nothing else may go out
        at(7, 9, 0)
        week = _report(event)
        executions = cloud.executions()
        outbox = client.outbox(base)
        dead = cloud.dead_letters()
        people = _execution_people(cloud)

    for sms in outbox:
        sent = datetime.fromisoformat(sms["at"])
        parts = f"{sms['segments']} segment{'s' if sms['segments'] != 1 else ''}, {sms['encoding']}"
        events.append(Line(sent, 1, PEOPLE.get(sms["to"], sms["to"]), f"{sms['body']} ({parts})"))
    say(f"smsflows demo: a week of Demo Shop on the local cloud, virtual time from {DEMO_START:%a %d %b %Y}")
    say("(Austin time, the customers' area code; ◀ marks a text the fake Twilio accepted)\n")
    for line in render(events):
        say(line)
    say("\nflows:")
    for execution in sorted(executions, key=lambda e: (e["flow"], people.get(e["name"], ""))):
        say(
            f"  {execution['flow']:<20} {people.get(execution['name'], '?'):<6} {_ended(execution['status'])}"
        )
    letters = {queue: n for queue, n in dead.items() if n}
    say(
        "dead letters: "
        + (", ".join(f"{n} on {q}" for q, n in letters.items()) if letters else "none on any queue")
    )

    got = [(m["to"], m["body"]) for m in outbox]
    if not outbox_matches(got):
        raise DemoFailed(f"unexpected outbox: {got}")
    if letters:
        raise DemoFailed(f"dead letters: {letters}")
    _check_times(outbox, checkout_at, order_at)
    if any(e["status"] == "RUNNING" for e in executions):
        raise DemoFailed(f"flows still running at the end of the week: {executions}")
    if (week["unique_clicks"], week["conversions"]) != (1, 1):
        raise DemoFailed(f"the week's report should count Ada's one click and her attributed order: {week}")
    say("\ndemo ok: double opt-in, welcome series, cart reminder on the hour and stopped by the order, order")
    say("and shipping texts, one STOP confirmation, a campaign at 10:00 local to the subscribed only, no")
    say("duplicate, forged webhook refused, a branded link clicked once and the order it earned attributed")
    return outbox


IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/18.1 Mobile/15E148 Safari/604.1")  # fmt: skip
IMESSAGE_PREVIEW = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) "
                    "Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0")  # fmt: skip


def _brand_links() -> None:
    """The demo shop's short links on its own domain, as `smsflows shop set --link-domain` sets it."""
    from smsflows.admin.shops import shop_set

    shop_set(DEFAULT_SHOP, {"measurement": {"link_domain": "sms.demo-shop.example"}}, [])


def _click(base: str, event: Callable[[str, str, str], None]) -> None:
    """The preview iMessage fetches, then Ada's tap, on the short link of her cart reminder (the local cloud
    answers for the shop's link domain, as the stack's custom domain does)."""
    from urllib.parse import urlsplit

    from smsflows.domain.analytics import links

    reminder = next(
        m["body"] for m in reversed(client.outbox(base)) if m["to"] == ADA and "cart" in m["body"]
    )
    start, end = links.find_urls(reminder)[0]
    link = urlsplit(reminder[start:end])
    results = [client.request("GET", f"{base}{link.path}", headers={"Host": link.netloc, "User-Agent": agent},
                              follow_redirects=False) for agent in (IMESSAGE_PREVIEW, IPHONE)]  # fmt: skip
    if [r.status for r in results] != [302, 302]:
        raise DemoFailed(f"the short link {link.geturl()}: HTTP {[r.status for r in results]}")
    event("Ada", f"taps the link in her cart reminder ({link.netloc}{link.path})",
          "302 to the checkout with utm_source=sms&utm_medium=flow&utm_campaign=abandoned_checkout; iMessage's "
          "preview of it a minute before was redirected too, not counted")  # fmt: skip


def _report(event: Callable[[str, str, str], None]) -> dict[str, Any]:
    """What `smsflows report` says of the week."""
    from smsflows.admin import report

    built = report.build(
        DEFAULT_SHOP, DEMO_START.date().isoformat(), (DEMO_START + timedelta(days=6)).date().isoformat()
    )
    t = built["totals"]
    event("Marketer", "runs `smsflows report` for the week",
          f"{t['sent']} texts sent, {t['delivered']} delivered, {t['unique_clicks']} clicked, {t['conversions']} "
          f"attributed order (${t['revenue']:.2f}), cost ${t['cost']:.2f} (estimate)")  # fmt: skip
    return dict(t)


def _campaign(event: Callable[[str, str, str], None]) -> str:
    """Save the segment 'subscribers', create the campaign, preview it and schedule it (as the CLI does)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "subscribers.json"
        path.write_text(json.dumps(EVERYONE))
        segments.segment_create(DEFAULT_SHOP, "subscribers", str(path), by="marketer")
    made = campaigns.campaign_create(DEFAULT_SHOP, name="Winter sale", text=CAMPAIGN_TEXT, segment="subscribers",
                                     local_time="10:00", on_date="2026-11-26", by="marketer")  # fmt: skip
    preview = campaigns.campaign_preview(DEFAULT_SHOP, made["id"])
    first = datetime.fromisoformat(preview["first_release"])
    event("Marketer", "creates the campaign 'Winter sale' for 10:00 Thursday in each subscriber's time",
          f"preview: {preview['audience']} subscribers (Bob said STOP), {preview['segments']} segments, "
          f"≈ ${preview['cost_usd']:.2f}; released {_minute(first)}: their Texas addresses may be in "
          "Mountain time (El Paso), where 10:00 comes an hour after Austin's")  # fmt: skip
    campaigns.campaign_transition(DEFAULT_SHOP, made["id"], "schedule", by="marketer")
    if preview["audience"] != 2:
        raise DemoFailed(f"the campaign's audience should be Ada and Cy: {preview}")
    return str(made["id"])


def _check_times(outbox: list[dict[str, Any]], checkout_at: datetime, order_at: datetime) -> None:
    def sent(to: str, phrase: str) -> datetime:
        return next(datetime.fromisoformat(m["at"]) for m in outbox if m["to"] == to and phrase in m["body"])

    reminder = sent(ADA, "you left Brass Compass")
    if abs((reminder - (checkout_at + REMINDER_DELAY)).total_seconds()) >= 1:
        raise DemoFailed(f"the cart reminder was planned for {checkout_at + REMINDER_DELAY}, sent {reminder}")
    morning = sent(CY, "you left Tide Clock")
    if morning.astimezone(AUSTIN).strftime("%a %H:%M:%S") != "Tue 09:00:00":
        raise DemoFailed(f"Cy's reminder, held by quiet hours, should go at Tue 09:00:00; went {morning}")
    for who in (ADA, CY):
        went = sent(who, "WINTER20").astimezone(AUSTIN)
        # 10:00 in Mountain time, the latest of the zones their Texas addresses may be in: 11:00 in Austin
        if went.strftime("%a") != "Thu" or not "11:00" <= went.strftime("%H:%M") < "11:01":
            raise DemoFailed(f"the campaign should reach {PEOPLE[who]} at Thu 11:00 Austin time; went {went}")
    confirmation = sent(ADA, "thanks for your order #1001")
    if not timedelta(0) <= confirmation - order_at < timedelta(minutes=1):
        raise DemoFailed(f"the order confirmation went out at {confirmation}, the order came at {order_at}")


def _flow_waiting(cloud: LocalCloud, fragment: str) -> str:
    """What the flow execution named after `fragment` waits for, read from its last Wait state's plan."""
    sfn = deps_module.get_deps().client("stepfunctions")
    for arn in (cloud.resources.state_machines if cloud.resources else {}).values():
        for ex in sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]:
            if fragment not in ex["name"]:
                continue
            last = sfn.get_execution_history(executionArn=ex["executionArn"])["events"][-1]
            entered = last.get("stateEnteredEventDetails") or {}
            plan = json.loads(entered.get("input") or "{}").get("plan") or {}
            if last["type"] == "WaitStateEntered" and plan.get("decision") == "wait":
                until = datetime.fromisoformat(plan["send_at"]).astimezone(AUSTIN)
                return f"the flow waits until {until:%a %H:%M}: {plan.get('reason')}"
            raise DemoFailed(f"the flow of {fragment} should wait for quiet hours; its last event: {last}")
    raise DemoFailed(f"no running flow execution named after {fragment}")


def _ended(status: str) -> str:
    return {"SUCCEEDED": "finished", "ABORTED": "stopped", "FAILED": "FAILED", "RUNNING": "still running",
            "TIMED_OUT": "TIMED OUT"}.get(status, status)  # fmt: skip


def _execution_people(cloud: LocalCloud) -> dict[str, str]:
    """Execution name -> the customer it is for (from its input's phone)."""
    sfn = deps_module.get_deps().client("stepfunctions")
    found = {}
    for arn in (cloud.resources.state_machines if cloud.resources else {}).values():
        for ex in sfn.list_executions(stateMachineArn=arn)["executions"]:
            payload = json.loads(sfn.describe_execution(executionArn=ex["executionArn"]).get("input") or "{}")
            phone = next((v for v in _strings(payload) if v in PEOPLE), None)
            found[ex["name"]] = PEOPLE.get(phone or "", "?")
    return found


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
