"""The webhook inbox in DynamoDB: authentic Shopify webhooks as received, deduplicated by webhook id."""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.types import Binary
from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import error_code, from_item, set_expression, to_item, translate
from smsflows.domain import keys
from smsflows.domain.shopify.records import InboxRecord

# Processed webhooks are kept 30 days for dedupe (Shopify retries for 4 hours) and support.
# Unparseable ones have no expiry: they are authentic data waiting for a replay.
WEBHOOK_RETENTION = timedelta(days=30)


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
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise translate(exc) from exc
        return True

    def forget(self, shop: str, webhook_id: str) -> None:
        self._ddb.delete_item(TableName=self._table, Key=to_item(keys.webhook(shop, webhook_id)))

    def get(self, shop: str, webhook_id: str) -> InboxRecord | None:
        try:
            out = self._ddb.get_item(
                TableName=self._table, Key=to_item(keys.webhook(shop, webhook_id)), ConsistentRead=True
            )
        except ClientError as exc:
            raise translate(exc) from exc
        item = from_item(out.get("Item"))
        if item is None:
            return None
        return InboxRecord(
            shop=item["shop"],
            webhook_id=item["webhook_id"],
            topic=item["topic"],
            api_version=item.get("api_version"),
            received_at=datetime.fromisoformat(item["received_at"]),
            # a customer redaction empties the bodies that mention the customer (privacy_store)
            body=gzip.decompress(bytes(item["body_gz"])) if "body_gz" in item else b"",
            state="redacted" if item.get("redacted") else item.get("state", "received"),
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
            if error_code(exc) == "ConditionalCheckFailedException":
                return  # the record expired or was erased; nothing to mark
            raise translate(exc) from exc
