"""Deferrals on EventBridge Scheduler: a send put back on its queue later than SQS's 15-minute delay."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError


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
