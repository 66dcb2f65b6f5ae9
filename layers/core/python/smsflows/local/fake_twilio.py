"""A fake Twilio REST API on loopback. The real `twilio` client talks to it over HTTP.

It implements what the project uses of Twilio's Messages resource, checks Basic auth like Twilio (wrong
credentials get HTTP 401, error 20003 "Authenticate"; assign `auth_token` to rotate the token), answers
with Twilio's JSON shapes and error bodies, and can be told to fail (fault injection): the next calls
(`fail_next`), by a rule (`fault_rule`), or a share of all message creates at random from a seeded
generator (`provider_faults`, what `smsflows local --provider-faults` and `/_local/faults` set).
"""

from __future__ import annotations

import base64
import random
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs

from smsflows.local.http_server import LoopbackHTTPServer, RobustHandler

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-fA-F]{32})/Messages\.json$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")

# Segments as Twilio counts them, written apart from the application's own counter (domain/sending/encoding.py)
# so that what the outbox reports checks it instead of repeating it. Twilio's documented rules: a body made
# only of GSM 03.38 characters (the basic table, plus the extension table whose characters take an escape
# septet, so two) is GSM-7, 160 septets in one segment, 153 per segment once concatenated (the user data
# header takes the rest); any other character makes the whole body UCS-2: 70 UTF-16 code units in one
# segment, 67 per concatenated segment. A character is never split across two segments: an escaped GSM
# character, or a character outside the BMP (a surrogate pair, e.g. an emoji), starts the next segment
# when only one unit is left in this one (Twilio's message segment calculator does the same).

# The basic table in GSM 03.38 order: position = septet value (0x1B is the escape, not a character).
_GSM_BASIC_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
assert len(_GSM_BASIC_TABLE) == 128
_GSM_SEPTETS = {ch: 1 for ch in _GSM_BASIC_TABLE if ch != "\x1b"}
# The extension table (an escape, then the septet): form feed, ^ { } \ [ ~ ] | and €
_GSM_SEPTETS.update(dict.fromkeys("\x0c^{}\\[~]|€", 2))


@dataclass(frozen=True)
class TwilioSegments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def twilio_segments(body: str) -> TwilioSegments:
    """How many segments Twilio splits (and bills) `body` into."""
    if all(ch in _GSM_SEPTETS for ch in body):
        costs, single, concatenated, encoding = [_GSM_SEPTETS[ch] for ch in body], 160, 153, "GSM-7"
    else:
        costs, single, concatenated, encoding = [2 if ord(ch) > 0xFFFF else 1 for ch in body], 70, 67, "UCS-2"
    units = sum(costs)
    if units <= single:
        return TwilioSegments(encoding, units, 1 if units else 0)
    segments, free = 1, concatenated
    for cost in costs:
        if cost > free:  # does not fit in what is left: the next segment
            segments, free = segments + 1, concatenated
        free -= cost
    return TwilioSegments(encoding, units, segments)


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
    accept: bool = False  # take the message first, then answer late: the client times out after success


DEFAULT_FAULT_SEED = 20261123  # fixed: a run with the same share fails the same calls the same way
FAULT_KINDS = ("500", "429", "503", "late")
DEFAULT_LATE_S = 11.0  # past the provider client's default timeout (10 s): its answer is lost


class ProviderFaults:
    """Fails a share of message-create calls, drawn from a seeded generator, with one of: HTTP 500
    (Twilio 20500), 429 (20429 Too Many Requests), 503 (20503), or "late": Twilio takes the message and
    answers `late_s` later, after the client gave up (the sender is left in doubt and must not text twice).
    Setting it (`configure`) restarts the generator from the seed, so the same settings give the same
    sequence of faults."""

    def __init__(
        self,
        share: float = 0.0,
        seed: int = DEFAULT_FAULT_SEED,
        kinds: tuple[str, ...] = FAULT_KINDS,
        late_s: float = DEFAULT_LATE_S,
    ) -> None:
        self._lock = threading.Lock()
        self.share, self.seed, self.late_s = 0.0, seed, late_s
        self.kinds: tuple[str, ...] = FAULT_KINDS
        self._rng = random.Random(seed)
        self.calls = 0
        self.injected: dict[str, int] = dict.fromkeys(FAULT_KINDS, 0)
        self.configure(share=share, seed=seed, kinds=kinds, late_s=late_s)

    def configure(
        self,
        share: float | None = None,
        seed: int | None = None,
        kinds: tuple[str, ...] | list[str] | None = None,
        late_s: float | None = None,
    ) -> dict[str, Any]:
        """Change what is given (ValueError for a bad value, then nothing changes); returns `as_json()`."""
        if share is not None and (
            isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1
        ):
            raise ValueError(f"share must be a number from 0 to 1, not {share!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"seed must be an integer, not {seed!r}")
        if kinds is not None:
            if isinstance(kinds, str) or not kinds or not set(kinds) <= set(FAULT_KINDS):
                raise ValueError(f"kinds must be a non-empty list of {', '.join(FAULT_KINDS)}, not {kinds!r}")
            kinds = tuple(k for k in FAULT_KINDS if k in kinds)
        if late_s is not None and (
            isinstance(late_s, bool) or not isinstance(late_s, int | float) or late_s < 0
        ):
            raise ValueError(f"late_s must be a number of seconds, not {late_s!r}")
        with self._lock:
            self.share = float(share) if share is not None else self.share
            self.seed = seed if seed is not None else self.seed
            self.kinds = kinds if kinds is not None else self.kinds
            self.late_s = float(late_s) if late_s is not None else self.late_s
            self._rng = random.Random(self.seed)
        return self.as_json()

    def draw(self) -> Fault | None:
        """For one message-create call: the fault it gets, or None (it succeeds)."""
        with self._lock:
            self.calls += 1
            if self.share <= 0 or self._rng.random() >= self.share:
                return None
            kind = self._rng.choice(self.kinds)
            self.injected[kind] += 1
            late_s = self.late_s
        if kind == "late":
            return Fault(status=201, delay_s=late_s, accept=True, message="accepted, answered late")
        status = int(kind)
        message = {500: "Internal Server Error", 429: "Too Many Requests", 503: "Service Unavailable"}[status]
        return Fault(status=status, code=20000 + status, message=message)

    def as_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "share": self.share,
                "seed": self.seed,
                "kinds": list(self.kinds),
                "late_s": self.late_s,
                "calls": self.calls,
                "injected": dict(self.injected),
            }


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
        self.provider_faults = ProviderFaults()  # a random share of creates (off: share 0)
        self.send_status_callbacks = True  # like Twilio: "sent", then "delivered", signed, to StatusCallback
        self.activity: Any = None  # virtual time: a callback on its way counts as running work (begin/end)
        self.callbacks_posted: list[tuple[str, str, int]] = []
        self.requests = 0  # message creates that passed authentication
        self.unauthorized = 0  # requests answered 401 (wrong credentials)
        self.arrivals: list[float] = []  # wall-clock time of every accepted message (pacing benchmarks)
        self._server = LoopbackHTTPServer((host, port), self._handler_class())
        self._thread: threading.Thread | None = None

    # Control ---------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self._server.base_url

    def start(self) -> FakeTwilio:
        self._thread = self._server.serve_in_thread("fake-twilio")
        return self

    def stop(self) -> None:
        self._server.stop()

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
        """What a message-create call gets: the next queued fault, else the rule's, else the random share's."""
        with self._lock:
            if self._faults:
                return self._faults.popleft()
        fault = self.fault_rule(form) if self.fault_rule else None
        return fault if fault is not None else self.provider_faults.draw()

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
        info = twilio_segments(body)
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
            self.arrivals.append(time.time())
        if entry.status_callback and self.send_status_callbacks:
            if self.activity is not None:
                self.activity.begin()  # ended by the callback thread
            threading.Thread(target=self._callbacks, args=(sid, entry), daemon=True).start()
        return 201, _message_json(sid, entry, form.get("From"), form.get("MessagingServiceSid"))

    def list_messages(self, sid: str, query: dict[str, str]) -> dict[str, Any]:
        """GET Messages.json: newest first, filtered by To, From and the date sent like Twilio; one page.

        Twilio's DateSent filters are whole GMT days: `DateSent=YYYY-MM-DD` that day, `DateSent<=` (the
        client's date_sent_before, sent as `DateSent<`) on or before it, `DateSent>=` (date_sent_after,
        `DateSent>`) on or after it. A time of day in the value (the twilio client sends one) is ignored.
        The fake sends a message the moment it accepts it, so its date sent is its creation time. Raises
        ValueError (a 400) for a value that is not a date."""
        size = min(1000, int(query.get("PageSize") or 50))
        on, before, after = (_sent_day(query.get(k)) for k in ("DateSent", "DateSent<", "DateSent>"))
        with self._lock:
            entries = [e for e in reversed(self._outbox)
                       if e.to == query.get("To", e.to) and e.from_ == query.get("From", e.from_)]  # fmt: skip

        def sent_on_a_wanted_day(entry: OutboxEntry) -> bool:
            d = datetime.fromisoformat(entry.at).astimezone(UTC).date()
            return (
                (on is None or d == on) and (before is None or d <= before) and (after is None or d >= after)
            )

        entries = [e for e in entries if sent_on_a_wanted_day(e)]
        uri = f"/2010-04-01/Accounts/{sid}/Messages.json"
        return {
            "messages": [_message_json(sid, e, None, None, sent=True) for e in entries[:size]],
            "page": 0, "page_size": size, "uri": uri, "first_page_uri": uri,
            "next_page_uri": None, "previous_page_uri": None, "start": 0, "end": min(size, len(entries)),
        }  # fmt: skip

    def _callbacks(self, account_sid: str, entry: OutboxEntry) -> None:
        try:
            self._post_callbacks(account_sid, entry)
        finally:
            if self.activity is not None:
                self.activity.end()

    def _post_callbacks(self, account_sid: str, entry: OutboxEntry) -> None:
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

    def _handler_class(self) -> type[RobustHandler]:
        fake = self

        class Handler(RobustHandler):
            # No idle limit: the provider client keeps its connections, and one closed under it as it sends
            # would be a spurious "in doubt" (the request may have reached Twilio) in a local run.
            timeout = None

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                self.send_json(status, payload)  # status line, headers and body in one write

            def _unauthorized(self) -> None:
                """Twilio's answer to credentials it does not accept (a wrong or rotated auth token): HTTP
                401, error 20003 "Authenticate", and a Basic challenge. Nothing was done."""
                with fake._lock:
                    fake.unauthorized += 1
                self.send_json(
                    401, _error(20003, "Authenticate", 401), {"WWW-Authenticate": 'Basic realm="Twilio API"'}
                )

            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                match = _MESSAGES.match(path)
                if not match:
                    self._send(404, _error(20404, "The requested resource was not found"))
                    return
                if not fake._authorized(self.headers.get("Authorization"), match.group("sid")):
                    self._unauthorized()
                    return
                params = {k: v[-1] for k, v in parse_qs(query).items()}
                try:
                    self._send(200, fake.list_messages(match.group("sid"), params))
                except ValueError:
                    self._send(400, _error(20001, "Invalid date value."))

            def do_POST(self) -> None:
                raw = self.read_body().decode("utf-8", "replace")
                match = _MESSAGES.match(self.path.split("?", 1)[0])
                if not match:
                    self._send(404, _error(20404, "The requested resource was not found"))
                    return
                sid = match.group("sid")
                if not fake._authorized(self.headers.get("Authorization"), sid):
                    self._unauthorized()
                    return
                form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                with fake._lock:
                    fake.requests += 1
                fault = fake._next_fault(form)
                if fault is not None and fault.accept:
                    status, payload = fake.create_message(sid, form)
                    threading.Event().wait(fault.delay_s)
                    self._send(status, payload)
                    return
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


def _sent_day(value: str | None) -> date | None:
    """The GMT day of a DateSent filter value ('2026-11-23', or '2026-11-23T15:00:00Z' from the client)."""
    if value is None:
        return None
    if not re.match(r"^\d{4}-\d{2}-\d{2}(T|$)", value):
        raise ValueError(value)
    return date.fromisoformat(value[:10])


def _message_json(
    sid: str, entry: OutboxEntry, from_: str | None, service: str | None, sent: bool = False
) -> dict[str, Any]:
    stamp = datetime.fromisoformat(entry.at).astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    service = service or (entry.from_ if entry.from_.startswith("MG") else None)
    from_ = from_ or (None if service else entry.from_)
    return {
        "sid": entry.sid,
        "account_sid": sid,
        "to": entry.to,
        "from": from_,
        "messaging_service_sid": service,
        "body": entry.body,
        "status": "queued" if from_ else "accepted",
        "num_segments": str(entry.segments),
        "num_media": "0",
        "direction": "outbound-api",
        "api_version": "2010-04-01",
        "price": None,
        "price_unit": "USD",
        "error_code": None,
        "error_message": None,
        "date_created": stamp,
        "date_updated": stamp,
        "date_sent": stamp if sent else None,  # the create answer comes before the fake "sends" it
        "uri": f"/2010-04-01/Accounts/{sid}/Messages/{entry.sid}.json",
    }


def _error(code: int, message: str, status: int = 400) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
