"""The local API Gateway: HTTP requests become REST API proxy events for the real handlers."""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from smsflows import topology

LOG = logging.getLogger("smsflows.local")
STAGE = "local"
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit

LocalRoute = Callable[[str, dict[str, list[str]], bytes], tuple[int, dict[str, str], bytes]]


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
        "pathParameters": None,
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


def _match(method: str, path: str) -> tuple[topology.Route, topology.FunctionSpec] | None:
    for route, spec in topology.routes():
        if route.method == method and route.path == path:
            return route, spec
    return None


class FrontDoor:
    def __init__(
        self,
        host: str,
        port: int,
        invoke: Callable[[str, dict[str, Any]], Any],
        local_routes: dict[str, LocalRoute],
    ) -> None:
        self._invoke = invoke
        self._local = local_routes
        self._server = ThreadingHTTPServer((host, port), self._handler_class())  # raises OSError if taken
        self._server.daemon_threads = True

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def serve_in_thread(self) -> None:
        import threading

        threading.Thread(target=self._server.serve_forever, name="front-door", daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes, source_ip: str
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(raw_path)
        query = parse_qs(parts.query, keep_blank_values=True)
        if parts.path in self._local:
            try:
                return self._local[parts.path](method, query, body)
            except (ValueError, KeyError) as exc:
                return 400, {"Content-Type": "application/json"}, json.dumps({"error": str(exc)}).encode()
        route = _match(method, parts.path)
        if route is None:
            return 404, {"Content-Type": "application/json"}, b'{"message":"Not Found"}'
        # API Gateway tells the function how it was called: scheme and port (signature checks need them).
        headers = {
            **headers,
            "X-Forwarded-Proto": "http",
            "X-Forwarded-Port": str(self.port),
            "X-Forwarded-For": source_ip,
        }
        event = proxy_event(method, parts.path, query, headers, body, source_ip)
        try:
            result = self._invoke(route[1].name, event)
        except Exception:
            LOG.exception("%s raised", route[1].name)
            return 502, {"Content-Type": "application/json"}, b'{"message": "Internal server error"}'
        out_headers = dict(result.get("headers") or {})
        for key, values in (result.get("multiValueHeaders") or {}).items():
            out_headers[key] = ", ".join(values)
        payload = result.get("body") or ""
        data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
        return int(result.get("statusCode", 200)), out_headers, data

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        door = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                LOG.debug("%s %s", self.command, self.path)

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    status, headers, data = (
                        413,
                        {"Content-Type": "application/json"},
                        b'{"message":"Request too long"}',
                    )
                else:
                    body = self.rfile.read(length) if length else b""
                    status, headers, data = door.handle(
                        self.command, self.path, dict(self.headers.items()), body, self.client_address[0]
                    )
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() not in ("content-length", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

        return Handler


def json_route(producer: Callable[[], Any]) -> LocalRoute:
    def route(method: str, query: dict[str, list[str]], body: bytes) -> tuple[int, dict[str, str], bytes]:
        if method != "GET":
            return 405, {"Content-Type": "application/json"}, b'{"error":"GET only"}'
        return (
            200,
            {"Content-Type": "application/json"},
            json.dumps(producer(), indent=1, default=str).encode(),
        )

    return route


def query_route(producer: Callable[[dict[str, str]], Any]) -> LocalRoute:
    def route(method: str, query: dict[str, list[str]], body: bytes) -> tuple[int, dict[str, str], bytes]:
        if method != "GET":
            return 405, {"Content-Type": "application/json"}, b'{"error":"GET only"}'
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
            return 405, {"Content-Type": "application/json"}, b'{"error":"POST only"}'
        result = consumer(json.loads(body or b"null"))
        return 200, {"Content-Type": "application/json"}, json.dumps(result, default=str).encode()

    return route
