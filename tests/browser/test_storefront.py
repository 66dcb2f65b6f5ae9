"""The demo storefront (`/_local/storefront`) in headless Chromium, on a local cloud (`smsflows local --virtual`):
the real theme app extension and web pixel, driven as a shopper would. Sign-up through the popup and the
signed app proxy to the welcome text; the two-tap `sms:` link on a phone; a logged-in subscriber's product
view to a browse-abandonment text; tampered app-proxy requests refused; no layout shift from the inline form;
the plain snippet for pages outside Shopify. Nothing is fetched from anywhere but the local cloud."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from smsflows.domain.consent.ledger import check_disclosure
from smsflows.domain.shopify.app_proxy import sign_query, signed_query
from smsflows.local import client, samples
from tests.e2e.conftest import RunningCloud, running_local, settle

pytestmark = pytest.mark.e2e
SECRET = "storefront-shopify-secret"
SHOP = "demo-shop.myshopify.com"
TOKEN = "local-twilio-token"
SENDER = "MG" + "0" * 31 + "1"
SHOP_NUMBER = "+15125550100"
DESKTOP = {"width": 1200, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningCloud]:
    with running_local(secret=SECRET) as (running, _):
        yield running


@pytest.fixture
def outside() -> list[str]:
    """Every URL a page asked for that is not the local cloud's (each one aborted)."""
    return []


@pytest.fixture
def open_page(browser: Any, cloud: RunningCloud, outside: list[str]) -> Iterator[Any]:
    """open_page(path, mobile=False): a fresh context (its own storage and cookies) on the local cloud; any
    other request is aborted and recorded, and a page error fails the test."""
    contexts, errors = [], []

    def keep_local(route: Any) -> None:
        if route.request.url.startswith(cloud.base_url + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    def opener(path: str, mobile: bool = False, cls: bool = False) -> Any:
        context = browser.new_context(
            viewport=PHONE if mobile else DESKTOP, is_mobile=mobile, has_touch=mobile
        )
        contexts.append(context)
        context.route("**/*", keep_local)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        if cls:  # layout shifts not caused by input, from the first paint on (the Layout Instability API)
            page.add_init_script(
                "window.__cls = 0; new PerformanceObserver((list) => { for (const e of list.getEntries()) "
                "if (!e.hadRecentInput) window.__cls += e.value; }).observe({type: 'layout-shift', buffered: true});"
            )
        page.goto(cloud.base_url + path)
        return page

    yield opener
    for context in contexts:
        context.close()
    assert not errors, errors
    assert not outside, outside


def expect() -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def texts_to(base: str, phone: str) -> list[dict[str, Any]]:
    return [m for m in client.outbox(base) if m["to"] == phone]


def consent(base: str, phone: str) -> dict[str, Any]:
    return client.request("GET", f"{base}/_local/consent?{urlencode({'phone': phone})}").json()  # type: ignore[no-any-return]


def reply(base: str, phone: str, body: str, sid: str) -> None:
    result = client.post_sms(
        base, token=TOKEN, body=body, sid=sid, from_=phone, to="+15125550000", sender=SENDER
    )
    assert result.status == 200, result.body


def move(base: str, what: dict[str, Any]) -> dict[str, Any]:
    """The local cloud's virtual clock: {"by": "1h"} runs time that far (all that falls due on the way
    happens) and holds it; {"release": true} lets it run free again."""
    if "release" not in what:
        what = {**what, "timeout_s": 120}
    result = client.request("POST", base + "/_local/clock", json.dumps(what).encode(), timeout=130)
    assert result.status == 200, result.body[:500]
    return result.json()  # type: ignore[no-any-return]


def sign_up_in_popup(page: Any, national: str) -> Any:
    dialog = page.get_by_role("dialog")
    expect()(dialog).to_be_visible()
    dialog.get_by_label("Mobile number").fill(national)
    dialog.get_by_role("checkbox").check()
    dialog.get_by_role("button", name="Sign up for texts").click()
    expect()(dialog.get_by_text("Check your phone: reply Y to confirm.")).to_be_visible()
    return dialog


def test_popup_sign_up_through_the_app_proxy_double_opt_in_then_welcome(open_page, cloud):
    base, phone = cloud.base_url, "+15125550142"
    page = open_page("/_local/storefront?setting.popup_delay=0")
    dialog = page.get_by_role("dialog")
    expect()(dialog).to_be_visible()
    expect()(dialog.get_by_label("Mobile number")).to_be_focused()
    box = dialog.get_by_role("checkbox")
    submit = dialog.get_by_role("button", name="Sign up for texts")
    number = dialog.get_by_label("Mobile number")
    hint = dialog.locator(".smsflows-hint")
    assert not box.is_checked()  # never pre-ticked
    expect()(submit).to_be_disabled()

    number.press_sequentially("512555")  # validated as typed: still too short, a hint, not an error
    expect()(hint).to_have_text("Enter 10 digits (6 so far).")
    expect()(submit).to_be_disabled()
    number.fill("(512) 155-0142")  # an exchange cannot start with 1: not a US number
    expect()(hint).to_have_text("That is not a valid US mobile number.")
    expect()(number).to_have_attribute("aria-invalid", "true")
    box.check()
    expect()(submit).to_be_disabled()  # ticked, but the number is wrong
    number.fill("(512) 555-01423")
    expect()(hint).to_have_text("That is too many digits for a US number.")
    number.fill("(512) 555-0142")
    expect()(hint).to_have_text("")
    expect()(number).to_have_attribute("aria-invalid", "false")
    expect()(submit).to_be_enabled()
    box.uncheck()
    expect()(submit).to_be_disabled()  # valid, but not agreed
    box.check()
    shown = dialog.locator(".smsflows-disclosure").text_content()
    config = client.request("GET", base + "/_local/storefront/apps/sms/config").json()
    assert shown == config["disclosure"]
    expect()(dialog.get_by_role("link", name="https://demo-shop.example/terms")).to_have_attribute(
        "href", "https://demo-shop.example/terms"
    )
    submit.click()
    expect()(dialog.get_by_text("Check your phone: reply Y to confirm.")).to_be_visible()
    # Built for Shopify: the sign-up is logged with the Visitor API, with the number as entered (E.164)
    assert page.evaluate("window.__smsflowsVisitorCalls") == [[{"phone": phone}, {"appId": "smsflows"}]]

    settle(base)
    [request] = texts_to(base, phone)
    assert "Reply Y to confirm" in request["body"]
    held = consent(base, phone)
    assert held["state"]["status"] == "pending"
    asked = next(e for e in held["events"] if e["kind"] == "opt_in_requested")
    assert asked["disclosure_text"] == shown  # exactly what was shown next to the box
    reply(base, phone, "Y", "SMstorefront-y")
    settle(base)
    assert consent(base, phone)["state"]["status"] == "subscribed"
    bodies = [m["body"] for m in texts_to(base, phone)]
    assert any("Welcome to Demo Shop" in b and "WELCOME10" in b for b in bodies), bodies

    # signed up: the popup is not offered again on the next page
    page.reload()
    expect()(page.locator("[data-smsflows-skipped=signed-up]")).to_have_count(1)
    expect()(page.get_by_role("dialog")).to_have_count(0)


def test_popup_closes_on_escape_and_traps_focus_and_is_not_shown_again(open_page):
    page = open_page("/_local/storefront?setting.popup_delay=0")
    dialog = page.get_by_role("dialog")
    expect()(dialog).to_be_visible()
    for _ in range(6):  # Tab never leaves the dialog
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('[role=dialog]') !== null")
    page.keyboard.press("Escape")
    expect()(dialog).to_have_count(0)
    page.reload()
    expect()(page.locator("[data-smsflows-skipped=dismissed]")).to_have_count(1)
    expect()(page.get_by_role("dialog")).to_have_count(0)


def _two_tap(page: Any) -> Any:
    return page.locator("a.smsflows-two-tap")


def test_two_tap_link_on_a_phone_carries_the_shops_number_and_keyword(open_page, cloud):
    base = cloud.base_url
    before = open_page("/_local/storefront?setting.popup_delay=0", mobile=True)
    expect()(before.get_by_role("dialog")).to_be_visible()
    expect()(_two_tap(before)).to_have_count(0)  # the shop has no number of its own yet: no link
    # the merchant adds a number of the shop's own next to its messaging service
    ran = subprocess.run([sys.executable, "-m", "smsflows.cli", "shop", "set", "--sender", SENDER, "--sender",
                          SHOP_NUMBER, "--json", "--local", base], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert ran.returncode == 0, ran.stderr

    page = open_page("/_local/storefront?setting.popup_delay=0", mobile=True)
    link = _two_tap(page)
    expect()(link).to_have_attribute("href", f"sms:{SHOP_NUMBER}?&body=JOIN")
    expect()(link).to_have_text("Text JOIN to (512) 555-0100")
    inline = open_page("/_local/storefront/products/linen-shirt", mobile=True)
    expect()(_two_tap(inline)).to_have_attribute("href", f"sms:{SHOP_NUMBER}?&body=JOIN")
    desktop = open_page("/_local/storefront/products/linen-shirt")
    expect()(desktop.locator(".smsflows-form")).to_be_visible()
    expect()(_two_tap(desktop)).to_have_count(0)  # a desktop has no messaging app to open


def test_a_logged_in_subscribers_product_view_sends_a_browse_nudge_after_its_delay(open_page, cloud):
    base, phone = cloud.base_url, "+15125550161"
    order = samples.order(820061, 61, phone, first_name="Grace")
    customer = str(order["customer"]["id"])
    sent = client.post_shopify(base, order, secret=SECRET, topic="orders/create", shop=SHOP)
    assert sent.status == 200, sent.body
    home = open_page(f"/_local/storefront?customer={customer}&setting.popup_delay=0")
    expect()(home.get_by_text(f"Logged in as customer {customer}")).to_be_visible()
    sign_up_in_popup(home, "512-555-0161")
    settle(base)
    reply(base, phone, "Y", "SMstorefront-browse-y")
    settle(base)
    assert consent(base, phone)["state"]["status"] == "subscribed"
    assert not [m for m in texts_to(base, phone) if "Still thinking" in m["body"]]

    page = home.context.new_page()  # the same shopper (cookie: still logged in), now on a product page
    with page.expect_request(lambda r: r.url == base + "/storefront/events") as seen:
        page.goto(base + "/_local/storefront/products/linen-shirt")
    beacon = seen.value
    event = json.loads(beacon.post_data)
    assert beacon.headers["content-type"].startswith("text/plain")  # no CORS preflight
    assert event["v"] == 1 and event["name"] == "product_viewed" and event["shop"] == SHOP
    assert event["customer_id"] == customer
    assert event["product"] == {"id": "8123456789012", "variant_id": "44563297927412", "title": "Linen Shirt",
                                "url": base + "/_local/storefront/products/linen-shirt"}  # fmt: skip
    assert event["checkout"] is None and event["id"].startswith("sh-") and event["client_id"]
    answered = beacon.response()
    assert answered is not None and answered.status == 204  # the same answer for every valid event

    def nudges() -> list[dict[str, Any]]:
        return [m for m in texts_to(base, phone) if "Still thinking about Linen Shirt" in m["body"]]

    try:
        move(base, {"by": "89m"})  # the flow waits 90 minutes: nothing yet a minute before
        assert nudges() == []
        move(base, {"by": "2m"})
        [nudge] = nudges()
    finally:
        move(base, {"release": True})
    viewed = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
    waited = datetime.fromisoformat(nudge["at"]) - viewed
    assert timedelta(minutes=89) < waited <= timedelta(minutes=91), waited
    assert "Grace" in nudge["body"]
    # a short link to the shop's own storefront (a URL from a pixel event is not trusted as a link target)
    [link] = re.findall(r"https?://\S+/l/\w+", nudge["body"])
    followed = client.request("GET", link, follow_redirects=False)
    assert followed.status == 302 and followed.headers["Location"].startswith(f"https://{SHOP}"), followed
    settle(base)
    assert len(nudges()) == 1  # one nudge per product per day

    with page.expect_request(lambda r: r.url == base + "/storefront/events") as again:
        page.get_by_role("button", name="Checkout").click()
    started = json.loads(again.value.post_data)
    assert started["name"] == "checkout_started" and started["product"] is None
    assert started["checkout"]["token"].startswith("local-") and started["customer_id"] == customer


def test_an_anonymous_product_view_posts_no_customer_and_texts_nobody(open_page, cloud):
    base = cloud.base_url
    settle(base)
    before = len(client.outbox(base))
    page = open_page("/_local/storefront?customer=")  # logged out
    page = page.context.new_page()
    with page.expect_request(lambda r: r.url == base + "/storefront/events") as seen:
        page.goto(base + "/_local/storefront/products/brass-compass")
    assert json.loads(seen.value.post_data)["customer_id"] is None
    settle(base)
    assert len(client.outbox(base)) == before


def _fetch(page: Any, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    return page.evaluate(  # type: ignore[no-any-return]
        """async ([method, path, body]) => {
            const r = await fetch(path, {method, headers: {"Content-Type": "application/json"},
                                         body: body === null ? undefined : JSON.stringify(body)});
            return {status: r.status, body: await r.text()};
        }""",
        [method, path, body],
    )


def test_tampered_app_proxy_requests_are_refused_with_401_and_record_nothing(open_page, cloud):
    base, phone = cloud.base_url, "+15125550188"
    page = open_page("/_local/storefront/embed")  # any page of the shop's origin
    clock = client.request("POST", base + "/_local/clock", b'{"hold": true}').json()
    try:
        now = int(datetime.fromisoformat(clock["now"]).timestamp())
        params = [("shop", SHOP), ("logged_in_customer_id", ""), ("path_prefix", "/apps/sms"),
                  ("timestamp", str(now))]  # fmt: skip
        good = signed_query(params, SECRET.encode())
        assert (
            _fetch(page, "GET", f"/proxy/config?{good}")["status"] == 200
        )  # the control: as Shopify signs it

        def swap(query: str, key: str, value: str) -> str:
            return urlencode(
                [(k, value if k == key else v) for k, v in parse_qsl(query, keep_blank_values=True)]
            )

        signature = dict(parse_qsl(good))["signature"]
        flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
        stale = [*params[:3], ("timestamp", str(now - 600))]
        forged = {
            "another shop": swap(good, "shop", "other-shop.myshopify.com"),
            "another customer": swap(good, "logged_in_customer_id", "7000000000099"),
            "a changed signature": swap(good, "signature", flipped),
            "no signature": urlencode(params),
            "a stale timestamp": urlencode([*stale, ("signature", sign_query(stale, SECRET.encode()))]),
            "another secret": signed_query(params, b"not-the-app-secret"),
        }
        for why, query in forged.items():
            answer = _fetch(page, "GET", f"/proxy/config?{query}")
            assert answer["status"] == 401, (why, answer)
            assert "error" in json.loads(answer["body"]), why
        sign_up = {"phone": phone, "country": "US", "consent": {"checked": True, "default_checked": False,
                   "disclosure_text": client.request("GET", base + "/_local/storefront/apps/sms/config").json()[
                       "disclosure"]}}  # fmt: skip
        for why, query in forged.items():
            answer = _fetch(page, "POST", f"/proxy/subscribe?{query}", sign_up)
            assert answer["status"] == 401, (why, answer)
    finally:
        client.request("POST", base + "/_local/clock", b'{"release": true}')
    settle(base)
    assert consent(base, phone)["state"] is None  # nothing recorded
    assert texts_to(base, phone) == []


CLS_PAGES = [("desktop", False), ("phone", True)]


@pytest.mark.parametrize(("screen", "mobile"), CLS_PAGES)
def test_the_inline_form_shifts_nothing_on_the_product_page(open_page, screen, mobile):
    page = open_page("/_local/storefront/products/linen-shirt", mobile=mobile, cls=True)
    expect()(page.locator(".smsflows-optin--inline .smsflows-submit")).to_be_visible()
    details = page.get_by_role("heading", name="Details")
    top = details.bounding_box()["y"]
    _frames(page)
    assert page.evaluate("window.__cls") == 0
    box = page.locator(".smsflows-optin--inline")
    assert box.evaluate("e => e.scrollHeight <= e.clientHeight"), "the form does not fit its reserved box"
    assert details.bounding_box()["y"] == top


def test_the_layout_shift_measure_sees_a_form_without_its_reserved_space(open_page, cloud, browser):
    """The control of the test above: the same page with the stylesheet's reservation taken out shifts."""
    css = client.request("GET", cloud.base_url + "/_local/storefront/assets/smsflows-optin.css").body.decode()
    unreserved = re.sub(r"height: \d+rem;", "", css)
    assert unreserved != css
    context = browser.new_context(viewport=DESKTOP)
    try:
        context.route(
            "**/smsflows-optin.css", lambda route: route.fulfill(body=unreserved, content_type="text/css")
        )
        context.route(re.compile(r"^(?!" + re.escape(cloud.base_url) + ")"), lambda route: route.abort())
        page = context.new_page()
        page.add_init_script(
            "window.__cls = 0; new PerformanceObserver((l) => { for (const e of l.getEntries()) "
            "window.__cls += e.value; }).observe({type: 'layout-shift', buffered: true});"
        )
        page.goto(cloud.base_url + "/_local/storefront/products/linen-shirt")
        expect()(page.locator(".smsflows-optin--inline .smsflows-submit")).to_be_visible()
        _frames(page)
        assert page.evaluate("window.__cls") > 0
    finally:
        context.close()


def _frames(page: Any) -> None:
    """Until two frames have been painted after now (layout shifts are reported per frame)."""
    page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def test_the_plain_snippet_outside_shopify_signs_up_with_a_disclosure_that_passes(open_page, cloud):
    base, phone = cloud.base_url, "+15125550173"
    page = open_page("/_local/storefront/embed")
    shown = page.locator("[data-smsflows-signup] label[id$=-disclosure]").text_content()
    check_disclosure(shown, "Demo Shop")  # raises BadRequest if it lacks anything the backend requires
    button = page.get_by_role("button", name="Sign up for texts")
    page.get_by_label("Mobile number").fill("512 555 0173")
    expect()(button).to_be_disabled()
    page.get_by_role("checkbox").check()
    with page.expect_response(
        lambda r: r.url == base + "/subscribe" and r.request.method == "POST"
    ) as answer:
        button.click()
    assert answer.value.status == 202
    expect()(page.get_by_text("Check your phone: reply Y to confirm.")).to_be_visible()
    settle(base)
    [request] = texts_to(base, phone)
    assert "Reply Y to confirm" in request["body"]
    asked = next(e for e in consent(base, phone)["events"] if e["kind"] == "opt_in_requested")
    assert asked["disclosure_text"] == shown
