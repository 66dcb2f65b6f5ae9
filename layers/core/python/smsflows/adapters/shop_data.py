"""Shop data in DynamoDB: orders, checkouts, customer profiles, flow locks, restock requests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import (
    Update,
    batch_get,
    error_code,
    from_item,
    query_all,
    set_expression,
    to_item,
    translate,
)
from smsflows.adapters.consent_store import place_attributes, state_from_item
from smsflows.domain import keys
from smsflows.domain.campaigns.segments import MAX_BOUGHT_IDS
from smsflows.domain.consent.ledger import SubscriberState
from smsflows.domain.profiles import ProfileRecord
from smsflows.domain.shopify.records import CheckoutRecord, OrderRecord
from smsflows.domain.shopify.summary import amount, bought_update, iso_utc, place_summary
from smsflows.runtime.errors import TransientError

MAX_PROFILES_PAGE = 1000  # one Query of keys (~100 bytes each) stays well under its 1 MB page
CURSOR_FIELDS = ("shop", "pk", "sk")  # a by_shop Query's LastEvaluatedKey: the index key and the table key
DAILY_PAGE_RETENTION = timedelta(days=2)  # a page's done mark outlives any redelivery of that day's run


def _profile_prefix(shop: str) -> str:
    return keys.profile(shop, "")["pk"]


def checked_cursor(shop: str, cursor: Any) -> dict[str, str]:
    """`cursor` (read back from a queue message) checked to be a cursor `profiles_page` returned for this
    shop: exactly the three key strings, a profile's key of this shop. Anything else is a ValueError (a
    message that can never be processed), not a DynamoDB ValidationException retried until it is
    dead-lettered, nor a Query that starts somewhere else."""
    if not isinstance(cursor, Mapping) or set(cursor) != set(CURSOR_FIELDS):
        raise ValueError(f"malformed profiles cursor: expected the keys {', '.join(CURSOR_FIELDS)}")
    if not all(isinstance(cursor[k], str) and 0 < len(cursor[k]) <= 1024 for k in CURSOR_FIELDS):
        raise ValueError("malformed profiles cursor: its keys must be strings of 1 to 1024 characters")
    pk, sk = str(cursor["pk"]), str(cursor["sk"])
    if (
        cursor["shop"] != shop
        or not pk.startswith(_profile_prefix(shop))
        or sk != keys.profile(shop, "")["sk"]
    ):
        raise ValueError("malformed profiles cursor: not a profile key of this shop")
    return {k: str(cursor[k]) for k in CURSOR_FIELDS}


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
        # The order is counted in the subscriber's summary once: the first write of the order item is
        # conditional on its absence, and a redelivered event (the order stored already) is written again
        # without the counters. A summary condition that fails (an older order arriving late, a bought-ids
        # set near its cap) is retried knowing what the item holds.
        counted, seen = True, None
        for _ in range(4):
            order_put: dict[str, Any] = {"TableName": self._table, "Item": to_item(order_item)}
            if counted:
                order_put["ConditionExpression"] = "attribute_not_exists(pk)"
            items = [
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": to_item(keys.profile(profile.shop, profile.customer_key)),
                        **profile_update,
                    }
                },
                {"Put": order_put},
                *self._summary_update(order, profile, places, counted=counted, seen=seen),
            ]
            try:
                self._ddb.transact_write_items(TransactItems=items)
                return
            except ClientError as exc:
                if error_code(exc) != "TransactionCanceledException":
                    raise translate(exc) from exc
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                failed = {i for i, code in enumerate(reasons) if code == "ConditionalCheckFailed"}
                if not failed or not failed <= {1, 2}:
                    raise translate(exc) from exc
                if 1 in failed:
                    counted = False
                if 2 in failed and profile.phone:
                    seen = self._summary_seen(profile.shop, profile.phone)
        raise TransientError("the subscriber's summary kept changing while the order was saved; retry")

    def _summary_update(
        self,
        order: OrderRecord,
        profile: ProfileRecord,
        places: tuple[tuple[str | None, str | None, str], ...],
        *,
        counted: bool,
        seen: dict[str, Any] | None,
    ) -> list[dict[str, Any]]:
        """The order on the subscriber state item of its phone (docs/segments.md §1): where its owner may be
        (the order's places, and the candidate zones they imply), the order counters, the first and last
        order times and the bought ids under their caps. Consent fields are not touched.

        `seen` None: the first try, whose conditions hold unless the last order is newer or a set is near
        its cap; else the item as read after such a failure, which decides and is checked unchanged."""
        if not profile.phone:
            return []
        phone, update = profile.phone, Update()
        update.set("shop", profile.shop).set("phone", phone)
        update.set("gsi1pk", keys.phone_subject(profile.shop, phone))
        if places:  # the customer is known to the state with the places, as before segments
            update.set("addresses", json.dumps([list(p) for p in places])).set(
                "customer_id", profile.customer_id
            )
            for name, value in place_attributes(place_summary(phone, places)).items():
                update.set(name, value)
        else:  # addresses stored before (an earlier order's) keep what they said
            for name, value in place_attributes(place_summary(phone, ())).items():
                update.set_if_absent(name, value)
        at = iso_utc(order.placed_at or order.created_at)
        stored_first = None if seen is None else seen.get("first_order_at")
        if stored_first is not None and at < str(stored_first):  # an order older than the first one known
            first = update.name("first_order_at")
            update.set("first_order_at", at).where(f"{first} = {update.value(str(stored_first))}")
        else:
            update.set_if_absent("first_order_at", at)
        if counted:
            update.add("orders_seen", 1).add("spent_seen", amount(order.total_price))
        stored_last = None if seen is None else seen.get("last_order_at")
        if seen is None or stored_last is None or str(stored_last) <= at:  # else: an older order, late
            last = update.name("last_order_at")
            update.set("last_order_at", at)
            if seen is None:
                update.where(f"attribute_not_exists({last}) OR {last} <= {update.value(at)}")
            else:
                update.where(
                    f"attribute_not_exists({last})"
                    if stored_last is None
                    else f"{last} = {update.value(str(stored_last))}"
                )
        truncated = False
        for attribute, ids in (("bought_p", order.product_ids), ("bought_v", order.variant_ids)):
            if not ids:
                continue
            if seen is None and len(set(ids)) <= MAX_BOUGHT_IDS:
                held = update.name(attribute)
                room = update.value(MAX_BOUGHT_IDS - len(set(ids)))
                update.add(attribute, set(ids)).where(
                    f"attribute_not_exists({held}) OR size({held}) <= {room}"
                )
                continue
            # decided on what is stored (an order with more ids than the cap: as if the set were empty, and
            # checked to be so)
            stored = set((seen or {}).get(attribute) or ())
            plan = bought_update(stored, ids)
            truncated = truncated or plan.truncated
            if plan.add:
                held = update.name(attribute)
                update.add(attribute, set(plan.add)).where(
                    f"size({held}) = {update.value(len(stored))}"
                    if stored
                    else f"attribute_not_exists({held})"
                )
        if truncated:
            update.set("bought_truncated", True)
        key = to_item(keys.subscriber(profile.shop, phone))
        return [{"Update": {"TableName": self._table, "Key": key, **update.build()}}]

    def _summary_seen(self, shop: str, phone: str) -> dict[str, Any]:
        """What the summary conditions read, as stored now."""
        try:
            out = self._ddb.get_item(
                TableName=self._table,
                Key=to_item(keys.subscriber(shop, phone)),
                ConsistentRead=True,
                ProjectionExpression="#f, #l, #p, #v",
                ExpressionAttributeNames={
                    "#f": "first_order_at",
                    "#l": "last_order_at",
                    "#p": "bought_p",
                    "#v": "bought_v",
                },
            )
        except ClientError as exc:
            raise translate(exc) from exc
        return from_item(out.get("Item")) or {}

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
            if error_code(exc) != "ConditionalCheckFailedException":
                raise translate(exc) from exc

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
            raise translate(exc) from exc

    def complete_checkout(self, shop: str, token: str, at: datetime) -> bool:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=to_item(keys.checkout(shop, token)),
                ConditionExpression="attribute_exists(pk)",
                **set_expression({"completed_at": at.isoformat()}),
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise translate(exc) from exc
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
            raise translate(exc) from exc
        old = from_item(out.get("Attributes")) or {}
        previous = old.get("execution")
        return str(previous) if previous and previous != execution else None

    def profiles(self, shop: str) -> list[ProfileRecord]:
        out: list[ProfileRecord] = []
        cursor: dict[str, str] | None = None
        while True:
            page, cursor = self.profiles_page(shop, cursor, MAX_PROFILES_PAGE)
            out += page
            if cursor is None:
                return out

    def profiles_page(
        self, shop: str, cursor: Mapping[str, Any] | None = None, limit: int = 500
    ) -> tuple[list[ProfileRecord], dict[str, str] | None]:
        """One Query of the by_shop index (at most `limit` profile keys, in key order) and the profiles
        read by BatchGetItem; the cursor is the Query's LastEvaluatedKey as plain JSON (three strings)."""
        if not 1 <= limit <= MAX_PROFILES_PAGE:
            raise ValueError(f"a page of 1 to {MAX_PROFILES_PAGE} profiles, not {limit}")
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": keys.BY_SHOP,
            "KeyConditionExpression": "shop = :s AND begins_with(pk, :p)",
            "ExpressionAttributeValues": {":s": {"S": shop}, ":p": {"S": _profile_prefix(shop)}},
            "Limit": limit,
        }
        if cursor is not None:
            query["ExclusiveStartKey"] = to_item(checked_cursor(shop, cursor))
        try:
            found = self._ddb.query(**query)
        except ClientError as exc:
            raise translate(exc) from exc
        wanted = [{"pk": i["pk"], "sk": i["sk"]} for i in found.get("Items", [])]
        items = batch_get(self._ddb, self._table, wanted) if wanted else []
        # the index is eventually consistent: a profile erased since it was listed is simply not there
        plain = sorted((from_item(i) or {} for i in items), key=lambda p: str(p["pk"]))
        profiles = [
            ProfileRecord.model_validate({k: v for k, v in p.items() if k in ProfileRecord.model_fields})
            for p in plain
        ]
        last = from_item(found.get("LastEvaluatedKey"))
        return profiles, ({k: str(last[k]) for k in CURSOR_FIELDS} if last else None)

    def profiles_cursor(self, shop: str, customer_key: str) -> dict[str, str]:
        # What a Query of the index that stopped at this profile returns as its LastEvaluatedKey.
        return checked_cursor(shop, {"shop": shop, **keys.profile(shop, customer_key)})

    def daily_page_done(self, shop: str, page_id: str) -> bool:
        try:
            out = self._ddb.get_item(
                TableName=self._table,
                Key=to_item(keys.daily_page(shop, page_id)),
                ConsistentRead=True,
                ProjectionExpression="pk",
            )
        except ClientError as exc:
            raise translate(exc) from exc
        return "Item" in out

    def mark_daily_page_done(self, shop: str, page_id: str, at: datetime) -> None:
        # No `shop` attribute: the mark holds no personal data and stays out of the by_shop index.
        item = {**keys.daily_page(shop, page_id), "type": "daily_page",
                "expires_at": int((at + DAILY_PAGE_RETENTION).timestamp())}  # fmt: skip
        try:
            self._ddb.put_item(TableName=self._table, Item=to_item(item))
        except ClientError as exc:
            raise translate(exc) from exc

    def get_profile(self, shop: str, customer_key: str) -> ProfileRecord | None:
        out = self._ddb.get_item(TableName=self._table, Key=to_item(keys.profile(shop, customer_key)))
        plain = from_item(out.get("Item"))
        if plain is None:
            return None
        return ProfileRecord.model_validate(
            {k: v for k, v in plain.items() if k in ProfileRecord.model_fields}
        )

    def set_birthday(
        self, shop: str, customer_key: str, birthday: str | None, at: datetime | None = None
    ) -> None:
        """Set (or clear, with None) a customer's birthday; a customer who never ordered gets a profile
        with just that, readable like any other (`updated_at` is set only if the profile had none)."""
        values = {"type": "profile", "shop": shop, "customer_key": customer_key, "birthday": birthday or ""}
        update = set_expression(values)
        update["UpdateExpression"] += ", updated_at = if_not_exists(updated_at, :at)"
        update["ExpressionAttributeValues"][":at"] = {"S": (at or datetime.now(UTC)).isoformat()}
        self._ddb.update_item(TableName=self._table, Key=to_item(keys.profile(shop, customer_key)), **update)

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
                if error_code(exc) == "ConditionalCheckFailedException":
                    continue
                raise translate(exc) from exc
            out.append(from_item(item) or {})
        return out

    def flow_snapshot(
        self, shop: str, phone: str, customer_key: str | None
    ) -> tuple[SubscriberState | None, ProfileRecord | None]:
        wanted = [keys.subscriber(shop, phone)] + ([keys.profile(shop, customer_key)] if customer_key else [])
        by_pk = {i["pk"]["S"]: i for i in batch_get(self._ddb, self._table, [to_item(k) for k in wanted])}
        profile_item = from_item(by_pk.get(wanted[1]["pk"])) if customer_key else None
        profile = (
            ProfileRecord.model_validate(
                {k: v for k, v in profile_item.items() if k in ProfileRecord.model_fields}
            )
            if profile_item
            else None
        )
        return state_from_item(by_pk.get(wanted[0]["pk"])), profile
