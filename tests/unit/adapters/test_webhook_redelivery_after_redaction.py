"""DynamoWebhookInbox under moto: Shopify redelivers a large webhook (its body in parts) after a customer
redaction erased it. The redelivery is a duplicate, and the customer's body must not come back with it."""

from __future__ import annotations

import gzip
import os
from datetime import timedelta
from typing import Any

from smsflows.adapters.privacy_store import DynamoPrivacyStore
from smsflows.adapters.webhook_inbox import DynamoWebhookInbox
from smsflows.domain import keys
from smsflows.domain.shopify.records import InboxRecord
from tests.contracts.conftest import NOW, PHONE, SHOP, TABLE


def parts(ddb: Any, webhook_id: str) -> list[bytes]:
    """The body parts stored for the webhook, in order (each a slice of one gzip stream)."""
    pk = keys.webhook(SHOP, webhook_id)["pk"]
    out = ddb.query(TableName=TABLE, KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                    ExpressionAttributeValues={":p": {"S": pk}, ":s": {"S": "PART#"}})  # fmt: skip
    return [i["body_gz"]["B"] for i in sorted(out["Items"], key=lambda i: i["sk"]["S"])]


def test_a_redelivery_of_a_redacted_large_webhook_is_a_duplicate_that_brings_nothing_back(dynamodb):
    inbox = DynamoWebhookInbox(dynamodb, TABLE)
    # ~1.2 MB of noise after the phone: ~600 KB compressed, more than one item holds
    body = b'{"phone": "' + PHONE.encode() + b'", "note": "' + os.urandom(600_000).hex().encode() + b'"}'
    webhook = InboxRecord(shop=SHOP, webhook_id="wh-big", topic="orders/create", received_at=NOW, body=body)
    assert inbox.record(webhook) is True
    stored = parts(dynamodb, "wh-big")
    assert len(stored) == 2 and PHONE.encode() in gzip.decompress(b"".join(stored))

    assert DynamoPrivacyStore(dynamodb, TABLE).erase_subject(SHOP, None, [], [], mentions=[PHONE]) == 1
    assert parts(dynamodb, "wh-big") == []

    again = webhook.model_copy(update={"received_at": NOW + timedelta(hours=2)})
    assert inbox.record(again) is False  # a duplicate: not processed again
    assert parts(dynamodb, "wh-big") == []  # and the erased body did not come back with it


def test_a_redelivery_of_a_large_webhook_not_redacted_keeps_its_body(dynamodb):
    inbox = DynamoWebhookInbox(dynamodb, TABLE)
    body = b'{"note": "' + os.urandom(600_000).hex().encode() + b'"}'
    webhook = InboxRecord(shop=SHOP, webhook_id="wh-big", topic="orders/create", received_at=NOW, body=body)
    assert inbox.record(webhook) is True
    assert inbox.record(webhook.model_copy(update={"received_at": NOW + timedelta(hours=2)})) is False
    stored = inbox.get(SHOP, "wh-big")
    assert stored is not None and stored.body == body
