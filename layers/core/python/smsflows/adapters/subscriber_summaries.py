"""customers/update's part of the subscribers' summaries in DynamoDB (docs/segments.md §1): Shopify's order
count and total spent, the tags, and the default address with the candidate zones it implies, on the
subscriber state item of the customer's phone.

Guarded on the customer's `updated_at`: an update older than the one recorded writes nothing, so a late
redelivery never puts back what the customer has changed since. A default address replaces the one known
before and keeps the shipping addresses orders taught; that read-modify-write is conditional on the
addresses read, and retried if an order changed them meanwhile. Consent and `seg_pk` are never touched.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import Update, error_code, from_item, to_item, translate
from smsflows.adapters.consent_store import place_attributes
from smsflows.domain import keys
from smsflows.domain.shopify.summary import CustomerSummary, iso_utc, place_summary, with_default_address
from smsflows.runtime.errors import TransientError

ATTEMPTS = 4


class DynamoSubscriberSummaries:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def note_customer(self, shop: str, phone: str, customer: CustomerSummary) -> str:
        at = iso_utc(customer.updated_at)
        for _ in range(ATTEMPTS):
            seen = self._seen(shop, phone) if customer.default_address else None
            if seen is not None and str(seen.get("customer_updated_at") or "") > at:
                return "stale"
            update = Update()
            update.set("shop", shop).set("phone", phone).set("gsi1pk", keys.phone_subject(shop, phone))
            update.set("orders_count", customer.orders_count).set("total_spent", customer.total_spent)
            if customer.tags:
                update.set("tags", set(customer.tags))
            else:  # Shopify says the customer has none now
                update.remove("tags")
            update.set("customer_updated_at", at)
            stamp = update.name("customer_updated_at")
            update.where(f"attribute_not_exists({stamp}) OR {stamp} <= {update.value(at)}")
            if seen is not None and customer.default_address is not None:
                self._default_address(update, phone, customer, seen)
            try:
                self._ddb.update_item(
                    TableName=self._table, Key=to_item(keys.subscriber(shop, phone)), **update.build()
                )
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise translate(exc) from exc
                if seen is None:  # the only condition was the one on updated_at
                    return "stale"
                continue  # newer, or the addresses changed since they were read: read again
            return "ok"
        raise TransientError("the subscriber's summary kept changing under the customer update; retry")

    def _default_address(
        self, update: Update, phone: str, customer: CustomerSummary, seen: dict[str, Any]
    ) -> None:
        assert customer.default_address is not None
        stored = seen.get("addresses")
        known = [tuple(a) for a in json.loads(str(stored))] if stored else []
        country, province = customer.default_address
        addresses = with_default_address(known, country, province)  # type: ignore[arg-type]
        update.set("addresses", json.dumps([list(a) for a in addresses]))
        update.set("customer_id", customer.customer_id)
        for name, value in place_attributes(place_summary(phone, addresses)).items():
            update.set(name, value)
        held = update.name("addresses")
        update.where(
            f"{held} = {update.value(str(stored))}" if stored is not None else f"attribute_not_exists({held})"
        )

    def _seen(self, shop: str, phone: str) -> dict[str, Any]:
        try:
            out = self._ddb.get_item(
                TableName=self._table,
                Key=to_item(keys.subscriber(shop, phone)),
                ConsistentRead=True,
                ProjectionExpression="#a, #u",
                ExpressionAttributeNames={"#a": "addresses", "#u": "customer_updated_at"},
            )
        except ClientError as exc:
            raise translate(exc) from exc
        return from_item(out.get("Item")) or {}
