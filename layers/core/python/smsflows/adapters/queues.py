"""SQS and Step Functions adapters."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError


class SqsQueue:
    def __init__(self, client: Any, url: str) -> None:
        self._sqs = client
        self._url = url

    def send(self, body: Mapping[str, Any], *, delay_seconds: int = 0) -> None:
        self._sqs.send_message(
            QueueUrl=self._url,
            MessageBody=json.dumps(body, separators=(",", ":")),
            DelaySeconds=max(0, min(900, delay_seconds)),
        )


class SendQueues:
    """The send queues behind one Queue: marketing to the bulk queue, everything else to the
    transactional queue, which has its own consumers, so no broadcast backlog sits in front of it."""

    def __init__(self, bulk: SqsQueue, transactional: SqsQueue | None) -> None:
        self._bulk = bulk
        self._transactional = transactional or bulk

    def send(self, body: Mapping[str, Any], *, delay_seconds: int = 0) -> None:
        queue = self._bulk if body.get("category") == "marketing" else self._transactional
        queue.send(body, delay_seconds=delay_seconds)


class SchedulerDeferrals:
    """One-time EventBridge Scheduler schedules that put a message back on its send queue later
    (beyond SQS's 15-minute delay). The schedule deletes itself after it ran (ActionAfterCompletion)."""

    def __init__(
        self,
        client: Any,
        group: str,
        role_arn: str,
        targets: Mapping[str, str],
        dead_letters: Mapping[str, str] | None = None,
    ) -> None:
        self._scheduler = client
        self._group = group
        self._role = role_arn
        self._targets = dict(targets)
        self._dead_letters = dict(dead_letters or {})

    def schedule(self, body: Mapping[str, Any], at: datetime, name: str) -> bool:
        """Schedule `body` for `at` (UTC); False if a schedule of that name exists (a retry)."""
        from smsflows import topology

        queue = topology.SEND_QUEUE_FOR.get(str(body.get("category")), topology.SEND_QUEUE)
        target: dict[str, Any] = {
            "Arn": self._targets[queue],
            "RoleArn": self._role,
            "Input": json.dumps(body, separators=(",", ":")),
            # the longest Scheduler allows: a day of retries, then the queue's DLQ (never silently gone)
            "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400},
        }
        if queue in self._dead_letters:
            target["DeadLetterConfig"] = {"Arn": self._dead_letters[queue]}
        try:
            self._scheduler.create_schedule(
                Name=name,
                GroupName=self._group,
                ScheduleExpression=f"at({at.astimezone(UTC):%Y-%m-%dT%H:%M:%S})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Target=target,
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConflictException":
                return False
            raise
        return True


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
        from smsflows.domain.flows import shop_tag

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
