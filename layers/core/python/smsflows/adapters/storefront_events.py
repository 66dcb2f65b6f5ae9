"""POST /storefront/events' counters and customers' day items in DynamoDB (StorefrontEventStore of
domain/shopify/storefront_events.py), each changed with one conditional UpdateItem and given `expires_at`
(the table's TTL); the approach of adapters/optin_limits.py.

- a counter (`keys.storefront_count`): events of one source, client or shop in a fixed window. The window
  is in the key, so a finished window's item is never read again (TTL may take days to delete it).
- a customer's day (`keys.storefront_day`): `viewed`, the string set of products whose nudge was queued,
  and `checkout_at`. It carries the customer's subject key (`gsi1pk`) and `shop`, so customers/redact and
  shop/redact find and erase it (the by_subject and by_shop indexes).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import error_code, from_item, to_item, translate
from smsflows.domain import keys


class DynamoStorefrontEvents:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def count(self, scope: str, subject: str, window_start: datetime, window: timedelta, limit: int) -> bool:
        if limit < 1:
            return False
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=to_item(keys.storefront_count(scope, subject, int(window_start.timestamp()))),
                UpdateExpression="ADD #n :one SET expires_at = if_not_exists(expires_at, :exp), #t = :type",
                ConditionExpression="attribute_not_exists(#n) OR #n < :limit",
                ExpressionAttributeNames={"#n": "events", "#t": "type"},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":exp": {"N": str(math.ceil((window_start + window).timestamp()))},
                    ":type": {"S": "storefront_count"},
                },
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise translate(exc) from exc
        return True

    def _day_fields(self, shop: str, customer_id: str, expires: datetime) -> dict[str, Any]:
        return {
            ":exp": {"N": str(math.ceil(expires.timestamp()))},
            ":type": {"S": "storefront_day"},
            ":shop": {"S": shop},
            ":cid": {"S": customer_id},
            ":subject": {"S": keys.customer_subject(shop, customer_id)},
        }

    _SET_DAY = (
        "expires_at = if_not_exists(expires_at, :exp), #t = :type, #s = :shop, customer_id = :cid, "
        "gsi1pk = :subject"
    )

    def note_view(
        self, shop: str, customer_id: str, day: str, product_id: str, expires: datetime, most: int
    ) -> bool:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=to_item(keys.storefront_day(shop, customer_id, day)),
                UpdateExpression=f"ADD viewed :p SET {self._SET_DAY}",
                ConditionExpression="attribute_not_exists(checkout_at) AND (attribute_not_exists(viewed) OR "
                "(NOT contains(viewed, :pid) AND size(viewed) < :most))",
                ExpressionAttributeNames={"#t": "type", "#s": "shop"},
                ExpressionAttributeValues={
                    ":p": {"SS": [product_id]},
                    ":pid": {"S": product_id},
                    ":most": {"N": str(most)},
                    **self._day_fields(shop, customer_id, expires),
                },
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise translate(exc) from exc
        return True

    def forget_view(self, shop: str, customer_id: str, day: str, product_id: str) -> None:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=to_item(keys.storefront_day(shop, customer_id, day)),
                UpdateExpression="DELETE viewed :p",
                ConditionExpression="attribute_exists(pk)",  # never makes an item without expires_at
                ExpressionAttributeValues={":p": {"SS": [product_id]}},
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return
            raise translate(exc) from exc

    def note_checkout(
        self, shop: str, customer_id: str, day: str, at: datetime, expires: datetime
    ) -> list[str] | None:
        try:
            out = self._ddb.update_item(
                TableName=self._table,
                Key=to_item(keys.storefront_day(shop, customer_id, day)),
                UpdateExpression=f"SET checkout_at = :at, {self._SET_DAY}",
                ConditionExpression="attribute_not_exists(checkout_at)",
                ExpressionAttributeNames={"#t": "type", "#s": "shop"},
                ExpressionAttributeValues={
                    ":at": {"S": at.isoformat()},
                    **self._day_fields(shop, customer_id, expires),
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return None
            raise translate(exc) from exc
        item = from_item(out.get("Attributes")) or {}
        return sorted(str(p) for p in item.get("viewed") or ())
