"""Support conversations in DynamoDB: inbound texts that are not keywords, kept per number; each one stored
also notes the reply's time on the subscriber's summary (segments read `last_reply_at`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import Update, error_code, to_item, translate
from smsflows.domain import keys
from smsflows.domain.shopify.summary import iso_utc
from smsflows.runtime.observability import logger, mask_phone


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
        self._note_reply(shop, phone, at)
        return True

    def _note_reply(self, shop: str, phone: str, at: datetime) -> None:
        """The reply's time on the subscriber's summary (segments: `engaged.replied_days`), if the phone has a
        state and no later reply was noted. Best effort: the conversation is stored, and the reply it answers
        matters more than this one figure, so a failure here is logged, not raised."""
        update = Update()
        last, when = update.name("last_reply_at"), update.value(iso_utc(at))
        update.set("last_reply_at", iso_utc(at))
        update.where(f"attribute_exists({update.name('pk')})")
        update.where(f"attribute_not_exists({last}) OR {last} < {when}")
        try:
            self._ddb.update_item(
                TableName=self._table, Key=to_item(keys.subscriber(shop, phone)), **update.build()
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                logger.warning("reply time not noted", frm=mask_phone(phone), error=error_code(exc))
