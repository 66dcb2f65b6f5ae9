"""Consent synced both ways on the local cloud (issue 17): a sign-up confirmed with YES is written to the fake
Shopify as SUBSCRIBED (CONFIRMED_OPT_IN), a STOP as UNSUBSCRIBED; the fake echoes each write back as Shopify
would (a signed customers_marketing_consent/update webhook), and the echo is recognised and ignored."""

import json
import subprocess
import sys

import pytest

from smsflows.local import client
from tests.e2e.conftest import settle
from tests.e2e.test_consent_e2e import DISCLOSURE, SHOP, consent, reply, sms

pytestmark = pytest.mark.e2e
PHONE = "+15125550166"


def webhooks(base):
    return client.request("GET", base + "/_local/shopify").json()


def test_yes_and_stop_are_written_to_shopify_and_their_echoes_ignored(local_cloud):
    base = local_cloud.base_url
    seeded = client.request("POST", base + "/_local/shopify/customers",
                            json.dumps({"phone": PHONE, "first_name": "Ada"}).encode(),
                            {"Content-Type": "application/json"})  # fmt: skip
    assert seeded.status == 200, seeded.body
    customer = seeded.json()["id"]
    form = {"shop": SHOP, "phone": PHONE, "page_url": "https://demo-shop.example/",
            "consent": {"checked": True, "default_checked": False, "disclosure_text": DISCLOSURE}}  # fmt: skip
    result = client.request(
        "POST", base + "/subscribe", json.dumps(form).encode(), {"Content-Type": "application/json"}
    )
    assert result.status == 202, result.body
    settle(base)
    assert "You're subscribed" in reply(sms(base, "YES", "SMe2e-sync-y", PHONE))
    settle(base)
    assert reply(sms(base, "STOP", "SMe2e-sync-stop", PHONE)) is not None
    settle(base)

    writes = client.request("GET", base + "/_local/shopify/consent_writes").json()
    mine = [(w["customer_id"], w["state"], w["opt_in_level"]) for w in writes if w["phone"] == PHONE]
    assert mine == [
        (customer, "PENDING", None),
        (customer, "SUBSCRIBED", "CONFIRMED_OPT_IN"),
        (customer, "UNSUBSCRIBED", None),
    ]
    # every write was echoed to the cloud's /webhooks/shopify, accepted, and recognised as our own
    assert webhooks(base)["echoes_posted"] >= 3
    held = consent(base, PHONE)
    assert held["state"]["status"] == "unsubscribed"
    assert [e["source"] for e in held["events"]].count("shopify_consent") == 0  # no echo became an event
    listed = subprocess.run(
        [sys.executable, "-m", "smsflows.cli", "webhooks", "list", "--local", base, "--shop", SHOP, "--json"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    echoes = [w for w in json.loads(listed.stdout) if w["topic"] == "customers_marketing_consent/update"]
    assert len(echoes) == 3 and {w["reason"] for w in echoes} == {"echo of our own write: ignored"}, echoes
