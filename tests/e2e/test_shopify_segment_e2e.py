"""A campaign on a Shopify customer segment on the local cloud, as a user runs it (`smsflows local --virtual`,
real HTTP, the CLI in its own process, the fake Shopify seeded through /_local/shopify/segments): the
marketer lists the shop's Shopify segments, makes a segment of one, counts it and sends a campaign to it;
exactly the members subscribed in smsflows are texted, not the subscriber outside the segment, not the
member smsflows has no consent for, not the member without a phone."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from smsflows.local import client
from smsflows.local.cloud import DEFAULT_SHOP
from smsflows.local.inprocess import DEFAULT_START
from tests.e2e.conftest import running_local

pytestmark = pytest.mark.e2e
SECRET = "e2e-shopify-segment-secret"
DISCLOSURE = (
    "Yes, text me offers from Demo Shop: recurring automated marketing texts, up to 6 msgs/mo. Consent is not "
    "a condition of purchase. Msg & data rates may apply. Reply HELP for help, STOP to cancel. "
    "Terms: https://demo-shop.example/terms Privacy: https://demo-shop.example/privacy"
)
MEMBERS = ["+15125557001", "+15125557002"]  # subscribed here and in the Shopify segment
OUTSIDE, STRANGER = "+15125557003", "+15125557004"  # subscribed but not in it; in it but not subscribed


def cli(base: str, *args: str) -> Any:
    ran = subprocess.run([sys.executable, "-m", "smsflows.cli", *args, "--json", "--local", base],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout)


def post(base: str, path: str, body: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
    result = client.request("POST", base + path, json.dumps(body).encode(), timeout=timeout + 20)
    assert result.status == 200, result.body[:500]
    return dict(result.json())


def test_a_campaign_on_a_shopify_segment_texts_its_subscribed_members_only(tmp_path: Path) -> None:
    with running_local(secret=SECRET) as (running, _):
        base = running.base_url
        post(base, "/_local/clock", {"hold": True})
        rows = ["phone,consent_at,source,disclosure_text"]
        rows += [f'{p},2026-10-01T14:00:00Z,web_form,"{DISCLOSURE}"' for p in [*MEMBERS, OUTSIDE]]
        (tmp_path / "subscribers.csv").write_text("\n".join(rows) + "\n")
        assert cli(base, "import", str(tmp_path / "subscribers.csv"))["imported"] == 3

        no_phone = post(base, "/_local/shopify/customers", {"email": "grace@example.com"})["id"]
        made = post(base, "/_local/shopify/segments", {"name": "VIP", "id": 210588551, "query": "amount_spent > 500",
                                                       "members": [*MEMBERS, STRANGER, no_phone]})  # fmt: skip
        assert made["id"] == "gid://shopify/Segment/210588551"

        listed = cli(base, "segment", "shopify-list", "--shop", DEFAULT_SHOP)
        assert {"id": made["id"], "name": "VIP", "query": "amount_spent > 500"} in listed
        cli(
            base,
            "segment",
            "create",
            "--shop",
            DEFAULT_SHOP,
            "--name",
            "vip",
            "--shopify-segment",
            "210588551",
        )
        counted = cli(base, "segment", "count", "vip", "--shop", DEFAULT_SHOP)
        assert counted["total"] == 2 and counted["shopify"]["shopify_total"] == 4
        assert (counted["shopify"]["not_subscribed"], counted["shopify"]["no_phone"]) == (1, 1)

        cid = cli(base, "campaign", "create", "--shop", DEFAULT_SHOP, "--name", "VIP night", "--segment", "vip",
                  "--text", "Demo Shop: VIP night, 30% off. Reply STOP to opt out.")["id"]  # fmt: skip
        assert cli(base, "campaign", "schedule", cid, "--shop", DEFAULT_SHOP)["estimate"]["audience"] == 2
        post(base, "/_local/clock", {"to": (DEFAULT_START + timedelta(hours=1)).isoformat(), "timeout_s": 300},
             timeout=300)  # fmt: skip

        sent = sorted(m["to"] for m in client.outbox(base) if "VIP night" in m["body"])
        assert sent == MEMBERS
        shown = cli(base, "campaign", "show", cid, "--shop", DEFAULT_SHOP)
        assert shown["state"] == "completed" and shown["counts"]["sent"] == 2
        calls = client.request("GET", base + "/_local/shopify").json()["calls"]
        assert calls >= 3  # shopify-list, create, count, preview and the run all asked the fake Shopify
