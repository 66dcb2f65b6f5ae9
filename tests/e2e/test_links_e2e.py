"""Short links on the local cloud over real HTTP (issue 16): a shipping text's tracking URL arrives as the
recipient's own short link; following it answers 302 to the target with UTM tags; a link preview is
redirected but not counted; an unknown code gets the friendly 404 page; `smsflows report` counts the click."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from smsflows.domain.analytics import links
from smsflows.local import client, samples
from tests.e2e.conftest import wait_for_outbox, wait_idle

pytestmark = pytest.mark.e2e
SHOP = "demo-shop.myshopify.com"
PHONE = "+15125550161"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/18.1 Mobile/15E148 Safari/604.1")  # fmt: skip
SLACK = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"


def test_a_tracking_link_is_a_short_link_that_redirects_counts_a_person_once_and_reports_it(local_cloud):
    base = local_cloud.base_url
    kw = {"secret": local_cloud.shopify_secret, "shop": SHOP}
    assert (
        client.post_shopify(base, samples.order(7101, 7101, PHONE, "Lin"), topic="orders/create", **kw).status
        == 200
    )
    shipped = {"id": 9101, "order_id": 7101, "tracking_company": "UPS",
               "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784"}  # fmt: skip
    assert client.post_shopify(base, shipped, topic="fulfillments/create", **kw).status == 200
    box = wait_for_outbox(base, lambda b: [m for m in b if m["to"] == PHONE and "shipped" in m["body"]],
                          "the shipping text")  # fmt: skip
    [sms] = [m for m in box if m["to"] == PHONE and "shipped" in m["body"]]
    start, end = links.find_urls(sms["body"])[0]
    url = sms["body"][start:end]
    assert url.startswith(f"{base}/l/") and "ups.com" not in sms["body"]

    preview = client.request("GET", url, headers={"User-Agent": SLACK}, follow_redirects=False)
    first = client.request("GET", url, headers={"User-Agent": IPHONE}, follow_redirects=False)
    again = client.request("GET", url, headers={"User-Agent": IPHONE}, follow_redirects=False)
    head = client.request("HEAD", url, headers={"User-Agent": IPHONE}, follow_redirects=False)
    assert [r.status for r in (preview, first, again, head)] == [302, 302, 302, 302]
    target = urlsplit(first.headers["Location"])
    assert (target.netloc, target.path) == ("www.ups.com", "/track")
    assert parse_qs(target.query) == {"tracknum": ["1Z999AA10123456784"], "utm_source": ["sms"], "utm_medium": ["flow"],
                                      "utm_campaign": ["shipping"], "utm_content": ["step-0"]}  # fmt: skip
    assert first.headers.get("Cache-Control") == "no-store"

    unknown = client.request("GET", f"{base}/l/{'Z' * links.CODE_LENGTH}", headers={"User-Agent": IPHONE})
    assert unknown.status == 404 and b"Link not found" in unknown.body
    assert unknown.headers["Content-Type"].startswith("text/html")
    wait_idle(base)

    today = datetime.fromisoformat(client.request("GET", f"{base}/_local/health").json()["now"]).date()
    ran = subprocess.run([sys.executable, "-m", "smsflows.cli", "report", "--local", base, "--shop", SHOP,
                          "--since", str(today - timedelta(days=1)), "--until", str(today), "--json"],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    report = json.loads(ran.stdout)
    [shipping] = [f for f in report["flows"] if f["flow"] == "shipping"]
    assert (shipping["clicks"], shipping["unique_clicks"]) == (2, 1)  # Lin twice (GET), once as a person
