"""The CLI under test: `smsflows.cli.main` in-process (typer's CliRunner isolation: stdin, stdout, stderr,
environment) against a stage made by `smsflows.local.provision` under moto, the table read before and after
a refused command."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer
from moto import mock_aws
from typer.testing import CliRunner

from smsflows.local.provision import Provisioned, provision
from smsflows.runtime import deps as deps_module

REGION = "us-east-1"
SHOP = "demo-shop.myshopify.com"  # onboarded by provision, like the local cloud's demo shop
# Everything that could name a target or a shop from the developer's own environment.
TARGET_ENV = (
    "SMSFLOWS_LOCAL_URL", "SMSFLOWS_PROFILE", "SMSFLOWS_SHOP", "TABLE_NAME", "SHOP_EVENTS_QUEUE_URL",
    "SEND_QUEUE_URL", "TRANSACTIONAL_QUEUE_URL", "DEFAULT_SHOP", "PUBLIC_BASE_URL", "TWILIO_AUTH_TOKEN",
    "SHOPIFY_API_SECRET", "AWS_PROFILE", "FLOW_STATE_MACHINES", "DEFERRAL_SCHEDULER", "SHOPIFY_SECRET_ID",
    "TWILIO_SECRET_ID", "SMSFLOWS_MAX_RECEIVES", "XDG_CONFIG_HOME",
)  # fmt: skip


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Ran:
    """`smsflows ARGS` in this process, as `main` runs it (its exit status, not click's)."""
    import logging

    from smsflows.cli import main

    # The CLI sets its process's log levels (the application's warnings only with --verbose): put them back,
    # so that what runs next in this process logs as a function would.
    levels = {name: logging.getLogger(name).level for name in ("", "smsflows", "smsflows.cli")}
    try:
        with CliRunner().isolation(input=input, env=env) as (out, err, *_):
            code = main(list(args))
            return Ran(code, out.getvalue().decode(), err.getvalue().decode())
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[None]:
    """No target from the developer's environment, a config directory of the test's own, and the process
    environment as it was after the test (the CLI sets a local cloud's values in it, as a CLI process would)."""
    saved = dict(os.environ)
    for key in TARGET_ENV:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("COLUMNS", "200")  # tables as wide as the tests read them, whatever ran before
    deps_module.reset()
    yield
    os.environ.clear()
    os.environ.update(saved)
    deps_module.reset()


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


@pytest.fixture
def stage(monkeypatch: pytest.MonkeyPatch) -> Iterator[Provisioned]:
    """A deployment under moto (the resources `provision` makes, the demo shop onboarded), named by the
    environment as a stage's stack outputs would be."""
    with mock_aws():
        made = provision(client, prefix="cli", shopify_secret="s", twilio_token="t")
        for key, value in made.env.items():
            monkeypatch.setenv(key, value)
        deps_module.reset()
        yield made
        deps_module.reset()


def table_items(made: Provisioned) -> list[dict[str, Any]]:
    """Every item of the table, as plain values, in key order (what "no state change" compares)."""
    ddb = client("dynamodb")
    plain = TypeDeserializer().deserialize
    items, start = [], None
    while True:
        page = ddb.scan(TableName=made.env["TABLE_NAME"], **({"ExclusiveStartKey": start} if start else {}))
        items += [{k: plain(v) for k, v in i.items()} for i in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            return sorted(items, key=lambda i: (str(i["pk"]), str(i["sk"])))


@pytest.fixture
def unchanged(stage: Provisioned) -> Iterator[Callable[[], None]]:
    """Call it after a refused command: the table holds exactly what it held when the test began."""
    before = table_items(stage)

    def check() -> None:
        assert table_items(stage) == before

    yield check
