"""The local API Gateway: HTTP requests become REST API proxy events for the real handlers."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from smsflows import topology
from smsflows.local.http_server import LoopbackHTTPServer, RobustHandler

LOG = logging.getLogger("smsflows.local")
STAGE = "local"
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit

LocalRoute = Callable[[str, dict[str, list[str]], bytes], tuple[int, dict[str, str], bytes]]
# A local route for every path under a prefix (the demo storefront's pages, assets and app proxy):
# (method, the path after the prefix, the raw query, the request's headers, the body).
LocalPrefixRoute = Callable[[str, str, str, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]


def proxy_event(
    method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes, source_ip: str
) -> dict[str, Any]:
    """An API Gateway REST API (v1) Lambda proxy event, as AWS builds it."""
    try:
        text = body.decode("utf-8")
        is_b64 = False
    except UnicodeDecodeError:
        text = base64.b64encode(body).decode()
        is_b64 = True
    route = _match(method, path)
    resource = route[0].path if route else path
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": _parameters(resource, path),
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/{STAGE}{path}",
            "stage": STAGE,
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent")},
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": headers.get("Host", ""),
        },
        "body": text if body else None,
        "isBase64Encoded": is_b64,
    }


def _parameters(template: str, path: str) -> dict[str, str] | None:
    found = {w[1:-1]: h for w, h in zip(template.split("/"), path.split("/"), strict=False)
             if w.startswith("{") and w.endswith("}")}  # fmt: skip
    return found or None


def _fits(template: str, path: str) -> bool:
    """Whether `path` is one of `template`'s (a {name} segment stands for any one non-empty segment)."""
    want, have = template.split("/"), path.split("/")
    return len(want) == len(have) and all(
        w == h or (w.startswith("{") and w.endswith("}") and h) for w, h in zip(want, have, strict=True)
    )


def _match(method: str, path: str) -> tuple[topology.Route, topology.FunctionSpec] | None:
    for route, spec in topology.routes():
        if route.method == method and _fits(route.path, path):
            return route, spec
    return None


def _methods(path: str) -> list[str]:
    return [route.method for route, _ in topology.routes() if _fits(route.path, path)]


def allow_header(methods: list[str]) -> str:
    """The Allow header for a resource: its methods, and HEAD wherever GET is."""
    found = set(methods) | ({"HEAD"} if "GET" in methods else set())
    return ", ".join(sorted(found))


def method_not_allowed(methods: list[str]) -> tuple[int, dict[str, str], bytes]:
    """405 with the methods the resource has (RFC 9110 §15.5.6: the Allow header is required)."""
    return (
        405,
        {"Content-Type": "application/json", "Allow": allow_header(methods)},
        b'{"message":"Method Not Allowed"}',
    )


class FrontDoor:
    """HTTP in front of the API functions and the local-only routes.

    HEAD is answered like GET without a body (RFC 9110 §9.3.2); a method a resource does not have,
    HEAD on a POST-only route included, is 405 with an Allow header (API Gateway answers 403 "Missing
    Authentication Token" there, which says nothing useful); an unknown path is 404. Framing errors
    are 400 (see http_server.py); a function that raises is 502, as API Gateway answers."""

    def __init__(
        self,
        host: str,
        port: int,
        invoke: Callable[[str, dict[str, Any]], Any],
        local_routes: dict[str, LocalRoute],
        timeout_s: float = 60.0,
        local_prefixes: dict[str, LocalPrefixRoute] | None = None,
    ) -> None:
        """`timeout_s`: how long a connection may sit idle, or stall in the middle of a request."""
        self._invoke = invoke
        self._local = local_routes
        self._prefixes = local_prefixes or {}
        self._timeout_s = timeout_s
        self._server = LoopbackHTTPServer((host, port), self._handler_class())  # raises OSError if taken
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def serve_in_thread(self) -> None:
        self._thread = self._server.serve_in_thread("front-door")

    def stop(self) -> None:
        self._server.stop()

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes, source_ip: str
    ) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) for a request; for HEAD, those of GET (the HTTP layer drops the body)."""
        parts = urlsplit(raw_path)
        query = parse_qs(parts.query, keep_blank_values=True)
        # a route with its own HEAD (a short link: a HEAD is no click) gets it; elsewhere HEAD is GET's
        as_method = "GET" if method == "HEAD" and _match("HEAD", parts.path) is None else method
        if parts.path in self._local:
            try:
                return self._local[parts.path](as_method, query, body)
            except (ValueError, KeyError, TypeError) as exc:
                return 400, {"Content-Type": "application/json"}, json.dumps({"error": str(exc)}).encode()
        for prefix, under in self._prefixes.items():
            if parts.path == prefix or parts.path.startswith(prefix + "/"):
                try:
                    return under(as_method, parts.path[len(prefix) :], parts.query, headers, body)
                except (ValueError, KeyError, TypeError) as exc:
                    return 400, {"Content-Type": "application/json"}, json.dumps({"error": str(exc)}).encode()
        route = _match(as_method, parts.path)
        if route is None:
            methods = _methods(parts.path)
            if methods:
                return method_not_allowed(methods)
            return 404, {"Content-Type": "application/json"}, b'{"message":"Not Found"}'
        # API Gateway tells the function how it was called: scheme and port (signature checks need them).
        # It appends the connection's address to an X-Forwarded-For it received, as API Gateway does.
        before = next((v for k, v in headers.items() if k.lower() == "x-forwarded-for"), "")
        headers = {
            **{k: v for k, v in headers.items() if k.lower() != "x-forwarded-for"},
            "X-Forwarded-Proto": "http",
            "X-Forwarded-Port": str(self.port),
            "X-Forwarded-For": f"{before}, {source_ip}" if before else source_ip,
        }
        event = proxy_event(as_method, parts.path, query, headers, body, source_ip)
        try:
            result = self._invoke(route[1].name, event)
        except Exception:
            LOG.exception("%s raised", route[1].name)
            return 502, {"Content-Type": "application/json"}, b'{"message": "Internal server error"}'
        if not isinstance(result, dict):
            LOG.error("%s returned %r, not a proxy response", route[1].name, type(result).__name__)
            return 502, {"Content-Type": "application/json"}, b'{"message": "Internal server error"}'
        out_headers = dict(result.get("headers") or {})
        for key, values in (result.get("multiValueHeaders") or {}).items():
            out_headers[key] = ", ".join(values)
        payload = result.get("body") or ""
        data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
        return int(result.get("statusCode", 200)), out_headers, data

    def _handler_class(self) -> type[RobustHandler]:
        door = self

        class Handler(RobustHandler):
            max_body = MAX_BODY
            timeout = door._timeout_s

            def log_message(self, format: str, *args: Any) -> None:
                LOG.debug("%s %s", self.command, self.path)

            def dispatch(self) -> None:  # every method: the routes decide (404, 405 with Allow)
                body = self.read_body()
                status, headers, data = door.handle(
                    self.command, self.path, dict(self.headers.items()), body, self.client_address[0]
                )
                self.respond(status, headers, data)

        return Handler


def json_route(producer: Callable[[], Any]) -> LocalRoute:
    def route(method: str, query: dict[str, list[str]], body: bytes) -> tuple[int, dict[str, str], bytes]:
        if method != "GET":
            return 405, {"Content-Type": "application/json", "Allow": "GET, HEAD"}, b'{"error":"GET only"}'
        return (
            200,
            {"Content-Type": "application/json"},
            json.dumps(producer(), indent=1, default=str).encode(),
        )

    return route


def query_route(producer: Callable[[dict[str, str]], Any]) -> LocalRoute:
    def route(method: str, query: dict[str, list[str]], body: bytes) -> tuple[int, dict[str, str], bytes]:
        if method != "GET":
            return 405, {"Content-Type": "application/json", "Allow": "GET, HEAD"}, b'{"error":"GET only"}'
        args = {k: v[-1] for k, v in query.items()}
        return (
            200,
            {"Content-Type": "application/json"},
            json.dumps(producer(args), indent=1, default=str).encode(),
        )

    return route


def post_route(consumer: Callable[[Any], Any]) -> LocalRoute:
    def route(method: str, query: dict[str, list[str]], body: bytes) -> tuple[int, dict[str, str], bytes]:
        if method != "POST":
            return 405, {"Content-Type": "application/json", "Allow": "POST"}, b'{"error":"POST only"}'
        result = consumer(json.loads(body or b"null"))
        return 200, {"Content-Type": "application/json"}, json.dumps(result, default=str).encode()

    return route
