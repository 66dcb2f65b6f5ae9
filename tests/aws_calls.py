"""Which AWS API calls each function's code makes, recorded while the local cloud runs them.

The local Lambda runtime names the function of every invocation (`observability.invocation_function`);
wrapping botocore's single entry point attributes each call a function makes — through any client, from any
thread — to that function. Calls made outside an invocation (a test seeding the table, moto's own Step
Functions interpreter running a state machine's tasks) are not attributed to anyone.
"""

from __future__ import annotations

import contextlib
import threading
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from botocore.client import BaseClient

from smsflows.runtime.observability import invocation_function


def target(service: str, params: dict[str, Any]) -> str:
    """What a call acts on, where a policy can tell: the queue (its URL's last part), the table's index."""
    if service == "sqs" and isinstance(params.get("QueueUrl"), str):
        return params["QueueUrl"].rstrip("/").rsplit("/", 1)[-1]
    if service == "dynamodb" and isinstance(params.get("IndexName"), str):
        return "index/" + params["IndexName"]
    return ""


class CallRecorder:
    def __init__(self) -> None:
        # function -> {(service, operation, target)}
        self.calls: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
        self._lock = threading.Lock()

    def add(self, service: str, operation: str, params: dict[str, Any]) -> None:
        function = invocation_function.get()
        if function is not None:
            with self._lock:
                self.calls[function].add((service, operation, target(service, params)))

    def operations(self, function: str, service: str) -> set[str]:
        return {op for svc, op, _ in self.calls.get(function, set()) if svc == service}

    def targets(self, function: str, service: str) -> set[str]:
        return {t for svc, _, t in self.calls.get(function, set()) if svc == service and t}


@contextlib.contextmanager
def recording() -> Iterator[CallRecorder]:
    recorder = CallRecorder()
    original = BaseClient._make_api_call

    def recorded(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        recorder.add(self.meta.service_model.service_name, operation_name, api_params)
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = recorded  # type: ignore[method-assign]
    try:
        yield recorder
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------------------
# Least privilege, checked against the whole suite: `make test` sets SMSFLOWS_LEAST_PRIVILEGE_DIR; every
# pytest process (each xdist worker) records the calls of the functions it runs and writes them there; the
# process that ends the session (the xdist controller, or the only process) compares their union with what
# topology grants each function — the very sets infra/constructs/service_function.py turns into its role,
# which tests/infra/test_safe_stack.py reads back from the template. A call not granted would be an
# AccessDenied in AWS (the local cloud gives every function every right); a grant never used by any test is
# a privilege too many, or a path no test takes. Either fails the run.

LEAST_PRIVILEGE_ENV = "SMSFLOWS_LEAST_PRIVILEGE_DIR"
SQS_SENDS = {"SendMessage", "SendMessageBatch"}


def queue_key(name: str) -> str | None:
    """The topology queue a deployed/local queue name belongs to (names end with the key; DLQs with -dlq)."""
    from smsflows import topology

    for key in sorted(topology.QUEUES, key=len, reverse=True):
        if name.endswith(key):
            return key
    return None


def privilege_findings(calls: dict[str, set[tuple[str, str, str]]]) -> list[str]:
    """What the recorded calls say about each function's grants: calls not granted, grants not used."""
    from smsflows import topology

    findings: list[str] = []
    for spec in topology.FUNCTIONS:
        mine = calls.get(spec.name, set())
        if not mine:
            findings.append(f"{spec.name}: no call recorded at all (is it run through the local runtime?)")
            continue
        table_ops = {op for svc, op, target in mine if svc == "dynamodb" and not target}
        index_calls = {
            (op, target[len("index/") :]) for svc, op, target in mine if svc == "dynamodb" and target
        }
        for op in sorted(table_ops - spec.table_actions):
            findings.append(
                f"{spec.name}: calls dynamodb:{op} but topology does not grant it (table_actions)"
            )
        for op in sorted(spec.table_actions - table_ops):
            findings.append(f"{spec.name}: granted dynamodb:{op} that no test saw it call")
        for op, index in sorted(index_calls):
            if op != "Query" or index not in spec.table_indexes:
                findings.append(f"{spec.name}: {op} on index {index} is not granted (table_indexes)")
        for index in sorted(spec.table_indexes - {i for _, i in index_calls}):
            findings.append(f"{spec.name}: granted Query on index {index} that no test saw it query")
        sent_to = {queue_key(t) for svc, op, t in mine if svc == "sqs" and op in SQS_SENDS}
        granted_queues = {key for key in spec.writes if key in topology.QUEUES}
        for key in sorted(k or "?" for k in sent_to - granted_queues):
            findings.append(f"{spec.name}: sends to {key} but may not (writes)")
        for key in sorted(granted_queues - sent_to):
            findings.append(f"{spec.name}: may send to {key}, which no test saw it do")
        services = {svc for svc, _, _ in mine}
        allowed = {"dynamodb", "sqs"}
        if topology.FLOWS in spec.uses:
            allowed.add("stepfunctions")
        if topology.DEFERRALS in spec.uses:
            allowed.add("scheduler")
        if spec.uses & {topology.SHOPIFY_SECRET, topology.TWILIO_SECRET, topology.SHOPIFY_ADMIN_TOKENS}:
            allowed.add("secretsmanager")
        for service in sorted(services - allowed):
            findings.append(f"{spec.name}: calls {service}, which its role does not allow")
    return findings


def count_updates(client: Any) -> list[str]:
    """The UpdateItem calls `client` makes from now on (one entry each)."""
    made: list[str] = []
    client.meta.events.register("before-call.dynamodb.UpdateItem", lambda **_: made.append("UpdateItem"))
    return made
