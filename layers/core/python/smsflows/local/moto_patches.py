"""Hooks into moto so that Step Functions executions run the real handlers and honour the time scale,
and so that DynamoDB writes behave under concurrency as they do in AWS.

They touch moto internals (pinned in requirements/dev.lock): LambdaSimpleBackend.invoke, the ASL
interpreter's WaitFunction._wait_interval and Timestamp waits, and DynamoDBBackend's write methods.
moto's DynamoDB is not thread-safe (two conditional writes racing on one item can both pass) and its
TransactWriteItems deep-copies every table it touches for rollback, so a transaction costs O(table
size). The local cloud runs consumers concurrently (as Lambda does), so writes are serialised with one
re-entrant lock and a failed transaction rolls back only the items it touched.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smsflows.local.virtual_time import TimeKeeper

LambdaInvoker = Callable[[str, dict[str, Any]], Any]

_state: dict[str, Any] = {"invoker": None, "scale": 1.0, "waits": [], "clock": None, "keeper": None}
_lock = threading.Lock()
_installed = False


def install(
    invoker: LambdaInvoker,
    time_scale: float = 1.0,
    clock: Callable[[], Any] | None = None,
    keeper: TimeKeeper | None = None,
) -> None:
    """Route `lambda:invoke` to `invoker(function_name, payload)`; divide Wait states by `time_scale`;
    measure Timestamp waits against `clock` (the application's, possibly virtual, clock).

    A `time_scale` of 0 skips waits entirely (tests assert the recorded seconds instead). With a `keeper`
    (virtual time) Waits, SQS delays, visibility timeouts and message timestamps read the keeper's clock,
    and executions report when they run and when they wait.
    """
    global _installed
    with _lock:
        _state["invoker"] = invoker
        _state["scale"] = time_scale
        _state["waits"] = []
        _state["clock"] = clock
        _state["keeper"] = keeper
        if _installed:
            return
        from moto.awslambda_simple.models import LambdaSimpleBackend
        from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp
        from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
            WaitFunction,
        )

        LambdaSimpleBackend.invoke = _invoke  # type: ignore[method-assign,assignment]
        WaitFunction._wait_interval = _wait_interval  # type: ignore[method-assign]
        _state["timestamp_seconds"] = Timestamp._get_wait_seconds
        Timestamp._get_wait_seconds = _timestamp_wait_seconds  # type: ignore[method-assign]
        _serialise_writes_locked()
        _patch_stop_execution()
        _patch_virtual_time()
        _cache_moto_modules()
        _installed = True


def uninstall_keeper() -> None:
    """The local cloud stopped: moto reads real time again."""
    with _lock:
        _state["keeper"] = None


def _keeper() -> TimeKeeper | None:
    return _state["keeper"]  # type: ignore[no-any-return]


def _cache_moto_modules() -> None:
    """moto's server lists its own package folder (a listdir and ~180 isdir calls) on every request, under
    its dispatcher's lock, to tell a service name from a host: the folders do not change while it runs."""
    import functools

    from moto import backends

    if not hasattr(backends.list_of_moto_modules, "cache_info"):
        listed = backends.list_of_moto_modules
        backends.list_of_moto_modules = functools.cache(lambda: tuple(listed()))  # type: ignore[assignment]


def _patch_virtual_time() -> None:
    """SQS timers and executions on the keeper's clock, when there is a keeper (else as moto has them)."""
    from moto.sqs import models as sqs_models
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    real_seconds = sqs_models.unix_time

    # A receive asks every message on the queue whether it is visible and whether it is delayed, each asking
    # the time: moto builds it from a naive utcnow() minus the epoch (two datetimes), a queue of campaign texts
    # waiting for their slots asks it thousands of times a second. "Now" is time.time(), the same instant.
    def unix_time(dt: Any = None) -> float:
        if dt is not None:
            return float(real_seconds(dt))
        keeper = _keeper()
        return keeper.clock.time() if keeper is not None else time.time()

    def unix_time_millis(dt: Any = None) -> float:
        return unix_time(dt) * 1000.0

    sqs_models.unix_time = unix_time  # type: ignore[assignment]
    sqs_models.unix_time_millis = unix_time_millis  # type: ignore[assignment]
    retained = sqs_models.SQSBackend.is_message_valid_based_on_retention_period

    def kept(self: Any, queue_name: str, message: Any) -> bool:
        # Virtual time can pass weeks in a second: a dead letter must still be there to list and replay.
        return True if _keeper() is not None else bool(retained(self, queue_name, message))

    sqs_models.SQSBackend.is_message_valid_based_on_retention_period = kept  # type: ignore[method-assign]

    start, logic = ExecutionWorker.start, ExecutionWorker._execution_logic

    def started(self: Any) -> None:
        keeper = _keeper()
        self._smsflows_keeper = keeper  # the same keeper counts its end, even if the cloud stops meanwhile
        if keeper is not None:
            keeper.execution_started()
        try:
            start(self)
        except BaseException:
            if keeper is not None:
                keeper.execution_ended()
            raise

    def execution_logic(self: Any) -> None:
        try:
            logic(self)
        finally:
            keeper = getattr(self, "_smsflows_keeper", None)
            if keeper is not None:
                keeper.execution_ended()

    ExecutionWorker.start = started  # type: ignore[method-assign]
    ExecutionWorker._execution_logic = execution_logic  # type: ignore[method-assign]


def queue_sources(
    queue_names: list[str], occupied: Callable[[], set[str]] = set
) -> tuple[Callable[[float], bool], Callable[[float], float | None]]:
    """For the keeper: whether a consumed queue holds a message ready to receive, and the next instant one
    becomes ready (a delay or a visibility timeout ending). Read from moto's backend, in this process.
    A queue in `occupied()` (its poller handles all the batches it may, e.g. one waiting for a pacing
    slot) holds nothing ready: its messages wait for that batch, which the keeper counts by itself."""
    from moto.sqs.models import sqs_backends

    def queues() -> list[Any]:
        found = []
        for regions in list(sqs_backends.values()):
            for backend in list(regions.values()):
                found += [q for name, q in list(backend.queues.items()) if name in queue_names]
        return found

    def ready(now: float) -> bool:
        busy = occupied()
        with _sqs_lock:
            return any(
                m.visible and not m.delayed for q in queues() if q.name not in busy for m in list(q._messages)
            )

    def next_due(now: float) -> float | None:
        ms = now * 1000.0
        with _sqs_lock:
            # moto counts a message visible strictly after its visible_at: one millisecond later
            instants = [
                (max(m.visible_at, m.delayed_until) + 1) / 1000.0
                for q in queues()
                for m in list(q._messages)
                if max(m.visible_at, m.delayed_until) + 1 > ms
            ]
        return min(instants) if instants else None

    return ready, next_due


_writes_serialised = False


def serialise_writes() -> None:
    """Make moto's DynamoDB and SQS safe for threads, as DynamoDB and SQS are (idempotent). The local cloud
    does it; so do tests that race real adapters against moto in-process."""
    with _lock:
        _serialise_writes_locked()


def _serialise_writes_locked() -> None:
    global _writes_serialised
    if not _writes_serialised:
        _patch_dynamodb()
        _writes_serialised = True


_ddb_lock = threading.RLock()
_sqs_lock = threading.RLock()


def _patch_stop_execution() -> None:
    """Step Functions stops an execution at any moment; moto's interpreter does not cope with two moments:
    before its thread has built the environment ("'NoneType' object has no attribute 'set_stop'"), and in
    the middle of a Task, whose evaluation then fails ("'dict' object has no attribute 'region'") and the
    execution ends FAILED instead of ABORTED. The stop waits (briefly) for the interpreter to be between
    states, then stops it under the interpreter's own lock, so that no Task starts in between."""
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original = ExecutionWorker.stop

    def stop(self: Any, stop_date: Any, error: Any, cause: Any) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            env = getattr(self, "env", None)
            if env is not None:
                with env._state_mutex:  # open_frame (a Task starting) takes the same lock
                    if not env._frames:
                        original(self, stop_date=stop_date, error=error, cause=cause)
                        return
            time.sleep(0.005)
        original(self, stop_date=stop_date, error=error, cause=cause)

    ExecutionWorker.stop = stop  # type: ignore[method-assign]


def _patch_dynamodb() -> None:
    import copy

    from moto.dynamodb import models as ddb_models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    class _NoTableCopy:
        """moto's transaction takes deepcopy(table) for rollback; the wrapper below keeps item copies."""

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

    ddb_models.copy = _NoTableCopy()  # type: ignore[assignment]
    original_transact = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with _ddb_lock:
            saved = []
            for entry in transact_items:
                _, op = next(iter(entry.items()))
                name = op.get("TableName")
                if name not in self.tables:
                    continue
                table = self.tables[name]
                if "Item" in op:
                    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = op["Item"][table.range_key_attr]
                else:
                    key = op.get("Key") or {}
                try:
                    current = self.get_item(name, key)
                except Exception:  # noqa: S112 - a malformed key: moto's own validation will answer
                    continue
                saved.append((name, key, copy.deepcopy(current.to_json()["Attributes"]) if current else None))
            try:
                original_transact(self, transact_items)
            except Exception:
                for name, key, before in reversed(saved):
                    table = self.tables[name]
                    hash_value = key[table.hash_key_attr]
                    range_value = key.get(table.range_key_attr) if table.range_key_attr else None
                    if before is None:
                        table.delete_item(_dynamo_value(hash_value), _dynamo_value(range_value))
                    else:
                        table.put_item(before)
                raise

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    for name in ("put_item", "update_item", "delete_item", "batch_write_item"):
        setattr(DynamoDBBackend, name, _serialised(getattr(DynamoDBBackend, name)))

    # moto's SQS is not thread-safe either: two consumers receiving from one queue at once can fail
    # with "Set changed size during iteration". Lambda runs several pollers per queue; so do tests.
    from moto.sqs.models import SQSBackend

    for name in ("receive_message", "send_message", "send_message_batch", "delete_message",
                 "delete_message_batch", "change_message_visibility"):  # fmt: skip
        if hasattr(SQSBackend, name):
            method = _serialised(getattr(SQSBackend, name), _sqs_lock)
            if name in ("send_message", "send_message_batch", "change_message_visibility"):
                method = _announced(method)
            setattr(SQSBackend, name, method)


sqs_listeners: list[Callable[[], None]] = []  # told after a message is sent or made visible again


def _announced(method: Callable[..., Any]) -> Callable[..., Any]:
    def announcing(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = method(self, *args, **kwargs)
        for listener in list(sqs_listeners):
            listener()
        return result

    return announcing


def _dynamo_value(value: Any) -> Any:
    from moto.dynamodb.models.dynamo_type import DynamoType

    return DynamoType(value) if isinstance(value, dict) else value


def _serialised(method: Callable[..., Any], lock: Any = None) -> Callable[..., Any]:
    guard = lock or _ddb_lock

    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with guard:
            return method(self, *args, **kwargs)

    return locked


def recorded_waits() -> list[int]:
    """Seconds of every Wait state entered since install()."""
    with _lock:
        return list(_state["waits"])


def _function_name(name_or_arn: str) -> str:
    if ":function:" in name_or_arn:
        name_or_arn = name_or_arn.split(":function:", 1)[1]
    return name_or_arn.split(":", 1)[0]


def _invoke(
    self: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any
) -> bytes:
    invoker = _state["invoker"]
    if invoker is None:
        raise RuntimeError("moto_patches.install() was not called")
    payload = json.loads(body) if body else {}
    try:
        result = invoker(_function_name(function_name), payload)
    except Exception as exc:  # reported like Lambda does, so Retry/Catch in the ASL see it
        response_headers["x-amz-function-error"] = "Unhandled"
        return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}).encode()
    return json.dumps(result).encode()


def _timestamp_wait_seconds(self: Any, env: Any) -> int:
    """moto measures `Timestamp` waits against naive local wall time; measure them against our clock."""
    clock = _state["clock"]
    if clock is None:
        return int(_state["timestamp_seconds"](self, env))
    self.string.eval(env=env)
    raw = env.stack.pop()
    target = self._from_timestamp_string(timestamp=raw)
    if target is None:  # let moto raise its own States.Runtime failure for a bad timestamp
        env.stack.append(raw)
        return int(_state["timestamp_seconds"](self, env))
    now = clock().astimezone(UTC).replace(tzinfo=None)
    return int((target - now).total_seconds())


def _wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
    with _lock:
        _state["waits"].append(int(wait_seconds))
        scale = _state["scale"]
    keeper = _keeper()
    if keeper is not None:
        if wait_seconds > 0:
            due = keeper.clock.time() + wait_seconds
            with keeper.waiting(due):
                keeper.clock.wait_until(due, cancelled=lambda: not env.is_running())
        return
    if wait_seconds <= 0 or scale == 0:
        return
    deadline = time.monotonic() + wait_seconds / scale
    # program_state_event is set when the execution is stopped; other wake-ups keep waiting.
    while env.is_running():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        if env.program_state_event.wait(min(remaining, 1.0)):
            time.sleep(min(max(remaining, 0.0), 0.05))  # woken but still running: do not spin
