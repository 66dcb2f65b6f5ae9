"""The FlowStarter port on Step Functions: start, stop, and stop every flow of a shop."""

from __future__ import annotations

import json
from collections.abc import Mapping, Set
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

    def stop_subject(
        self, shop: str, names: Set[str], phones: Set[str], customer_keys: Set[str], cause: str
    ) -> int:
        """Every running execution of the shop, of every flow, that is about this person: by name, or by
        the phone or customer key in its input (a welcome series is named after a hash of the phone, an
        abandoned checkout after the checkout token: neither can be derived from a redaction request)."""
        from smsflows.domain.flows.definitions import shop_tag

        tag = f"-{shop_tag(shop)}-"
        stopped = 0
        for arn in self._arns.values():
            paginator = self._sfn.get_paginator("list_executions")
            for page in paginator.paginate(stateMachineArn=arn, statusFilter="RUNNING"):
                for ex in page["executions"]:
                    if tag not in ex["name"]:
                        continue
                    if ex["name"] not in names and not self._about(ex["executionArn"], phones, customer_keys):
                        continue
                    try:
                        self._sfn.stop_execution(executionArn=ex["executionArn"], cause=cause)
                    except ClientError as exc:
                        if exc.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                            continue
                        raise
                    stopped += 1
        return stopped

    def _about(self, execution_arn: str, phones: Set[str], customer_keys: Set[str]) -> bool:
        described = self._sfn.describe_execution(executionArn=execution_arn)
        if described.get("status") != "RUNNING":
            return False
        context = (json.loads(described.get("input") or "{}") or {}).get("context") or {}
        return context.get("phone") in phones or context.get("customer_key") in customer_keys
