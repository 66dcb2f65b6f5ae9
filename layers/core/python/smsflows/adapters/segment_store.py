"""A shop's saved segments in DynamoDB (`smsflows segment create`; campaigns name them with `--segment`).

One item per segment (`keys.segment`: partition `SEGMENT#<shop>`, so a shop's list is one Query) holding the
document as `dump_segment` wrote it (JSON), its one-line description, who created it and when, when it was
last replaced, and a version. A Shopify segment (issue 17) also holds `shopify`: the Shopify segment's id,
name and query as they were when it was made, and the last count of who of it is textable (`note_count`).
The item carries `shop`, so it is in the by_shop index and `shop/redact`
erases it with the rest of the shop's data.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import Update, error_code, from_item, query_all, to_item, translate
from smsflows.domain import keys
from smsflows.domain.campaigns.segments import describe, parse_segment
from smsflows.domain.campaigns.shopify_segments import describe as shopify_describe

GET_KEYS = ("name", "document", "created_by", "created_at", "updated_at")


def _record(plain: Mapping[str, Any]) -> dict[str, Any]:
    out = {
        "name": str(plain["name"]),
        "document": json.loads(str(plain["document"])),
        "created_by": str(plain["created_by"]),
        "created_at": datetime.fromisoformat(str(plain["created_at"])),
        "updated_at": datetime.fromisoformat(str(plain["updated_at"])),
    }
    if plain.get("shopify"):  # only a Shopify segment has the key
        out["shopify"] = json.loads(str(plain["shopify"]))
        if plain.get("last_count"):
            out["shopify"]["last_count"] = json.loads(str(plain["last_count"]))
    return out


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


class DynamoSegments:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def put(
        self,
        shop: str,
        name: str,
        document: Mapping[str, Any],
        by: str,
        at: datetime,
        shopify: Mapping[str, Any] | None = None,
    ) -> None:
        text = _json(document)
        update = Update()
        update.set("type", "segment").set("shop", shop).set("name", name).set("document", text)
        if shopify is not None:
            update.set("shopify", _json(shopify)).set("describe", shopify_describe(shopify))
        else:
            update.remove("shopify").set("describe", describe(parse_segment(text)))
        update.remove("last_count")  # a count of what the segment was before
        update.set("updated_at", at.isoformat())
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

    def note_count(self, shop: str, name: str, count: Mapping[str, Any]) -> None:
        """Keep a Shopify segment's last count (`segment list` shows it); nothing if the segment is gone."""
        update = Update()
        update.set("last_count", _json(count))
        update.where(f"attribute_exists({update.name('shopify')})")
        try:
            self._ddb.update_item(
                TableName=self._table, Key=to_item(keys.segment(shop, name)), **update.build()
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return
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
