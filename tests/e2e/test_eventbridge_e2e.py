"""Shopify webhooks delivered as EventBridge delivers them (POST /_local/eventbridge: the partner bus's rule
putting the event on the shopify_eventbridge queue), through the local cloud over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from smsflows.local import client, samples
from tests.e2e.conftest import wait_for_outbox, wait_idle

pytestmark = pytest.mark.e2e
SHOP = "demo-shop.myshopify.com"


def put_event(
    base_url: str, payload: object, webhook_id: str, topic: str = "orders/create"
) -> client.HttpResult:
    detail = {
        "payload": payload,
        # as the AWS sample spells them: metadata keys are read case-insensitively
        "metadata": {"Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": SHOP,
                     "x-shopify-api-version": "2026-07", "X-SHOPIFY-WEBHOOK-ID": webhook_id},
    }  # fmt: skip
    return client.request("POST", base_url + "/_local/eventbridge", json.dumps(detail).encode())


def confirmations(box: list[dict], order_name: str) -> list[dict]:
    return [m for m in box if order_name in m["body"] and "thanks for your order" in m["body"]]


def test_an_order_by_eventbridge_gets_the_text_an_order_by_https_gets(local_cloud):
    base = local_cloud.base_url
    https = samples.order(6101, 6101, "+1 512 555 0161", "Grace")
    eventbridge = samples.order(6102, 6101, "+1 512 555 0162", "Grace")  # same name and number: same text
    assert client.post_shopify(base, https, secret=local_cloud.shopify_secret, topic="orders/create", shop=SHOP,
                               webhook_id="e2e-eb-https-6101").status == 200  # fmt: skip
    assert put_event(base, eventbridge, "e2e-eb-6102").status == 200
    box = wait_for_outbox(base, lambda b: len(confirmations(b, "#6101")) == 2, "both confirmations of #6101")
    by_to = {m["to"]: m["body"] for m in confirmations(box, "#6101")}
    assert by_to["+15125550161"] == by_to["+15125550162"]
    assert by_to["+15125550162"].startswith("Demo Shop: Hi Grace, thanks for your order #6101")


def test_an_eventbridge_webhook_delivered_twice_texts_once(local_cloud):
    base = local_cloud.base_url
    order = samples.order(6103, 6103, "+1 512 555 0163")
    first, second = put_event(base, order, "e2e-eb-dup-6103"), put_event(base, order, "e2e-eb-dup-6103")
    assert first.json()["id"] != second.json()["id"]  # two puts, two envelope ids: one webhook id
    wait_for_outbox(base, lambda b: confirmations(b, "#6103"), "the confirmation of #6103")
    wait_idle(base)  # a second text would have been sent by now
    assert len(confirmations(client.outbox(base), "#6103")) == 1
    # and the same webhook over HTTPS afterwards is a duplicate too
    again = client.post_shopify(base, order, secret=local_cloud.shopify_secret, topic="orders/create", shop=SHOP,
                                webhook_id="e2e-eb-dup-6103")  # fmt: skip
    assert again.json() == {"status": "duplicate"}


def test_an_id_only_order_is_fetched_from_shopify_and_confirmed(local_cloud):
    base = local_cloud.base_url
    order_id = 820982911946154508  # above 2^53: it must reach the Admin API exact
    seeded = client.request(
        "POST", base + "/_local/shopify/orders",
        json.dumps({"order": samples.order(order_id, 6104, "+1 512 555 0164", "Ada")}).encode(),
    )  # fmt: skip
    assert seeded.status == 200, seeded.body
    assert put_event(base, {"id": order_id}, "e2e-eb-idonly-6104").status == 200
    box = wait_for_outbox(base, lambda b: confirmations(b, "#6104"), "the confirmation of the fetched #6104")
    [sms] = confirmations(box, "#6104")
    assert sms["to"] == "+15125550164" and "Hi Ada" in sms["body"]


def test_an_id_only_order_shopify_does_not_know_is_kept_for_replay_and_texts_nobody(local_cloud):
    base = local_cloud.base_url
    wait_idle(base)
    before = len(client.outbox(base))
    assert put_event(base, {"id": 999000111}, "e2e-eb-idonly-missing").status == 200
    wait_idle(base)
    assert len(client.outbox(base)) == before
    listed = subprocess.run(
        [sys.executable, "-m", "smsflows.cli", "webhooks", "list", "--local", base, "--shop", SHOP,
         "--state", "unparseable", "--json"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    [kept] = [w for w in json.loads(listed.stdout) if w["webhook_id"] == "e2e-eb-idonly-missing"]
    assert kept["topic"] == "orders/create"
    assert "id-only payload of orders/create 999000111" in kept["reason"] and "not found" in kept["reason"]


def test_a_body_that_is_no_event_is_refused(local_cloud):
    result = client.request("POST", local_cloud.base_url + "/_local/eventbridge", b'{"payload": {}}')
    assert result.status == 400 and "metadata" in result.json()["error"]
