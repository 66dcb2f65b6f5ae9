"""Hooks into moto so that Step Functions executions run the real handlers and honour the time scale.

Both touch moto internals (pinned in requirements/dev.lock): LambdaSimpleBackend.invoke and the
ASL interpreter's WaitFunction._wait_interval. LOCAL_AWS.md records why these two and no others.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC
from typing import Any

LambdaInvoker = Callable[[str, dict[str, Any]], Any]

_state: dict[str, Any] = {"invoker": None, "scale": 1.0, "waits": [], "clock": None}
_lock = threading.Lock()
_installed = False


def install(invoker: LambdaInvoker, time_scale: float = 1.0, clock: Callable[[], Any] | None = None) -> None:
    """Route `lambda:invoke` to `invoker(function_name, payload)`; divide Wait states by `time_scale`;
    measure Timestamp waits against `clock` (the application's, possibly virtual, clock).

    A `time_scale` of 0 skips waits entirely (tests assert the recorded seconds instead).
    """
    global _installed
    with _lock:
        _state["invoker"] = invoker
        _state["scale"] = time_scale
        _state["waits"] = []
        _state["clock"] = clock
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
        _installed = True


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
