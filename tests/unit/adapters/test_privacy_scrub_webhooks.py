"""DynamoPrivacyStore under moto: a redaction scrubs every stored webhook of the shop that mentions the
subject, whatever webhooks without a body (already redacted) are stored beside them."""

from __future__ import annotations

import gzip

from smsflows.adapters._dynamo import to_item
from smsflows.adapters.privacy_store import DynamoPrivacyStore
from smsflows.domain import keys
from tests.contracts.conftest import PHONE, SHOP, TABLE, peek


def webhook(ddb, webhook_id: str, body: bytes | None) -> dict[str, str]:
    key = keys.webhook(SHOP, webhook_id)
    item = {**key, "shop": SHOP, "type": "webhook"}
    if body is None:
        item["redacted"] = True
    else:
        item["body_gz"] = gzip.compress(body)
    ddb.put_item(TableName=TABLE, Item=to_item(item))
    return key


def test_webhooks_without_a_body_do_not_stop_the_scrub_of_the_others(dynamodb):
    for n in range(5):  # whatever order they are read in, bodiless ones come before one that mentions
        webhook(dynamodb, f"w{n}-done", None)
    mentioning = [webhook(dynamodb, f"w{n}-live", f'{{"phone": "{PHONE}"}}'.encode()) for n in range(5)]
    other = webhook(dynamodb, "w9-other", b'{"phone": "+15125550199"}')
    store = DynamoPrivacyStore(dynamodb, TABLE)
    assert store.erase_subject(SHOP, None, [], [], mentions=[PHONE]) == 5
    for key in mentioning:
        got = peek(dynamodb, key)
        assert got["redacted"] is True and "body_gz" not in got
    assert "body_gz" in peek(dynamodb, other)


def test_a_redaction_that_died_before_deleting_a_bodys_parts_is_finished_by_the_next(dynamodb):
    head = webhook(dynamodb, "w-big", None)  # the head was emptied (redacted, no body_parts) ...
    parts = []
    for n in range(2):  # ... but its parts, holding the body, were left behind
        key = keys.webhook_part(SHOP, "w-big", n)
        item = {
            **key,
            "shop": SHOP,
            "type": "webhook_part",
            "body_gz": gzip.compress(f"{PHONE}-{n}".encode()),
        }
        dynamodb.put_item(TableName=TABLE, Item=to_item(item))
        parts.append(key)
    DynamoPrivacyStore(dynamodb, TABLE).erase_subject(SHOP, None, [], [], mentions=[PHONE])
    assert [peek(dynamodb, key) for key in parts] == [None, None]
    assert peek(dynamodb, head)["redacted"] is True
