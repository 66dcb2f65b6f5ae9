"""Runs the real handlers in-process the way Lambda would: one module per function, one call at a time."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
import uuid
import warnings
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


class LocalLambdas:
    """Loads functions/<name>/handler.py once per name and invokes it, one invocation at a time per
    function and event source: like one container per SQS event source mapping, so that a consumer of two
    queues (send_message) serves both at once, as Lambda does, and a backlog on one does not hold the other."""

    def __init__(self) -> None:
        self._modules: dict[str, ModuleType] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._load_lock = threading.Lock()

    def _lock(self, name: str, event: dict[str, Any]) -> threading.Lock:
        records = event.get("Records") if isinstance(event, dict) else None
        source = str(records[0].get("eventSourceARN", "")) if records and isinstance(records[0], dict) else ""
        with self._load_lock:
            return self._locks.setdefault((name, source), threading.Lock())

    def module(self, name: str) -> ModuleType:
        with self._load_lock:
            if name not in self._modules:
                self._modules[name] = load_handler_module(name)
            return self._modules[name]

    def invoke(self, name: str, event: dict[str, Any]) -> Any:
        spec = topology.function(name)
        module = self.module(name)
        with self._lock(name, event):
            context = LambdaContext(
                function_name=name, memory_limit_in_mb=spec.memory_mb, timeout_s=spec.timeout_s
            )
            try:
                return module.handler(event, context)
            finally:
                # With POWERTOOLS_METRICS_DISABLED, Powertools keeps the metric set and prints it once it
                # holds 100 values; locally nothing should print, so drop it after every invocation.
                from smsflows.runtime.observability import metrics  # not at import: env decides its level

                metrics.clear_metrics()


def load_handler_module(name: str) -> ModuleType:
    path = functions_dir() / name / "handler.py"
    module_name = f"smsflows_fn_{name}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
