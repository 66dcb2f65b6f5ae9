"""The local cloud as a user runs it: `smsflows local` in its own process, driven over real HTTP."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from smsflows import topology
from smsflows.local import client
from smsflows.local.inprocess import DEFAULT_START  # Monday 2026-11-23 11:00 in Austin


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningCloud:
    base_url: str
    process: subprocess.Popen
    shopify_secret: str


def start_local(port: int, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "smsflows.cli", "local", "--port", str(port), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def wait_ready(
    base_url: str, process: subprocess.Popen, output: Output | None = None, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    last: object = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = "".join(output.lines) if output else (process.stderr.read() if process.stderr else "")
            raise RuntimeError(f"smsflows local exited: {said}")
        try:
            result = client.request("GET", base_url + "/_local/health", timeout=1)
            if result.status == 200:
                return
            last = f"HTTP {result.status}"
        except OSError as exc:
            last = exc
        time.sleep(0.1)
    raise TimeoutError(
        f"local cloud at {base_url} not ready after {timeout:g} s; last health check: {last!r}"
    )


@dataclass
class Output:
    """What a running `smsflows local` prints, read as it comes: an unread pipe fills up (64 KiB) and then
    blocks the process on its next log line (fault injection logs every failed attempt)."""

    lines: list[str] = field(default_factory=list)

    def drain(self, stream: Any) -> None:
        for line in iter(stream.readline, ""):
            self.lines.append(line)


@contextlib.contextmanager
def running_local(
    *extra: str, secret: str, env: dict[str, str] | None = None
) -> Iterator[tuple[RunningCloud, Output]]:
    """`smsflows local --virtual` on a free port (virtual time, running free: whenever the cloud is idle it
    skips to the next due instant), its output drained, stopped (SIGTERM, then kill) after. Its clock starts
    at DEFAULT_START unless `extra` gives a --start: what a test sees must not depend on the hour it runs at
    (a JOIN at 21:00 in Austin waits for the morning)."""
    port = free_port()
    start = () if "--start" in extra else ("--start", DEFAULT_START.isoformat())
    proc = start_local(port, "--virtual", *start, *extra, env={"SHOPIFY_API_SECRET": secret, **(env or {})})
    output = Output()
    for stream in (proc.stdout, proc.stderr):
        threading.Thread(target=output.drain, args=(stream,), daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc, output)
        yield RunningCloud(base, proc, secret), output
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def local_cloud() -> Iterator[RunningCloud]:
    with running_local(secret="e2e-shopify-secret") as (cloud, _):
        yield cloud


def settle(base_url: str, timeout: float = 60) -> dict[str, Any]:
    """Until the local cloud is idle with nothing left to fall due: every webhook, text and shop event
    accepted so far fully handled, every Wait, delay, retry and deferral run out (virtual time skips to
    each in turn). The cloud answers 504 with what still runs if that takes `timeout` real seconds."""
    body = json.dumps({"settle": True, "timeout_s": timeout}).encode()
    result = client.request("POST", base_url + "/_local/clock", body, timeout=timeout + 10)
    assert result.status == 200, f"the local cloud at {base_url} did not settle: {result.body[:1500]!r}"
    state = result.json()
    assert state["idle"] and state["next_due"] is None, state
    return state


def wait_for_outbox(
    base_url: str, predicate, what: str = "the outbox to match", timeout: float = 60
) -> list[dict]:
    """The outbox once the cloud settled; AssertionError (with the outbox) unless `predicate(outbox)`."""
    settle(base_url, timeout)
    box = client.outbox(base_url)
    assert predicate(box), f"{what}: not so once the local cloud settled; outbox: {box!r}"[:3000]
    return box


@functools.cache
def _sqs(base_url: str) -> Any:
    """An SQS client on the local cloud's moto server (its endpoint from /_local/env)."""
    import boto3

    env = client.request("GET", base_url + "/_local/env").json()
    return boto3.client("sqs", endpoint_url=env["SMSFLOWS_AWS_ENDPOINT_URL"], region_name=env["AWS_REGION"],
                        aws_access_key_id="local", aws_secret_access_key="local")  # fmt: skip


def queue_load(base_url: str) -> dict[str, dict[str, int]]:
    """Per queue of the local cloud (DLQs aside): messages waiting to be received, being handled (received,
    not yet deleted or released) and delayed (deferred: future work)."""
    sqs = _sqs(base_url)
    names = {"visible": "ApproximateNumberOfMessages", "in_flight": "ApproximateNumberOfMessagesNotVisible",
             "delayed": "ApproximateNumberOfMessagesDelayed"}  # fmt: skip
    # Upstream first (shop events and campaign steps feed the send queues): a message handled between two
    # reads is then seen in the queue it left or in the one it fed, never in neither.
    order = (
        topology.SHOPIFY_EVENTBRIDGE_QUEUE,  # feeds the shop-events queue
        topology.SHOP_EVENTS_QUEUE,
        topology.CAMPAIGN_QUEUE,
        topology.SEND_QUEUE,
        topology.TRANSACTIONAL_QUEUE,
    )
    assert sorted(order) == sorted(topology.QUEUES), "a queue the idle check does not know"
    load = {}
    for key in order:
        url = sqs.get_queue_url(QueueName=f"smsflows-local-{key}")["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names.values()))["Attributes"]
        load[key] = {label: int(attrs[name]) for label, name in names.items()}
    return load


def wait_idle(base_url: str, timeout: float = 60) -> dict[str, dict[str, int]]:
    """Until the local cloud has settled (see `settle`); returns the queues' load then (all zero)."""
    settle(base_url, timeout)
    load = queue_load(base_url)
    assert all(q["visible"] == 0 and q["in_flight"] == 0 and q["delayed"] == 0 for q in load.values()), load
    return load
