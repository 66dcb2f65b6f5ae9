"""The web pixel's product view on the local cloud over real HTTP: a logged-in subscriber looks at a product,
and 90 minutes of virtual time later (not a minute before) the browse-abandonment text arrives."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from smsflows.local import client, samples

pytestmark = pytest.mark.e2e
SHOP = "demo-shop.myshopify.com"
PHONE = "+15125550186"
TOKEN = "local-twilio-token"
SENDER = "MG" + "0" * 31 + "1"


def clock(base: str, move: dict[str, object]) -> datetime:
    answer = client.request("POST", base + "/_local/clock", json.dumps(move).encode(), timeout=90)
    assert answer.status == 200, answer.body
    return datetime.fromisoformat(answer.json()["now"])


def nudges(base: str) -> list[dict]:
    return [m for m in client.outbox(base) if m["to"] == PHONE and "Still thinking about" in m["body"]]


def test_a_subscribers_product_view_is_nudged_after_90_minutes_of_virtual_time_and_not_before(local_cloud):
    base = local_cloud.base_url
    try:
        clock(base, {"hold": True})  # time moves only when told: the 90 minutes are counted exactly
        order = samples.order(8186, 8186, PHONE, "Lin")  # customer 7000000008186 with a profile and a phone
        sent = client.post_shopify(
            base, order, topic="orders/create", secret=local_cloud.shopify_secret, shop=SHOP
        )
        assert sent.status == 200
        joined = client.post_sms(base, token=TOKEN, body="JOIN", sid="SMe2e-pixel-join", from_=PHONE,
                                 to="+15125550000", sender=SENDER)  # fmt: skip
        assert joined.status == 200
        clock(base, {"by": "1m"})
        state = client.request("GET", f"{base}/_local/consent?phone=%2B15125550186").json()["state"]
        assert state["status"] == "subscribed"

        viewed_at = clock(base, {"by": "1m"})
        view = {"v": 1, "shop": SHOP, "name": "product_viewed", "id": "sh-e2e-1", "client_id": "e2e-browser",
                "timestamp": viewed_at.isoformat(), "customer_id": "gid://shopify/Customer/7000000008186",
                "product": {"id": "gid://shopify/Product/8123456789012", "variant_id": "44563297927412",
                            "title": "Linen Shirt", "url": "/products/linen-shirt"}, "checkout": None}  # fmt: skip
        answer = client.request("POST", base + "/storefront/events", json.dumps(view).encode(),
                                {"Content-Type": "text/plain;charset=UTF-8", "Origin": "https://demo-shop.example"})  # fmt: skip
        assert answer.status == 204 and answer.headers.get("Access-Control-Allow-Origin") == "*"

        almost = clock(base, {"by": "89m"})
        assert almost - viewed_at == timedelta(minutes=89) and nudges(base) == []
        clock(base, {"by": "2m"})
        [nudge] = nudges(base)
        assert "Still thinking about Linen Shirt, Lin?" in nudge["body"] and "STOP" in nudge["body"]
        assert (
            timedelta(minutes=90) <= datetime.fromisoformat(nudge["at"]) - viewed_at <= timedelta(minutes=91)
        )
    finally:
        clock(base, {"release": True})
