"""The webhook inbox: authentic Shopify webhooks as received, and handing them to the consumer again."""

from __future__ import annotations

from typing import Any

from smsflows.admin.errors import BadValue, Failed
from smsflows.admin.target import deps


def webhooks_list(shop: str, state: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The shop's stored webhooks (newest first), optionally only those in `state` ('unparseable': kept for
    replay, with the reason it could not be read)."""
    from boto3.dynamodb.types import TypeDeserializer

    from smsflows.domain import keys

    found = deps()
    ddb, plain = found.client("dynamodb"), TypeDeserializer().deserialize
    query: dict[str, Any] = {
        "TableName": found.settings.table_name,
        "IndexName": keys.BY_SHOP,
        "KeyConditionExpression": "shop = :s AND begins_with(pk, :w)",
        "ExpressionAttributeValues": {":s": {"S": shop}, ":w": {"S": "WEBHOOK#"}},
    }
    rows = []
    while True:
        page = ddb.query(**query)
        for raw in page.get("Items", []):  # the index holds the keys; the record is read whole
            key = {k: plain(v) for k, v in raw.items()}
            if key.get("sk") != "WEBHOOK":
                continue
            record = found.webhook_inbox.get(shop, str(key["pk"]).split("#", 2)[2])
            if record is None or (state and record.state != state):
                continue
            rows.append(
                {
                    "webhook_id": record.webhook_id,
                    "topic": record.topic,
                    "state": record.state,
                    "reason": record.reason,
                    "received_at": record.received_at.isoformat(),
                }
            )
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sorted(rows, key=lambda r: str(r["received_at"]), reverse=True)[:limit]


def webhooks_replay(
    shop: str, webhook_id: str | None = None, all_unparseable: bool = False
) -> dict[str, Any]:
    """Hand stored webhooks to the consumer again, exactly as they were received (after fixing what made them
    unreadable): one by id, or every one the shop has in 'unparseable'. Processing is idempotent, so a replay
    of one that was processed already changes nothing; one that still cannot be read is marked again, with
    its reason. Every id is checked before the first is replayed."""
    from smsflows.domain.shopify.ingest import envelope

    if not webhook_id and not all_unparseable:
        raise BadValue("name a webhook (--id WEBHOOK_ID) or pass --all-unparseable")
    found = deps()
    ids = (
        [webhook_id] if webhook_id else [r["webhook_id"] for r in webhooks_list(shop, "unparseable", 10_000)]
    )
    records = []
    for wid in ids:
        record = found.webhook_inbox.get(shop, wid)
        if record is None:
            raise Failed(f"no webhook {wid!r} is stored for {shop}")
        if record.state == "redacted":
            raise Failed(f"webhook {wid!r} was erased by a customer redaction: nothing to replay")
        records.append(record)
    for record in records:
        found.webhook_inbox.mark(shop, record.webhook_id, "received", "replayed")
        found.shop_events_queue.send(envelope(record))  # as it was received: the body is not rewritten
    return {"shop": shop, "replayed": len(records), "webhook_ids": [r.webhook_id for r in records]}
