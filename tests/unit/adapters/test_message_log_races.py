"""DynamoMessageLog under races and DynamoDB faults, under moto: what the contracts cannot provoke. A read
made stale (the record changed between the read and the conditional write) is read again, a bounded number
of times; an error other than a failed condition comes out translated (throttling: TransientError)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config

from smsflows.adapters.message_log import DynamoMessageLog
from smsflows.domain.sending.delivery import StatusUpdate
from smsflows.ports import ProviderReceipt
from smsflows.runtime.errors import TransientError
from tests.aws_faults import THROTTLED, error_response
from tests.contracts.conftest import NOW, REGION, TABLE
from tests.contracts.test_message_log_contract import msg

LATER = NOW + timedelta(minutes=10)


@pytest.fixture
def ddb(dynamodb: Any) -> Iterator[Any]:
    """A client on the same moto table that sends each request once (no botocore retries, no sleeps)."""
    yield boto3.client("dynamodb", region_name=REGION, config=Config(retries={"total_max_attempts": 1}))


def throttle(client: Any, operation: str) -> None:
    """Every `operation` request is answered as a throttled DynamoDB answers it."""

    def answer(request: Any, **_: Any) -> Any:
        request.url, url = "https://fault-injected.invalid/", request.url
        return error_response("dynamodb", url, THROTTLED["dynamodb"])

    client.meta.events.register_first(f"before-send.dynamodb.{operation}", answer)


def stale_reads(log: DynamoMessageLog, monkeypatch: pytest.MonkeyPatch, stale: dict[str, Any], times: int):
    """The first `times` reads of the record return `stale` (as read just before someone changed it)."""
    real, reads = log.claim, []

    def claim(message_id: str) -> dict[str, Any] | None:
        reads.append(message_id)
        return dict(stale) if len(reads) <= times else real(message_id)

    monkeypatch.setattr(log, "claim", claim)
    return reads


# Dead letters ----------------------------------------------------------------------------------------


def test_a_dead_letter_whose_record_changed_since_the_read_reads_it_again(ddb, monkeypatch):
    log = DynamoMessageLog(ddb, TABLE)
    log.begin(msg(), NOW)  # 'sending' now; the first read still saw it released
    reads = stale_reads(log, monkeypatch, {"state": "retry"}, times=1)
    assert log.dead_letter("m-1", "gave up", LATER) is True
    assert len(reads) == 2
    got = log.claim("m-1")
    assert (got["state"], got["dead_lettered_from"]) == ("dead_lettered", "sending")


def test_a_dead_letter_that_keeps_losing_the_race_gives_up_and_writes_nothing(ddb, monkeypatch):
    log = DynamoMessageLog(ddb, TABLE)
    log.begin(msg(), NOW)
    reads = stale_reads(log, monkeypatch, {"state": "retry"}, times=1000)
    assert log.dead_letter("m-1", "gave up", LATER) is False
    assert 1 < len(reads) <= 5  # read again, a bounded number of times
    monkeypatch.undo()
    assert log.claim("m-1")["state"] == "sending"


def test_a_throttled_dead_letter_write_is_a_transient_error(ddb):
    log = DynamoMessageLog(ddb, TABLE)
    log.begin(msg(), NOW)
    throttle(ddb, "UpdateItem")
    with pytest.raises(TransientError):
        log.dead_letter("m-1", "gave up", LATER)


# Replays ---------------------------------------------------------------------------------------------


def test_a_replay_of_a_dead_letter_replayed_by_someone_else_since_the_read_does_nothing(ddb, monkeypatch):
    log = DynamoMessageLog(ddb, TABLE)
    log.dead_letter("m-1", None, NOW)
    assert log.replay("m-1", NOW) == "queued"  # the other replay
    stale_reads(log, monkeypatch, {"state": "dead_lettered", "dead_lettered_from": "queued"}, times=1)
    assert log.replay("m-1", LATER) is None
    got = log.claim("m-1")
    assert (got["state"], got["replayed_at"]) == ("queued", NOW.isoformat())


def test_a_throttled_replay_is_a_transient_error(ddb):
    log = DynamoMessageLog(ddb, TABLE)
    log.dead_letter("m-1", None, NOW)
    throttle(ddb, "UpdateItem")
    with pytest.raises(TransientError):
        log.replay("m-1", LATER)


# Take-overs and delivery statuses ------------------------------------------------------------------------


def test_a_throttled_take_over_is_a_transient_error(ddb):
    log = DynamoMessageLog(ddb, TABLE)
    log.begin(msg(), NOW)
    throttle(ddb, "UpdateItem")
    with pytest.raises(TransientError):
        log.take_over("m-1", NOW.isoformat(), LATER)


def test_a_throttled_status_update_is_a_transient_error(ddb):
    log = DynamoMessageLog(ddb, TABLE)
    log.begin(msg(), NOW)
    log.complete("m-1", ProviderReceipt(sid="SM1", status="queued", segments=1, price=None), NOW)
    throttle(ddb, "UpdateItem")
    with pytest.raises(TransientError):
        log.apply_status(StatusUpdate(message_id="m-1", sid="SM1", status="delivered"), LATER)
    assert log.claim("m-1").get("delivery_status") is None  # untouched: the provider calls back again
