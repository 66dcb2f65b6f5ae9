"""The webhook inbox in DynamoDB: authentic Shopify webhooks as received, deduplicated by webhook id."""

from __future__ import annotations

import gzip
import uuid
from datetime import datetime, timedelta
from typing import Any, Literal

from boto3.dynamodb.types import Binary
from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import error_code, from_item, set_expression, to_item, translate
from smsflows.domain import keys
from smsflows.domain.shopify.records import STALE_ACCEPTING, InboxRecord

# Processed webhooks are kept 30 days for dedupe (Shopify retries for 4 hours) and support.
# Unparseable ones have no expiry: they are authentic data waiting for a replay.
WEBHOOK_RETENTION = timedelta(days=30)
# A compressed body larger than this is stored in parts (a DynamoDB item is at most 400 KB).
PART_BYTES = 350_000


class DynamoWebhookInbox:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def record(
        self, item: InboxRecord, stale_after: timedelta = STALE_ACCEPTING
    ) -> bool | Literal["in_progress"]:
        gz = gzip.compress(item.body, compresslevel=5, mtime=0)  # the same body compresses to the same bytes
        parts = (
            [gz[i : i + PART_BYTES] for i in range(0, len(gz), PART_BYTES)] if len(gz) > PART_BYTES else []
        )
        values: dict[str, Any] = {
            **keys.webhook(item.shop, item.webhook_id),
            "type": "webhook",
            "shop": item.shop,
            "webhook_id": item.webhook_id,
            "topic": item.topic,
            "api_version": item.api_version,
            "received_at": item.received_at.isoformat(),
            "state": item.state,
            "reason": item.reason,
            # this attempt's own mark: a put that was applied but answered with an error is retried by the
            # client, and the retry must recognise its own record rather than call it another's (409)
            "accept_token": uuid.uuid4().hex,
        }
        if parts:  # too large for one item (400 KB): the compressed body in parts, the record says how many
            values["body_parts"] = len(parts)
        else:
            values["body_gz"] = Binary(gz)
        if item.state != "unparseable":
            values["expires_at"] = int((item.received_at + WEBHOOK_RETENTION).timestamp())
        try:
            for n, part in enumerate(parts):  # parts first: a record never points at parts not yet written
                part_item = {**keys.webhook_part(item.shop, item.webhook_id, n), "type": "webhook_part",
                             "shop": item.shop, "body_gz": Binary(part)}  # fmt: skip
                if "expires_at" in values:
                    part_item["expires_at"] = values["expires_at"]
                self._ddb.put_item(TableName=self._table, Item=to_item(part_item))
            stale = (item.received_at - stale_after).isoformat()
            self._ddb.put_item(
                TableName=self._table,
                Item=to_item(values),
                ConditionExpression="attribute_not_exists(pk) OR (#s = :accepting AND received_at < :stale)",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={":accepting": {"S": "accepting"}, ":stale": {"S": stale}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                old = from_item(exc.response.get("Item")) or {}
                if old.get("accept_token") == values["accept_token"]:
                    return True  # our own write, applied by an earlier attempt of this same call
                if parts and old.get("redacted"):
                    # A redelivery of a body a customer redaction erased: the parts just written would bring
                    # the customer's data back (until the next redaction or their expiry); remove them.
                    for n in range(len(parts)):
                        self._ddb.delete_item(
                            TableName=self._table,
                            Key=to_item(keys.webhook_part(item.shop, item.webhook_id, n)),
                        )
                return "in_progress" if old.get("state") == "accepting" else False
            raise translate(exc) from exc
        return True

    def forget(self, shop: str, webhook_id: str) -> None:
        self._ddb.delete_item(TableName=self._table, Key=to_item(keys.webhook(shop, webhook_id)))
        for part in self._part_keys(shop, webhook_id):
            self._ddb.delete_item(TableName=self._table, Key=part)

    def _part_keys(self, shop: str, webhook_id: str) -> list[dict[str, Any]]:
        out = self._ddb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
            ExpressionAttributeValues={
                ":pk": {"S": keys.webhook(shop, webhook_id)["pk"]},
                ":p": {"S": "PART#"},
            },
            ProjectionExpression="pk, sk",
            ConsistentRead=True,
        )
        return [{"pk": i["pk"], "sk": i["sk"]} for i in out.get("Items", [])]

    def _body(self, item: dict[str, Any]) -> bytes:
        if "body_gz" in item:
            return gzip.decompress(bytes(item["body_gz"]))
        if not item.get("body_parts"):
            return b""  # a customer redaction empties the bodies that mention the customer (privacy_store)
        chunks = []
        for n in range(int(item["body_parts"])):
            got = self._ddb.get_item(
                TableName=self._table,
                Key=to_item(keys.webhook_part(item["shop"], item["webhook_id"], n)),
                ConsistentRead=True,
            )
            part = from_item(got.get("Item"))
            if part is None or "body_gz" not in part:
                return b""  # erased by a redaction
            chunks.append(bytes(part["body_gz"]))
        return gzip.decompress(b"".join(chunks))

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
            body=self._body(item),
            state="redacted" if item.get("redacted") else item.get("state", "received"),
            reason=item.get("reason"),
        )

    def ignored(self, limit: int = 100) -> list[dict[str, Any]]:
        """The webhooks that texted nobody because their shop is not onboarded, or was deactivated,
        uninstalled or redacted (state 'ignored', reason 'shop_...'), newest first, at most `limit`: shop,
        webhook_id, topic, received_at, reason. A filtered Scan, for an operator's look (GET /_local/ignored,
        the CLI), never a hot path: such a shop has no entry in any list to Query."""
        scan: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "#t = :t AND #s = :ignored AND begins_with(#r, :shop)",
            "ExpressionAttributeNames": {"#t": "type", "#s": "state", "#r": "reason", "#shop": "shop",
                                         "#id": "webhook_id", "#topic": "topic", "#at": "received_at"},
            "ExpressionAttributeValues": {":t": {"S": "webhook"}, ":ignored": {"S": "ignored"},
                                          ":shop": {"S": "shop_"}},
            "ProjectionExpression": "#shop, #id, #topic, #at, #r",
        }  # fmt: skip
        rows: list[dict[str, Any]] = []
        while True:
            try:
                page = self._ddb.scan(**scan)
            except ClientError as exc:
                raise translate(exc) from exc
            for raw in page.get("Items", []):
                item = from_item(raw) or {}
                rows.append(
                    {k: item.get(k) for k in ("shop", "webhook_id", "topic", "received_at", "reason")}
                )
            if "LastEvaluatedKey" not in page:
                break
            scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return sorted(rows, key=lambda r: str(r["received_at"]), reverse=True)[:limit]

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
