"""Shop configurations in DynamoDB (`smsflows shop add|set` write them; every function reads them).

Besides the config item (`keys.shop_config`), every put writes the shop's entry in the list of shops
(`keys.shop_list`: one partition, pk "SHOPS", sort key the shop) with a copy of the config, in the same
transaction, so `all()` is a Query of that partition, never a Scan of the table. Tables written before the
list existed are backfilled once with `smsflows shops reindex` (`reindex` below).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import error_code, from_item, query_all, to_item, translate
from smsflows.domain import keys
from smsflows.domain.shops import ShopConfig

SHOP_LIST_PK = keys.shop_list("")["pk"]


class DynamoShopConfigs:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def get(self, shop: str) -> ShopConfig | None:
        out = self._ddb.get_item(TableName=self._table, Key=to_item(keys.shop_config(shop)))
        plain = from_item(out.get("Item"))
        # as stored: a rule added since must not make the shop unreadable (it could not even record a STOP)
        return ShopConfig.from_stored(plain["config"]) if plain else None

    def put(self, config: ShopConfig) -> None:
        old = self.get(config.shop)
        body = config.model_dump_json()
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {
                            **keys.shop_config(config.shop),
                            "type": "shop_config",
                            "shop": config.shop,
                            "config": body,
                        }
                    ),
                }
            },
            # The shop's entry in the list of shops: no `shop` attribute, so it stays out of the by_shop
            # index (what a shop's privacy requests read); the same kind of data as the config it copies.
            {"Put": {"TableName": self._table, "Item": to_item(_list_entry(config.shop, body))}},
        ]
        for sender in config.senders:
            items.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item({**keys.sender(sender), "type": "sender", "shop": config.shop}),
                    }
                }
            )
        for sender in set(old.senders if old else ()) - set(config.senders):
            items.append({"Delete": {"TableName": self._table, "Key": to_item(keys.sender(sender))}})
        self._ddb.transact_write_items(TransactItems=items)

    def all(self) -> list[ShopConfig]:
        """Every shop's config (uninstalled and redacted ones too: callers check `active`), from the list
        of shops: a paginated Query of one partition, in shop order."""
        items = query_all(
            self._ddb,
            TableName=self._table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": SHOP_LIST_PK}},
            ConsistentRead=True,
        )
        return [ShopConfig.from_stored((from_item(i) or {})["config"]) for i in items]

    def delete(self, shop: str) -> bool:
        """Remove the shop's config and its entry in the list of shops, in one transaction; False if there was
        no config. Its senders stay its own (until another shop puts them): a reply to one of its numbers is
        still the shop's, so a STOP sent after the delete is recorded (a revocation is never lost), and
        nothing is answered, as for any shop that is not onboarded. The shop's other data (consent ledger,
        suppressions, orders) is not touched: `shop/redact` erases that."""
        if self.get(shop) is None:
            return False
        items: list[dict[str, Any]] = [
            {"Delete": {"TableName": self._table, "Key": to_item(keys.shop_config(shop))}},
            {"Delete": {"TableName": self._table, "Key": to_item(keys.shop_list(shop))}},
        ]
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as exc:
            raise translate(exc) from exc
        return True

    def shop_for_sender(self, sender: str) -> str | None:
        out = self._ddb.get_item(TableName=self._table, Key=to_item(keys.sender(sender)))
        plain = from_item(out.get("Item"))
        return str(plain["shop"]) if plain else None


def _list_entry(shop: str, config_json: str) -> dict[str, Any]:
    return {**keys.shop_list(shop), "type": "shop_config", "config": config_json}


def reindex(client: Any, table: str) -> dict[str, int]:
    """One-off migration: give every shop config written before the list of shops existed its entry.

    A filtered Scan of the whole table (the only one left; run it once after deploying). Each entry is
    written only if the config still reads as scanned (a transaction with a condition on it), so a config
    put meanwhile, which writes its own entry, is never overwritten with the older copy. Idempotent.
    """
    scan: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "#t = :t AND #sk = :c",
        "ExpressionAttributeNames": {"#t": "type", "#pk": "pk", "#sk": "sk", "#s": "shop", "#c": "config"},
        "ExpressionAttributeValues": {":t": {"S": "shop_config"}, ":c": {"S": keys.shop_config("")["sk"]}},
        "ProjectionExpression": "#pk, #sk, #s, #c",
    }
    counts = {"configs": 0, "added": 0, "updated": 0, "unchanged": 0, "changed_meanwhile": 0}
    while True:
        page = client.scan(**scan)
        for raw in page.get("Items", []):
            plain = from_item(raw) or {}
            counts["configs"] += 1
            shop, config_json = str(plain["shop"]), str(plain["config"])
            got = client.get_item(TableName=table, Key=to_item(keys.shop_list(shop)), ConsistentRead=True)
            entry = from_item(got.get("Item"))
            if entry is not None and entry.get("config") == config_json:
                counts["unchanged"] += 1
                continue
            try:
                client.transact_write_items(
                    TransactItems=[
                        {
                            "ConditionCheck": {
                                "TableName": table,
                                "Key": {"pk": raw["pk"], "sk": raw["sk"]},
                                "ConditionExpression": "#c = :c",
                                "ExpressionAttributeNames": {"#c": "config"},
                                "ExpressionAttributeValues": {":c": {"S": config_json}},
                            }
                        },
                        {"Put": {"TableName": table, "Item": to_item(_list_entry(shop, config_json))}},
                    ]
                )
            except ClientError as exc:
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                if error_code(exc) != "TransactionCanceledException" or reasons[:1] != [
                    "ConditionalCheckFailed"
                ]:
                    raise translate(exc) from exc
                counts["changed_meanwhile"] += 1  # the put that changed it wrote its entry
                continue
            counts["added" if entry is None else "updated"] += 1
        if "LastEvaluatedKey" not in page:
            return counts
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]
