"""The HTTP server under the local cloud's front door and its fake Twilio: the standard library's
threading server, made robust enough to be tested against.

- A listen backlog of 1024 (the standard library's is 5: a burst of clients overflows it and their
  connections are dropped, retried a second or more later by the kernel, or refused).
- Every response is written at once (status line, headers and body in one buffer, flushed once) on a
  socket with TCP_NODELAY: a response written in two pieces waits for the client's delayed ACK of the
  first (~40 ms on Linux) on every keep-alive request.
- A malformed request line (no HTTP version, a bad version, too many words), blank lines only, and a
  bad `Content-Length` or `Transfer-Encoding` get a 400 with a JSON body, then the connection closes;
  a chunked body is read; an idle or stalled connection is closed after `timeout` seconds (a 408 when
  a request had started). A client that goes away mid-answer is no server error.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

LOG = logging.getLogger("smsflows.local")
MAX_LINE = 65536  # the standard library's limit for a request line
LISTEN_BACKLOG = 1024  # capped by net.core.somaxconn (4096 on current Linux)
_DIGITS = re.compile(r"^[0-9]+$")
_HEX = re.compile(rb"^[0-9A-Fa-f]+$")


class HttpError(Exception):
    """A request the server answers with `status` (4xx) and closes the connection after."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class LoopbackHTTPServer(ThreadingHTTPServer):
    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def serve_in_thread(self, name: str) -> threading.Thread:
        """Serve from a daemon thread, polled every 50 ms for a shutdown request (the default half second is
        what a stop would wait)."""
        thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
        )
        thread.start()
        return thread

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class RobustHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # An error answered before the request line gave a version is written as HTTP/1.x, with a status
    # line (the standard library's default, HTTP/0.9, writes the body alone: the client sees garbage).
    default_request_version = "HTTP/1.0"
    disable_nagle_algorithm = True
    wbufsize = 1 << 16  # buffered: a response leaves in one write when flushed
    timeout: ClassVar[float | None] = 60.0  # seconds a connection may sit idle or stall mid-request
    max_body = 10 * 1024 * 1024

    def log_message(self, format: str, *args: Any) -> None:  # quiet; subclasses may log
        return

    # Reading ------------------------------------------------------------------------------------
    def handle_one_request(self) -> None:
        self.command = ""
        self.path = ""
        self.requestline = ""
        self._responded = False
        self.request_version = self.default_request_version
        try:
            self.raw_requestline = self.rfile.readline(MAX_LINE + 1)
            # RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
            for _ in range(8):
                if self.raw_requestline not in (b"\r\n", b"\n"):
                    break
                self.raw_requestline = self.rfile.readline(MAX_LINE + 1)
            if not self.raw_requestline:  # the client closed the connection
                self.close_connection = True
                return
            if len(self.raw_requestline) > MAX_LINE:
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            if not self.parse_request():
                return  # answered (or nothing to answer)
            self.dispatch()
            self.wfile.flush()
        except TimeoutError:
            # Idle between requests: close quietly. Stalled mid-request: say so, then close.
            if self.command:
                self._try_send_error(HTTPStatus.REQUEST_TIMEOUT, "the request was not received in time")
            self.close_connection = True
        except HttpError as exc:
            self._try_send_error(exc.status, exc.message)
        except OSError:  # the client went away: nobody to answer
            self.close_connection = True
        except Exception:  # a bug in a route: answer it, never drop the connection
            LOG.exception("%s %s failed", self.command, self.path)
            if not self._responded:
                self._try_send_error(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error")
            self.close_connection = True

    def parse_request(self) -> bool:
        words = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n").split()
        if not words:  # blank lines only
            self.send_error(HTTPStatus.BAD_REQUEST, "Bad request syntax: empty request line")
            return False
        if len(words) == 2:  # an HTTP/0.9 "simple request": no HTTP/1.x client sends one
            self.send_error(HTTPStatus.BAD_REQUEST, "Bad request syntax: no HTTP version")
            return False
        return bool(super().parse_request())

    def dispatch(self) -> None:
        """Call do_<METHOD>; a method the handler does not implement is 405 with the ones it does."""
        method = getattr(self, "do_" + self.command, None)
        if method is None:
            allowed = sorted(n[3:] for n in dir(self) if n.startswith("do_"))
            self.send_json(405, {"message": "Method Not Allowed"}, {"Allow": ", ".join(allowed)})
            return
        method()

    def handle_expect_100(self) -> bool:
        ok = super().handle_expect_100()
        self.wfile.flush()  # the interim answer must leave now: the client waits for it to send the body
        return bool(ok)

    def read_body(self) -> bytes:
        """The request body: by Content-Length (digits only, one value), or chunked; HttpError (400, 413)
        for a framing the server cannot trust. A body that is not read makes the connection unusable, so
        every HttpError closes it."""
        lengths = self.headers.get_all("Content-Length") or []
        codings = self.headers.get_all("Transfer-Encoding") or []
        if lengths and codings:
            raise HttpError(400, "Content-Length and Transfer-Encoding together")
        if codings:
            if [c.strip().lower() for c in ",".join(codings).split(",")] != ["chunked"]:
                raise HttpError(400, "unsupported Transfer-Encoding (only chunked)")
            return self._read_chunked()
        if not lengths:
            return b""
        values = {v.strip() for v in ",".join(lengths).split(",")}
        if len(values) != 1 or not _DIGITS.match(next(iter(values))):
            raise HttpError(400, "Content-Length must be one non-negative integer")
        length = int(next(iter(values)))
        if length > self.max_body:
            raise HttpError(413, "Request too long")
        body = self.rfile.read(length) if length else b""
        if len(body) != length:
            raise HttpError(400, "the body is shorter than its Content-Length")
        return body

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            size_text = line.split(b";", 1)[0].strip()
            if not line.endswith(b"\n") or not _HEX.match(size_text) or len(size_text) > 8:
                raise HttpError(400, "bad chunk size line")
            size = int(size_text, 16)
            if size == 0:
                break
            total += size
            if total > self.max_body:
                raise HttpError(413, "Request too long")
            chunk = self.rfile.read(size)
            if len(chunk) != size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise HttpError(400, "bad chunk")
            parts.append(chunk)
        for _ in range(64):  # trailer fields, up to the empty line
            trailer = self.rfile.readline(MAX_LINE + 1)
            if trailer in (b"\r\n", b"\n", b""):
                return b"".join(parts)
        raise HttpError(400, "too many trailer fields")

    # Writing ------------------------------------------------------------------------------------
    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.respond(
            status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(payload).encode()
        )

    def respond(self, status: int, headers: dict[str, str], body: bytes) -> None:
        """Status line, headers and body into the write buffer; flushed at once after the request."""
        self._responded = True
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and status >= 200 and status not in (204, 304):
            self.wfile.write(body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A JSON error body (as API Gateway's and Twilio's are), and the connection closes: after a
        request that could not be parsed, the next byte on it cannot be trusted to start a request."""
        try:
            short = self.responses[code][0]
        except KeyError:
            short = "Error"
        self.log_error("code %d, message %s", code, message)
        self.close_connection = True
        self.send_json(int(code), {"message": message or short})

    def _try_send_error(self, code: int, message: str) -> None:
        try:
            self.send_error(code, message)
            self.wfile.flush()
        except OSError:
            pass
        self.close_connection = True
