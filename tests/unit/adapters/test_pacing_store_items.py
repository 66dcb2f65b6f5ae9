"""DynamoTokenBuckets under moto, what the contract cannot see: the bucket item an operator reads (both
pointers, `tat` and `backlog`, typed as operational pacing data) and the cost promised in the module's
docstring: one conditional UpdateItem per operation once the container knows each pointer's case."""

from __future__ import annotations

from typing import Any

from smsflows.adapters.pacing_store import DynamoTokenBuckets
from smsflows.domain import keys
from tests.aws_calls import count_updates
from tests.contracts.conftest import TABLE, peek

T = 1_000_000.0  # an epoch second


def bucket(ddb: Any, name: str) -> dict[str, Any]:
    item = peek(ddb, keys.pace_bucket(name))
    assert item is not None
    return item


def test_the_bucket_item_holds_both_pointers_as_pacing_data(dynamodb):
    b = DynamoTokenBuckets(dynamodb, TABLE)
    b.reserve("MG1", 0.5, T, 2.0)
    b.ticket("MG1", 1.0, T + 2)
    b.ticket("MG1", 1.0, T + 2)
    got = bucket(dynamodb, "MG1")
    assert (float(got["tat"]), float(got["backlog"]), got["type"]) == (T + 0.5, T + 4.0, "pacing")


def test_a_slot_given_back_leaves_the_bucket_typed_as_pacing_data(dynamodb):
    b = DynamoTokenBuckets(dynamodb, TABLE)
    start = b.reserve("MG1", 0.5, T, 2.0)
    assert start is not None
    b.give_back("MG1", start, start + 0.5)
    got = bucket(dynamodb, "MG1")
    assert (float(got["tat"]), got["type"]) == (T, "pacing")


def test_each_backlog_line_is_learnt_on_its_own_so_a_ticket_costs_one_update(dynamodb):
    b = DynamoTokenBuckets(dynamodb, TABLE)
    b.ticket("MG1", 10.0, T)  # MG1's line now runs well ahead of the floors below
    b.ticket("MG1", 10.0, T)
    b.ticket("MG2", 0.1, T)  # MG2's line runs dry before each ticket: restarted at the floor
    updates = count_updates(dynamodb)
    for n in range(1, 4):
        assert b.ticket("MG1", 1.0, T) == T + 19.0 + n
        assert b.ticket("MG2", 0.1, T + 100.0 * n) == T + 100.0 * n
    assert len(updates) == 6
