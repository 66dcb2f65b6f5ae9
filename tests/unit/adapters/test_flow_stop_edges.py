"""StepFunctionsFlowStarter against a Step Functions client that answers with errors moto does not give: an
execution (or its state machine) that is gone by the time it is described or stopped is not stopped and
not counted, any other error reaches the caller, and a flow without a state machine is named in the error."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from smsflows.adapters.flow_starter import StepFunctionsFlowStarter

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:welcome"


def refusal(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "no"}}, operation)


class Sfn:
    """A Step Functions client: describe answers RUNNING unless `describe_error`; stop fails with `stop_error`."""

    def __init__(self, describe_error: str | None = None, stop_error: str | None = None) -> None:
        self.describe_error = describe_error
        self.stop_error = stop_error
        self.stopped: list[str] = []

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        if self.describe_error:
            raise refusal(self.describe_error, "DescribeExecution")
        return {"executionArn": executionArn, "status": "RUNNING"}

    def stop_execution(self, executionArn: str, cause: str) -> dict[str, Any]:
        if self.stop_error:
            raise refusal(self.stop_error, "StopExecution")
        self.stopped.append(executionArn)
        return {}

    def start_execution(self, **_: Any) -> dict[str, Any]:
        raise AssertionError("not started")


@pytest.mark.parametrize("code", ["ExecutionDoesNotExist", "ResourceNotFound"])
def test_an_execution_gone_when_described_is_not_counted(code):
    starter = StepFunctionsFlowStarter(Sfn(describe_error=code), {"welcome": MACHINE})
    assert starter.stop("welcome", "w-1", "opted out") == 0


@pytest.mark.parametrize("code", ["ExecutionDoesNotExist", "ResourceNotFound"])
def test_an_execution_gone_between_describe_and_stop_is_not_counted(code):
    sfn = Sfn(stop_error=code)
    starter = StepFunctionsFlowStarter(sfn, {"welcome": MACHINE})
    assert starter.stop("welcome", "w-1", "opted out") == 0
    assert sfn.stopped == []


def test_a_running_execution_is_stopped_by_its_execution_arn():
    sfn = Sfn()
    starter = StepFunctionsFlowStarter(sfn, {"welcome": MACHINE})
    assert starter.stop("welcome", "w-1", "opted out") == 1
    assert sfn.stopped == ["arn:aws:states:us-east-1:123456789012:execution:welcome:w-1"]


def test_any_other_error_of_a_stop_reaches_the_caller():
    starter = StepFunctionsFlowStarter(Sfn(stop_error="ThrottlingException"), {"welcome": MACHINE})
    with pytest.raises(ClientError):
        starter.stop("welcome", "w-1", "opted out")


def test_the_error_for_a_flow_without_a_state_machine_names_the_flow():
    starter = StepFunctionsFlowStarter(Sfn(), {"welcome": MACHINE})
    with pytest.raises(LookupError, match="order_confirmation"):
        starter.start("order_confirmation", "oc-1", {})
