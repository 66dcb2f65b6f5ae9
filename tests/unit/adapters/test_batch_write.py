"""`_dynamo.batch_write` (campaign assignments, a Shopify segment's members): 25 requests a call, the requests
DynamoDB leaves unprocessed (a 200, which the SDK does not retry) sent again, TransientError when they stay."""

from __future__ import annotations

from typing import Any

import pytest

from smsflows.adapters import _dynamo
from smsflows.runtime.errors import TransientError


class Table:
    """A BatchWriteItem that leaves the first request of each call unprocessed `stubborn` times."""

    def __init__(self, stubborn: int) -> None:
        self.stubborn = stubborn
        self.calls: list[int] = []
        self.written: list[str] = []

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        [(table, requests)] = RequestItems.items()
        self.calls.append(len(requests))
        if self.stubborn > 0:
            self.stubborn -= 1
            self.written += [r["PutRequest"]["Item"]["pk"] for r in requests[1:]]
            return {"UnprocessedItems": {table: requests[:1]}}
        self.written += [r["PutRequest"]["Item"]["pk"] for r in requests]
        return {"UnprocessedItems": {}}


def puts(n: int) -> list[dict[str, Any]]:
    return [{"PutRequest": {"Item": {"pk": f"P{i}"}}} for i in range(n)]


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(_dynamo.time, "sleep", slept.append)
    return slept


def test_requests_go_25_a_call_and_the_unprocessed_are_sent_again(no_sleep):
    table = Table(stubborn=1)
    _dynamo.batch_write(table, "t", puts(30), "rows")
    assert table.calls == [25, 1, 5]  # the first 25, the one left over again, then the last 5
    assert sorted(table.written) == sorted(f"P{i}" for i in range(30))
    assert len(no_sleep) == 1 and 0 <= no_sleep[0] <= _dynamo.UNPROCESSED_BACKOFF_S


def test_requests_still_unprocessed_after_the_rounds_are_a_transient_error():
    table = Table(stubborn=99)
    with pytest.raises(TransientError, match="DynamoDB left rows unprocessed"):
        _dynamo.batch_write(table, "t", puts(3), "rows", rounds=3)
    assert table.calls == [3, 1, 1]


def test_nothing_to_write_makes_no_call():
    table = Table(stubborn=0)
    _dynamo.batch_write(table, "t", [], "rows")
    assert table.calls == []
