"""Realistic Shopify payloads for the demo and tests (shapes of Admin API 2026-04)."""

from __future__ import annotations

from typing import Any


def order(
    order_id: int, number: int, phone: str | None, first_name: str = "Ada", country: str = "US"
) -> dict[str, Any]:
    address = {
        "first_name": first_name,
        "last_name": "Lovelace",
        "address1": "12 Analytical Way",
        "city": "Austin",
        "province": "Texas",
        "province_code": "TX",
        "zip": "78701",
        "country": "United States",
        "country_code": country,
        "phone": phone,
    }
    return {
        "id": order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": f"#{number}",
        "order_number": number,
        "email": f"{first_name.lower()}@example.com",
        "phone": phone,
        "currency": "USD",
        "total_price": "42.00",
        "financial_status": "paid",
        "fulfillment_status": None,
        "cancelled_at": None,
        "created_at": "2026-11-23T09:12:00-06:00",
        "buyer_accepts_marketing": False,
        "customer": {
            "id": 7000000000000 + number,
            "first_name": first_name,
            "last_name": "Lovelace",
            "phone": phone,
            "default_address": address,
        },
        "billing_address": address,
        "shipping_address": address,
        "line_items": [
            {"id": 1, "title": "Brass Compass", "quantity": 1, "price": "42.00", "product_id": 632910392}
        ],
    }
