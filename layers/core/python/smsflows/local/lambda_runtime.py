"""Runs the real handlers in-process the way Lambda would: containers (module copies) per function, each
serving one invocation at a time, up to a concurrency limit per function."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from smsflows import topology

# Locally metrics are disabled (POWERTOOLS_METRICS_DISABLED); Powertools still warns on every empty flush.
warnings.filterwarnings("ignore", message="No application metrics to publish")


def repo_root() -> Path:
    """The checkout the package runs from (layers/core/python/smsflows -> repo root)."""
    return Path(__file__).resolve().parents[5]


def functions_dir() -> Path:
    path = repo_root() / "functions"
    if not path.is_dir():
        raise FileNotFoundError(f"functions/ not found next to the package (looked in {path})")
    return path


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that Powertools and the handlers read."""

    function_name: str
    memory_limit_in_mb: int = 256
    timeout_s: int = 10
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_s - (time.monotonic() - self._started)) * 1000))


DEFAULT_CONCURRENCY = 10  # concurrent invocations per function, as a function's reserved concurrency


class _Containers:
    """A function's execution environments: each a copy of its handler module (its own module state:
    the API resolver's current event, a batch processor), one invocation at a time. An invocation takes
    the lowest-numbered idle one, or starts another (a cold start) while fewer than `limit` exist, or
    waits for one to be released: Lambda throttles there, the local cloud queues."""

    def __init__(self, name: str, limit: int) -> None:
        self.name = name
        self.limit = limit
        self._cond = threading.Condition()
        self._modules: dict[int, ModuleType] = {}  # container number -> its module
        self._loading: set[int] = set()
        self._idle: set[int] = set()

    def first(self) -> ModuleType:
        """Container 0, loaded if need be (the one a run of sequential invocations always uses)."""
        with self._cond:
            while 0 in self._loading:
                self._cond.wait()
            if 0 in self._modules:
                return self._modules[0]
            self._loading.add(0)
        module = self._load(0)
        self.release(0)
        return module

    def acquire(self) -> tuple[int, ModuleType]:
        with self._cond:
            while True:
                if self._idle:
                    number = min(self._idle)
                    self._idle.remove(number)
                    return number, self._modules[number]
                if len(self._modules) + len(self._loading) < self.limit:
                    number = 0
                    while number in self._modules or number in self._loading:
                        number += 1
                    self._loading.add(number)  # reserved: it counts against the limit while it loads
                    break
                self._cond.wait()
        return number, self._load(number)

    def release(self, number: int) -> None:
        with self._cond:
            self._idle.add(number)
            self._cond.notify()

    def _load(self, number: int) -> ModuleType:
        try:
            module = load_handler_module(self.name, copy=number)
        except BaseException:
            with self._cond:  # give the slot back: a later invocation tries again
                self._loading.discard(number)
                self._cond.notify_all()
            raise
        with self._cond:
            self._loading.discard(number)
            self._modules[number] = module
            self._cond.notify_all()
        return module

    @property
    def started(self) -> int:
        with self._cond:
            return len(self._modules)


class LocalLambdas:
    """Loads functions/<name>/handler.py and invokes it as Lambda would: up to `max_concurrency`
    invocations of a function at once, each in its own container (a copy of the handler module), so a
    burst of API requests or of Step Functions tasks is served concurrently. An SQS event source is
    polled by one poller per queue in the local cloud: its invocations run at most `per_source` at a
    time per event source (an event source mapping's maximum concurrency), so that a consumer of two
    queues (send_message) serves both at once and a backlog on one does not hold the other."""

    def __init__(self, max_concurrency: int = DEFAULT_CONCURRENCY, per_source: int = 1) -> None:
        if max_concurrency < 1 or per_source < 1:
            raise ValueError("max_concurrency and per_source must be at least 1")
        self.max_concurrency = max_concurrency
        self.per_source = per_source
        self._pools: dict[str, _Containers] = {}
        self._sources: dict[tuple[str, str], threading.Semaphore] = {}
        self._lock = threading.Lock()
        # Virtual time: each invocation counts as running work (the time keeper's busy scope).
        self.activity: Callable[[], contextlib.AbstractContextManager[None]] = contextlib.nullcontext

    def _pool(self, name: str) -> _Containers:
        with self._lock:
            if name not in self._pools:
                self._pools[name] = _Containers(name, self.max_concurrency)
            return self._pools[name]

    def _source_lock(self, name: str, event: dict[str, Any]) -> threading.Semaphore | None:
        records = event.get("Records") if isinstance(event, dict) else None
        first = records[0] if isinstance(records, list) and records else None
        source = str(first.get("eventSourceARN", "")) if isinstance(first, dict) else ""
        if not source:
            return None  # API Gateway, Step Functions, a direct invoke: concurrent up to the limit
        with self._lock:
            return self._sources.setdefault((name, source), threading.BoundedSemaphore(self.per_source))

    def module(self, name: str) -> ModuleType:
        """The function's first container's module (loaded if need be): what sequential invocations use."""
        return self._pool(name).first()

    def containers(self, name: str) -> int:
        """How many containers of `name` were started (cold starts)."""
        return self._pool(name).started

    def invoke(self, name: str, event: dict[str, Any]) -> Any:
        with self.activity():
            return self._invoke(name, event)

    def _invoke(self, name: str, event: dict[str, Any]) -> Any:
        spec = topology.function(name)
        pool = self._pool(name)
        source = self._source_lock(name, event)
        with source or contextlib.nullcontext():
            number, module = pool.acquire()
            try:
                context = LambdaContext(
                    function_name=name, memory_limit_in_mb=spec.memory_mb, timeout_s=spec.timeout_s
                )
                from smsflows.runtime.observability import invocation_function

                named = invocation_function.set(name)  # functions share this process: each record says whose
                try:
                    return module.handler(event, context)
                finally:
                    invocation_function.reset(named)
                    # With POWERTOOLS_METRICS_DISABLED, Powertools keeps the metric set and prints it once
                    # it holds 100 values; locally nothing should print, so drop it after every invocation.
                    from smsflows.runtime.observability import metrics  # not at import: env decides its level

                    metrics.clear_metrics()
            finally:
                pool.release(number)


def load_handler_module(name: str, copy: int = 0) -> ModuleType:
    """functions/<name>/handler.py as a fresh module: `smsflows_fn_<name>` (copy 0, the first container),
    `smsflows_fn_<name>__<copy>` for the others."""
    path = functions_dir() / name / "handler.py"
    module_name = f"smsflows_fn_{name}" + (f"__{copy}" if copy else "")
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
