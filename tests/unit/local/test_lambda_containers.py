"""LocalLambdas runs a function's invocations concurrently, as Lambda does: each in its own container (a
copy of the handler module), up to the limit, the rest waiting; invocations from one SQS event source stay
one at a time. Handlers here are stand-in modules (no AWS): this is about the scheduling."""

from __future__ import annotations

import threading
import types
from collections.abc import Iterator

import pytest

from smsflows.local import lambda_runtime
from smsflows.local.lambda_runtime import LocalLambdas
from tests.waiting import wait_until

FUNCTION = "shopify_webhook"  # a real function name (for its spec); its handler is replaced below


class Gate:
    """Handlers that block until released, recording which container ran what, and how many at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.running = 0
        self.most = 0
        self.seen: list[tuple[str, object]] = []  # (module name, event id)
        self.loads: list[int] = []

    def load(self, name: str, copy: int = 0) -> types.ModuleType:
        module = types.ModuleType(f"fake_{name}_{copy}")
        with self.lock:
            self.loads.append(copy)

        def handler(event: dict, context: object) -> dict:
            with self.lock:
                self.running += 1
                self.most = max(self.most, self.running)
                self.seen.append((module.__name__, event.get("id")))
            try:
                if event.get("block"):
                    assert self.release.wait(30), "the test never released the handlers"
                return {"statusCode": 200, "module": module.__name__}
            finally:
                with self.lock:
                    self.running -= 1

        module.handler = handler  # type: ignore[attr-defined]
        module.state = {}  # type: ignore[attr-defined]
        return module


@pytest.fixture
def gate(monkeypatch) -> Iterator[Gate]:
    g = Gate()
    monkeypatch.setattr(lambda_runtime, "load_handler_module", g.load)
    yield g
    g.release.set()


def start(lambdas: LocalLambdas, events: list[dict]) -> list[threading.Thread]:
    threads = [threading.Thread(target=lambdas.invoke, args=(FUNCTION, e), daemon=True) for e in events]
    for t in threads:
        t.start()
    return threads


def test_concurrent_invocations_run_at_once_each_in_its_own_container(gate):
    lambdas = LocalLambdas(max_concurrency=10)
    threads = start(lambdas, [{"id": i, "block": True} for i in range(8)])
    wait_until(lambda: gate.running, lambda n: n == 8, what="8 invocations running at once")
    gate.release.set()
    for t in threads:
        t.join(30)
    modules = [m for m, _ in gate.seen]
    assert len(set(modules)) == 8  # no two concurrent invocations shared a module (its globals)
    assert sorted(gate.loads) == list(range(8)) and lambdas.containers(FUNCTION) == 8


def test_beyond_the_limit_invocations_wait_for_a_container(gate):
    lambdas = LocalLambdas(max_concurrency=3)
    threads = start(lambdas, [{"id": i, "block": True} for i in range(7)])
    wait_until(lambda: gate.running, lambda n: n == 3, what="3 invocations running (the limit)")
    assert len(gate.seen) == 3  # the other four wait
    gate.release.set()
    for t in threads:
        t.join(30)
    assert len(gate.seen) == 7 and gate.most == 3 and lambdas.containers(FUNCTION) == 3


def test_sequential_invocations_reuse_the_first_container(gate):
    lambdas = LocalLambdas()
    results = [lambdas.invoke(FUNCTION, {"id": i}) for i in range(5)]
    assert {r["module"] for r in results} == {f"fake_{FUNCTION}_0"}
    assert lambdas.module(FUNCTION).__name__ == f"fake_{FUNCTION}_0" and gate.loads == [0]


def test_one_sqs_event_source_is_served_one_batch_at_a_time_two_sources_at_once(gate):
    lambdas = LocalLambdas(max_concurrency=10)

    def batch(i: int, queue: str) -> dict:
        return {"id": i, "block": True, "Records": [{"eventSourceARN": f"arn:aws:sqs:us-east-1:1:{queue}"}]}

    threads = start(lambdas, [batch(0, "a"), batch(1, "a"), batch(2, "b")])
    wait_until(lambda: gate.running, lambda n: n == 2, what="one batch of each queue running")
    assert sorted(e for _, e in gate.seen) in ([0, 2], [1, 2])
    gate.release.set()
    for t in threads:
        t.join(30)
    assert len(gate.seen) == 3 and gate.most == 2


def test_an_event_source_serves_as_many_batches_at_once_as_its_concurrency(gate):
    """A real-time local cloud runs two batches per queue, as an event source mapping's maximum concurrency
    does: a paced sender's next batch books its slots while the previous one is still sending."""
    lambdas = LocalLambdas(max_concurrency=10, per_source=2)

    def batch(i: int) -> dict:
        return {"id": i, "block": True, "Records": [{"eventSourceARN": "arn:aws:sqs:us-east-1:1:a"}]}

    threads = start(lambdas, [batch(0), batch(1), batch(2)])
    wait_until(lambda: gate.running, lambda n: n == 2, what="two batches of the queue running")
    assert len(gate.seen) == 2  # the third waits for one of them
    gate.release.set()
    for t in threads:
        t.join(30)
    assert len(gate.seen) == 3 and gate.most == 2


def test_a_container_that_fails_to_load_gives_its_slot_back(gate, monkeypatch):
    lambdas = LocalLambdas(max_concurrency=1)
    calls = []

    def broken_once(name: str, copy: int = 0) -> types.ModuleType:
        calls.append(copy)
        if len(calls) == 1:
            raise ImportError("a syntax error, say")
        return gate.load(name, copy)

    monkeypatch.setattr(lambda_runtime, "load_handler_module", broken_once)
    with pytest.raises(ImportError):
        lambdas.invoke(FUNCTION, {"id": 1})
    assert lambdas.invoke(FUNCTION, {"id": 2})["statusCode"] == 200  # not stuck waiting for a slot
    assert calls == [0, 0]


def test_the_limits_are_at_least_one():
    with pytest.raises(ValueError):
        LocalLambdas(max_concurrency=0)
    with pytest.raises(ValueError):
        LocalLambdas(per_source=0)


def test_real_handler_copies_do_not_share_module_state():
    """Two containers of a real API function: two module objects, each with its own resolver (whose
    `current_event` a concurrent invocation would otherwise overwrite)."""
    first = lambda_runtime.load_handler_module("twilio_status")
    second = lambda_runtime.load_handler_module("twilio_status", copy=1)
    assert first is not second and first.app is not second.app
    assert first.__name__ == "smsflows_fn_twilio_status" and second.__name__ == "smsflows_fn_twilio_status__1"
