"""POST /subscribe's limits against SMS pumping in DynamoDB (the OptInLimits port).

Two kinds of item, each written with one conditional request and given `expires_at` (the table's TTL):
- the number's opt-in request (`keys.opt_in_request`): who holds it (`request_id`) and until when
  (`held_until`, epoch seconds). A hold that has ended may linger until TTL deletes it (that can take days):
  the condition reads `held_until`, not whether the item exists. It names the phone, so it carries the
  phone's subject key and a customer redaction erases it with the rest.
- a source's count of sign-ups in a fixed window (`keys.opt_in_source`): the window is in the key, so a
  finished window's item is never read again. The source is a hash (no address is stored).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import error_code, from_item, to_item, translate
from smsflows.domain import keys


def epoch(at: datetime) -> str:
    """Epoch seconds to the microsecond, as DynamoDB stores (and compares) the number."""
    return f"{at.timestamp():.6f}"


class DynamoOptInLimits:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def take_request(self, shop: str, phone: str, request_id: str, now: datetime, hold: timedelta) -> bool:
        until = now + hold
        item = {
            **keys.opt_in_request(shop, phone),
            "type": "opt_in_request",
            "shop": shop,
            "phone": phone,
            "gsi1pk": keys.phone_subject(shop, phone),
            "request_id": request_id,
            "requested_at": now.isoformat(),
            "expires_at": math.ceil(until.timestamp()),
        }
        wire = to_item(item)
        wire["held_until"] = {"N": epoch(until)}
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=wire,
                ConditionExpression="attribute_not_exists(pk) OR held_until <= :now",
                ExpressionAttributeValues={":now": {"N": epoch(now)}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise translate(exc) from exc
            held = from_item(exc.response.get("Item")) or {}
            return bool(held.get("request_id") == request_id)  # the same sign-up, retried: still its hold
        return True

    def count_source(
        self, shop: str, source: str, window_start: datetime, window: timedelta, limit: int
    ) -> bool:
        if limit < 1:
            return False
        start = int(window_start.timestamp())
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=to_item(keys.opt_in_source(shop, source, start)),
                UpdateExpression="ADD #n :one SET expires_at = if_not_exists(expires_at, :exp), #t = :type, "
                "#s = :shop",
                ConditionExpression="attribute_not_exists(#n) OR #n < :limit",
                ExpressionAttributeNames={"#n": "requests", "#t": "type", "#s": "shop"},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":exp": {"N": str(math.ceil((window_start + window).timestamp()))},
                    ":type": {"S": "opt_in_source"},
                    ":shop": {"S": shop},
                },
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise translate(exc) from exc
        return True
