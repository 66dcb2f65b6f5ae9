"""StepFunctionsFlowStarter under moto, how a stop ends: with its cause on the execution (what an operator
reads in the console), as 0 when the execution ended meanwhile (stopped by another redaction, or finished),
and raised for any other refusal, so the redaction is retried rather than reported done. A flow about a
customer known only by their customer key (an abandoned checkout before any phone) is theirs too."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from smsflows.adapters.flow_starter import StepFunctionsFlowStarter
from smsflows.domain.flows import definitions
from tests.contracts.conftest import OTHER_PHONE, PHONE, SHOP, client
from tests.intercepted import Intercepted, kept, refused


def start(starter: StepFunctionsFlowStarter, subject: str, context: dict[str, Any]) -> str:
    name = definitions.execution_name(definitions.WELCOME, SHOP, subject)
    assert starter.start("welcome", name, {"context": {"shop": SHOP, **context}, "due": {}}) is True
    return name


def arn_of(provisioned: Any, name: str) -> str:
    machine = provisioned.state_machines["welcome"]
    return str(machine.replace(":stateMachine:", ":execution:") + ":" + name)


def test_a_redactions_stop_carries_its_cause_and_a_customer_key_finds_their_flow(provisioned):
    sfn = Intercepted(client("stepfunctions"), stop_execution=kept)  # moto does not keep the cause
    starter = StepFunctionsFlowStarter(sfn, provisioned.state_machines)
    by_key = start(starter, "checkout-1", {"customer_key": "customer:7001"})
    other = start(starter, "checkout-2", {"customer_key": "customer:7002", "phone": OTHER_PHONE})
    assert starter.stop_subject(SHOP, set(), {PHONE}, {"customer:7001"}, "customer redacted") == 1
    assert sfn.calls["stop_execution"] == [
        {"executionArn": arn_of(provisioned, by_key), "cause": "customer redacted"}
    ]
    assert sfn.describe_execution(executionArn=arn_of(provisioned, by_key))["status"] == "ABORTED"
    assert sfn.describe_execution(executionArn=arn_of(provisioned, other))["status"] == "RUNNING"
    assert starter.stop_all_for_shop(SHOP, "shop redacted") == 1
    assert sfn.calls["stop_execution"][-1] == {
        "executionArn": arn_of(provisioned, other),
        "cause": "shop redacted",
    }


def refusing(sfn: Any, code: str) -> Intercepted:
    return Intercepted(sfn, stop_execution=refused(code, "StopExecution"))


def test_a_flow_that_ended_between_the_listing_and_the_stop_counts_as_not_stopped(provisioned):
    sfn = client("stepfunctions")
    start(StepFunctionsFlowStarter(sfn, provisioned.state_machines), "subject", {"phone": PHONE})
    ended = StepFunctionsFlowStarter(refusing(sfn, "ExecutionDoesNotExist"), provisioned.state_machines)
    assert ended.stop_subject(SHOP, set(), {PHONE}, set(), "customer redacted") == 0
    assert ended.stop_all_for_shop(SHOP, "shop redacted") == 0


@pytest.mark.parametrize("code", ["ThrottlingException", "AccessDeniedException"])
def test_any_other_refusal_to_stop_is_raised_for_the_redaction_to_be_retried(provisioned, code):
    sfn = client("stepfunctions")
    start(StepFunctionsFlowStarter(sfn, provisioned.state_machines), "subject", {"phone": PHONE})
    refused = StepFunctionsFlowStarter(refusing(sfn, code), provisioned.state_machines)
    with pytest.raises(ClientError):
        refused.stop_subject(SHOP, set(), {PHONE}, set(), "customer redacted")
    with pytest.raises(ClientError):
        refused.stop_all_for_shop(SHOP, "shop redacted")
