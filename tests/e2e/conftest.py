"""The local cloud as a user runs it: `smsflows local` in its own process, driven over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from smsflows.local import client


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


def wait_ready(base_url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"smsflows local exited: {process.stderr.read() if process.stderr else ''}")
        try:
            if client.request("GET", base_url + "/_local/health", timeout=1).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError("local cloud did not become ready")


@pytest.fixture(scope="module")
def local_cloud() -> Iterator[RunningCloud]:
    port = free_port()
    secret = "e2e-shopify-secret"
    proc = start_local(port, "--time-scale", "3600", env={"SHOPIFY_API_SECRET": secret})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc)
        yield RunningCloud(base, proc, secret)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_for_outbox(base_url: str, predicate, timeout: float = 20) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        box = client.outbox(base_url)
        if predicate(box) or time.monotonic() > deadline:
            return box
        time.sleep(0.05)
