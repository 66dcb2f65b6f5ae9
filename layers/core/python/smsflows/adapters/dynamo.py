"""DynamoDB repositories: the only place that knows item shapes. ClientError becomes domain errors here."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from smsflows.domain import keys
from smsflows.domain.consent import SubscriberState, suppression_key
from smsflows.domain.delivery import StatusUpdate
from smsflows.domain.frequency import SendRecord
from smsflows.domain.messages import OutboundMessage
from smsflows.domain.models import CheckoutRecord, InboxRecord, OrderRecord, ProfileRecord
from smsflows.ports import ProviderReceipt, RecipientSnapshot, SendConditions
from smsflows.runtime.errors import TransientError

_ser = TypeSerializer()
_de = TypeDeserializer()

# Processed webhooks are kept 30 days for dedupe (Shopify retries for 4 hours) and support.
# Unparseable ones have no expiry: they are authentic data waiting for a replay.
WEBHOOK_RETENTION = timedelta(days=30)

_TRANSIENT = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
}


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in values.items() if v is not None}


def from_item(item: dict[str, Any] | None) -> dict[str, Any] | None:
    """Plain values from DynamoDB JSON (as GetItem, or a Step Functions getItem task, returns it)."""
    if not item:
        return None
    return {k: _de.deserialize(v) for k, v in item.items()}


def set_expression(values: dict[str, Any], remove: tuple[str, ...] = ()) -> dict[str, Any]:
    """UpdateItem arguments that SET `values` (None values skipped), every name escaped (DynamoDB has
    hundreds of reserved words: state, segments, name ...)."""
    names: dict[str, str] = {}
    attr_values: dict[str, Any] = {}
    sets: list[str] = []
    for i, (name, value) in enumerate(v for v in values.items() if v[1] is not None):
        names[f"#a{i}"] = name
        attr_values[f":v{i}"] = value
        sets.append(f"#a{i} = :v{i}")
    expression = "SET " + ", ".join(sets)
    if remove:
        for j, name in enumerate(remove):
            names[f"#r{j}"] = name
        expression += " REMOVE " + ", ".join(f"#r{j}" for j in range(len(remove)))
    return {
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": to_item(attr_values),
    }


def query_all(ddb: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """Every item a Query returns, following LastEvaluatedKey."""
    items: list[dict[str, Any]] = []
    while True:
        out = ddb.query(**kwargs)
        items += out.get("Items", [])
        if "LastEvaluatedKey" not in out:
            return items
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _translate(exc: ClientError) -> Exception:
    if _code(exc) in _TRANSIENT:
        return TransientError(f"DynamoDB {_code(exc)}")
    return exc


class DynamoWebhookInbox:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def record(self, item: InboxRecord) -> bool:
        values: dict[str, Any] = {
            **keys.webhook(item.shop, item.webhook_id),
            "type": "webhook",
            "shop": item.shop,
            "webhook_id": item.webhook_id,
            "topic": item.topic,
            "api_version": item.api_version,
            "received_at": item.received_at.isoformat(),
            "body_gz": Binary(gzip.compress(item.body, compresslevel=5)),
            "state": item.state,
            "reason": item.reason,
        }
        if item.state != "unparseable":
            values["expires_at"] = int((item.received_at + WEBHOOK_RETENTION).timestamp())
        try:
            self._ddb.put_item(
                TableName=self._table, Item=to_item(values), ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return False
            raise _translate(exc) from exc
        return True

    def forget(self, shop: str, webhook_id: str) -> None:
        self._ddb.delete_item(TableName=self._table, Key=to_item(keys.webhook(shop, webhook_id)))

    def get(self, shop: str, webhook_id: str) -> InboxRecord | None:
        try:
            out = self._ddb.get_item(
                TableName=self._table, Key=to_item(keys.webhook(shop, webhook_id)), ConsistentRead=True
            )
        except ClientError as exc:
            raise _translate(exc) from exc
        item = from_item(out.get("Item"))
        if item is None:
            return None
        return InboxRecord(
            shop=item["shop"],
            webhook_id=item["webhook_id"],
            topic=item["topic"],
            api_version=item.get("api_version"),
            received_at=datetime.fromisoformat(item["received_at"]),
            body=gzip.decompress(bytes(item["body_gz"])),
            state=item.get("state", "received"),
            reason=item.get("reason"),
        )

    def mark(self, shop: str, webhook_id: str, state: str, reason: str | None = None) -> None:
        remove = ("expires_at",) if state == "unparseable" else ()
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=to_item(keys.webhook(shop, webhook_id)),
                ConditionExpression="attribute_exists(pk)",
                **set_expression({"state": state, "reason": reason or ""}, remove),
            )
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return  # the record expired or was erased; nothing to mark
            raise _translate(exc) from exc


class DynamoShopData:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def save_order(
        self,
        order: OrderRecord,
        profile: ProfileRecord,
        places: tuple[tuple[str | None, str | None, str], ...] = (),
    ) -> None:
        # Never overwrite what we knew with "unknown": None fields are left as they are.
        fields = profile.model_dump(mode="json")
        if profile.phone_status == "missing":
            fields["phone_status"] = None
        # The privacy index: everything about a Shopify customer (or a guest's phone) is found by it.
        if profile.customer_id:
            subject = keys.customer_subject(profile.shop, profile.customer_id)
        elif profile.phone:
            subject = keys.phone_subject(profile.shop, profile.phone)
        else:
            subject = None
        profile_update = set_expression({"type": "profile", "gsi1pk": subject, **fields})
        order_item = {
            **keys.order(order.shop, order.order_id),
            "type": "order",
            "gsi1pk": subject,
            **order.model_dump(mode="json", exclude_none=True),
        }
        try:
            self._ddb.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": to_item(keys.profile(profile.shop, profile.customer_key)),
                            **profile_update,
                        }
                    },
                    {"Put": {"TableName": self._table, "Item": to_item(order_item)}},
                    *self._places_update(profile, places),
                ]
            )
        except ClientError as exc:
            raise _translate(exc) from exc

    def _places_update(
        self, profile: ProfileRecord, places: tuple[tuple[str | None, str | None, str], ...]
    ) -> list[dict[str, Any]]:
        """The subscriber item learns where its phone's owner may be; consent fields are not touched."""
        if not profile.phone or not places:
            return []
        values = {
            "addresses": json.dumps([list(p) for p in places]),
            "shop": profile.shop,
            "phone": profile.phone,
            "gsi1pk": keys.phone_subject(profile.shop, profile.phone),
            "customer_id": profile.customer_id,
        }
        return [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": to_item(keys.subscriber(profile.shop, profile.phone)),
                    **set_expression(values),
                }
            }
        ]

    def get_order(self, shop: str, order_id: str) -> OrderRecord | None:
        out = self._ddb.get_item(TableName=self._table, Key=to_item(keys.order(shop, order_id)))
        item = from_item(out.get("Item"))
        if item is None:
            return None
        return OrderRecord.model_validate({k: v for k, v in item.items() if k in OrderRecord.model_fields})

    def set_tracking(self, shop: str, order_id: str, company: str | None, url: str | None) -> None:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=to_item(keys.order(shop, order_id)),
                ConditionExpression="attribute_exists(pk)",
                **set_expression(
                    {"tracking_company": company, "tracking_url": url}
                    if (company or url)
                    else {"type": "order"}
                ),
            )
        except ClientError as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise _translate(exc) from exc

    def save_checkout(self, checkout: CheckoutRecord) -> None:
        subject = (
            keys.customer_subject(checkout.shop, checkout.customer_id)
            if checkout.customer_id
            else keys.phone_subject(checkout.shop, checkout.phone)
            if checkout.phone
            else None
        )
        values = {"type": "checkout", "gsi1pk": subject, **checkout.model_dump(mode="json")}
        try:
            # An update, not a put: a late checkouts/update must not erase completed_at.
            self._ddb.update_item(
                TableName=self._table,
                Key=to_item(keys.checkout(checkout.shop, checkout.token)),
                **set_expression(values),
            )
        except ClientError as exc:
            raise _translate(exc) from exc

    def complete_checkout(self, shop: str, token: str, at: datetime) -> bool:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=to_item(keys.checkout(shop, token)),
                ConditionExpression="attribute_exists(pk)",
                **set_expression({"completed_at": at.isoformat()}),
            )
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return False
            raise _translate(exc) from exc
        return True

    def swap_flow_lock(self, shop: str, flow: str, phone: str, execution: str) -> str | None:
        values = {"type": "flow_lock", "shop": shop, "flow": flow, "execution": execution,
                  "gsi1pk": keys.phone_subject(shop, phone)}  # fmt: skip
        update = set_expression(values)
        update["ReturnValues"] = "UPDATED_OLD"
        try:
            out = self._ddb.update_item(
                TableName=self._table, Key=to_item(keys.flow_lock(shop, flow, phone)), **update
            )
        except ClientError as exc:
            raise _translate(exc) from exc
        old = from_item(out.get("Attributes")) or {}
        previous = old.get("execution")
        return str(previous) if previous and previous != execution else None

    def profiles(self, shop: str) -> list[ProfileRecord]:
        found = query_all(
            self._ddb,
            TableName=self._table,
            IndexName=keys.BY_SHOP,
            KeyConditionExpression="shop = :s AND begins_with(pk, :p)",
            ExpressionAttributeValues={":s": {"S": shop}, ":p": {"S": "PROFILE#"}},
        )
        out: list[ProfileRecord] = []
        for i in range(0, len(found), 100):
            request = {self._table: {"Keys": [{"pk": f["pk"], "sk": f["sk"]} for f in found[i : i + 100]]}}
            while request:
                got = self._ddb.batch_get_item(RequestItems=request)
                for item in got["Responses"].get(self._table, []):
                    plain = from_item(item) or {}
                    out.append(
                        ProfileRecord.model_validate(
                            {k: v for k, v in plain.items() if k in ProfileRecord.model_fields}
                        )
                    )
                request = got.get("UnprocessedKeys") or {}
        return out

    def get_profile(self, shop: str, customer_key: str) -> ProfileRecord | None:
        out = self._ddb.get_item(TableName=self._table, Key=to_item(keys.profile(shop, customer_key)))
        plain = from_item(out.get("Item"))
        if plain is None:
            return None
        return ProfileRecord.model_validate(
            {k: v for k, v in plain.items() if k in ProfileRecord.model_fields}
        )

    def set_birthday(self, shop: str, customer_key: str, birthday: str | None) -> None:
        values = {"type": "profile", "shop": shop, "customer_key": customer_key, "birthday": birthday or ""}
        self._ddb.update_item(
            TableName=self._table, Key=to_item(keys.profile(shop, customer_key)), **set_expression(values)
        )

    def add_restock(
        self, shop: str, variant_id: str, phone: str, product: str | None, url: str | None
    ) -> None:
        item = {**keys.restock(shop, variant_id, phone), "type": "restock", "shop": shop, "phone": phone,
                "gsi1pk": keys.phone_subject(shop, phone), "product": product, "url": url}  # fmt: skip
        self._ddb.put_item(TableName=self._table, Item=to_item(item))

    def take_restocks(self, shop: str, variant_id: str) -> list[dict[str, Any]]:
        pk = keys.restock(shop, variant_id, "")["pk"]
        items = query_all(self._ddb, TableName=self._table, KeyConditionExpression="pk = :p",
                           ExpressionAttributeValues={":p": {"S": pk}})  # fmt: skip
        out = []
        for item in items:
            try:  # whoever deletes it sends it: a concurrent consumer cannot double the text
                self._ddb.delete_item(TableName=self._table, Key={"pk": item["pk"], "sk": item["sk"]},
                                      ConditionExpression="attribute_exists(pk)")  # fmt: skip
            except ClientError as exc:
                if _code(exc) == "ConditionalCheckFailedException":
                    continue
                raise _translate(exc) from exc
            out.append(from_item(item) or {})
        return out

    def flow_snapshot(
        self, shop: str, phone: str, customer_key: str | None
    ) -> tuple[SubscriberState | None, ProfileRecord | None]:
        from smsflows.adapters.consent_store import state_from_item

        wanted = [keys.subscriber(shop, phone)] + ([keys.profile(shop, customer_key)] if customer_key else [])
        out = self._ddb.batch_get_item(
            RequestItems={self._table: {"Keys": [to_item(k) for k in wanted], "ConsistentRead": True}}
        )
        by_pk = {item["pk"]["S"]: item for item in out["Responses"].get(self._table, [])}
        profile_item = from_item(by_pk.get(wanted[1]["pk"])) if customer_key else None
        profile = (
            ProfileRecord.model_validate(
                {k: v for k, v in profile_item.items() if k in ProfileRecord.model_fields}
            )
            if profile_item
            else None
        )
        return state_from_item(by_pk.get(wanted[0]["pk"])), profile


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
                        "ConditionExpression": "attribute_not_exists(version) OR version = :v",
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
            from smsflows.adapters.pacing_store import fold_items

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
            code = _code(exc)
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
            raise _translate(exc) from exc
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
        from smsflows.adapters.consent_store import state_from_item

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
            raise _translate(exc) from exc
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
            raise _translate(exc) from exc
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
            if _code(exc) == "ConditionalCheckFailedException":
                return False
            raise _translate(exc) from exc
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
            if _code(exc) == "ConditionalCheckFailedException":
                return None
            raise _translate(exc) from exc
        item = from_item(out.get("Attributes")) or {}
        return (str(item["shop"]), str(item["to"])) if item.get("to") and item.get("shop") else None

    def _update(self, message_id: str, values: dict[str, Any]) -> None:
        try:
            self._ddb.update_item(
                TableName=self._table, Key=to_item(keys.message(message_id)), **set_expression(values)
            )
        except ClientError as exc:
            raise _translate(exc) from exc
