"""The message log in DynamoDB: one item per message id, the idempotency claim and the delivery record."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import error_code, from_item, set_expression, to_item, translate
from smsflows.adapters.consent_store import state_from_item
from smsflows.adapters.pacing_store import fold_items
from smsflows.domain import keys
from smsflows.domain.compliance.frequency import SendRecord
from smsflows.domain.consent.ledger import suppression_key
from smsflows.domain.messages import OutboundMessage
from smsflows.domain.sending.delivery import StatusUpdate
from smsflows.ports import ProviderReceipt, RecipientSnapshot, SendConditions
from smsflows.runtime.errors import TransientError


class DynamoMessageLog:
    """One item per message id: the idempotency claim and the delivery record in one.

    The claim is one TransactWriteItems: the claim itself, a check that consent did not change since the
    sender read it (a STOP one second before the send wins), and the frequency-cap reservation.
    """

    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def snapshot(self, shop: str, phone: str) -> RecipientSnapshot:
        return self._read_snapshots([(shop, phone)])[0][(shop, phone)]

    def begin(
        self, message: OutboundMessage, now: datetime, conditions: SendConditions | None = None
    ) -> str | None:
        item = {
            **keys.message(message.message_id),
            "type": "message",
            "state": "sending",
            "shop": message.shop,
            "to": message.to,
            "gsi1pk": keys.phone_subject(message.shop, message.to),
            "category": message.category,
            "flow": message.flow,
            "claimed_at": now.isoformat(),
            "body_hash": hashlib.sha256(message.body.encode()).hexdigest(),
        }
        claim = {
            "Put": {
                "TableName": self._table,
                "Item": to_item(item),
                # A released claim (retryable provider error) may be taken again.
                "ConditionExpression": "attribute_not_exists(pk) OR #s = :released",
                "ExpressionAttributeNames": {"#s": "state"},
                "ExpressionAttributeValues": {":released": {"S": "retry"}},
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
                old = from_item(exc.response.get("Item")) or {}
                return str(old.get("state", "unknown"))
            if code == "TransactionCanceledException":
                reasons = exc.response.get("CancellationReasons", [])
                failed = [
                    m
                    for m, r in zip(meaning, reasons, strict=False)
                    if r.get("Code") == "ConditionalCheckFailed"
                ]
                if "claim" in failed:
                    old = from_item(reasons[0].get("Item")) or {}
                    return str(old.get("state", "unknown"))
                for why in ("consent_changed", "frequency_conflict", "pacing_busy", "daily_cap"):
                    if why in failed:
                        return why
                codes = ",".join(str(r.get("Code")) for r in reasons)
                raise TransientError(f"claim transaction cancelled: {codes}") from exc
            raise translate(exc) from exc
        return None

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
        by_pk: dict[str, Any] = {}
        try:
            pending: dict[str, Any] = {self._table: {"Keys": request, "ConsistentRead": True}}
            for _ in range(3):
                got = self._ddb.batch_get_item(RequestItems=pending)
                by_pk.update({i["pk"]["S"]: i for i in got["Responses"].get(self._table, [])})
                pending = got.get("UnprocessedKeys") or {}
                if not pending:
                    break
        except ClientError as exc:
            raise translate(exc) from exc
        if pending:
            raise TransientError("DynamoDB left keys unprocessed")
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

    def apply_status(self, update: StatusUpdate, now: datetime) -> tuple[str, str] | None:
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
        return (str(item["shop"]), str(item["to"])) if item.get("to") and item.get("shop") else None

    def _update(self, message_id: str, values: dict[str, Any]) -> None:
        try:
            self._ddb.update_item(
                TableName=self._table, Key=to_item(keys.message(message_id)), **set_expression(values)
            )
        except ClientError as exc:
            raise translate(exc) from exc
