"""The consent engine on the local cloud, over HTTP as Shopify's storefront and Twilio would call it."""

import json
import subprocess
import sys
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from twilio.request_validator import RequestValidator

from smsflows.local import client
from tests.e2e.conftest import wait_idle
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e
SHOP = "demo-shop.myshopify.com"
TOKEN = "local-twilio-token"
SENDER = "MG" + "0" * 31 + "1"
DISCLOSURE = (
    "Yes, text me offers from Demo Shop: recurring automated marketing texts, up to 6 msgs/mo. "
    "Consent is not a condition of purchase. Msg & data rates may apply. Reply HELP for help, STOP to cancel. "
    "Terms: https://demo-shop.example/terms Privacy: https://demo-shop.example/privacy"
)


def sms(base, body, sid, frm, token=TOKEN, signed=True):
    params = {
        "MessageSid": sid,
        "From": frm,
        "To": "+15125550000",
        "Body": body,
        "MessagingServiceSid": SENDER,
    }
    url = base + "/sms/inbound"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signed:
        headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(url, params)
    return client.request("POST", url, urlencode(params).encode(), headers)


def reply(result):
    assert result.status == 200, result.body
    node = ElementTree.fromstring(result.body).find("Message")
    return None if node is None else node.text


def consent(base, phone):
    return client.request("GET", f"{base}/_local/consent?{urlencode({'phone': phone})}").json()


def wait_outbox(base, phone, count, timeout=10):
    return wait_until(
        lambda: [m for m in client.outbox(base) if m["to"] == phone],
        lambda mine: len(mine) >= count,
        what=f"{count} SMS to {phone} in the outbox",
        timeout=timeout,
    )


def test_subscribe_confirm_with_y_then_stop_then_help(local_cloud):
    base, phone = local_cloud.base_url, "+15125550177"
    form = {
        "shop": SHOP,
        "phone": "512-555-0177",
        "consent": {"checked": True, "default_checked": False, "disclosure_text": DISCLOSURE},
        "page_url": "https://demo-shop.example/",
    }
    result = client.request(
        "POST", base + "/subscribe", json.dumps(form).encode(), {"Content-Type": "application/json"}
    )
    assert result.status == 202 and result.json() == {"status": "pending"}
    [request] = wait_outbox(base, phone, 1)
    assert "Reply Y to confirm" in request["body"]
    assert consent(base, phone)["state"]["status"] == "pending"

    confirmation = reply(sms(base, "Y", "SMe2e-y", phone))
    assert "You're subscribed" in confirmation
    held = consent(base, phone)
    assert held["state"]["status"] == "subscribed"
    proof = {e["kind"]: e for e in held["events"]}
    assert proof["opt_in_requested"]["disclosure_text"] == DISCLOSURE
    assert proof["opt_in_requested"]["ip"] == "127.0.0.1"
    assert proof["opt_in_confirmed"]["message_sid"] == "SMe2e-y"

    first = reply(sms(base, "STOP", "SMe2e-stop1", phone))
    assert "unsubscribed" in first
    assert reply(sms(base, "stop", "SMe2e-stop2", phone)) is None  # never a second confirmation

    queued = client.request(
        "POST",
        base + "/_local/enqueue",
        json.dumps(
            {
                "message_id": "e2e-mkt-1",
                "shop": SHOP,
                "to": phone,
                "body": "Demo Shop: SALE! Reply STOP to opt out",
                "category": "marketing",
            }
        ).encode(),
    )
    assert queued.status == 200
    logged = wait_until(
        lambda: client.request("GET", base + "/_local/message?id=e2e-mkt-1").json(),
        lambda entry: bool(entry) and entry.get("state") != "sending",
        what="the sender's decision on e2e-mkt-1 in the message log",
        timeout=10,
    )
    assert logged["state"] == "failed" and logged["reason"] == "opted out"
    box = client.outbox(base)
    assert [m for m in box if m["to"] == phone]  # the confirmation request, at least
    assert not any("SALE" in m["body"] for m in box)

    help_text = reply(sms(base, "HELP", "SMe2e-help", phone))
    assert help_text.startswith("Demo Shop:") and "STOP" in help_text


@pytest.mark.parametrize("how", ["unsigned", "wrong-token"])
def test_unsigned_or_mis_signed_inbound_is_403(local_cloud, how):
    phone = "+15125550178"
    result = sms(local_cloud.base_url, "START", f"SMe2e-{how}", phone, token="nope", signed=how != "unsigned")
    assert result.status == 403
    assert consent(local_cloud.base_url, phone)["state"] is None


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "smsflows.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_cli_import_dry_run_then_real_and_manual_opt_out(local_cloud, tmp_path):
    base = local_cloud.base_url
    csv_file = tmp_path / "subscribers.csv"
    csv_file.write_text(
        "phone,consent_at,source,disclosure_text,ip,user_agent\n"
        f'(512) 555-0190,2025-05-01T14:03:00Z,web_form,"{DISCLOSURE}",203.0.113.9,Mozilla/5.0\n'
        "512-555-0191,2025-05-02T10:00:00Z,web_form,,,\n"
        "555-555-SHIP,2025-05-02T10:00:00Z,web_form,x,,\n"
    )
    dry = run_cli("import", str(csv_file), "--dry-run", "--json", "--local", base)
    assert dry.returncode == 1  # two bad rows
    assert "row 2: no proof" in dry.stderr and "row 3: phone '555-555-SHIP'" in dry.stderr
    assert "3/3 rows" in dry.stderr
    assert json.loads(dry.stdout)["imported"] == 1
    assert consent(base, "+15125550190")["state"] is None  # dry run wrote nothing

    real = run_cli("import", str(csv_file), "--json", "--local", base)
    assert json.loads(real.stdout)["imported"] == 1
    held = consent(base, "+15125550190")
    assert held["state"]["status"] == "subscribed" and held["events"][0]["ip"] == "203.0.113.9"
    assert consent(base, "+15125550191")["state"] is None  # the bad row wrote nothing

    out = run_cli(
        "consent",
        "optout",
        "--phone",
        "+15125550190",
        "--note",
        "asked by email",
        "--yes",
        "--json",
        "--local",
        base,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"phone": "+15125550190", "status": "unsubscribed", "was": "subscribed"}
    shown = json.loads(
        run_cli("consent", "show", "--phone", "+15125550190", "--json", "--local", base).stdout
    )
    assert shown["suppressed"] is True and shown["events"][-1]["note"] == "asked by email"


def test_cli_flow_settings_apply_without_redeploy_and_preview_shows_segments(local_cloud):
    base = local_cloud.base_url
    preview = run_cli(
        "flow",
        "preview",
        "--flow",
        "welcome",
        "--text",
        "{shop_name}: It’s here… 😀",
        "--json",
        "--local",
        base,
    )
    shown = json.loads(preview.stdout)
    assert (
        shown["text"].startswith("Demo Shop: It's here...")
        and shown["encoding"] == "UCS-2"
        and shown["warnings"]
    )

    off = run_cli("flow", "set", "--flow", "welcome", "--enabled", "off", "--json", "--local", base)
    assert off.returncode == 0 and json.loads(off.stdout)["enabled"] is False

    def welcomes():
        return [
            e for e in client.request("GET", base + "/_local/executions").json() if e["flow"] == "welcome"
        ]

    before = len(welcomes())
    reply(sms(base, "JOIN", "SMe2e-join-off", "+15125550179"))
    wait_idle(base)  # the "subscribed" event went through the shop-events queue and was handled
    assert len(welcomes()) == before  # no welcome series while the shop has it switched off
    bad = run_cli("flow", "set", "--flow", "welcome", "--template", "0=Hi {firstname}", "--local", base)
    assert bad.returncode != 0 and "unknown placeholders" in bad.stderr
    on = run_cli("flow", "set", "--flow", "welcome", "--enabled", "on", "--json", "--local", base)
    assert json.loads(on.stdout)["enabled"] is True


def test_cli_shop_set_changes_settings_without_redeploy_and_show_reads_them(local_cloud):
    base = local_cloud.base_url
    out = run_cli("shop", "set", "--support", "https://demo-shop.example/help", "--quiet-hours", "09:00-20:00",
                  "--max-per-30-days", "8", "--keyword-replies", "smsflows", "--json", "--local", base)  # fmt: skip
    assert out.returncode == 0, out.stderr
    shown = json.loads(run_cli("shop", "show", "--json", "--local", base).stdout)
    assert (
        shown["support_contact"] == "https://demo-shop.example/help"
        and shown["max_marketing_per_30_days"] == 8
    )
    assert shown["quiet_hours_override"][0] == {"start": "09:00:00", "end": "20:00:00"}
    assert (
        shown["keywords"] == ["JOIN", "VIP"] and shown["brand_name"] == "Demo Shop"
    )  # untouched fields kept
    help_text = reply(sms(base, "HELP", "SMe2e-help-new", "+15125550180"))
    assert "https://demo-shop.example/help" in help_text  # the running functions see it at once
    missing = run_cli("privacy", "export", "--request-id", "nope", "--local", base)
    assert missing.returncode != 0 and "no export nope" in missing.stderr
    registered = run_cli("shop", "set", "--sender-type", "10dlc", "--trust-tier", "high", "--brand-id", "B1",
                         "--json", "--local", base)  # fmt: skip
    assert registered.returncode == 0, registered.stderr
    assert json.loads(registered.stdout)["throughput"]["trust_tier"] == "high"
    bad = run_cli("shop", "set", "--mps", "0", "--local", base)
    assert bad.returncode != 0 and "nothing changed" in bad.stderr and "segments_per_second" in bad.stderr
    assert (
        json.loads(run_cli("shop", "show", "--json", "--local", base).stdout)["throughput"]["brand_id"]
        == "B1"
    )
