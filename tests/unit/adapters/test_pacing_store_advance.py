"""DynamoTokenBuckets' choice of case under moto and against a client that refuses: a container that has not
seen a bucket yet tries the idle case first (most buckets are idle), a ticket racing a writer that moves the
pointer on every attempt gives up after two rounds, and a throttled UpdateItem is the caller's to retry."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from smsflows.adapters.pacing_store import DynamoTokenBuckets
from smsflows.runtime.errors import TransientError
from tests.aws_calls import count_updates
from tests.contracts.conftest import TABLE

T = 1_000_000.0  # an epoch second


class Refusing:
    """A DynamoDB client whose every UpdateItem fails with `code`."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.calls = 0

    def update_item(self, **_: Any) -> dict[str, Any]:
        self.calls += 1
        raise ClientError({"Error": {"Code": self.code, "Message": "no"}}, "UpdateItem")


def test_a_fresh_container_takes_an_idle_bucket_with_one_update(dynamodb):
    updates = count_updates(dynamodb)
    b = DynamoTokenBuckets(dynamodb, TABLE)
    assert b.reserve("MG1", 0.5, T, 2.0) == T
    assert b.ticket("MG2", 1.0, T) == T
    assert len(updates) == 2


def test_a_ticket_gives_up_after_two_rounds_against_a_pointer_that_keeps_moving():
    client = Refusing("ConditionalCheckFailedException")
    b = DynamoTokenBuckets(client, TABLE)
    with pytest.raises(RuntimeError, match=r"^pacing pointer moved on every attempt$"):
        b.ticket("MG1", 1.0, T)
    assert client.calls == 4  # each case twice


def test_a_throttled_update_is_a_transient_error():
    b = DynamoTokenBuckets(Refusing("ProvisionedThroughputExceededException"), TABLE)
    with pytest.raises(TransientError):
        b.reserve("MG1", 0.5, T, 2.0)


def test_any_other_refusal_reaches_the_caller_as_it_came():
    b = DynamoTokenBuckets(Refusing("ValidationException"), TABLE)
    with pytest.raises(ClientError) as got:
        b.ticket("MG1", 1.0, T)
    assert got.value.response["Error"]["Code"] == "ValidationException"
