"""A shop's segment members in DynamoDB: the sparse, sharded `by_segment` index over the subscriber state
items (docs/segments.md §2), paged one shard at a time, each item read as a `SegmentMember` here and only
here (`member_from_item`).

The index holds a state item while it carries `seg_pk`, which the consent writer sets with `status =
subscribed` and removes otherwise, in the same write. It projects the summary's attributes
(`keys.SEGMENT_PROJECTION`), so a page is evaluated as it arrives: no BatchGetItem. `fields` (e.g. a segment's
`needs()`) narrows what each Query returns; read units are the same, transfer and deserialisation less.

`backfill` gives the state items of subscribers who were subscribed before segments existed their `seg_pk`
and candidate zones.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import Update, batch_get, error_code, from_item, to_item, translate
from smsflows.adapters.consent_store import place_attributes
from smsflows.domain import keys
from smsflows.domain.campaigns.segments import SUBSCRIBED, SegmentMember
from smsflows.domain.shopify.summary import place_summary

MAX_PAGE = 2000  # members per Query; DynamoDB also ends a page at 1 MB (about 1,900 summaries of 550 B)
CURSOR_FIELDS = (
    "seg_pk",
    "pk",
    "sk",
)  # a by_segment Query's LastEvaluatedKey: the index key and the table key
_STATE_SK = keys.subscriber("", "")["sk"]

# Each SegmentMember field and the item attributes it is read from (the first present wins).
MEMBER_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "phone": ("phone",),
    "status": ("status",),
    "opt_in_source": ("opt_in_source",),
    "subscribed_at": ("since",),
    "orders_count": ("orders_count", "orders_seen"),  # Shopify's figure, else the orders seen since install
    "total_spent": ("total_spent", "spent_seen"),
    "last_order_at": ("last_order_at",),
    "first_order_at": ("first_order_at",),
    "product_ids": ("bought_p",),
    "variant_ids": ("bought_v",),
    "collection_ids": ("bought_c",),
    "bought_truncated": ("bought_truncated",),
    "tags": ("tags",),
    "country": ("place_country",),
    "state": ("place_state",),
    "candidate_zones": ("zones",),
    "last_reply_at": ("last_reply_at",),
    "last_click_at": ("last_click_at",),
}
_INSTANTS = ("subscribed_at", "last_order_at", "first_order_at", "last_reply_at", "last_click_at")
_SETS = ("product_ids", "variant_ids", "collection_ids", "tags", "candidate_zones")


def _first(plain: Mapping[str, Any], field: str) -> Any:
    for attribute in MEMBER_ATTRIBUTES[field]:
        if plain.get(attribute) is not None:
            return plain[attribute]
    return None


def member_from_item(plain: Mapping[str, Any]) -> SegmentMember:
    """The member a state item (plain values) describes; what it lacks is left at the member's default
    (unknown, or none)."""
    values: dict[str, Any] = {}
    for field in MEMBER_ATTRIBUTES:
        value = _first(plain, field)
        if value is None:
            continue
        if field in _INSTANTS:
            value = datetime.fromisoformat(str(value))
        elif field in _SETS:
            value = frozenset(str(v) for v in value)
        elif field == "orders_count":
            value = int(value)
        elif field == "total_spent":
            value = Decimal(str(value))
        elif field == "bought_truncated":
            value = bool(value)
        else:
            value = str(value)
        values[field] = value
    if values.get("status") != SUBSCRIBED:
        values.pop("subscribed_at", None)  # `since` is the subscription's start only while subscribed
    return SegmentMember(**values)


def checked_cursor(shop: str, shard: int, cursor: Any) -> dict[str, str]:
    """`cursor` checked to be one `page` returned for this shop's shard: exactly the three key strings, a
    state item's key of this shop. Anything else is a ValueError, never a Query that starts elsewhere."""
    if not isinstance(cursor, Mapping) or set(cursor) != set(CURSOR_FIELDS):
        raise ValueError(f"malformed segment cursor: expected the keys {', '.join(CURSOR_FIELDS)}")
    if not all(isinstance(cursor[k], str) and 0 < len(cursor[k]) <= 1024 for k in CURSOR_FIELDS):
        raise ValueError("malformed segment cursor: its keys must be strings of 1 to 1024 characters")
    if (
        cursor["seg_pk"] != keys.segment_shard_partition(shop, shard)
        or not str(cursor["pk"]).startswith(keys.subscriber(shop, "")["pk"])
        or cursor["sk"] != _STATE_SK
    ):
        raise ValueError("malformed segment cursor: not a member key of this shop's shard")
    return {k: str(cursor[k]) for k in CURSOR_FIELDS}


def projection(wanted: Iterable[str]) -> tuple[str, dict[str, str]]:
    """A ProjectionExpression of the keys and the attributes the SegmentMember fields `wanted` are read from
    (phone and status always)."""
    unknown = set(wanted) - set(MEMBER_ATTRIBUTES)
    if unknown:
        raise ValueError(f"not SegmentMember fields: {', '.join(sorted(unknown))}")
    attributes = dict.fromkeys(["pk", "sk", "seg_pk"])
    for field in ("phone", "status", *sorted(wanted)):
        if field == "subscribed_at":
            attributes.setdefault("status")
        attributes.update(dict.fromkeys(MEMBER_ATTRIBUTES[field]))
    names = {f"#p{i}": a for i, a in enumerate(attributes)}
    return ", ".join(names), names


class DynamoSegmentMembers:
    shards = keys.SEGMENT_SHARDS

    def __init__(self, client: Any, table: str, fields: Iterable[str] | None = None) -> None:
        """`fields`: the SegmentMember fields the pages need (e.g. `needs(segment)`); None: all of them."""
        self._ddb = client
        self._table = table
        self._projection = projection(fields) if fields is not None else None

    def page(
        self, shop: str, shard: int, cursor: Mapping[str, str] | None, limit: int
    ) -> tuple[builtins.list[SegmentMember], dict[str, str] | None]:
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"a page of 1 to {MAX_PAGE} members, not {limit}")
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": keys.BY_SEGMENT,
            "KeyConditionExpression": "seg_pk = :s",
            "ExpressionAttributeValues": {":s": {"S": keys.segment_shard_partition(shop, shard)}},
            "Limit": limit,
        }
        if self._projection is not None:
            query["ProjectionExpression"], query["ExpressionAttributeNames"] = self._projection
        if cursor is not None:
            query["ExclusiveStartKey"] = to_item(checked_cursor(shop, shard, cursor))
        try:
            found = self._ddb.query(**query)
        except ClientError as exc:
            raise translate(exc) from exc
        members = [member_from_item(from_item(item) or {}) for item in found.get("Items", [])]
        last = from_item(found.get("LastEvaluatedKey"))
        return members, ({k: str(last[k]) for k in CURSOR_FIELDS} if last else None)


def members(port: Any, shop: str, limit: int = 1000) -> Iterator[SegmentMember]:
    """Every member of the shop, shard after shard, page after page (any SegmentMembers)."""
    for shard in range(port.shards):
        cursor: Mapping[str, str] | None = None
        while True:
            page, cursor = port.page(shop, shard, cursor, limit)
            yield from page
            if cursor is None:
                break


# ---------------------------------------------------------------------------------------------------------
# Backfill: subscribers from before segments


BACKFILL_CURSOR_FIELDS = ("shop", "pk", "sk")  # a by_shop Query's LastEvaluatedKey
MAX_BACKFILL_PAGE = 100  # keys per by_shop Query: one BatchGetItem of the states


@dataclass
class BackfillPage:
    """One page of a backfill: what it found and did, and where the next page starts (None: done)."""

    states: int = 0  # subscriber state items read
    subscribed: int = 0
    updated: int = 0  # given seg_pk or their candidate zones
    already: int = 0  # subscribed, and indexed with their zones already
    changed_meanwhile: int = 0  # their consent changed between the read and the write: the writer's is newer
    truncated: int = 0  # subscribed members with a bought-ids set at its cap
    cursor: dict[str, str] | None = None


def checked_backfill_cursor(shop: str, cursor: Any) -> dict[str, str]:
    if not isinstance(cursor, Mapping) or set(cursor) != set(BACKFILL_CURSOR_FIELDS):
        raise ValueError(f"malformed backfill cursor: expected the keys {', '.join(BACKFILL_CURSOR_FIELDS)}")
    if not all(isinstance(cursor[k], str) and 0 < len(cursor[k]) <= 1024 for k in BACKFILL_CURSOR_FIELDS):
        raise ValueError("malformed backfill cursor: its keys must be strings of 1 to 1024 characters")
    if cursor["shop"] != shop or not str(cursor["pk"]).startswith(keys.subscriber(shop, "")["pk"]):
        raise ValueError("malformed backfill cursor: not a subscriber key of this shop")
    return {k: str(cursor[k]) for k in BACKFILL_CURSOR_FIELDS}


def backfill_page(
    client: Any,
    table: str,
    shop: str,
    cursor: Mapping[str, Any] | None = None,
    limit: int = MAX_BACKFILL_PAGE,
    before_write: Callable[[], None] | None = None,
) -> BackfillPage:
    """One page of the shop's subscriber items (the by_shop index, never a Scan): every subscribed one gets
    `seg_pk` and the candidate zones of its addresses where they are missing or differ, each write
    conditional on the status, `version` and addresses read, so a consent change meanwhile is never undone
    (the consent writer keeps `seg_pk` itself from then on). Idempotent: run again, it finds them done.
    `before_write` is called before each write (the caller's pacing)."""
    if not 1 <= limit <= MAX_BACKFILL_PAGE:
        raise ValueError(f"a page of 1 to {MAX_BACKFILL_PAGE} keys, not {limit}")
    query: dict[str, Any] = {
        "TableName": table,
        "IndexName": keys.BY_SHOP,
        "KeyConditionExpression": "shop = :s AND begins_with(pk, :p)",
        "ExpressionAttributeValues": {":s": {"S": shop}, ":p": {"S": keys.subscriber(shop, "")["pk"]}},
        "Limit": limit,
    }
    if cursor is not None:
        query["ExclusiveStartKey"] = to_item(checked_backfill_cursor(shop, cursor))
    try:
        found = client.query(**query)
    except ClientError as exc:
        raise translate(exc) from exc
    wanted = [{"pk": i["pk"], "sk": i["sk"]} for i in found.get("Items", []) if i["sk"]["S"] == _STATE_SK]
    result = BackfillPage()
    for raw in sorted(batch_get(client, table, wanted) if wanted else [], key=lambda i: i["pk"]["S"]):
        plain = from_item(raw) or {}
        result.states += 1
        if plain.get("status") != SUBSCRIBED:
            continue
        result.subscribed += 1
        if plain.get("bought_truncated"):
            result.truncated += 1
        outcome = _backfill_one(client, table, shop, plain, before_write)
        setattr(result, outcome, getattr(result, outcome) + 1)
    last = from_item(found.get("LastEvaluatedKey"))
    result.cursor = {k: str(last[k]) for k in BACKFILL_CURSOR_FIELDS} if last else None
    return result


def _backfill_one(
    client: Any, table: str, shop: str, plain: dict[str, Any], before_write: Callable[[], None] | None
) -> str:
    phone = str(plain["phone"])
    stored = plain.get("addresses")
    addresses = [tuple(a) for a in json.loads(str(stored))] if stored else []
    wanted = {
        "seg_pk": keys.segment_partition(shop, phone),
        **place_attributes(place_summary(phone, addresses)),
    }
    update = Update()
    for name, value in wanted.items():
        if value is not None and _differs(plain.get(name), value):
            update.set(name, value)
    if update.empty:
        return "already"
    status, version, held = update.name("status"), update.name("version"), update.name("addresses")
    update.where(
        f"{status} = {update.value(SUBSCRIBED)} AND {version} = {update.value(plain.get('version', 0))}"
    )
    update.where(
        f"{held} = {update.value(str(stored))}" if stored is not None else f"attribute_not_exists({held})"
    )
    if before_write is not None:
        before_write()
    try:
        client.update_item(TableName=table, Key=to_item(keys.subscriber(shop, phone)), **update.build())
    except ClientError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return "changed_meanwhile"
        raise translate(exc) from exc
    return "updated"


def _differs(stored: Any, value: Any) -> bool:
    if isinstance(value, set):
        return set(stored or ()) != value
    return stored != value
