"""The Queue port on SQS: one queue, and the send-queue router (marketing to bulk, the rest transactional)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


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
