"""DynamoDB key layout of the one table.

Shared by the adapters and the compiled flows (their direct DynamoDB integrations).
"""

from __future__ import annotations


def webhook(shop: str, webhook_id: str) -> dict[str, str]:
    return {"pk": f"WEBHOOK#{shop}#{webhook_id}", "sk": "WEBHOOK"}


def profile(shop: str, customer_key: str) -> dict[str, str]:
    return {"pk": f"PROFILE#{shop}#{customer_key}", "sk": "PROFILE"}


def order(shop: str, order_id: str) -> dict[str, str]:
    return {"pk": f"ORDER#{shop}#{order_id}", "sk": "ORDER"}


def message(message_id: str) -> dict[str, str]:
    return {"pk": f"MSG#{message_id}", "sk": "MSG"}
