"""A shop's saved segments in DynamoDB (`smsflows segment create`; campaigns name them with `--segment`).

One item per segment (`keys.segment`: partition `SEGMENT#<shop>`, so a shop's list is one Query) holding the
document as `dump_segment` wrote it (JSON), its one-line description, who created it and when, when it was
last replaced, and a version. The item carries `shop`, so it is in the by_shop index and `shop/redact`
erases it with the rest of the shop's data.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import Update, from_item, query_all, to_item, translate
from smsflows.domain import keys
from smsflows.domain.campaigns.segments import describe, parse_segment

GET_KEYS = ("name", "document", "created_by", "created_at", "updated_at")


def _record(plain: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": str(plain["name"]),
        "document": json.loads(str(plain["document"])),
        "created_by": str(plain["created_by"]),
        "created_at": datetime.fromisoformat(str(plain["created_at"])),
        "updated_at": datetime.fromisoformat(str(plain["updated_at"])),
    }


class DynamoSegments:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def put(self, shop: str, name: str, document: Mapping[str, Any], by: str, at: datetime) -> None:
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
        update = Update()
        update.set("type", "segment").set("shop", shop).set("name", name).set("document", text)
        update.set("describe", describe(parse_segment(text))).set("updated_at", at.isoformat())
        update.set("updated_by", by).set_if_absent("created_at", at.isoformat()).set_if_absent(
            "created_by", by
        )
        update.add("version", 1)
        try:
            self._ddb.update_item(
                TableName=self._table, Key=to_item(keys.segment(shop, name)), **update.build()
            )
        except ClientError as exc:
            raise translate(exc) from exc

    def get(self, shop: str, name: str) -> dict[str, Any] | None:
        try:
            out = self._ddb.get_item(
                TableName=self._table, Key=to_item(keys.segment(shop, name)), ConsistentRead=True
            )
        except ClientError as exc:
            raise translate(exc) from exc
        plain = from_item(out.get("Item"))
        return _record(plain) if plain else None

    def list(self, shop: str) -> builtins.list[dict[str, Any]]:
        prefix = keys.segment(shop, "")
        try:
            items = query_all(
                self._ddb,
                TableName=self._table,
                KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                ExpressionAttributeValues={":p": {"S": prefix["pk"]}, ":s": {"S": prefix["sk"]}},
                ConsistentRead=True,
            )
        except ClientError as exc:
            raise translate(exc) from exc
        return sorted((_record(from_item(i) or {}) for i in items), key=lambda r: r["name"])
