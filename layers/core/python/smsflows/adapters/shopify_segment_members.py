"""A Shopify segment's members in DynamoDB, materialised for one campaign run (domain/campaigns/
shopify_segments.py), and the subscriber states they are joined with.

One item per phone under the run (`keys.shopify_segment_member`: one partition per run, sorted by phone, so
a phone Shopify lists twice is one item and a step written twice writes the same items). A page is one Query
of that partition and one BatchGetItem of the phones' subscriber state items, each read as a `SegmentMember`
by the index's own mapping (`segment_members.member_from_item`): a phone smsflows has no state for is a
member that is not subscribed, so nobody is texted on Shopify's word alone.

`ShopifySegmentSource` reads the segments themselves from Shopify's Admin API.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import batch_get, batch_write, from_item, to_item, translate
from smsflows.adapters.segment_members import member_from_item, projection
from smsflows.domain import keys
from smsflows.domain.campaigns.segments import SegmentMember
from smsflows.domain.campaigns.shopify_segments import Fetch, MembersPage, ShopifyMember

MAX_PAGE = 1000  # phones per Query
# What the fan-out reads of a member: consent, and the candidate zones it is released by.
MEMBER_FIELDS = ("status", "candidate_zones")


def checked_cursor(pk: str, cursor: Any) -> dict[str, str]:
    """A cursor this run's `page` returned; anything else is a ValueError, never a Query elsewhere."""
    if (
        not isinstance(cursor, Mapping)
        or set(cursor) != {"pk", "sk"}
        or cursor.get("pk") != pk
        or not isinstance(cursor.get("sk"), str)
        or not str(cursor["sk"]).startswith("PHONE#")
        or len(str(cursor["sk"])) > 64
    ):
        raise ValueError("malformed Shopify segment cursor: not a member key of this run")
    return {"pk": pk, "sk": str(cursor["sk"])}


class DynamoShopifySegmentMembers:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table
        self._projection = projection(MEMBER_FIELDS)

    def write(
        self, shop: str, campaign_id: str, run: str, phones: Iterable[str], expires_at: datetime
    ) -> None:
        """Put each phone under the run (BatchWriteItem, 25 at a time, unprocessed items asked again)."""
        expires = int(expires_at.timestamp())
        requests = [
            {"PutRequest": {"Item": to_item({
                **keys.shopify_segment_member(shop, campaign_id, run, phone), "type": "shopify_segment_member",
                "shop": shop, "phone": phone, "gsi1pk": keys.phone_subject(shop, phone), "expires_at": expires,
            })}}
            for phone in dict.fromkeys(phones)
        ]  # fmt: skip
        batch_write(self._ddb, self._table, requests, "Shopify segment member writes")

    def page(
        self, shop: str, campaign_id: str, run: str, cursor: Mapping[str, str] | None, limit: int
    ) -> tuple[builtins.list[SegmentMember], dict[str, str] | None]:
        """Up to `limit` of the run's members after `cursor` (None: from the first), with their consent
        state, and the cursor of the next page (None: the last)."""
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"a page of 1 to {MAX_PAGE} members, not {limit}")
        pk = keys.shopify_segment_member(shop, campaign_id, run, "")["pk"]
        ask: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": pk}},
            "ProjectionExpression": "pk, sk, phone",
            "Limit": limit,
        }
        if cursor is not None:
            ask["ExclusiveStartKey"] = to_item(checked_cursor(pk, cursor))
        try:
            out = self._ddb.query(**ask)
        except ClientError as exc:
            raise translate(exc) from exc
        phones = [str((from_item(item) or {})["phone"]) for item in out.get("Items", [])]
        found = self.states(shop, phones)
        members = [found.get(phone) or SegmentMember(phone=phone) for phone in phones]
        last = from_item(out.get("LastEvaluatedKey"))
        return members, ({"pk": str(last["pk"]), "sk": str(last["sk"])} if last else None)

    def states(self, shop: str, phones: Iterable[str]) -> dict[str, SegmentMember]:
        """The members smsflows has for these phones (their subscriber state items), by phone; a phone
        without a state item is absent."""
        wanted = [to_item(keys.subscriber(shop, phone)) for phone in dict.fromkeys(phones)]
        if not wanted:
            return {}
        expression, names = self._projection
        items = batch_get(self._ddb, self._table, wanted, projection=expression, names=names)
        members = (member_from_item(from_item(item) or {}) for item in items)
        return {m.phone: m for m in members}


class ShopifySegmentSource:
    """The Admin API's segment operations (domain/shopify/admin_api.py, over the ShopifyAdmin port) in the
    shapes the campaigns' domain reads (it may not import domain/shopify)."""

    def __init__(self, admin: Any) -> None:
        self._admin = admin

    def fetch(self, shop: str, segment_id: str) -> Fetch:
        """One page of the segment's members at a time: `fetch(after, first)`."""
        from smsflows.domain.shopify import admin_api

        def one(after: str | None, first: int) -> MembersPage:
            page = admin_api.segment_page(self._admin, shop, segment_id, first, after)
            members = tuple(ShopifyMember(m.phone, m.marketing_state) for m in page.members)
            return MembersPage(page.total_count, members, page.end_cursor, page.has_next_page)

        return one

    def total(self, shop: str, segment_id: str) -> int | None:
        """Shopify's totalCount of the segment (one call of one member)."""
        return self.fetch(shop, segment_id)(None, 1).total

    def segments(self, shop: str) -> builtins.list[dict[str, Any]]:
        """The shop's Shopify segments: {"id", "name", "query"} each, as Shopify orders them."""
        from smsflows.domain.shopify import admin_api

        return [
            {"id": s.segment_id, "name": s.name, "query": s.query}
            for s in admin_api.list_segments(self._admin, shop)
        ]

    def segment(self, shop: str, segment_id: str) -> dict[str, Any] | None:
        """The shop's Shopify segment with this GID, or None."""
        return next((s for s in self.segments(shop) if s["id"] == segment_id), None)
