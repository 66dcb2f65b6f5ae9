"""DynamoDB side of the measurement (issue 16): short links, the customer's touch record, counters, the
order attributions and the holdouts' lift groups. Key layout in `domain/keys.py`."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import Update, batch_get, error_code, from_item, query_all, to_item, translate
from smsflows.domain import keys
from smsflows.domain.analytics import counters
from smsflows.domain.analytics.attribution import Attribution, Touches, Touchpoint
from smsflows.domain.analytics.lift import Group
from smsflows.domain.analytics.links import Link

# A link item outlives its expiry by this long, so a late click meets the friendly "expired" page (and is
# counted as expired) rather than an unknown code; then DynamoDB's TTL removes it.
KEEP_AFTER_EXPIRY_S = 30 * 86400
# Counters are aggregates, not data about a person: kept two years.
COUNTER_KEEP_S = 730 * 86400


def _num(value: float | int) -> Decimal:
    return Decimal(str(round(float(value), 6)))


@dataclass(frozen=True)
class Followed:
    """What GET /l/{code} found: the link (None: no such code), whether it had expired, and whether this
    was the first counted click on it."""

    link: Link | None
    expired: bool = False
    first: bool = False


def _link(plain: Mapping[str, Any]) -> Link:
    return Link(
        code=str(plain["code"]), shop=str(plain["shop"]), phone=str(plain["phone"]),
        message_id=str(plain["mid"]), scope=str(plain["scope"]), target=str(plain["target"]),
        created_at=datetime.fromisoformat(str(plain["created_at"])),
        expires_at=datetime.fromtimestamp(int(plain["link_expires_s"]), UTC),
    )  # fmt: skip


class DynamoMeasurement:
    def __init__(self, client: Any, table: str, shards: int = counters.SHARDS) -> None:
        self._ddb = client
        self._table = table
        self._shards = shards

    # Links -------------------------------------------------------------------------------------------
    def put_links(self, links: Sequence[Link]) -> None:
        """Store each link once (a retried send writes the same codes: the first write stands)."""
        for link in links:
            expires_s = int(link.expires_at.timestamp())
            item = {
                **keys.link(link.code), "type": "link", "code": link.code, "shop": link.shop,
                "phone": link.phone, "gsi1pk": keys.phone_subject(link.shop, link.phone), "mid": link.message_id,
                "scope": link.scope, "target": link.target, "created_at": link.created_at.isoformat(),
                "link_expires_s": expires_s, "expires_at": expires_s + KEEP_AFTER_EXPIRY_S,
            }  # fmt: skip
            self._put_new(item)

    def follow(self, code: str, now: datetime, person: bool) -> Followed:
        """The link of `code`, in one call. A person's click on a live link is counted on the item itself
        (UpdateItem, which returns the link: no read before it); a bot's or an expired one only reads."""
        key = to_item(keys.link(code))
        if not person:
            out = self._call("get_item", TableName=self._table, Key=key)
            plain = from_item(out.get("Item"))
            if not plain:
                return Followed(None)
            link = _link(plain)
            return Followed(link, expired=link.expired(now))
        update = (
            Update()
            .add("clicks", 1)
            .set_if_absent("first_click_at", now.isoformat())
            .set("last_click_at", now.isoformat())
        )
        update.where(
            f"attribute_exists(pk) AND {update.name('link_expires_s')} > {update.value(int(now.timestamp()))}"
        )
        try:
            out = self._ddb.update_item(
                TableName=self._table, Key=key, ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD", **update.build(),
            )  # fmt: skip
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise translate(exc) from exc
            plain = from_item(exc.response.get("Item"))  # type: ignore[arg-type]
            if not plain:
                return Followed(None)
            self._call(
                "update_item", TableName=self._table, Key=key, **Update().add("expired_clicks", 1).build()
            )
            return Followed(_link(plain), expired=True)
        plain = from_item(out.get("Attributes")) or {}
        return Followed(_link(plain), first="first_click_at" not in plain)

    # Counters ----------------------------------------------------------------------------------------
    def count(self, shop: str, at: datetime, scope: str, values: Mapping[str, float | int]) -> None:
        """ADD `values` to the scope's counters of `at`'s day, on a random shard (one UpdateItem)."""
        update = Update()
        for name, value in values.items():
            if value:
                update.add(name, _num(value))
        if update.empty:
            return
        update.set("day", counters.day_of(at)).set("expires_at", int(at.timestamp()) + COUNTER_KEEP_S)
        # the shop (by_shop: shop/redact erases its counters too), written once: a key attribute that does not
        # change costs the index no write
        update.set_if_absent("shop", shop).set_if_absent("type", "counter")
        shard = random.randrange(self._shards)
        self._call("update_item", TableName=self._table,
                   Key=to_item(keys.counter(shop, counters.day_of(at), shard, scope)), **update.build())  # fmt: skip

    def rows(self, shop: str, since: date, until: date) -> list[counters.Row]:
        """Every counter item of the shop from `since` to `until` (inclusive): one Query per day and shard."""
        out: list[counters.Row] = []
        for day in counters.days_between(since, until):
            for shard in range(self._shards):
                pk = keys.counter(shop, day, shard, "")["pk"]
                items = self._query(
                    KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": pk}}
                )
                for item in items:
                    plain = from_item(item) or {}
                    values = {
                        k: float(v) for k, v in plain.items() if isinstance(v, Decimal) and k != "expires_at"
                    }
                    out.append(counters.Row(day, str(plain["sk"]), values))
        return out

    # The touch record ----------------------------------------------------------------------------------
    def note_sent(self, shop: str, phone: str, sent: Touchpoint, discount_code: str | None) -> None:
        update = Update().set("type", "touch").set("shop", shop).set("phone", phone)
        update.set("gsi1pk", keys.phone_subject(shop, phone)).set("last_sent", sent.to_json())
        if discount_code:
            update.set(f"code#{discount_code.strip().upper()}", sent.to_json())
        self._call(
            "update_item", TableName=self._table, Key=to_item(keys.touch(shop, phone)), **update.build()
        )

    def note_click(self, shop: str, phone: str, click: Touchpoint) -> None:
        update = Update().set("type", "touch").set("shop", shop).set("phone", phone)
        update.set("gsi1pk", keys.phone_subject(shop, phone)).set("last_click", click.to_json())
        self._call(
            "update_item", TableName=self._table, Key=to_item(keys.touch(shop, phone)), **update.build()
        )
        # the subscriber's summary (segments: "clicked in the last N days"), if they are a subscriber
        state = Update().set("last_click_at", click.at.isoformat())
        state.where(f"attribute_exists(pk) AND (attribute_not_exists({state.name('last_click_at')}) OR "
                    f"{state.name('last_click_at')} < {state.value(click.at.isoformat())})")  # fmt: skip
        try:
            self._ddb.update_item(
                TableName=self._table, Key=to_item(keys.subscriber(shop, phone)), **state.build()
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise translate(exc) from exc

    def enter(self, shop: str, flow: str, group: str, phone: str, execution: str, at: datetime) -> bool:
        """Record an entry into a flow with a holdout: once per execution (a redelivered trigger counts
        nothing twice), its group's recipients counted, and the group on the touch record (the lift)."""
        root = f"flow:{flow}"
        item = {**keys.lift_entry(shop, root, execution), "type": "lift_entry", "shop": shop, "phone": phone,
                "gsi1pk": keys.phone_subject(shop, phone), "group": group, "at": at.isoformat()}  # fmt: skip
        if not self._put_new(item):
            return False
        group_update = (
            Update().add("recipients", 1).set_if_absent("shop", shop).set_if_absent("type", "lift_group")
        )
        self._call("update_item", TableName=self._table, Key=to_item(keys.lift_group(shop, root, group)),
                   **group_update.build())  # fmt: skip
        touch = Update().set("type", "touch").set("shop", shop).set("phone", phone)
        touch.set("gsi1pk", keys.phone_subject(shop, phone)).set(
            f"flow#{flow}", {"group": group, "at": at.isoformat()}
        )
        self._call(
            "update_item", TableName=self._table, Key=to_item(keys.touch(shop, phone)), **touch.build()
        )
        return True

    def touches(self, shop: str, phone: str) -> Touches:
        out = self._call(
            "get_item", TableName=self._table, Key=to_item(keys.touch(shop, phone)), ConsistentRead=True
        )
        plain = from_item(out.get("Item")) or {}
        codes = {}
        entries: dict[str, tuple[str, datetime]] = {}
        for name, value in plain.items():
            if name.startswith("code#") and isinstance(value, dict):
                found = Touchpoint.from_json(value)
                if found is not None:
                    codes[name[len("code#") :]] = found
            elif (
                name.startswith("flow#")
                and isinstance(value, dict)
                and value.get("group")
                and value.get("at")
            ):
                try:
                    entries[name[len("flow#") :]] = (
                        str(value["group"]),
                        datetime.fromisoformat(str(value["at"])),
                    )
                except ValueError:
                    continue
        return Touches(Touchpoint.from_json(plain.get("last_click")), Touchpoint.from_json(plain.get("last_sent")),
                       codes, entries)  # fmt: skip

    # Attributions ---------------------------------------------------------------------------------------
    def attribute(self, shop: str, order_id: str, phone: str | None, attribution: Attribution | None,
                  revenue: float, at: datetime) -> bool:  # fmt: skip
        """Store the order's attribution (or that it had none) once; False if it was stored already."""
        item = {
            **keys.attribution(shop, order_id), "type": "attribution", "shop": shop, "order_id": order_id,
            "phone": phone,
            "gsi1pk": keys.phone_subject(shop, phone) if phone else None, "revenue": _num(revenue),
            "ordered_at": at.isoformat(), **({"rule": attribution.rule, "scope": attribution.scope,
            "mid": attribution.message_id, "touched_at": attribution.touched_at.isoformat()} if attribution else
            {"rule": "none"}),
        }  # fmt: skip
        return self._put_new(item)

    # Holdout experiments ------------------------------------------------------------------------------
    def convert(self, shop: str, root: str, group: str, phone: str, revenue: float) -> None:
        """A recipient of `root`'s `group` ordered: counted once per recipient, their revenue summed (and the
        group's sum of squares of per-recipient revenue kept exact as their revenue grows)."""
        marker = Update().add("revenue", _num(revenue)).set("group", group).set("phone", phone)
        marker.set("gsi1pk", keys.phone_subject(shop, phone)).set("type", "lift_conversion").set("shop", shop)
        out = self._call("update_item", TableName=self._table, Key=to_item(keys.lift_conversion(shop, root, phone)),
                         ReturnValues="UPDATED_OLD", **marker.build())  # fmt: skip
        before = float((from_item(out.get("Attributes")) or {}).get("revenue", 0) or 0)
        first = "revenue" not in (out.get("Attributes") or {})
        after = before + revenue
        update = (
            Update().add("revenue", _num(revenue)).add("revenue_sq", _num(after * after - before * before))
        )
        update.set_if_absent("shop", shop).set_if_absent("type", "lift_group")
        if first:
            update.add("conversions", 1)
        self._call(
            "update_item",
            TableName=self._table,
            Key=to_item(keys.lift_group(shop, root, group)),
            **update.build(),
        )

    def lift_groups(self, shop: str, root: str) -> dict[str, Group]:
        """The stored groups of `root`: conversions and revenue, and recipients for a flow's (a campaign's
        come from its runs' counts)."""
        found = {}
        for group in ("sent", "holdout"):
            out = self._call("get_item", TableName=self._table, Key=to_item(keys.lift_group(shop, root, group)),
                             ConsistentRead=True)  # fmt: skip
            plain = from_item(out.get("Item")) or {}
            found[group] = Group(int(plain.get("recipients", 0)), int(plain.get("conversions", 0)),
                                 float(plain.get("revenue", 0)), float(plain.get("revenue_sq", 0)))  # fmt: skip
        return found

    # Numbers suppressed as unreachable (the report lists them) ------------------------------------------
    def unreachable(self, shop: str, limit: int = 200) -> list[dict[str, Any]]:
        """The shop's unreachable numbers (by_shop: their items carry the shop), newest first, at most `limit`."""
        found = self._query(IndexName=keys.BY_SHOP, KeyConditionExpression="shop = :s AND begins_with(pk, :p)",
                            ExpressionAttributeValues={":s": {"S": shop}, ":p": {"S": f"UNREACHABLE#{shop}#"}})  # fmt: skip
        items = [
            from_item(i) or {}
            for i in batch_get(self._ddb, self._table, [{"pk": i["pk"], "sk": i["sk"]} for i in found])
        ]
        out = []
        for plain in items:
            reason = str(plain.get("reason") or "")
            code = reason.rsplit(" ", 1)[-1]
            out.append({"phone": str(plain.get("phone", "")), "code": int(code) if code.isdigit() else None,
                        "since": plain.get("since")})  # fmt: skip
        return sorted(out, key=lambda r: str(r["since"] or ""), reverse=True)[:limit]

    # --------------------------------------------------------------------------------------------------
    def _put_new(self, item: dict[str, Any]) -> bool:
        """Put `item` unless its key exists; False (nothing written) if it does."""
        try:
            self._ddb.put_item(
                TableName=self._table, Item=to_item(item), ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise translate(exc) from exc
        return True

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._ddb, method)(**kwargs)
        except ClientError as exc:
            raise translate(exc) from exc

    def _query(self, **kwargs: Any) -> list[dict[str, Any]]:
        try:
            return query_all(self._ddb, TableName=self._table, **kwargs)
        except ClientError as exc:
            raise translate(exc) from exc
