"""DynamoMessageLog.begin under moto, what the contract cannot see: the claim record and the frequency
history as stored (their type for an operator and the privacy export, the phone's subject for a redaction,
the scope for the counters, the correlation id for the logs, the history's 31-day expiry), and the answers
to a cancelled transaction: an earlier attempt of this very claim that was applied with its answer lost is
this claim (not a duplicate), and a cancellation for any other reason is retried, saying which."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import to_item
from smsflows.adapters.message_log import DynamoMessageLog
from smsflows.domain import keys
from smsflows.domain.compliance.frequency import SendRecord
from smsflows.domain.messages import OutboundMessage
from smsflows.ports import SendConditions
from smsflows.runtime.errors import TransientError
from tests.contracts.conftest import PHONE, SHOP, TABLE, peek
from tests.intercepted import Intercepted, kept, refused

NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def text(**kw: Any) -> OutboundMessage:
    base: dict[str, Any] = dict(message_id="flow:welcome:ex-1:0", shop=SHOP, to=PHONE, category="marketing",
                                body="Demo Shop: 10% off today. Reply STOP to opt out", flow="welcome", step=0,
                                created_at=NOW, correlation_id="corr-42")  # fmt: skip
    base.update(kw)
    return OutboundMessage(**base)


def test_the_claim_record_and_the_frequency_history_as_stored(dynamodb):
    history = [SendRecord(NOW - timedelta(days=3), "winback"), SendRecord(NOW, "welcome")]
    log = DynamoMessageLog(dynamodb, TABLE)
    assert log.begin(text(), NOW, SendConditions(frequency=(0, history))) is None
    claim = peek(dynamodb, keys.message("flow:welcome:ex-1:0"))
    assert claim is not None
    assert re.fullmatch(r"[0-9a-f]{32}", claim.pop("claim_token"))
    assert {k: claim[k] for k in ("type", "state", "shop", "to", "gsi1pk", "category", "flow", "scope",
                                  "correlation_id", "claimed_at")} == {
        "type": "message", "state": "sending", "shop": SHOP, "to": PHONE,
        "gsi1pk": keys.phone_subject(SHOP, PHONE), "category": "marketing", "flow": "welcome",
        "scope": "flow#welcome#0", "correlation_id": "corr-42", "claimed_at": NOW.isoformat(),
    }  # fmt: skip
    freq = peek(dynamodb, keys.frequency(SHOP, PHONE))
    assert freq is not None
    assert {k: freq[k] for k in ("type", "shop", "gsi1pk", "version", "expires_at")} == {
        "type": "frequency", "shop": SHOP, "gsi1pk": keys.phone_subject(SHOP, PHONE), "version": 1,
        "expires_at": int((NOW + timedelta(days=31)).timestamp()),
    }  # fmt: skip


def cancelling(ddb: Any, reasons: list[dict[str, Any]] | None, apply: bool = False) -> Intercepted:
    """The DynamoDB client whose transact_write_items is applied first (`apply`: the attempt whose answer
    was lost; the claim's ALL_OLD item is then the stored one) and answered with a
    TransactionCanceledException of these reasons."""

    def cancel(params: dict[str, Any]) -> None:
        response: dict[str, Any] = {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}}
        if reasons is not None:
            response["CancellationReasons"] = [dict(r) for r in reasons]
        if apply:
            ddb.transact_write_items(**params)
            stored = ddb.get_item(TableName=TABLE, Key=to_item(keys.message("flow:welcome:ex-1:0")))
            response["CancellationReasons"][0]["Item"] = stored["Item"]
        raise ClientError(response, "TransactWriteItems")

    return Intercepted(ddb, transact_write_items=cancel)


def test_a_claim_applied_by_an_attempt_whose_answer_was_lost_is_this_claim(dynamodb):
    reasons = [{"Code": "ConditionalCheckFailed"}, {"Code": "None"}]
    log = DynamoMessageLog(cancelling(dynamodb, reasons, apply=True), TABLE)
    assert log.begin(text(), NOW, SendConditions(frequency=(0, [SendRecord(NOW, "welcome")]))) is None
    assert peek(dynamodb, keys.message("flow:welcome:ex-1:0"))["state"] == "sending"  # type: ignore[index]


@pytest.mark.parametrize(
    ("reasons", "why"),
    [([{"Code": "None"}, {"Code": "TransactionConflict"}], "claim transaction cancelled: None,TransactionConflict"),
     (None, "claim transaction cancelled: ")],
)  # fmt: skip
def test_a_claim_cancelled_for_no_condition_of_its_own_is_retried_and_says_why(dynamodb, reasons, why):
    log = DynamoMessageLog(cancelling(dynamodb, reasons), TABLE)
    with pytest.raises(TransientError) as raised:
        log.begin(text(), NOW, SendConditions(frequency=(0, [SendRecord(NOW, "welcome")])))
    assert str(raised.value) == why


THROTTLED = "ProvisionedThroughputExceededException"


def test_a_throttled_claim_is_retried(dynamodb):
    with pytest.raises(TransientError):
        DynamoMessageLog(Intercepted(dynamodb, put_item=refused(THROTTLED, "PutItem")), TABLE).begin(
            text(category="transactional", flow=None), NOW
        )


def test_an_unreachable_number_is_stored_where_the_redaction_and_the_export_find_it(dynamodb):
    DynamoMessageLog(dynamodb, TABLE).mark_unreachable(SHOP, PHONE, "twilio 30006", NOW)
    assert peek(dynamodb, keys.unreachable(SHOP, PHONE)) == {
        **keys.unreachable(SHOP, PHONE), "type": "unreachable", "shop": SHOP, "phone": PHONE,
        "gsi1pk": keys.phone_subject(SHOP, PHONE), "reason": "twilio 30006", "since": NOW.isoformat(),
    }  # fmt: skip


def test_a_claim_refused_by_a_dead_letter_left_sending_replays_it_for_settling_first(dynamodb):
    """Through the transaction (a claim with conditions), as through the plain put: the dead letter whose
    last claim was in doubt comes back as 'sending', to be settled with the provider before any resend."""
    log = DynamoMessageLog(dynamodb, TABLE)
    assert log.begin(text(), NOW) is None
    assert log.dead_letter("flow:welcome:ex-1:0", "function timed out", NOW) is True
    later = NOW + timedelta(hours=1)
    assert (
        log.begin(text(), later, SendConditions(frequency=(0, [SendRecord(later, "welcome")]))) == "sending"
    )
    got = peek(dynamodb, keys.message("flow:welcome:ex-1:0"))
    assert got is not None and (got["state"], got["replayed_at"]) == ("sending", later.isoformat())


def test_a_status_for_a_redacted_message_changes_nothing_that_names_anyone(dynamodb):
    from smsflows.adapters.privacy_store import DynamoPrivacyStore
    from smsflows.domain.sending.delivery import StatusUpdate
    from smsflows.ports import ProviderReceipt

    log = DynamoMessageLog(dynamodb, TABLE)
    log.begin(text(), NOW)
    log.complete("flow:welcome:ex-1:0", ProviderReceipt(sid="SM1", status="queued", segments=1), NOW)
    DynamoPrivacyStore(dynamodb, TABLE).erase_subject(SHOP, None, [PHONE], [])  # the record keeps no number
    update = StatusUpdate(message_id="flow:welcome:ex-1:0", sid="SM1", status="delivered")
    assert log.apply_status(update, NOW) is None  # recorded on the message, counted against no one


def test_a_status_for_a_record_from_before_scopes_names_no_scope(dynamodb):
    from smsflows.domain.sending.delivery import StatusUpdate
    from smsflows.ports import StatusApplied

    put = {
        **keys.message("m-old"),
        "type": "message",
        "state": "sent",
        "sid": "SM9",
        "shop": SHOP,
        "to": PHONE,
    }
    dynamodb.put_item(TableName=TABLE, Item=to_item(put))
    applied = DynamoMessageLog(dynamodb, TABLE).apply_status(
        StatusUpdate(message_id="m-old", sid="SM9", status="delivered"), NOW
    )
    assert applied == StatusApplied(SHOP, PHONE, None, None)


def test_the_claim_is_read_consistently_and_a_throttled_read_or_write_is_retried(dynamodb):
    reads = Intercepted(dynamodb, get_item=kept)
    DynamoMessageLog(reads, TABLE).claim("m-1")  # settling an attempt in doubt must see the latest claim
    assert [g.get("ConsistentRead") for g in reads.calls["get_item"]] == [True]
    throttled = DynamoMessageLog(
        Intercepted(
            dynamodb, get_item=refused(THROTTLED, "GetItem"), update_item=refused(THROTTLED, "UpdateItem")
        ),
        TABLE,
    )
    with pytest.raises(TransientError):
        throttled.claim("m-1")
    with pytest.raises(TransientError):
        throttled.release("m-1", "provider 503: retry")
