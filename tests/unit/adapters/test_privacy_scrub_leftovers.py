"""DynamoPrivacyStore under moto: a redaction scrubs every stored webhook of the shop that mentions the
subject, whatever a large body's head finds left of its parts. DynamoDB's TTL deletes expired items one by
one, in no order and days late, so a head may still name parts already gone: it has no body left to scrub,
and the webhooks read after it are scrubbed all the same."""

from __future__ import annotations

import gzip
from typing import Any

from smsflows.adapters._dynamo import to_item
from smsflows.adapters.privacy_store import DynamoPrivacyStore
from smsflows.domain import keys
from tests.contracts.conftest import PHONE, SHOP, TABLE, peek


def put(ddb: Any, item: dict[str, Any]) -> None:
    ddb.put_item(TableName=TABLE, Item=to_item(item))


def head_without_its_parts(ddb: Any, webhook_id: str) -> dict[str, str]:
    """A large body's head (body_parts: 2) whose two parts expired before it."""
    key = keys.webhook(SHOP, webhook_id)
    put(ddb, {**key, "shop": SHOP, "type": "webhook", "webhook_id": webhook_id, "body_parts": 2})
    return key


def webhook(ddb: Any, webhook_id: str, body: bytes) -> dict[str, str]:
    key = keys.webhook(SHOP, webhook_id)
    item = {**key, "shop": SHOP, "type": "webhook", "webhook_id": webhook_id}
    put(ddb, {**item, "body_gz": gzip.compress(body)})
    return key


def test_heads_whose_parts_expired_do_not_stop_the_scrub_of_the_webhooks_after_them(dynamodb):
    # whatever order they are read in, a head without its parts comes before one that mentions
    orphans = [head_without_its_parts(dynamodb, f"w{n}-expired") for n in range(5)]
    mentioning = [webhook(dynamodb, f"w{n}-live", f'{{"phone": "{PHONE}"}}'.encode()) for n in range(5)]
    other = webhook(dynamodb, "w9-other", b'{"phone": "+15125550199"}')
    assert DynamoPrivacyStore(dynamodb, TABLE).erase_subject(SHOP, None, [], [], mentions=[PHONE]) == 5
    for key in mentioning:
        got = peek(dynamodb, key)
        assert got["redacted"] is True and "body_gz" not in got
    assert "body_gz" in peek(dynamodb, other)
    for key in orphans:  # nothing of the subject in them: left as they were
        got = peek(dynamodb, key)
        assert got["body_parts"] == 2 and "redacted" not in got
