"""DynamoDB side of the privacy webhooks: find everything about a subject (secondary indexes), export, erase."""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from typing import Any

from boto3.dynamodb.types import Binary
from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import batch_get, error_code, from_item, query_all, to_item, translate
from smsflows.domain import keys

KEEP = frozenset({"consent_event", "suppression"})  # evidence (RULES.md A8.2): see domain.privacy
# Keys and stored bodies, not data about the person: a webhook's raw body, and an earlier export's content
# (a copy of what this export holds anyway; the earlier export itself is listed, by id and time).
INTERNAL = frozenset({"pk", "sk", "gsi1pk", "body_gz", "export_gz"})


class DynamoPrivacyStore:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def _subject_keys(self, subject: str) -> list[dict[str, Any]]:
        items = query_all(
            self._ddb,
            TableName=self._table,
            IndexName=keys.BY_SUBJECT,
            KeyConditionExpression="gsi1pk = :s",
            ExpressionAttributeValues={":s": {"S": subject}},
        )
        return [{"pk": i["pk"], "sk": i["sk"]} for i in items]

    def _items(
        self, shop: str, customer_id: str | None, phones: list[str], order_ids: list[str]
    ) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        if customer_id:
            found += self._subject_keys(keys.customer_subject(shop, customer_id))
        for phone in phones:
            found += self._subject_keys(keys.phone_subject(shop, phone))
        found += [to_item(keys.order(shop, o)) for o in order_ids]
        return batch_get(self._ddb, self._table, found)

    def phones_of(self, shop: str, customer_id: str) -> list[str]:
        items = batch_get(
            self._ddb, self._table, self._subject_keys(keys.customer_subject(shop, customer_id))
        )
        return sorted({i["phone"]["S"] for i in items if "phone" in i and "S" in i["phone"]})

    def collect(
        self, shop: str, customer_id: str | None, phones: list[str], order_ids: list[str]
    ) -> dict[str, Any]:
        grouped: dict[str, list[dict[str, Any]]] = {}
        for item in self._items(shop, customer_id, phones, order_ids):
            plain = from_item(item) or {}
            kind = str(plain.get("type", "other"))
            grouped.setdefault(kind, []).append(
                {
                    k: (_shown(v) if isinstance(v, (set, bytes, Binary)) else v)
                    for k, v in plain.items()
                    if k not in INTERNAL
                }
            )
        return json.loads(json.dumps(grouped, default=str))

    def save_export(self, shop: str, request_id: str, payload: dict[str, Any]) -> None:
        body = gzip.compress(json.dumps(payload, default=str).encode())
        item = {**keys.export(shop, request_id), "type": "privacy_export", "shop": shop, "request_id": request_id,
                "export_gz": Binary(body)}  # fmt: skip
        if payload.get("customer_id"):  # found again, and erased, by the customer's redaction
            item["gsi1pk"] = keys.customer_subject(shop, str(payload["customer_id"]))
        self._ddb.put_item(TableName=self._table, Item=to_item(item))

    def load_export(self, shop: str, request_id: str) -> dict[str, Any] | None:
        """The export `save_export` wrote for a data request, or None if there is none (yet)."""
        out = self._ddb.get_item(TableName=self._table, Key=to_item(keys.export(shop, request_id)))
        item = from_item(out.get("Item"))
        return dict(json.loads(gzip.decompress(bytes(item["export_gz"])))) if item else None

    def erase_subject(
        self,
        shop: str,
        customer_id: str | None,
        phones: list[str],
        order_ids: list[str],
        mentions: Sequence[str] = (),
    ) -> int:
        count = self._scrub_webhooks(shop, mentions)
        for item in self._items(shop, customer_id, phones, order_ids):
            kind = item.get("type", {}).get("S")
            key = {"pk": item["pk"], "sk": item["sk"]}
            if kind in KEEP:
                continue
            if kind == "message":  # keep the delivery record (billing, audit), drop who it went to
                self._ddb.update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression="SET redacted = :t REMOVE #to, gsi1pk",
                    ExpressionAttributeNames={"#to": "to"},
                    ExpressionAttributeValues={":t": {"BOOL": True}},
                )
            else:
                self._ddb.delete_item(TableName=self._table, Key=key)
            count += 1
        return count + self._scrub_campaign_cursors(shop, phones)

    def _scrub_campaign_cursors(self, shop: str, phones: list[str]) -> int:
        """A campaign run under way keeps its place in the segment index: the key of the last member it read,
        which holds that member's phone. For the subject's phones, move the place to just before their key
        (the key without its last character): the run reads at most a few members again, whose texts the
        sender drops as duplicates (the message id is campaign × run × recipient)."""
        if not phones:
            return 0
        run = keys.campaign_run(shop, "", "")
        prefix = run["sk"].split("#", 1)[0] + "#"  # every run of every campaign of the shop: "RUN#"
        found = query_all(
            self._ddb,
            TableName=self._table,
            KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
            ExpressionAttributeValues={":p": {"S": run["pk"]}, ":s": {"S": prefix}},
            ProjectionExpression="pk, sk, progress",
            ConsistentRead=True,
        )
        count = 0
        for item in found:
            old = item.get("progress", {}).get("S")
            progress = json.loads(old) if old else {}
            after = progress.get("after") or {}
            # the index's cursor names the phone in `pk`; a Shopify segment's run (its own members) in `sk`
            field = next((f for f in ("pk", "sk") if any(str(after.get(f, "")).endswith(f"#{phone}")
                                                        for phone in phones)), None)  # fmt: skip
            if field is None:
                continue
            progress["after"] = {**after, field: str(after[field])[:-1]}
            try:
                self._ddb.update_item(
                    TableName=self._table,
                    Key={"pk": item["pk"], "sk": item["sk"]},
                    UpdateExpression="SET progress = :p",
                    ConditionExpression="progress = :old",  # a step that moved on meanwhile left the phone
                    ExpressionAttributeValues={
                        ":p": {"S": json.dumps(progress, separators=(",", ":"))},
                        ":old": {"S": old},
                    },
                )
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise translate(exc) from exc
                continue
            count += 1
        return count

    def _scrub_webhooks(self, shop: str, mentions: Sequence[str]) -> int:
        """Empty the raw body of every stored webhook of the shop that mentions the subject. The item stays
        (it is the dedupe key for Shopify's retries) with `redacted`; bodies expire after 30 days anyway,
        but a redaction does not wait for that."""
        needles = [m.encode() for m in mentions if m]
        if not needles:
            return 0
        found = query_all(
            self._ddb,
            TableName=self._table,
            IndexName=keys.BY_SHOP,
            KeyConditionExpression="shop = :s AND begins_with(pk, :w)",
            ExpressionAttributeValues={":s": {"S": shop}, ":w": {"S": "WEBHOOK#"}},
        )
        count = 0
        items = batch_get(self._ddb, self._table, [{"pk": i["pk"], "sk": i["sk"]} for i in found])
        parts: dict[str, list[dict[str, Any]]] = {}
        for item in items:  # a body too large for one item is in parts (webhook_inbox), read it whole
            if item["sk"]["S"].startswith("PART#"):
                parts.setdefault(item["pk"]["S"], []).append(item)
        for item in items:
            if item["sk"]["S"].startswith("PART#"):
                continue
            mine = sorted(parts.get(item["pk"]["S"], []), key=lambda p: p["sk"]["S"])
            if "redacted" in item and "body_parts" not in item:
                # An earlier redaction emptied the head and died before deleting its parts: finish it (the
                # parts hold the body, and nothing would read them again).
                for part in mine:
                    self._ddb.delete_item(TableName=self._table, Key={"pk": part["pk"], "sk": part["sk"]})
                continue
            if "body_gz" in item:
                body = gzip.decompress(bytes(item["body_gz"]["B"]))
            elif "body_parts" in item and mine:
                body = gzip.decompress(b"".join(bytes(p["body_gz"]["B"]) for p in mine if "body_gz" in p))
            else:
                continue
            if not any(n in body for n in needles):
                continue
            self._ddb.update_item(
                TableName=self._table,
                Key={"pk": item["pk"], "sk": item["sk"]},
                UpdateExpression="SET redacted = :t REMOVE body_gz, body_parts",
                ExpressionAttributeValues={":t": {"BOOL": True}},
            )
            for part in mine:
                self._ddb.delete_item(TableName=self._table, Key={"pk": part["pk"], "sk": part["sk"]})
            count += 1
        return count

    def erase_shop(self, shop: str) -> int:
        found = query_all(
            self._ddb,
            TableName=self._table,
            IndexName=keys.BY_SHOP,
            KeyConditionExpression="shop = :s",
            ExpressionAttributeValues={":s": {"S": shop}},
        )
        count = 0
        for item in batch_get(self._ddb, self._table, [{"pk": i["pk"], "sk": i["sk"]} for i in found]):
            if item.get("type", {}).get("S") in KEEP | {"shop_config"}:
                continue
            self._ddb.delete_item(TableName=self._table, Key={"pk": item["pk"], "sk": item["sk"]})
            count += 1
        return count


def _shown(value: Any) -> str:
    """A set or binary value as export text (str() of a boto3 Binary raises: it returns bytes)."""
    if isinstance(value, Binary):
        value = value.value
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)
