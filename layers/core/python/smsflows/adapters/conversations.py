"""Support conversations in DynamoDB: inbound texts that are not keywords, kept per number."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import error_code, to_item, translate
from smsflows.domain import keys


class DynamoConversations:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def add(
        self,
        shop: str,
        phone: str,
        message_sid: str,
        body: str,
        at: datetime,
        kind: str,
        rating: int | None = None,
        review: bool = False,
    ) -> bool:
        item = {
            **keys.conversation(shop, phone, message_sid), "type": "conversation", "shop": shop, "phone": phone,
            "gsi1pk": keys.phone_subject(shop, phone), "at": at.isoformat(), "body": body[:1600], "kind": kind,
            "rating": rating, "review": review or None,
        }  # fmt: skip
        try:
            self._ddb.put_item(
                TableName=self._table, Item=to_item(item), ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise translate(exc) from exc
        return True
