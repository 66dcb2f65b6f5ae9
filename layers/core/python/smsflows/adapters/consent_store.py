"""DynamoDB: consent ledger + state + suppression, shop configs, conversations."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters.dynamo import _code, _translate, from_item, query_all, set_expression, to_item
from smsflows.domain import keys
from smsflows.domain.consent import ConsentEvent, SubscriberState, suppression_key
from smsflows.domain.shops import ShopConfig

_STATE_FIELDS = (
    "status", "since", "version", "last_event_id", "opt_in_source", "pending_request", "review", "customer_id",
    "country", "program",
)  # fmt: skip


def state_from_item(item: dict[str, Any] | None) -> SubscriberState | None:
    plain = from_item(item)
    if plain is None:
        return None
    plain["addresses"] = tuple(tuple(a) for a in json.loads(plain.get("addresses") or "[]"))
    plain["version"] = int(plain.get("version", 0))
    return SubscriberState.model_validate(
        {k: v for k, v in plain.items() if k in SubscriberState.model_fields}
    )


class DynamoConsentStore:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def state(self, shop: str, phone: str) -> SubscriberState | None:
        try:
            out = self._ddb.get_item(
                TableName=self._table, Key=to_item(keys.subscriber(shop, phone)), ConsistentRead=True
            )
        except ClientError as exc:
            raise _translate(exc) from exc
        return state_from_item(out.get("Item"))

    def append(self, event: ConsentEvent, new_state: SubscriberState, expected_version: int) -> str:
        ledger = {
            **keys.consent_event(event.shop, event.phone, event.event_id),
            "type": "consent_event",
            "gsi1pk": keys.phone_subject(event.shop, event.phone),
            **event.model_dump(mode="json", exclude_none=True),
        }
        ledger.setdefault("recorded_at", event.at.isoformat())
        fields = {k: v for k, v in new_state.model_dump(mode="json").items() if k in _STATE_FIELDS}
        fields.update(type="subscriber", shop=event.shop, phone=event.phone, gsi1pk=ledger["gsi1pk"])
        update = set_expression(fields)
        update["ExpressionAttributeValues"][":expected"] = {"N": str(expected_version)}
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(ledger),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": to_item(keys.subscriber(event.shop, event.phone)),
                    "ConditionExpression": "attribute_not_exists(version) OR version = :expected",
                    **update,
                }
            },
        ]
        hashed = keys.suppression(suppression_key(event.shop, event.phone))
        if event.kind == "opt_out":
            # No TTL: kept >= 10 years (RULES.md A8.2, Virginia) and through a customer redaction.
            entry = {
                **hashed,
                "type": "suppression",
                "shop": event.shop,
                "since": event.at.isoformat(),
                "reason": event.classifier or event.source,
            }
            items.append({"Put": {"TableName": self._table, "Item": to_item(entry)}})
        elif event.kind in ("opt_in", "opt_in_confirmed"):
            items.append({"Delete": {"TableName": self._table, "Key": to_item(hashed)}})
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if _code(exc) != "TransactionCanceledException":
                raise _translate(exc) from exc
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return "duplicate"
            if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                return "conflict"
            raise _translate(exc) from exc
        return "ok"

    def events(self, shop: str, phone: str) -> list[ConsentEvent]:
        pk = keys.subscriber(shop, phone)["pk"]
        items = query_all(
            self._ddb,
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :e)",
            ExpressionAttributeValues={":pk": {"S": pk}, ":e": {"S": "EVENT#"}},
            ConsistentRead=True,
        )
        out = []
        for item in items:
            plain = from_item(item) or {}
            out.append(
                ConsentEvent.model_validate(
                    {k: v for k, v in plain.items() if k in ConsentEvent.model_fields}
                )
            )
        return out

    def is_suppressed(self, shop: str, phone: str) -> bool:
        out = self._ddb.get_item(
            TableName=self._table, Key=to_item(keys.suppression(suppression_key(shop, phone)))
        )
        return "Item" in out


class DynamoShopConfigs:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def get(self, shop: str) -> ShopConfig | None:
        out = self._ddb.get_item(TableName=self._table, Key=to_item(keys.shop_config(shop)))
        plain = from_item(out.get("Item"))
        return ShopConfig.model_validate_json(plain["config"]) if plain else None

    def put(self, config: ShopConfig) -> None:
        old = self.get(config.shop)
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {
                            **keys.shop_config(config.shop),
                            "type": "shop_config",
                            "shop": config.shop,
                            "config": config.model_dump_json(),
                        }
                    ),
                }
            }
        ]
        for sender in config.senders:
            items.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item({**keys.sender(sender), "type": "sender", "shop": config.shop}),
                    }
                }
            )
        for sender in set(old.senders if old else ()) - set(config.senders):
            items.append({"Delete": {"TableName": self._table, "Key": to_item(keys.sender(sender))}})
        self._ddb.transact_write_items(TransactItems=items)

    def all(self) -> list[ShopConfig]:
        items = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "#t = :t",
            "ExpressionAttributeNames": {"#t": "type"},
            "ExpressionAttributeValues": {":t": {"S": "shop_config"}},
        }
        while True:  # a handful of shops per deployment: a filtered scan once a day is fine
            out = self._ddb.scan(**kwargs)
            items += out.get("Items", [])
            if "LastEvaluatedKey" not in out:
                break
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]
        return [ShopConfig.model_validate_json((from_item(i) or {})["config"]) for i in items]

    def shop_for_sender(self, sender: str) -> str | None:
        out = self._ddb.get_item(TableName=self._table, Key=to_item(keys.sender(sender)))
        plain = from_item(out.get("Item"))
        return str(plain["shop"]) if plain else None


class DynamoConversations:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def add(
        self,
        shop: str,
        phone: str,
        message_sid: str,
        body: str,
        at: datetime,
        kind: str,
        rating: int | None = None,
        review: bool = False,
    ) -> bool:
        item = {
            **keys.conversation(shop, phone, message_sid), "type": "conversation", "shop": shop, "phone": phone,
            "gsi1pk": keys.phone_subject(shop, phone), "at": at.isoformat(), "body": body[:1600], "kind": kind,
            "rating": rating, "review": review or None,
        }  # fmt: skip
        try:
            self._ddb.put_item(
                TableName=self._table, Item=to_item(item), ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return False
            raise _translate(exc) from exc
        return True
