"""`smsflows simulate inbound|status`: Twilio's requests, signed over the URL they are posted to, against a
loopback server that verifies X-Twilio-Signature as the handlers do (twilio's RequestValidator)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote, urlsplit

import pytest
from twilio.request_validator import RequestValidator

from tests.unit.cli.conftest import run

SID = "SM" + "ab" * 16
MID = "flow:welcome:ex-1:0"
LOCAL_SENDER = "MG" + "0" * 31 + "1"


@dataclass
class TwilioSide:
    """What the server saw: (path, form, signature valid) per POST."""

    token: str
    posts: list[tuple[str, dict[str, str], bool]] = field(default_factory=list)
    base: str = ""


@pytest.fixture
def server() -> Iterator[TwilioSide]:
    side = TwilioSide(token="local-twilio-token")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # the local cloud's own routes that simulate reads
            parts = urlsplit(self.path)
            if parts.path == "/_local/outbox":
                entry = {
                    "sid": SID,
                    "to": "+15125550123",
                    "status_callback": f"{side.base}/sms/status?mid={quote(MID, safe='')}",
                }
                self._send(200, json.dumps([entry]).encode())
            elif parts.path == "/_local/message":
                found = parse_qs(parts.query)["id"][0] == MID
                self._send(
                    200,
                    json.dumps({"state": "sent", "delivery_status": "delivered"} if found else None).encode(),
                )
            else:
                self._send(404, b"{}")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            form = dict(parse_qsl(body, keep_blank_values=True))
            url = f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"
            valid = RequestValidator(side.token).validate(
                url, form, self.headers.get("X-Twilio-Signature", "")
            )
            side.posts.append((self.path, form, valid))
            if not valid:
                self._send(403, b'{"message": "X-Twilio-Signature does not match"}')
            elif urlsplit(self.path).path.endswith("/sms/inbound"):
                reply = "Demo Shop: You're unsubscribed and will receive no further messages."
                body_out = (
                    f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{reply}</Message></Response>'
                )
                self._send(200, body_out.encode(), "text/xml")
            else:
                self._send(200, b"", "text/plain")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    side.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield side
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_simulate_inbound_posts_a_signed_text_to_the_local_cloud_and_prints_the_reply(server):
    ran = run("simulate", "inbound", "--from", "+15125550123", "--body", "STOP", "--local", server.base)
    assert ran.code == 0, ran
    assert "Demo Shop: You're unsubscribed" in ran.out
    [(path, form, valid)] = server.posts
    assert (path, valid) == ("/sms/inbound", True)
    assert (form["From"], form["Body"], form["To"], form["MessagingServiceSid"]) == (
        "+15125550123", "STOP", "+15125550000", LOCAL_SENDER,
    )  # fmt: skip
    assert form["MessageSid"].startswith("SM") and len(form["MessageSid"]) == 34
    shown = json.loads(run("simulate", "inbound", "--from", "+15125550123", "--body", "HELP", "--sid", SID,
                           "--to", "+15125550999", "--local", server.base, "--json").out)  # fmt: skip
    assert set(shown) == {"url", "http_status", "sid", "from", "to", "body", "reply"}
    assert (shown["sid"], shown["to"], shown["http_status"]) == (SID, "+15125550999", 200)


def test_simulate_inbound_signs_with_the_stages_token_at_its_public_url(server, monkeypatch):
    server.token = "stage-auth-token"
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "stage-auth-token")
    ran = run(
        "simulate",
        "inbound",
        "--from",
        "+15125550123",
        "--body",
        "JOIN",
        "--url",
        server.base + "/v1",
        "--json",
    )
    assert ran.code == 0, ran
    [(path, form, valid)] = server.posts
    assert (path, valid) == ("/v1/sms/inbound", True) and "MessagingServiceSid" not in form
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "an-old-token")
    refused = run(
        "simulate", "inbound", "--from", "+15125550123", "--body", "JOIN", "--url", server.base + "/v1"
    )
    assert refused.code == 1
    [line] = refused.err_lines
    assert "HTTP 403" in line and "TWILIO_AUTH_TOKEN" in line


def test_simulate_status_finds_the_message_id_locally_and_shows_the_resulting_state(server):
    ran = run("simulate", "status", "--sid", SID, "--status", "delivered", "--local", server.base, "--json")
    assert ran.code == 0, ran
    shown = json.loads(ran.out)
    assert set(shown) == {
        "url",
        "http_status",
        "sid",
        "message_id",
        "status",
        "error_code",
        "state",
        "delivery_status",
    }
    assert (shown["message_id"], shown["status"], shown["state"], shown["delivery_status"]) == (
        MID, "delivered", "sent", "delivered",
    )  # fmt: skip
    [(path, form, valid)] = server.posts
    assert valid and urlsplit(path).path == "/sms/status" and parse_qs(urlsplit(path).query)["mid"] == [MID]
    assert (form["MessageSid"], form["MessageStatus"]) == (SID, "delivered") and "ErrorCode" not in form
    failed = run("simulate", "status", "--sid", SID, "--status", "undelivered", "--error-code", "30003",
                 "--local", server.base)  # fmt: skip
    assert failed.code == 0 and "undelivered" in failed.out
    assert server.posts[-1][1]["ErrorCode"] == "30003"
    unknown = run(
        "simulate", "status", "--sid", "SM" + "cd" * 16, "--status", "failed", "--local", server.base
    )
    assert unknown.code == 1 and "no text with sid" in unknown.err and "--message-id" in unknown.err


def test_simulate_status_on_a_stage_needs_the_message_id(server, monkeypatch):
    server.token = "stage-auth-token"
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "stage-auth-token")
    missing = run("simulate", "status", "--sid", SID, "--status", "failed", "--url", server.base)
    assert missing.code == 2 and "--message-id" in missing.err
    ran = run("simulate", "status", "--sid", SID, "--status", "failed", "--message-id", MID, "--url", server.base,
              "--json")  # fmt: skip
    assert ran.code == 0 and json.loads(ran.out)["state"] is None
    assert server.posts[-1][2] is True


def test_simulate_status_on_a_stage_posts_to_its_callback_api_not_its_public_url(server, monkeypatch):
    """A stage's status callbacks have an API of their own (the stack output StatusCallbackBaseUrl)."""
    server.token = "stage-auth-token"
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "stage-auth-token")
    for name in ("SMSFLOWS_LOCAL_URL", "STATUS_CALLBACK_BASE_URL", "SMSFLOWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://unreachable.invalid/v1")  # the REST API's: not for these
    only_public = run("simulate", "status", "--sid", SID, "--status", "failed", "--message-id", MID)
    assert only_public.code != 0 and "StatusCallbackBaseUrl" in only_public.err and not server.posts
    monkeypatch.setenv("STATUS_CALLBACK_BASE_URL", server.base)
    ran = run("simulate", "status", "--sid", SID, "--status", "delivered", "--message-id", MID, "--json")
    assert ran.code == 0, ran.err
    assert json.loads(ran.out)["url"].startswith(f"{server.base}/sms/status?mid=")
    [(_path, form, valid)] = server.posts
    assert valid and form["MessageStatus"] == "delivered"
