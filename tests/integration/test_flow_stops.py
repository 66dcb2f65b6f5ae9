"""Stopping flows on Step Functions (issue 10: the mutants that survived in adapters/flow_starter.py): the
cause reaches StopExecution (moto drops it, so the request is read on its way out), an execution that ended
meanwhile counts as not stopped, and an execution found by its customer key alone is stopped."""

from __future__ import annotations

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


def start(starter, subject: str, **context) -> str:
    name = definitions.execution_name(definitions.WELCOME, SHOP, subject)
    payload = {"context": {"shop": SHOP, "phone": PHONE, **context}, "due": {"s0": "2026-11-25T15:00:00Z"}}
    assert starter.start("welcome", name, payload) is True
    return name


def test_the_cause_of_a_stop_reaches_step_functions(cloud, flows_wait_for_real):
    from smsflows.runtime.deps import get_deps

    deps = get_deps()
    sent: list[dict] = []
    client = deps.client("stepfunctions")
    client.meta.events.register(
        "provide-client-params.states.StopExecution", lambda params, **_: sent.append(params)
    )
    try:
        start(deps.flow_starter, "s1")
        start(deps.flow_starter, "s2", phone="+15125550999", customer_key="customer:7001")
        assert deps.flow_starter.stop_subject(SHOP, set(), set(), {"customer:7001"}, "customer redacted") == 1
        assert deps.flow_starter.stop("welcome", definitions.execution_name(definitions.WELCOME, SHOP, "s1"),
                                      "opted out") == 1  # fmt: skip
    finally:
        client.meta.events.unregister("provide-client-params.states.StopExecution")
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

    deps = get_deps()
    sent: list[dict] = []
    client = deps.client("dynamodb")
    client.meta.events.register(
        "provide-client-params.dynamodb.GetItem", lambda params, **_: sent.append(params)
    )
    try:
        deps.message_log.claim("m-none")
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.GetItem")
    assert [p.get("ConsistentRead") for p in sent] == [True]
