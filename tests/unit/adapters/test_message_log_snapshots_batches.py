"""DynamoMessageLog.snapshots under moto, for more recipients and message ids than one BatchGetItem of 16
each: every recipient gets a snapshot and every key is read exactly once (a read capacity unit each)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from smsflows.adapters.message_log import DynamoMessageLog
from tests.contracts.conftest import SHOP, TABLE


def keys_read(ddb: Any) -> Counter[tuple[str, str]]:
    read: Counter[tuple[str, str]] = Counter()

    def note(params: dict[str, Any], **_: Any) -> None:
        for request in params["RequestItems"].values():
            read.update((k["pk"]["S"], k["sk"]["S"]) for k in request["Keys"])

    ddb.meta.events.register("provide-client-params.dynamodb.BatchGetItem", note)
    return read


def test_each_key_is_read_once_across_the_batches(dynamodb):
    recipients = [(SHOP, f"+1512555{n:04d}") for n in range(20)]
    ids = [f"m-{n}" for n in range(20)]
    read = keys_read(dynamodb)
    snaps, states = DynamoMessageLog(dynamodb, TABLE).snapshots(recipients, ids)
    assert set(snaps) == set(recipients) and states == {}
    assert len(read) == 20 * 4 + 20
    assert set(read.values()) == {1}
