"""The Queue port on SQS: one queue, and the send-queue router (marketing to bulk, the rest transactional)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from smsflows.runtime.errors import TransientError

BATCH_MAX = 10  # SendMessageBatch takes at most ten entries


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

    def send_batch(self, bodies: Sequence[Mapping[str, Any]], delays: Sequence[int] | None = None) -> None:
        """SendMessageBatch, ten at a time (its limit), each entry with its own delay if `delays` is given.
        Entries SQS reports failed are sent once more in the next request; any still failed then:
        TransientError (the caller's retry sends them again)."""
        if delays is not None and len(delays) != len(bodies):
            raise ValueError("one delay per body")
        pending = [
            (json.dumps(body, separators=(",", ":")), max(0, min(900, delays[n] if delays else 0)))
            for n, body in enumerate(bodies)
        ]
        retried = False
        while pending:
            failed: list[tuple[str, int]] = []
            for i in range(0, len(pending), BATCH_MAX):
                chunk = pending[i : i + BATCH_MAX]
                entries = [{"Id": str(n), "MessageBody": body} for n, (body, _) in enumerate(chunk)]
                if delays is not None:
                    for entry, (_, delay) in zip(entries, chunk, strict=True):
                        entry["DelaySeconds"] = delay  # type: ignore[assignment]
                out = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries)
                failed += [chunk[int(f["Id"])] for f in out.get("Failed", [])]
            if failed and retried:
                raise TransientError(f"SQS did not take {len(failed)} of the batch's messages")
            pending, retried = failed, True


class SendQueues:
    """The send queues behind one Queue: marketing to the bulk queue, everything else to the
    transactional queue, which has its own consumers, so no broadcast backlog sits in front of it."""

    def __init__(self, bulk: SqsQueue, transactional: SqsQueue | None) -> None:
        self._bulk = bulk
        self._transactional = transactional or bulk

    def send(self, body: Mapping[str, Any], *, delay_seconds: int = 0) -> None:
        queue = self._bulk if body.get("category") == "marketing" else self._transactional
        queue.send(body, delay_seconds=delay_seconds)
