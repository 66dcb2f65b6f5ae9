import json
import signal
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from smsflows.local import client, samples
from tests.e2e.conftest import free_port, start_local, wait_for_outbox, wait_idle, wait_ready
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e
SHOP = "demo-shop.myshopify.com"


def sms_for(box, order_name):
    return [m for m in box if order_name in m["body"]]


def test_signed_order_webhook_yields_one_sms_in_the_outbox(local_cloud):
    order = samples.order(5001, 5001, "+1 512 555 0150", "Grace")
    result = client.post_shopify(
        local_cloud.base_url, order, secret=local_cloud.shopify_secret, topic="orders/create", shop=SHOP
    )
    assert result.status == 200 and result.json() == {"status": "queued"}
    box = wait_for_outbox(local_cloud.base_url, lambda b: sms_for(b, "#5001"), "the SMS for order #5001")
    [sms] = [m for m in sms_for(box, "#5001") if "thanks for your order" in m["body"]]
    assert sms["to"] == "+15125550150" and sms["body"].startswith("Demo Shop: Hi Grace")
    assert sms["segments"] == 1 and sms["encoding"] == "GSM-7"
    # the fake Twilio posts signed status callbacks to /sms/status, as Twilio does
    message_id = f"order-confirmation:{SHOP}:5001"
    logged = wait_until(
        lambda: client.request("GET", f"{local_cloud.base_url}/_local/message?id={message_id}").json() or {},
        lambda entry: entry.get("delivery_status") == "delivered",
        what=f"the 'delivered' status callback of {message_id}",
        timeout=10,
    )
    assert logged["sid"] == sms["sid"]


def test_bad_signature_is_401_and_sends_nothing(local_cloud):
    order = samples.order(5002, 5002, "+1 512 555 0151")
    result = client.post_shopify(
        local_cloud.base_url, order, secret="wrong", topic="orders/create", shop=SHOP
    )
    assert result.status == 401 and result.json()["error"] == "unauthorized"
    wait_idle(local_cloud.base_url)  # anything the webhook had queued would have been handled by now
    assert sms_for(client.outbox(local_cloud.base_url), "#5002") == []


def test_same_webhook_id_twice_yields_one_sms(local_cloud):
    order = samples.order(5003, 5003, "+1 512 555 0152")
    kw = dict(secret=local_cloud.shopify_secret, topic="orders/create", shop=SHOP, webhook_id="e2e-dup-5003")
    first = client.post_shopify(local_cloud.base_url, order, **kw)
    second = client.post_shopify(local_cloud.base_url, order, **kw)
    assert (first.json()["status"], second.json()["status"]) == ("queued", "duplicate")
    wait_for_outbox(local_cloud.base_url, lambda b: sms_for(b, "#5003"), "the SMS for order #5003")
    wait_idle(local_cloud.base_url)  # a duplicate would have been handled (and sent) by now
    bodies = [m["body"] for m in sms_for(client.outbox(local_cloud.base_url), "#5003")]
    assert len(bodies) == 1 and "thanks for your order" in bodies[0]


def test_unknown_route_is_404(local_cloud):
    assert client.request("POST", local_cloud.base_url + "/nope", b"{}").status == 404


def test_executions_and_dlq_are_inspectable(local_cloud):
    # a JOIN starts the welcome series: at least one execution to inspect
    joined = client.post_sms(local_cloud.base_url, token="local-twilio-token", body="JOIN", sid="SMe2e-inspect",
                             from_="+15125550154", to="+15125550000", sender="MG" + "0" * 31 + "1")  # fmt: skip
    assert joined.status == 200
    executions = wait_until(
        lambda: client.request("GET", local_cloud.base_url + "/_local/executions").json(),
        lambda found: any(e.get("flow") == "welcome" for e in found),
        what="the welcome series started by the JOIN in /_local/executions",
    )
    assert executions and all(set(e) == {"flow", "name", "status"} for e in executions)
    assert client.request("GET", local_cloud.base_url + "/_local/dlq").json() == {
        "shop_events_queue": 0,
        "send_queue": 0,
        "transactional_queue": 0,
        "campaign_queue": 0,
        "shopify_eventbridge_queue": 0,
    }


def test_port_in_use_gives_a_clear_error(local_cloud):
    port = int(local_cloud.base_url.rsplit(":", 1)[1])
    proc = start_local(port)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert f"port {port}" in err and "already in use" in err and "--port" in err


def test_sigterm_shuts_down_cleanly():
    port = free_port()
    proc = start_local(port)
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "shutting down" in out
    with pytest.raises(OSError):
        client.request("GET", base + "/_local/health", timeout=1)


def test_two_demo_runs_print_the_same_transcript_and_the_reminder_lands_to_the_second():
    """`smsflows demo` as a user runs it, then the same demo in this process (to read its outbox): the two
    transcripts are byte-identical, and every text went out at its planned instant."""
    import io

    from smsflows.local.demo import ADA, DEMO_START, EXPECTED, REMINDER_DELAY, outbox_matches, run_demo

    proc = subprocess.run(
        [sys.executable, "-m", "smsflows.cli", "demo"], capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    again = io.StringIO()
    outbox = run_demo(again)
    assert proc.stdout == again.getvalue()
    transcript = proc.stdout
    assert all(len(line) <= 100 for line in transcript.splitlines())
    assert outbox_matches([(m["to"], m["body"]) for m in outbox]) and len(outbox) == len(EXPECTED)

    def sent(phrase: str) -> datetime:
        return next(datetime.fromisoformat(m["at"]) for m in outbox if m["to"] == ADA and phrase in m["body"])

    checkout = DEMO_START.replace(minute=30)  # the demo's checkout: Monday 09:30
    assert sent("you left Brass Compass") == checkout + REMINDER_DELAY  # planned +1 h, to the second
    assert sent("thanks for your order #1001") == DEMO_START.replace(
        hour=11, minute=15
    )  # the order's instant
    assert (
        "cart reminder due at 10:30" in transcript
        and "Mon 10:30  Ada     ◀ text: Demo Shop: Ada, you left" in transcript
    )
    assert transcript.count("You're unsubscribed") == 1  # one opt-out confirmation, never a second
    assert (
        "abandoned_checkout   Ada    stopped" in transcript
        and "welcome              Bob    stopped" in transcript
    )
    assert "dead letters: none on any queue" in transcript and "demo ok" in transcript
    assert sent("shipped with UPS") - checkout == timedelta(hours=4, minutes=30)


def test_sign_webhook_cli_signs_and_posts(local_cloud, tmp_path):
    body = tmp_path / "order.json"
    body.write_text(json.dumps(samples.order(5004, 5004, "+1 512 555 0153")))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "smsflows.cli",
            "sign-webhook",
            str(body),
            "--topic",
            "orders/create",
            "--secret",
            local_cloud.shopify_secret,
            "--url",
            local_cloud.base_url + "/webhooks/shopify",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0 and "HTTP 200" in proc.stdout
    box = wait_for_outbox(local_cloud.base_url, lambda b: sms_for(b, "#5004"), "the SMS for order #5004")
    [sms] = sms_for(box, "#5004")
    assert sms["to"] == "+15125550153"


def test_the_virtual_clock_is_read_and_moved_over_http_and_bad_requests_change_nothing(local_cloud):
    url = local_cloud.base_url + "/_local/clock"

    def post(body: bytes):
        return client.request("POST", url, body)

    wrong = client.request("PUT", url, b"{}")
    assert wrong.status == 405 and wrong.json() == {"error": "GET or POST"}
    shown = client.request("GET", url).json()
    assert shown["mode"] == "virtual" and set(shown) >= {"now", "idle", "next_due", "horizon"}
    try:
        held = post(b'{"hold": true}').json()
        before = datetime.fromisoformat(held["now"])
        refused = [(b'{"by": "soon"}', "by: 'soon' is not a duration; use e.g. 30m"),
                   (b'{"to": "2020-01-01T00:00:00+00:00"}', "cannot go back"),
                   (b'{"to": "2030-01-01T00:00:00"}', "no UTC offset"),
                   (b"{}", "send one of"), (b'{"jump": 1}', "unknown clock request"),
                   (b'{"settle": true, "timeout_s": 0}', "timeout_s: 0 is not a number of real seconds"),
                   (b'{"settle": true, "timeout_s": "long"}', "timeout_s: 'long'")]  # fmt: skip
        for body, says in refused:
            answer = post(body)
            assert answer.status == 400 and says in answer.json()["error"], answer.body
        assert datetime.fromisoformat(client.request("GET", url).json()["now"]) == before
        moved = post(b'{"by": "1h30m"}').json()
        assert datetime.fromisoformat(moved["now"]) - before == timedelta(hours=1, minutes=30)
        assert moved["idle"] and moved["horizon"] == moved["now"]
    finally:
        assert post(b'{"release": true}').json()["horizon"] is None
