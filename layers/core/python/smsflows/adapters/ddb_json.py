"""DynamoDB JSON to plain values without importing boto3 (the flow_step function gets items from a
Step Functions getItem task and has no other use for boto3: this keeps its cold start small)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def plain(value: dict[str, Any]) -> Any:
    ((kind, inner),) = value.items()
    if kind == "S":
        return inner
    if kind == "N":
        number = Decimal(inner)
        return int(number) if number == number.to_integral_value() else number
    if kind == "BOOL":
        return bool(inner)
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: plain(v) for k, v in inner.items()}
    if kind == "L":
        return [plain(v) for v in inner]
    if kind in ("SS", "NS"):
        return {plain({kind[0]: v}) for v in inner}
    raise ValueError(f"unsupported DynamoDB type {kind}")


def item(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    return {k: plain(v) for k, v in raw.items()} if raw else None
