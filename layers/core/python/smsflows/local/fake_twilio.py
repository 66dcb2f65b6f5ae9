"""A fake Twilio REST API on loopback. The real `twilio` client talks to it over HTTP.

It implements what the project uses of Twilio's Messages resource, checks Basic auth like Twilio,
answers with Twilio's JSON shapes and error bodies, and can be told to fail (fault injection).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from smsflows.domain.encoding import segment_info

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-fA-F]{32})/Messages\.json$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True)
class OutboxEntry:
    sid: str
    to: str
    from_: str
    body: str
    segments: int
    encoding: str
    at: str
    status_callback: str | None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["from"] = data.pop("from_")
        return data


@dataclass(frozen=True)
class Fault:
    """What the next matching request gets instead of success: an HTTP error or a hang (timeout)."""

    status: int = 500
    code: int | None = None
    message: str = "injected fault"
    delay_s: float = 0.0


class FakeTwilio:
    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        clock: Callable[[], datetime] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._outbox: list[OutboxEntry] = []
        self._faults: deque[Fault] = deque()
        self.fault_rule: Callable[[dict[str, str]], Fault | None] | None = None
        self.send_status_callbacks = True  # like Twilio: "sent", then "delivered", signed, to StatusCallback
        self.callbacks_posted: list[tuple[str, str, int]] = []
        self.requests = 0
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # Control ---------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeTwilio:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-twilio", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def outbox(self) -> list[dict[str, Any]]:
        with self._lock:
            return [entry.as_json() for entry in self._outbox]

    def fail_next(self, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend(faults)

    # Behaviour ---------------------------------------------------------------------------------
    def _authorized(self, header: str | None, sid: str) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return (
            secrets.compare_digest(user, sid)
            and sid == self.account_sid
            and secrets.compare_digest(password, self.auth_token)
        )

    def _next_fault(self, form: dict[str, str]) -> Fault | None:
        with self._lock:
            if self._faults:
                return self._faults.popleft()
        return self.fault_rule(form) if self.fault_rule else None

    def create_message(self, sid: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        to = form.get("To", "")
        sender = form.get("From") or form.get("MessagingServiceSid") or ""
        body = form.get("Body", "")
        if not E164.match(to):
            return 400, _error(21211, f"The 'To' number {to} is not a valid phone number.")
        if not sender:
            return 400, _error(21603, "A 'From' or 'MessagingServiceSid' parameter is required.")
        if not body:
            return 400, _error(21602, "Message body is required.")
        if len(body) > 1600:
            return 400, _error(21617, "The concatenated message body exceeds the 1600 character limit.")
        info = segment_info(body)
        now = self.clock()
        entry = OutboxEntry(
            sid="SM" + secrets.token_hex(16),
            to=to,
            from_=sender,
            body=body,
            segments=info.segments,
            encoding=info.encoding,
            at=now.isoformat(),
            status_callback=form.get("StatusCallback"),
        )
        with self._lock:
            self._outbox.append(entry)
        if entry.status_callback and self.send_status_callbacks:
            threading.Thread(target=self._callbacks, args=(sid, entry), daemon=True).start()
        stamp = now.strftime("%a, %d %b %Y %H:%M:%S +0000")
        return 201, {
            "sid": entry.sid,
            "account_sid": sid,
            "to": to,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": body,
            "status": "queued" if form.get("From") else "accepted",
            "num_segments": str(info.segments),
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "error_message": None,
            "date_created": stamp,
            "date_updated": stamp,
            "date_sent": None,
            "uri": f"/2010-04-01/Accounts/{sid}/Messages/{entry.sid}.json",
        }

    def _callbacks(self, account_sid: str, entry: OutboxEntry) -> None:
        import urllib.request
        from urllib.parse import urlencode

        from twilio.request_validator import RequestValidator

        url = entry.status_callback or ""
        for status in ("sent", "delivered"):
            params = {"MessageSid": entry.sid, "MessageStatus": status, "AccountSid": account_sid, "To": entry.to,
                      "NumSegments": str(entry.segments)}  # fmt: skip
            signature = RequestValidator(self.auth_token).compute_signature(url, params)
            request = urllib.request.Request(  # noqa: S310 - the local cloud's own loopback URL
                url, data=urlencode(params).encode(), method="POST",
                headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
            )  # fmt: skip
            try:
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                    code = response.status
            except OSError as exc:
                code = getattr(exc, "code", 0) or 0
            with self._lock:
                self.callbacks_posted.append((entry.sid, status, int(code)))

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8", "replace")
                match = _MESSAGES.match(self.path.split("?", 1)[0])
                if not match:
                    self._send(404, _error(20404, "The requested resource was not found"))
                    return
                sid = match.group("sid")
                if not fake._authorized(self.headers.get("Authorization"), sid):
                    self._send(401, _error(20003, "Authenticate"))
                    return
                form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                with fake._lock:
                    fake.requests += 1
                fault = fake._next_fault(form)
                if fault is not None:
                    if fault.delay_s:
                        threading.Event().wait(fault.delay_s)
                    self._send(
                        fault.status, _error(fault.code or fault.status * 100, fault.message, fault.status)
                    )
                    return
                status, payload = fake.create_message(sid, form)
                self._send(status, payload)

        return Handler


def _error(code: int, message: str, status: int = 400) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
