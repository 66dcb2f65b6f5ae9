"""Stopping flows on Step Functions (issue 10: the mutants that survived in adapters/flow_starter.py): the
cause reaches StopExecution (moto drops it, so the request is read on its way out), an execution that ended
meanwhile counts as not stopped, and an execution found by its customer key alone is stopped."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from smsflows.domain.flows import definitions
from smsflows.local import moto_patches
from tests.integration.conftest import SHOP

PHONE = "+15125550123"


@pytest.fixture
def flows_wait_for_real(cloud):
    """Wait states take their real (days-long) time on the application's clock: the executions stay RUNNING."""
    from smsflows.runtime.deps import get_deps

    moto_patches.install(cloud.lambdas.invoke, time_scale=1, clock=lambda: get_deps().clock())


@contextlib.contextmanager
def requests_sent(service: str, event: str) -> Iterator[list[dict]]:
    """The parameters of each `event` call the application's `service` client makes inside the block (read
    on their way out: what moto drops or cannot tell)."""
    from smsflows.runtime.deps import get_deps

    sent: list[dict] = []
    client = get_deps().client(service)

    def keep(params: dict, **_: object) -> None:
        sent.append(params)

    client.meta.events.register(f"provide-client-params.{event}", keep)
    try:
        yield sent
    finally:
        client.meta.events.unregister(f"provide-client-params.{event}", keep)


def start(starter, subject: str, **context) -> str:
    name = definitions.execution_name(definitions.WELCOME, SHOP, subject)
    payload = {"context": {"shop": SHOP, "phone": PHONE, **context}, "due": {"s0": "2026-11-25T15:00:00Z"}}
    assert starter.start("welcome", name, payload) is True
    return name


def test_the_cause_of_a_stop_reaches_step_functions(cloud, flows_wait_for_real):
    from smsflows.runtime.deps import get_deps

    deps = get_deps()
    with requests_sent("stepfunctions", "states.StopExecution") as sent:
        start(deps.flow_starter, "s1")
        start(deps.flow_starter, "s2", phone="+15125550999", customer_key="customer:7001")
        assert deps.flow_starter.stop_subject(SHOP, set(), set(), {"customer:7001"}, "customer redacted") == 1
        assert deps.flow_starter.stop("welcome", definitions.execution_name(definitions.WELCOME, SHOP, "s1"),
                                      "opted out") == 1  # fmt: skip
    assert [p["cause"] for p in sent] == ["customer redacted", "opted out"]


def test_an_execution_that_ended_meanwhile_is_not_counted(cloud):
    from smsflows.runtime.deps import get_deps

    starter = get_deps().flow_starter
    arn = "arn:aws:states:us-east-1:123456789012:execution:smsflows-local-welcome:never-ran"
    assert starter._stop_running(arn, "customer redacted") == 0


def test_the_message_log_reads_its_claims_consistently(cloud):
    """moto is always consistent, so the request is read on its way out: a claim read from a replica that
    has not seen the write could let a second attempt send the text again."""
    from smsflows.runtime.deps import get_deps

    with requests_sent("dynamodb", "dynamodb.GetItem") as sent:
        get_deps().message_log.claim("m-none")
    assert [p.get("ConsistentRead") for p in sent] == [True]
