"""Shop configurations in DynamoDB (`smsflows shop set` writes them; every function reads them)."""

from __future__ import annotations

from typing import Any

from smsflows.adapters._dynamo import from_item, to_item
from smsflows.domain import keys
from smsflows.domain.shops import ShopConfig


class DynamoShopConfigs:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def get(self, shop: str) -> ShopConfig | None:
        out = self._ddb.get_item(TableName=self._table, Key=to_item(keys.shop_config(shop)))
        plain = from_item(out.get("Item"))
        return ShopConfig.model_validate_json(plain["config"]) if plain else None

    def put(self, config: ShopConfig) -> None:
        old = self.get(config.shop)
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {
                            **keys.shop_config(config.shop),
                            "type": "shop_config",
                            "shop": config.shop,
                            "config": config.model_dump_json(),
                        }
                    ),
                }
            }
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
        items = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "#t = :t",
            "ExpressionAttributeNames": {"#t": "type"},
            "ExpressionAttributeValues": {":t": {"S": "shop_config"}},
        }
        while True:  # a handful of shops per deployment: a filtered scan once a day is fine
            out = self._ddb.scan(**kwargs)
            items += out.get("Items", [])
            if "LastEvaluatedKey" not in out:
                break
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]
        return [ShopConfig.model_validate_json((from_item(i) or {})["config"]) for i in items]

    def shop_for_sender(self, sender: str) -> str | None:
        out = self._ddb.get_item(TableName=self._table, Key=to_item(keys.sender(sender)))
        plain = from_item(out.get("Item"))
        return str(plain["shop"]) if plain else None
