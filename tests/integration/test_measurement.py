"""Issue 16 through the real handlers under moto: a text's URL becomes a per-recipient short link, GET
/l/{code} redirects with UTM tags and counts a person's click once (never a link preview's), an order
placed after the click is attributed to the text, a status callback's price replaces the estimate, and a
reply or an opt-out counts against the text it answers."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

from twilio.request_validator import RequestValidator

from smsflows.domain.analytics import links
from smsflows.local import samples
from tests.integration.conftest import (
    SHOP,
    TWILIO_TOKEN,
    api_event,
    inbound_params,
    shopify_headers,
    sqs_event,
    twilio_event,
)

BASE = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"
PHONE = "+15125550123"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1"
)
IMESSAGE_PREVIEW = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 "
    "Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0"
)


def _setup(cloud, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE)
    from smsflows.runtime import deps as deps_module

    deps_module.reset()
    cloud.twilio.send_status_callbacks = False


def send_text(cloud, body: str, message_id: str = "shipping:1", flow: str = "shipping_update") -> dict:
    message = {"message_id": message_id, "shop": SHOP, "to": PHONE, "body": body, "category": "transactional",
               "flow": flow, "step": 0, "created_at": "2026-11-23T17:00:00+00:00"}  # fmt: skip
    cloud.invoke("send_message", sqs_event(json.dumps(message)))
    return cloud.twilio.outbox()[-1]


def follow(cloud, url: str, agent: str = IPHONE, method: str = "GET", headers: dict | None = None) -> dict:
    path = urlsplit(url).path.removeprefix("/prod")
    event = api_event(b"", {"User-Agent": agent, **(headers or {})}, path=path)
    event["httpMethod"] = method
    event["resource"] = "/l/{code}"
    event["pathParameters"] = {"code": path.rsplit("/", 1)[-1]}
    event["body"] = None
    return cloud.invoke("follow_link", event)


def location(response: dict) -> str:
    single = response.get("headers") or {}
    return single.get("Location") or (response.get("multiValueHeaders") or {})["Location"][0]


def counters(cloud) -> dict:
    out: dict = {}
    for item in cloud.items("MET#"):
        for key, value in item.items():
            if key not in ("pk", "sk", "day", "expires_at", "shop", "type"):
                out.setdefault(item["sk"], {}).setdefault(key, 0)
                out[item["sk"]][key] += float(value)
    return out


def test_a_url_becomes_a_per_recipient_short_link_that_redirects_with_utm_and_counts_a_person_once(
    cloud, monkeypatch
):
    _setup(cloud, monkeypatch)
    sms = send_text(
        cloud, "Demo Shop: your parcel is on its way: https://demo-shop.example/track?id=9. Thanks!"
    )
    [short] = links.find_urls(sms["body"])
    url = sms["body"][short[0] : short[1]]
    assert url.startswith(f"{BASE}/l/") and sms["body"].endswith(". Thanks!")
    code = url.rsplit("/", 1)[-1]
    assert links.CODE_FORM.fullmatch(code)

    preview = follow(cloud, url, agent=IMESSAGE_PREVIEW)  # the preview iMessage draws on arrival
    assert preview["statusCode"] == 302
    person = follow(cloud, url)
    again = follow(cloud, url)
    head = follow(cloud, url, method="HEAD")
    prefetch = follow(cloud, url, headers={"Sec-Purpose": "prefetch"})
    for response in (person, again, head, prefetch):
        assert response["statusCode"] == 302
    assert location(preview) == location(head) == location(person)  # a preview shows the real page
    target = urlsplit(location(person))
    assert (target.netloc, target.path) == ("demo-shop.example", "/track")
    assert parse_qs(target.query) == {"id": ["9"], "utm_source": ["sms"], "utm_medium": ["flow"],
                                      "utm_campaign": ["shipping_update"], "utm_content": ["step-0"]}  # fmt: skip
    counted = counters(cloud)["flow#shipping_update#0"]
    assert counted["clicks"] == 2 and counted["unique_clicks"] == 1  # the person twice; previews never
    assert counted["sent"] == 1
    [link] = cloud.items("LINK#")
    assert link["clicks"] == 2 and link["phone"] == PHONE and link["mid"] == "shipping:1"
    [touch] = [i for i in cloud.items("SUB#") if i["sk"] == "TOUCH"]
    assert touch["last_click"]["scope"] == "flow#shipping_update#0"


def test_an_unknown_or_expired_code_gets_the_friendly_page_and_an_expired_click_is_never_attributed(
    cloud, monkeypatch
):
    _setup(cloud, monkeypatch)
    sms = send_text(cloud, "Demo Shop: see https://demo-shop.example/sale")
    url = sms["body"].rsplit(" ", 1)[-1]
    for bad in (f"{BASE}/l/zzzzzzzzzz", f"{BASE}/l/not-a-code", f"{BASE}/l/{'x' * 300}"):
        page = follow(cloud, bad)
        assert page["statusCode"] == 404 and "Link not found" in page["body"]
    table = cloud.res.env["TABLE_NAME"]
    code = url.rsplit("/", 1)[-1]
    cloud.client("dynamodb").update_item(
        TableName=table, Key={"pk": {"S": f"LINK#{code}"}, "sk": {"S": "LINK"}},
        UpdateExpression="SET link_expires_s = :t", ExpressionAttributeValues={":t": {"N": "1"}},
    )  # fmt: skip
    page = follow(cloud, url)
    assert page["statusCode"] == 404 and "expired" in page["body"]
    [link] = cloud.items("LINK#")
    assert link["expired_clicks"] == 1 and "clicks" not in link
    assert not [i for i in cloud.items("SUB#") if i["sk"] == "TOUCH" and "last_click" in i]


def _order(cloud, order_id: int, placed: str, codes: tuple[str, ...] = ()):
    payload = samples.order(order_id, 1000 + order_id, PHONE)
    payload["created_at"] = placed
    payload["total_price"] = "80.00"
    payload["discount_codes"] = [{"code": c, "amount": "8.00", "type": "percentage"} for c in codes]
    body = json.dumps(payload).encode()
    cloud.invoke("shopify_webhook", api_event(body, shopify_headers(body)))
    return cloud.invoke("process_shop_event", sqs_event(*cloud.queue_bodies("shop_events_queue")))


def test_an_order_after_a_click_is_attributed_to_the_text_once(cloud, monkeypatch):
    _setup(cloud, monkeypatch)
    sms = send_text(cloud, "Demo Shop: new arrivals https://demo-shop.example/new")
    follow(cloud, sms["body"].rsplit(" ", 1)[-1])
    _order(cloud, 501, "2026-11-23T18:30:00+00:00")
    _order(cloud, 501, "2026-11-23T18:30:00+00:00")  # Shopify delivers it again under a new webhook id
    [attribution] = [i for i in cloud.items("ORDER#") if i["sk"] == "ATTRIBUTION"]
    assert attribution["rule"] == "click" and attribution["scope"] == "flow#shipping_update#0"
    counted = counters(cloud)["flow#shipping_update#0"]
    assert counted["conversions"] == 1 and counted["revenue"] == 80.0 and counted["conv_click"] == 1

    _order(cloud, 502, "2026-11-26T18:30:00+00:00")  # three days later: outside the 24 h click window
    late = [i for i in cloud.items("ORDER#") if i["sk"] == "ATTRIBUTION" and i["order_id"] == "502"]
    assert late[0]["rule"] == "none"
    assert counters(cloud)["flow#shipping_update#0"]["conversions"] == 1


def _status(cloud, sms, status, **extra):
    params = {"MessageSid": sms["sid"], "MessageStatus": status, "NumSegments": "1", **extra}
    url = sms["status_callback"]
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(url, params),
    }
    event = api_event(urlencode(params).encode(), headers, path="/sms/status")
    mid = parse_qs(urlsplit(url).query)["mid"][0]
    event["queryStringParameters"] = {"mid": mid}
    event["multiValueQueryStringParameters"] = {"mid": [mid]}
    return cloud.invoke("twilio_status", event)


def test_delivery_and_twilios_price_replace_the_estimate_in_the_counters(cloud, monkeypatch):
    _setup(cloud, monkeypatch)
    sms = send_text(cloud, "Demo Shop: your order shipped")
    first = counters(cloud)["flow#shipping_update#0"]
    assert first["cost_est"] == 0.0083 and "cost_actual" not in first
    assert _status(cloud, sms, "delivered", Price="-0.00790", PriceUnit="USD")["statusCode"] == 200
    assert _status(cloud, sms, "delivered", Price="-0.00790")["statusCode"] == 200  # twice: counted once
    counted = counters(cloud)["flow#shipping_update#0"]
    assert counted["delivered"] == 1 and counted["priced"] == 1
    assert counted["cost_actual"] == 0.0079 and counted["cost_replaced"] == 0.0083

    other = send_text(cloud, "Demo Shop: and another", message_id="shipping:2")
    _status(cloud, other, "undelivered", ErrorCode="30007")
    counted = counters(cloud)["flow#shipping_update#0"]
    assert counted["failed"] == 1 and counted["err#30007"] == 1


def test_a_reply_and_an_opt_out_count_against_the_marketing_text_they_answer(cloud, monkeypatch):
    _setup(cloud, monkeypatch)
    from smsflows.runtime import deps as deps_module

    measurement = deps_module.get_deps().measurement
    from smsflows.domain.analytics.attribution import Touchpoint

    sent_at = deps_module.get_deps().clock() - timedelta(hours=1)
    measurement.note_sent(SHOP, PHONE, Touchpoint(sent_at, "campaign#spring#A", "cmp:spring:once:x"), None)
    cloud.invoke(
        "twilio_inbound", twilio_event(inbound_params("Is the sale on in store too?", "SM" + "1" * 32))
    )
    cloud.invoke("twilio_inbound", twilio_event(inbound_params("STOP", "SM" + "2" * 32)))
    counted = counters(cloud)["campaign#spring#A"]
    assert counted["replies"] == 1 and counted["opt_outs"] == 1
    [run] = [i for i in cloud.items("CAMPAIGN#") if i["sk"] == "RUN#spring#once"]
    assert run["n_opted_out"] == 1


def _calls(cloud) -> list[str]:
    from smsflows.runtime.deps import get_deps

    calls: list[str] = []
    get_deps().client("dynamodb").meta.events.register(
        "before-call.dynamodb", lambda event_name, **_: calls.append(event_name.split(".")[-1])
    )
    return calls


def test_a_click_is_served_with_no_read_before_the_redirect_and_a_preview_with_one(cloud, monkeypatch):
    _setup(cloud, monkeypatch)
    url = send_text(cloud, "Demo Shop: https://demo-shop.example/a")["body"].rsplit(" ", 1)[-1]
    calls = _calls(cloud)
    assert follow(cloud, url)["statusCode"] == 302
    # the link found and counted in one UpdateItem; then the touch record, the subscriber's last click and
    # the day's counters: writes, no read
    assert calls == ["UpdateItem", "UpdateItem", "UpdateItem", "UpdateItem"]
    calls.clear()
    assert follow(cloud, url, agent=IMESSAGE_PREVIEW)["statusCode"] == 302
    assert calls == ["GetItem"]  # a preview: one read, nothing written
    calls.clear()
    assert follow(cloud, f"{BASE}/l/not-a-code")["statusCode"] == 404
    assert calls == []  # not even a code's form: nothing asked


def test_counters_added_from_many_threads_at_once_lose_nothing(cloud):
    from concurrent.futures import ThreadPoolExecutor

    from smsflows.domain.analytics.counters import roll_up
    from smsflows.runtime.deps import get_deps

    measurement = get_deps().measurement
    now = get_deps().clock()

    def add(n: int) -> None:
        measurement.count(SHOP, now, "campaign#spring#A" if n % 2 else "flow#welcome#0",
                          {"sent": 1, "segments": 2, "cost_est": 0.0166, f"err#{30007 if n % 3 == 0 else 30003}": 1})  # fmt: skip

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(add, range(400)))
    rows = measurement.rows(SHOP, now.date(), now.date())
    assert {r.scope for r in rows} == {"campaign#spring#A", "flow#welcome#0"}
    assert len(rows) <= 2 * 4  # one item per scope and shard
    total = roll_up(rows).total
    assert total.values["sent"] == 400 and total.values["segments"] == 800
    assert round(total.values["cost_est"], 4) == round(400 * 0.0166, 4)
    assert total.errors() == {30007: 134, 30003: 266}
    assert roll_up(rows, campaign="spring").total.values["sent"] == 200


def test_an_order_using_a_code_a_text_carried_is_attributed_to_that_text_without_a_click(cloud, monkeypatch):
    _setup(cloud, monkeypatch)
    message = {"message_id": "flow:welcome:ex-1:0", "shop": SHOP, "to": PHONE, "category": "transactional",
               "body": "Demo Shop: 10% off with WELCOME10", "flow": "welcome", "step": 0,
               "discount_code": "WELCOME10", "created_at": "2026-11-23T17:00:00+00:00"}  # fmt: skip
    cloud.invoke("send_message", sqs_event(json.dumps(message)))
    _order(cloud, 701, "2026-11-30T12:00:00+00:00", codes=("welcome10",))  # a week later, no click: the code
    _order(cloud, 702, "2026-11-30T13:00:00+00:00", codes=("SOMEONE-ELSES",))
    found = {i["order_id"]: i for i in cloud.items("ORDER#") if i["sk"] == "ATTRIBUTION"}
    assert (found["701"]["rule"], found["701"]["scope"], found["701"]["mid"]) == (
        "discount_code",
        "flow#welcome#0",
        "flow:welcome:ex-1:0",
    )
    assert found["702"]["rule"] == "none"
    assert counters(cloud)["flow#welcome#0"]["conv_discount_code"] == 1
