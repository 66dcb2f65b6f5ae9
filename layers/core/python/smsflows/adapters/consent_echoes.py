"""Our recent consent writes to Shopify in DynamoDB (the ConsentEchoes port).

One item per write (`keys.consent_echo`), keyed by a hash of the phone, the state and the consent time to
the second (Shopify keeps consent times to the second, and echoes them in whatever offset): the webhook
that echoes a write is found with one GetItem, and a genuine change in Shopify (another state or another
time) finds nothing. No phone is stored, only the hash; the item carries its shop (a shop redaction erases
it) and expires after ECHO_TTL (`expires_at`, the table's TTL); `is_echo` checks the expiry itself, since
TTL may take days to delete.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import from_item, to_item, translate
from smsflows.domain import keys

# Shopify retries a webhook for hours; an echo later than this is applied (a consent event of source
# shopify_consent that changes nothing, or an old opt-in that an opt-out since outranks).
ECHO_TTL = timedelta(days=2)


def echo_digest(shop: str, phone: str, state: str, consent_updated_at: datetime) -> str:
    at = consent_updated_at.astimezone(UTC).replace(microsecond=0).isoformat()
    return hashlib.sha256(f"{shop}|{phone}|{state.upper()}|{at}".encode()).hexdigest()[:40]


class DynamoConsentEchoes:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def note_write(
        self, shop: str, phone: str, state: str, consent_updated_at: datetime, now: datetime
    ) -> None:
        item = {
            **keys.consent_echo(shop, echo_digest(shop, phone, state, consent_updated_at)),
            "type": "consent_echo",
            "shop": shop,
            "state": state.upper(),
            "written_at": now.isoformat(),
            "expires_at": math.ceil((now + ECHO_TTL).timestamp()),
        }
        try:
            self._ddb.put_item(TableName=self._table, Item=to_item(item))
        except ClientError as exc:
            raise translate(exc) from exc

    def is_echo(self, shop: str, phone: str, state: str, consent_updated_at: datetime, now: datetime) -> bool:
        key = keys.consent_echo(shop, echo_digest(shop, phone, state, consent_updated_at))
        try:
            found = self._ddb.get_item(TableName=self._table, Key=to_item(key), ConsistentRead=True)
        except ClientError as exc:
            raise translate(exc) from exc
        item = from_item(found.get("Item"))
        return item is not None and int(item.get("expires_at", 0)) > now.timestamp()
