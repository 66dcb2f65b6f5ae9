"""The front door as an HTTP server, over raw sockets: every request gets an answer (a 400 for a malformed
one, never a dropped connection or a hang), HEAD and methods a route does not have are answered as HTTP
says, keep-alive connections stay usable, and a burst of clients is not refused. The API functions are
a stub here (no moto): this is about the HTTP layer."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from smsflows.local.front_door import FrontDoor, json_route, post_route
from smsflows.local.http_server import LISTEN_BACKLOG

WAIT_S = 30  # how long a client waits for an answer before the test fails (never reached when it works)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class Door:
    def __init__(self, timeout_s: float = 60) -> None:
        self.events: list[dict] = []
        self._lock = threading.Lock()
        routes = {"/_local/health": json_route(lambda: {"ok": True}), "/_local/echo": post_route(lambda x: x)}
        self.door = FrontDoor("127.0.0.1", 0, self.invoke, routes, timeout_s=timeout_s)
        self.door.serve_in_thread()
        self.port = self.door.port

    def invoke(self, name: str, event: dict) -> dict:
        with self._lock:
            self.events.append(event)
        if event["headers"].get("X-Test") == "raise":
            raise RuntimeError("the function failed")
        if event["headers"].get("X-Test") == "not-a-response":
            return None  # type: ignore[return-value]
        body = {"function": name, "method": event["httpMethod"], "body": event["body"]}
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


@pytest.fixture
def door() -> Iterator[Door]:
    d = Door()
    yield d
    d.door.stop()


class Conn:
    """A client connection that reads whole HTTP responses (framed by Content-Length), keeping what
    follows one (a pipelined answer) for the next read."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)
        self.buffer = b""

    def send(self, raw: bytes) -> Conn:
        self.sock.sendall(raw)
        return self

    def _more(self, what: str) -> None:
        chunk = self.sock.recv(65536)
        assert chunk, f"the server closed the connection {what} (got {self.buffer!r})"
        self.buffer += chunk

    def answer(self, head: bool = False) -> Answer:
        while b"\r\n\r\n" not in self.buffer:
            self._more("without an answer")
        head_part, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head_part.decode("iso-8859-1").split("\r\n")
        version, status = lines[0].split(" ", 2)[:2]
        assert version in ("HTTP/1.1", "HTTP/1.0"), lines[0]
        headers = {}
        for line in lines[1:]:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        length = 0 if head or int(status) in (100, 204, 304) else int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self._more("in the middle of the body")
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return Answer(int(status), headers, body)

    def closed_by_server(self) -> bool:
        """True once the server has closed the connection with nothing more sent (EOF or a reset)."""
        try:
            return self.buffer == b"" and self.sock.recv(1) == b""
        except ConnectionResetError:
            return True


def exchange(door: Door, raw: bytes, head: bool = False) -> tuple[Answer, Conn]:
    conn = Conn(door.port).send(raw)
    return conn.answer(head=head), conn


def request(method: str, path: str, body: bytes = b"", headers: str = "") -> bytes:
    length = f"Content-Length: {len(body)}\r\n" if body else ""
    return f"{method} {path} HTTP/1.1\r\nHost: x\r\n{length}{headers}\r\n".encode() + body


# Malformed requests: a 400 with a JSON body, then the connection closes ---------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",  # one word
        b"GET /\r\n\r\n",  # no HTTP version (HTTP/0.9): nothing API Gateway would take
        b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n",  # four words
        b"GET / FOO/1.1\r\nHost: x\r\n\r\n",  # not HTTP
        b"GET / HTTP/1.x\r\nHost: x\r\n\r\n",  # a bad version number
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n",  # binary (a TLS hello and a line end)
        b"\r\n" * 20,  # blank lines only
    ],
    ids=["one-word", "http-0.9", "four-words", "not-http", "bad-version", "binary", "blank-lines"],
)
def test_a_malformed_request_line_is_a_400_and_the_connection_closes(door, raw):
    answer, conn = exchange(door, raw)
    assert answer.status == 400
    assert answer.headers["content-type"] == "application/json" and "message" in json.loads(answer.body)
    assert answer.headers.get("connection") == "close" and conn.closed_by_server()
    assert door.events == []


@pytest.mark.parametrize(
    "length_headers",
    [
        "Content-Length: abc\r\n",
        "Content-Length: -5\r\n",
        "Content-Length: +5\r\n",
        "Content-Length: 1e3\r\n",
        "Content-Length: 0x10\r\n",
        "Content-Length: 5, 6\r\n",
        "Content-Length: 5\r\nContent-Length: 6\r\n",  # two different lengths
        "Content-Length: \r\n",
        "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",  # both: a request-smuggling shape
        "Transfer-Encoding: gzip\r\n",
        "Transfer-Encoding: gzip, chunked\r\n",
    ],
    ids=[
        "letters",
        "negative",
        "plus-sign",
        "exponent",
        "hex",
        "list",
        "two-lengths",
        "empty",
        "length-and-chunked",
        "gzip",
        "gzip-chunked",
    ],
)
def test_a_bad_content_length_or_transfer_encoding_is_a_400_not_a_hang(door, length_headers):
    raw = f"POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\n{length_headers}\r\nhello".encode()
    answer, conn = exchange(door, raw)
    assert answer.status == 400, answer
    assert "message" in json.loads(answer.body)
    assert conn.closed_by_server()
    assert door.events == []


def test_leading_blank_lines_are_ignored_as_http_says(door):
    answer, _ = exchange(door, b"\r\n\r\n" + request("GET", "/_local/health"))
    assert answer.status == 200 and json.loads(answer.body) == {"ok": True}


def test_the_same_content_length_twice_is_one_length(door):
    raw = b"POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}"
    answer, _ = exchange(door, raw)
    assert answer.status == 200 and json.loads(answer.body)["body"] == "{}"


def test_a_body_over_the_limit_is_413_without_reading_it_and_the_connection_closes(door):
    raw = b"POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Length: 10485761\r\n\r\n"
    answer, conn = exchange(door, raw)
    assert answer.status == 413 and conn.closed_by_server()
    assert door.events == []


def test_a_chunked_body_reaches_the_function_whole(door):
    raw = (b"POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n")  # fmt: skip
    answer, conn = exchange(door, raw)
    assert answer.status == 200 and json.loads(answer.body)["body"] == "hello world"
    conn.send(request("GET", "/_local/health"))  # the connection is still in step
    assert conn.answer().status == 200


@pytest.mark.parametrize(
    "chunks",
    [b"zz\r\nhello\r\n0\r\n\r\n", b"5\r\nhelloXX0\r\n\r\n", b"-1\r\n\r\n"],
    ids=["not-hex", "no-crlf-after-chunk", "negative"],
)
def test_a_broken_chunked_body_is_a_400(door, chunks):
    raw = b"POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
    answer, conn = exchange(door, raw)
    assert answer.status == 400 and conn.closed_by_server()
    assert door.events == []


def test_a_body_that_stops_coming_is_answered_408_once_the_connection_times_out():
    d = Door(timeout_s=0.5)
    try:
        answer, conn = exchange(
            d, b"POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"
        )
        assert answer.status == 408 and conn.closed_by_server()
        assert d.events == []
    finally:
        d.door.stop()


def test_expect_100_continue_is_answered_before_the_body_is_sent(door):
    conn = Conn(door.port)
    conn.send(
        b"POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"
    )
    interim = conn.answer()  # the client waits for it before it sends the body
    assert interim.status == 100
    conn.send(b"{}")
    answer = conn.answer()
    assert answer.status == 200 and json.loads(answer.body)["body"] == "{}"


# HEAD and methods a route does not have -------------------------------------------------------------------
def test_head_is_get_without_the_body_and_the_connection_stays_usable(door):
    get, conn = exchange(door, request("GET", "/_local/health"))
    conn.send(request("HEAD", "/_local/health"))
    head = conn.answer(head=True)
    assert head.status == 200 and head.body == b""
    assert head.headers["content-length"] == get.headers["content-length"] != "0"
    conn.send(request("GET", "/_local/health"))  # no stray body bytes came before this answer
    again = conn.answer()
    assert again.status == 200 and again.body == get.body and conn.buffer == b""


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("HEAD", "/webhooks/shopify", "POST"),
        ("GET", "/webhooks/shopify", "POST"),
        ("PUT", "/sms/inbound", "POST"),
        ("HEAD", "/subscribe", "OPTIONS, POST"),
        ("DELETE", "/subscribe", "OPTIONS, POST"),
        ("HEAD", "/_local/echo", "POST"),
        ("POST", "/_local/health", "GET, HEAD"),
        ("BREW", "/webhooks/shopify", "POST"),  # a method nobody implements: 405 too, not 501
    ],
)
def test_a_method_the_route_does_not_have_is_405_with_allow(door, method, path, allow):
    answer, conn = exchange(door, request(method, path), head=method == "HEAD")
    assert answer.status == 405 and answer.headers["allow"] == allow
    if method == "HEAD":
        assert answer.body == b""
    conn.send(request("GET", "/_local/health"))  # still a keep-alive connection
    assert conn.answer().status == 200
    assert door.events == []


def test_an_unknown_path_is_404_for_any_method(door):
    for method in ("GET", "HEAD", "POST", "OPTIONS"):
        answer, _ = exchange(door, request(method, "/nope"), head=method == "HEAD")
        assert answer.status == 404, method


def test_a_function_that_raises_or_answers_nonsense_is_a_502(door):
    for mode in ("raise", "not-a-response"):
        answer, conn = exchange(door, request("POST", "/webhooks/shopify", b"{}", f"X-Test: {mode}\r\n"))
        assert answer.status == 502, mode
        conn.send(request("GET", "/_local/health"))
        assert conn.answer().status == 200


def test_keep_alive_and_pipelined_requests_are_answered_in_order(door):
    conn = Conn(door.port)
    conn.send(
        request("POST", "/webhooks/shopify", b'{"n":1}') + request("POST", "/webhooks/shopify", b'{"n":2}')
    )
    answers = [conn.answer(), conn.answer()]
    assert [json.loads(a.body)["body"] for a in answers] == ['{"n":1}', '{"n":2}']


# A burst ---------------------------------------------------------------------------------------------------
def test_the_listen_backlog_takes_a_burst():
    assert LISTEN_BACKLOG >= 128


def test_a_burst_of_100_clients_all_get_an_answer(door):
    clients = 100
    go = threading.Barrier(clients, timeout=WAIT_S)
    results: list[object] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        try:
            go.wait()
            answer, _ = exchange(door, request("POST", "/webhooks/shopify", json.dumps({"i": i}).encode()))
            outcome: object = (answer.status, json.loads(answer.body)["body"])
        except Exception as exc:  # refused, reset, timed out: what the test is about
            outcome = repr(exc)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=WAIT_S * 2)
    assert sorted(results, key=str) == sorted(((200, json.dumps({"i": i})) for i in range(clients)), key=str)
