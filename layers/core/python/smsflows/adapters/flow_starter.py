"""The FlowStarter port on Step Functions: start, stop, and stop every flow of a shop."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Set
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

    def _running_of_shop(self, shop: str) -> Iterator[dict[str, Any]]:
        """Every running execution of the shop, of every flow (execution names carry the shop's tag)."""
        from smsflows.domain.flows.definitions import shop_tag

        tag = f"-{shop_tag(shop)}-"
        for arn in self._arns.values():
            paginator = self._sfn.get_paginator("list_executions")
            for page in paginator.paginate(stateMachineArn=arn, statusFilter="RUNNING"):
                yield from (ex for ex in page["executions"] if tag in ex["name"])

    def _stop_running(self, execution_arn: str, cause: str) -> int:
        """1 if stopped; 0 if it ended meanwhile."""
        try:
            self._sfn.stop_execution(executionArn=execution_arn, cause=cause)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                return 0
            raise
        return 1

    def stop_all_for_shop(self, shop: str, cause: str) -> int:
        return sum(self._stop_running(ex["executionArn"], cause) for ex in list(self._running_of_shop(shop)))

    def stop_subject(
        self, shop: str, names: Set[str], phones: Set[str], customer_keys: Set[str], cause: str
    ) -> int:
        """Every running execution of the shop, of every flow, that is about this person: by name, or by
        the phone or customer key in its input (a welcome series is named after a hash of the phone, an
        abandoned checkout after the checkout token: neither can be derived from a redaction request)."""
        about = [
            ex["executionArn"]
            for ex in self._running_of_shop(shop)
            if ex["name"] in names or self._about(ex["executionArn"], phones, customer_keys)
        ]
        return sum(self._stop_running(arn, cause) for arn in about)

    def _about(self, execution_arn: str, phones: Set[str], customer_keys: Set[str]) -> bool:
        described = self._sfn.describe_execution(executionArn=execution_arn)
        if described.get("status") != "RUNNING":
            return False
        context = (json.loads(described.get("input") or "{}") or {}).get("context") or {}
        return context.get("phone") in phones or context.get("customer_key") in customer_keys
