"""DynamoMessageLog.defer under moto, on the records the contracts do not reach: a message replayed from the
DLQ (state 'queued') is deferred like a released one, and a DynamoDB error other than the failed condition
reaches the sender translated (a throttle: TransientError, so the message is retried), the record untouched."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from smsflows.adapters.message_log import DynamoMessageLog
from smsflows.runtime.errors import TransientError
from tests.aws_faults import THROTTLED, Fault, error_response
from tests.contracts.conftest import NOW, REGION, TABLE

LATER = NOW + timedelta(minutes=10)


@pytest.fixture
def ddb(dynamodb: Any) -> Iterator[Any]:
    """A client on the same moto table that sends each request once (no botocore retries, no sleeps)."""
    yield boto3.client("dynamodb", region_name=REGION, config=Config(retries={"total_max_attempts": 1}))


def answer_update_with(client: Any, fault: Fault) -> None:
    """Every UpdateItem from now on is answered with `fault`, as DynamoDB answers it (moto never sees it)."""

    def answer(request: Any, **_: Any) -> Any:
        request.url, url = "https://fault-injected.invalid/", request.url
        return error_response("dynamodb", url, fault)

    client.meta.events.register_first("before-send.dynamodb.UpdateItem", answer)


def replayed(log: DynamoMessageLog) -> None:
    """m-1 dead-lettered before any claim, then replayed from the DLQ: state 'queued'."""
    assert log.dead_letter("m-1", "gave up", NOW) is True
    assert log.replay("m-1", NOW) == "queued"


def test_a_message_replayed_from_the_dlq_is_deferred_with_its_reason_and_instant(ddb):
    log = DynamoMessageLog(ddb, TABLE)
    replayed(log)
    log.defer("m-1", "quiet_hours", LATER, NOW)
    got = log.claim("m-1")
    assert (got["state"], got["reason"], got["deferred_until"], got["deferred_at"], got["deferrals"]) == (
        "deferred", "quiet_hours", LATER.isoformat(), NOW.isoformat(), 1,
    )  # fmt: skip


def test_a_throttled_deferral_is_a_transient_error_and_leaves_the_record_as_it_was(ddb):
    log = DynamoMessageLog(ddb, TABLE)
    replayed(log)
    answer_update_with(ddb, THROTTLED["dynamodb"])
    with pytest.raises(TransientError):
        log.defer("m-1", "pacing", LATER, NOW)
    got = log.claim("m-1")
    assert got["state"] == "queued" and "deferred_until" not in got


def test_a_deferral_dynamodb_refuses_for_good_reaches_the_caller_as_dynamodbs_own_error(ddb):
    log = DynamoMessageLog(ddb, TABLE)
    answer_update_with(ddb, Fault(400, "ValidationException"))
    with pytest.raises(ClientError) as refused:
        log.defer("m-1", "pacing", LATER, NOW)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert log.claim("m-1") is None
