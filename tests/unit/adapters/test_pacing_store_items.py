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


def test_a_claims_folded_slot_and_the_days_counter_are_typed_and_the_counter_expires_after_the_day(dynamodb):
    """The items a lone text's claim books in its own transaction (messages.begin with a Fold), as an
    operator and the table's TTL read them: the bucket as pacing data, the brand's day as a daily counter
    that DynamoDB deletes two days after that Pacific day ends."""
    from datetime import UTC, datetime

    from smsflows.adapters.message_log import DynamoMessageLog
    from smsflows.domain.messages import OutboundMessage
    from smsflows.domain.sending.pacing import Fold
    from smsflows.ports import SendConditions
    from tests.contracts.conftest import PHONE, SHOP

    now = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    text = OutboundMessage(message_id="m-1", shop=SHOP, to=PHONE, body="Demo Shop: your order shipped",
                           category="transactional", created_at=now)  # fmt: skip
    fold = Fold("MG1", T, T + 0.02, ("brand", "2026-11-23", 2, 10))
    assert DynamoMessageLog(dynamodb, TABLE).begin(text, now, SendConditions(pace=fold)) is None
    got = bucket(dynamodb, "MG1")
    assert (float(got["tat"]), got["type"]) == (T + 0.02, "pacing")
    day = peek(dynamodb, keys.daily_counter("brand", "2026-11-23"))
    assert day is not None and (int(day["used"]), day["type"]) == (2, "daily_counter")
    # 2026-11-26 00:00 in Los Angeles (PST, UTC-8): the end of the day, plus two days
    assert int(day["expires_at"]) == int(datetime(2026, 11, 26, 8, 0, tzinfo=UTC).timestamp())


def test_the_days_counter_counted_on_its_own_is_typed_and_expires_likewise(dynamodb):
    from datetime import UTC, datetime

    assert DynamoTokenBuckets(dynamodb, TABLE).count_daily("brand", "2026-07-04", 3, 10) is True
    day = peek(dynamodb, keys.daily_counter("brand", "2026-07-04"))
    assert day is not None and (int(day["used"]), day["type"]) == (3, "daily_counter")
    # 2026-07-07 00:00 in Los Angeles (PDT, UTC-7)
    assert int(day["expires_at"]) == int(datetime(2026, 7, 7, 7, 0, tzinfo=UTC).timestamp())
