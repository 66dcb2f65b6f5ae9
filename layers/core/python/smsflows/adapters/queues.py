"""SQS and Step Functions adapters."""

from __future__ import annotations

import json
from collections.abc import Mapping
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
