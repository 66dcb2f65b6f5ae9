"""Faults AWS itself would answer with, injected under moto through botocore's event hooks.

An armed `AwsFaults` answers chosen attempts of the application's DynamoDB and SQS calls (the clients the
handlers use, `runtime.deps`) with an error response before the request reaches moto: a throttling error
(400 ProvisionedThroughputExceededException, ThrottlingException, SQS RequestThrottled) or a 5xx
(InternalServerError, ServiceUnavailable). The response is parsed like AWS's, so botocore's own retry handler
(the mode, attempts and backoff `runtime.deps` configures) decides whether to retry, sleeps and sends again.
`lost_answer` lets moto apply the request and answers with the error all the same: a write that succeeded
although the caller was told it failed, as a 5xx (DynamoDB's InternalServerError says so) allows.

Every call is counted per operation: `calls` (logical calls), `attempts` (requests sent), `injected` and
`retries` (the RetryAttempts botocore reports to the caller, one entry per call).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse

_NAMESPACE = {"dynamodb": "com.amazonaws.dynamodb.v20120810", "sqs": "com.amazonaws.sqs"}


@dataclass(frozen=True)
class Fault:
    status: int
    code: str
    lost_answer: bool = False  # moto applies the request, then the caller gets this error instead


# A batch read DynamoDB throttled in part answers 200 and leaves keys unprocessed (here: all of them). It is
# not an error, so the client does not retry it: the caller must ask again.
UNPROCESSED = {"dynamodb": Fault(200, "UnprocessedKeys")}


# What each service answers when it throttles, or fails inside (the codes botocore's standard mode knows).
THROTTLED = {
    "dynamodb": Fault(400, "ProvisionedThroughputExceededException"),
    "sqs": Fault(400, "RequestThrottled"),
}
THROTTLING = {"dynamodb": Fault(400, "ThrottlingException"), "sqs": Fault(400, "RequestThrottled")}
UNAVAILABLE = {"dynamodb": Fault(500, "InternalServerError"), "sqs": Fault(503, "ServiceUnavailable")}

Plan = Callable[[str, str, int], Fault | None]  # (service, operation, attempt from 1) -> a fault, or go on


def each_call(*faults: dict[str, Fault], only: set[str] | None = None) -> Plan:
    """Attempt i of every call (of the operations in `only`, if given) gets `faults[i - 1]`."""

    def plan(service: str, operation: str, attempt: int) -> Fault | None:
        if only is not None and operation not in only:
            return None
        return faults[attempt - 1].get(service) if attempt <= len(faults) else None

    return plan


def first_calls(n: int, *faults: dict[str, Fault], only: set[str] | None = None) -> Plan:
    """Like `each_call`, for the first `n` calls of each operation (in `only`) alone."""
    seen: Counter[str] = Counter()
    lock = threading.Lock()
    each = each_call(*faults, only=only)

    def plan(service: str, operation: str, attempt: int) -> Fault | None:
        with lock:
            if attempt == 1:
                seen[operation] += 1
            if seen[operation] > n:
                return None
        return each(service, operation, attempt)

    return plan


class _Raw:
    """The raw body botocore reads an AWSResponse from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body

    def read(self, *_: Any, **__: Any) -> bytes:
        return self._body


def error_response(service: str, url: str, fault: Fault, request_body: bytes = b"") -> AWSResponse:
    if fault.code == "UnprocessedKeys":
        asked = json.loads(request_body or b"{}").get("RequestItems", {})
        body = json.dumps({"Responses": {table: [] for table in asked}, "UnprocessedKeys": asked}).encode()
    else:
        body = json.dumps({"__type": f"{_NAMESPACE[service]}#{fault.code}", "message": "injected"}).encode()
    headers = {"x-amzn-RequestId": "injected", "Content-Type": "application/x-amz-json-1.0"}
    return AWSResponse(url, fault.status, headers, _Raw(body))


@dataclass
class AwsFaults:
    plan: Plan
    calls: Counter[str] = field(default_factory=Counter)
    attempts: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    retries: dict[str, list[int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)  # the sender calls from threads

    def _before_send(self, event_name: str, request: Any, **_: Any) -> AWSResponse | None:
        service, operation = event_name.split(".", 2)[1:]
        attempt = int((request.context.get("retries") or {}).get("attempt", 1))
        key = f"{service}.{operation}"
        fault = self.plan(service, operation, attempt)
        with self._lock:
            self.attempts[key] += 1
            if attempt == 1:
                self.calls[key] += 1
            if fault is not None:
                self.injected[key] += 1
        if fault is None:
            return None
        url = request.url
        if not fault.lost_answer:
            # botocore hands the request to every before-send handler and takes the first response: moto's
            # handler comes after this one, and a URL it does not serve keeps it from applying the request
            # (each attempt is a new request). With a lost answer moto applies it, and this answer wins.
            request.url = "https://fault-injected.invalid/"
        body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
        return error_response(service, url, fault, body)

    def _after_call(self, event_name: str, parsed: dict[str, Any], **_: Any) -> None:
        service, operation = event_name.split(".", 2)[1:]
        attempts = int(parsed.get("ResponseMetadata", {}).get("RetryAttempts", 0))
        with self._lock:
            self.retries.setdefault(f"{service}.{operation}", []).append(attempts)

    @contextmanager
    def armed(self, services: tuple[str, ...] = ("dynamodb", "sqs")) -> Iterator[AwsFaults]:
        """Inject into the clients the handlers use now (`runtime.deps`), until the block ends."""
        from smsflows.runtime.deps import get_deps

        clients = [(service, get_deps().client(service)) for service in services]
        for service, client in clients:
            client.meta.events.register_first(f"before-send.{service}", self._before_send)
            client.meta.events.register(f"after-call.{service}", self._after_call)
        try:
            yield self
        finally:
            for service, client in clients:
                client.meta.events.unregister(f"before-send.{service}", self._before_send)
                client.meta.events.unregister(f"after-call.{service}", self._after_call)

    def every_call_retried(self, times: int) -> bool:
        """Every call was sent `times` more times after its injected faults, and botocore said so."""
        return bool(self.calls) and all(
            self.attempts[op] == n * (times + 1) and self.retries.get(op) == [times] * n
            for op, n in self.calls.items()
        )
