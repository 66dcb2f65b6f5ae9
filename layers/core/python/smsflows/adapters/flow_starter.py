"""The FlowStarter port on Step Functions: start, stop, and stop every flow of a shop."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError


class StepFunctionsFlowStarter:
    def __init__(self, client: Any, state_machines: Mapping[str, str]) -> None:
        self._sfn = client
        self._arns = dict(state_machines)

    def start(self, flow: str, name: str, payload: Mapping[str, Any]) -> bool:
        arn = self._arns.get(flow)
        if not arn:
            raise LookupError(f"no state machine configured for flow {flow!r}")
        try:
            self._sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(payload))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
                return False
            raise
        return True

    def _execution_arn(self, flow: str, name: str) -> str | None:
        arn = self._arns.get(flow)
        return arn.replace(":stateMachine:", ":execution:") + ":" + name if arn else None

    def stop(self, flow: str, name: str, cause: str) -> int:
        execution = self._execution_arn(flow, name)
        if execution is None:
            return 0
        try:
            if self._sfn.describe_execution(executionArn=execution)["status"] != "RUNNING":
                return 0
            self._sfn.stop_execution(executionArn=execution, cause=cause)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("ExecutionDoesNotExist", "ResourceNotFound"):
                return 0
            raise
        return 1

    def stop_all_for_shop(self, shop: str, cause: str) -> int:
        from smsflows.domain.flows.definitions import shop_tag

        tag = shop_tag(shop)
        stopped = 0
        for arn in self._arns.values():
            paginator = self._sfn.get_paginator("list_executions")
            for page in paginator.paginate(stateMachineArn=arn, statusFilter="RUNNING"):
                for ex in page["executions"]:
                    if f"-{tag}-" in ex["name"]:
                        self._sfn.stop_execution(executionArn=ex["executionArn"], cause=cause)
                        stopped += 1
        return stopped
