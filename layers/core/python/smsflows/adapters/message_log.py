"""The message log in DynamoDB: one item per message id, the idempotency claim and the delivery record."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import batch_get, error_code, from_item, set_expression, to_item, translate
from smsflows.adapters.consent_store import state_from_item
from smsflows.adapters.pacing_store import fold_items
from smsflows.domain import keys
from smsflows.domain.analytics import counters
from smsflows.domain.compliance.frequency import SendRecord
from smsflows.domain.consent.ledger import suppression_key
from smsflows.domain.messages import OutboundMessage
from smsflows.domain.sending.delivery import StatusUpdate
from smsflows.ports import ProviderReceipt, RecipientSnapshot, SendConditions, StatusApplied
from smsflows.runtime.errors import TransientError

DEAD_LETTERED = "dead_lettered"
DEFERRED = "deferred"
# A claim may be taken on a message never claimed, released after a retryable provider error ('retry'),
# deferred by the sender ('deferred': quiet hours, pacing, a frequency cap), replayed from the DLQ
# ('queued') or dead-lettered before its claim was sent ('dead_lettered' from anything but 'sending': SQS
# may deliver a copy the redrive did not catch).
_CLAIMABLE = (
    "attribute_not_exists(pk) OR #s IN (:retry, :queued, :deferred) "
    "OR (#s = :dl AND (attribute_not_exists(#from) OR #from <> :sending))"
)
_CLAIMABLE_VALUES = {
    ":retry": {"S": "retry"},
    ":queued": {"S": "queued"},
    ":deferred": {"S": DEFERRED},
    ":dl": {"S": DEAD_LETTERED},
    ":sending": {"S": "sending"},
}


class DynamoMessageLog:
    """One item per message id: the idempotency claim and the delivery record in one.

    The claim is one TransactWriteItems: the claim itself, a check that consent did not change since the
    sender read it (a STOP one second before the send wins), and the frequency-cap reservation.

    Each claim carries a fresh token. The client retries a write whose answer was lost (a 5xx, a read
    timeout) and the retry then finds the claim already there: with its own token, it is this claim (the
    first attempt was applied, with the rest of its transaction), not another sender's.
    """

    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def snapshot(self, shop: str, phone: str) -> RecipientSnapshot:
        return self._read_snapshots([(shop, phone)])[0][(shop, phone)]

    def begin(
        self, message: OutboundMessage, now: datetime, conditions: SendConditions | None = None
    ) -> str | None:
        token = uuid.uuid4().hex
        item = {
            **keys.message(message.message_id),
            "type": "message",
            "state": "sending",
            "claim_token": token,
            "shop": message.shop,
            "to": message.to,
            "gsi1pk": keys.phone_subject(message.shop, message.to),
            "category": message.category,
            "flow": message.flow,
            "scope": counters.message_scope(message),
            "correlation_id": message.correlation_id,
            "claimed_at": now.isoformat(),
            "body_hash": hashlib.sha256(message.body.encode()).hexdigest(),
        }
        claim = {
            "Put": {
                "TableName": self._table,
                "Item": to_item(item),
                "ConditionExpression": _CLAIMABLE,
                "ExpressionAttributeNames": {"#s": "state", "#from": "dead_lettered_from"},
                "ExpressionAttributeValues": _CLAIMABLE_VALUES,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
        items: list[dict[str, Any]] = [claim]
        c = conditions or SendConditions()
        state_key = to_item(keys.subscriber(message.shop, message.to))
        if c.require_subscribed:
            items.append(
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": state_key,
                        "ConditionExpression": "#st = :sub AND version = :v",
                        "ExpressionAttributeNames": {"#st": "status"},
                        "ExpressionAttributeValues": {
                            ":sub": {"S": "subscribed"},
                            ":v": {"N": str(c.state_version or 0)},
                        },
                    }
                }
            )
        elif c.forbid_unsubscribed:
            items.append(
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": state_key,
                        "ConditionExpression": "attribute_not_exists(#st) OR #st <> :unsub",
                        "ExpressionAttributeNames": {"#st": "status"},
                        "ExpressionAttributeValues": {":unsub": {"S": "unsubscribed"}},
                    }
                }
            )
        if c.frequency is not None:
            expected, history = c.frequency
            freq_item = {
                **keys.frequency(message.shop, message.to),
                "type": "frequency",
                "shop": message.shop,
                "gsi1pk": keys.phone_subject(message.shop, message.to),
                "history": json.dumps([[r.at.isoformat(), r.flow] for r in history]),
                "version": expected + 1,
                # operational data: gone 31 days after the last marketing send (no cap looks further back)
                "expires_at": int(now.timestamp()) + 31 * 86400,
            }
            items.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(freq_item),
                        # the history read must still be the stored one: none (version 0), or that version
                        "ConditionExpression": "attribute_not_exists(version) OR version = :v"
                        if expected == 0
                        else "version = :v",
                        "ExpressionAttributeValues": {":v": {"N": str(expected)}},
                    }
                }
            )
        # What each transaction entry guards, to say why a cancelled transaction was cancelled.
        meaning = ["claim"]
        if c.require_subscribed or c.forbid_unsubscribed:
            meaning.append("consent_changed")
        if c.frequency is not None:
            meaning.append("frequency_conflict")
        if c.pace is not None:
            bucket, daily = fold_items(self._table, c.pace)
            items.append(bucket)
            meaning.append("pacing_busy")
            if daily is not None:
                items.append(daily)
                meaning.append("daily_cap")
        try:
            if len(items) == 1:  # nothing else to check: a plain conditional put is half the cost
                self._ddb.put_item(**claim["Put"])
            else:
                self._ddb.transact_write_items(TransactItems=items)
        except ClientError as exc:
            code = error_code(exc)
            if code == "ConditionalCheckFailedException":
                return self._claimed_before(message.message_id, exc.response.get("Item"), token, now)
            if code == "TransactionCanceledException":
                reasons = exc.response.get("CancellationReasons", [])
                failed = [
                    m
                    for m, r in zip(meaning, reasons, strict=False)
                    if r.get("Code") == "ConditionalCheckFailed"
                ]
                if "claim" in failed:
                    return self._claimed_before(message.message_id, reasons[0].get("Item"), token, now)
                for why in ("consent_changed", "frequency_conflict", "pacing_busy", "daily_cap"):
                    if why in failed:
                        return why
                codes = ",".join(str(r.get("Code")) for r in reasons)
                raise TransientError(f"claim transaction cancelled: {codes}") from exc
            raise translate(exc) from exc
        return None

    def _claimed_before(
        self, message_id: str, wire: dict[str, Any] | None, token: str, now: datetime
    ) -> str | None:
        """Why the claim's condition failed, from the item as it was (ALL_OLD)."""
        old = from_item(wire) or {}
        if old.get("claim_token") == token:
            return None  # this claim: an earlier attempt of this very call was applied, its answer lost
        state = str(old.get("state", "unknown"))
        if state == DEAD_LETTERED:
            # The only dead letter refused is one whose last claim was left 'sending' (in doubt): the
            # provider may have it. Restored to 'sending', it is settled before anything is sent again.
            return self.replay(message_id, now) or DEAD_LETTERED
        return state

    def snapshots(
        self, recipients: list[tuple[str, str]], message_ids: list[str] | None = None
    ) -> tuple[dict[tuple[str, str], RecipientSnapshot], dict[str, str]]:
        """snapshot() for many recipients, and the state of already-claimed message ids, in one
        BatchGetItem per 16 of each (a sender batch of 10: one call)."""
        out: dict[tuple[str, str], RecipientSnapshot] = {}
        states: dict[str, str] = {}
        unique = list(dict.fromkeys(recipients))
        ids = list(dict.fromkeys(message_ids or []))
        for start in range(0, max(len(unique), len(ids)), 16):
            snaps, found = self._read_snapshots(unique[start : start + 16], ids[start : start + 16])
            out.update(snaps)
            states.update(found)
        return out, states

    def _read_snapshots(
        self, recipients: list[tuple[str, str]], message_ids: list[str] | None = None
    ) -> tuple[dict[tuple[str, str], RecipientSnapshot], dict[str, str]]:
        wanted = {
            (shop, phone): [
                keys.subscriber(shop, phone),
                keys.suppression(suppression_key(shop, phone)),
                keys.frequency(shop, phone),
                keys.unreachable(shop, phone),
            ]
            for shop, phone in recipients
        }
        messages = {mid: keys.message(mid) for mid in message_ids or []}
        request = [to_item(k) for ks in wanted.values() for k in ks] + [to_item(k) for k in messages.values()]
        by_pk = {i["pk"]["S"]: i for i in batch_get(self._ddb, self._table, request)}
        result = {}
        for recipient, (state_key, suppress_key, freq_key, unreachable_key) in wanted.items():
            freq = from_item(by_pk.get(freq_key["pk"])) or {}
            history = [
                SendRecord(datetime.fromisoformat(at), flow)
                for at, flow in json.loads(freq.get("history") or "[]")
            ]
            result[recipient] = RecipientSnapshot(
                state=state_from_item(by_pk.get(state_key["pk"])),
                suppressed=suppress_key["pk"] in by_pk,
                history=history,
                history_version=int(freq.get("version", 0)),
                unreachable=unreachable_key["pk"] in by_pk,
            )
        states = {
            mid: str((from_item(by_pk[k["pk"]]) or {}).get("state"))
            for mid, k in messages.items()
            if k["pk"] in by_pk
        }
        return result, states

    def release(self, message_id: str, reason: str) -> None:
        self._update(message_id, {"state": "retry", "reason": reason})

    def defer(self, message_id: str, reason: str, until: datetime, now: datetime) -> None:
        """The sender put the message back for `until` (its reason: quiet_hours, pacing, daily_cap, ...):
        recorded on the message's item, unless a claim was taken since (sending, sent, failed, dead-lettered
        are left as they are). Nothing about the recipient is written: the id says which message it is."""
        values = {"state": DEFERRED, "reason": reason, "deferred_until": until.isoformat(),
                  "deferred_at": now.isoformat()}  # fmt: skip
        expression = set_expression(values)
        expression["UpdateExpression"] += " ADD deferrals :one"
        expression["ExpressionAttributeNames"]["#st"] = "state"
        expression["ExpressionAttributeValues"].update(
            {
                ":one": {"N": "1"},
                ":retry": {"S": "retry"},
                ":queued": {"S": "queued"},
                ":def": {"S": DEFERRED},
            }
        )
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=to_item(keys.message(message_id)),
                ConditionExpression="attribute_not_exists(pk) OR #st IN (:retry, :queued, :def)",
                **expression,
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return  # claimed since (a redelivered copy got there first): its record says what it did
            raise translate(exc) from exc

    def mark_in_doubt(self, message_id: str, reason: str) -> None:
        self._update(message_id, {"in_doubt": True, "reason": reason})

    def claim(self, message_id: str) -> dict[str, Any] | None:
        try:
            out = self._ddb.get_item(
                TableName=self._table, Key=to_item(keys.message(message_id)), ConsistentRead=True
            )
        except ClientError as exc:
            raise translate(exc) from exc
        return from_item(out.get("Item"))

    def take_over(self, message_id: str, claimed_at: str, now: datetime) -> bool:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=to_item(keys.message(message_id)),
                UpdateExpression="SET claimed_at = :now REMOVE in_doubt ADD attempts :one",
                ConditionExpression="#s = :sending AND claimed_at = :old",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={
                    ":now": {"S": now.isoformat()},
                    ":old": {"S": claimed_at},
                    ":sending": {"S": "sending"},
                    ":one": {"N": "1"},
                },
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise translate(exc) from exc
        return True

    def complete(
        self, message_id: str, receipt: ProviderReceipt, now: datetime, extra: dict[str, Any] | None = None
    ) -> None:
        self._update(
            message_id,
            {
                **(extra or {}),
                "state": "sent",
                "sid": receipt.sid,
                "provider_status": receipt.status,
                "segments": receipt.segments,
                "price": receipt.price,
                "sent_at": now.isoformat(),
            },
        )

    def fail(self, message_id: str, code: int | None, reason: str, now: datetime) -> None:
        self._update(
            message_id,
            {"state": "failed", "reason": reason, "error_code": code, "failed_at": now.isoformat()},
        )

    def mark_unreachable(self, shop: str, phone: str, reason: str, now: datetime) -> None:
        item = {**keys.unreachable(shop, phone), "type": "unreachable", "shop": shop, "phone": phone,
                "gsi1pk": keys.phone_subject(shop, phone), "reason": reason, "since": now.isoformat()}  # fmt: skip
        self._ddb.put_item(TableName=self._table, Item=to_item(item))

    def apply_status(self, update: StatusUpdate, now: datetime) -> StatusApplied | None:
        values = {
            "delivery_status": update.status,
            "delivery_rank": update.rank,
            "delivery_error": update.error_code,
            "segments": update.segments,
            "price": update.price,
            "status_at": now.isoformat(),
        }
        expression = set_expression(values)
        expression["ExpressionAttributeValues"][":sid"] = {"S": update.sid}
        expression["ExpressionAttributeValues"][":rank"] = {"N": str(update.rank)}
        try:
            out = self._ddb.update_item(
                TableName=self._table,
                Key=to_item(keys.message(update.message_id)),
                # the message exists, is this provider message, and the status moves forward
                ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(sid) OR sid = :sid) "
                "AND (attribute_not_exists(delivery_rank) OR delivery_rank < :rank)",
                ReturnValues="ALL_NEW",
                **expression,
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return None
            raise translate(exc) from exc
        item = from_item(out.get("Attributes")) or {}
        if not (item.get("to") and item.get("shop")):
            return None
        cost = item.get("cost_est")
        return StatusApplied(str(item["shop"]), str(item["to"]), str(item["scope"]) if item.get("scope") else None,
                             float(cost) if cost is not None else None)  # fmt: skip

    def dead_letter(self, message_id: str, reason: str | None, now: datetime) -> bool:
        for _ in range(3):  # the record read, then written only as read: a change in between reads it again
            item = self.claim(message_id)
            was = item.get("state") if item is not None else None
            if was is not None and was not in ("retry", "queued", "sending", DEFERRED):
                return False  # sent, failed for good, or dead-lettered already (its origin is kept)
            values = {"state": DEAD_LETTERED, "dead_lettered_from": was or "queued",
                      "dead_lettered_at": now.isoformat(), "reason": reason}  # fmt: skip
            expression = set_expression(values)
            if item is None:
                condition = "attribute_not_exists(pk)"
            else:
                expression["ExpressionAttributeNames"]["#s"] = "state"
                condition = "attribute_not_exists(#s)" if was is None else "#s = :was"
                if was is not None:
                    expression["ExpressionAttributeValues"][":was"] = {"S": str(was)}
            try:
                self._ddb.update_item(
                    TableName=self._table,
                    Key=to_item(keys.message(message_id)),
                    ConditionExpression=condition,
                    **expression,
                )
            except ClientError as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    continue
                raise translate(exc) from exc
            return True
        return False

    def replay(self, message_id: str, now: datetime) -> str | None:
        item = self.claim(message_id)
        if not item or item.get("state") != DEAD_LETTERED:
            return None
        state = "sending" if item.get("dead_lettered_from") == "sending" else "queued"
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=to_item(keys.message(message_id)),
                UpdateExpression="SET #s = :to, #at = :now REMOVE #from",
                ConditionExpression="#s = :dl",
                ExpressionAttributeNames={"#s": "state", "#at": "replayed_at", "#from": "dead_lettered_from"},
                ExpressionAttributeValues={
                    ":to": {"S": state},
                    ":now": {"S": now.isoformat()},
                    ":dl": {"S": DEAD_LETTERED},
                },
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return None  # replayed (or claimed) by someone else since the read
            raise translate(exc) from exc
        return state

    def _update(self, message_id: str, values: dict[str, Any]) -> None:
        try:
            self._ddb.update_item(
                TableName=self._table, Key=to_item(keys.message(message_id)), **set_expression(values)
            )
        except ClientError as exc:
            raise translate(exc) from exc
