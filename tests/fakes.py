"""In-memory implementations of the ports, for unit tests. A contract suite runs them against DynamoDB too."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from smsflows.domain.messages import OutboundMessage
from smsflows.domain.models import InboxRecord, OrderRecord, ProfileRecord
from smsflows.ports import ProviderReceipt, Sender
from smsflows.runtime.errors import ProviderError


class FakeInbox:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], InboxRecord] = {}

    def record(self, item: InboxRecord) -> bool:
        key = (item.shop, item.webhook_id)
        if key in self.items:
            return False
        self.items[key] = item
        return True

    def forget(self, shop: str, webhook_id: str) -> None:
        self.items.pop((shop, webhook_id), None)

    def get(self, shop: str, webhook_id: str) -> InboxRecord | None:
        return self.items.get((shop, webhook_id))

    def mark(self, shop: str, webhook_id: str, state: str, reason: str | None = None) -> None:
        item = self.items.get((shop, webhook_id))
        if item is not None:
            self.items[(shop, webhook_id)] = item.model_copy(update={"state": state, "reason": reason or ""})


class FakeQueue:
    def __init__(self, fail: Exception | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.fail = fail

    def send(self, body: Mapping[str, Any], *, delay_seconds: int = 0) -> None:
        if self.fail:
            raise self.fail
        self.sent.append(dict(body))


class FakeShopData:
    def __init__(self) -> None:
        self.orders: dict[tuple[str, str], OrderRecord] = {}
        self.profiles: dict[tuple[str, str], ProfileRecord] = {}

    def save_order(self, order: OrderRecord, profile: ProfileRecord) -> None:
        self.orders[(order.shop, order.order_id)] = order
        key = (profile.shop, profile.customer_key)
        old = self.profiles.get(key)
        if old is not None:  # None fields keep what was known, as the DynamoDB adapter does
            merged = old.model_dump()
            merged.update({k: v for k, v in profile.model_dump().items() if v is not None})
            if profile.phone_status == "missing":
                merged["phone_status"] = old.phone_status
            profile = ProfileRecord.model_validate(merged)
        self.profiles[key] = profile

    def get_order(self, shop: str, order_id: str) -> OrderRecord | None:
        return self.orders.get((shop, order_id))


class FakeFlows:
    def __init__(self) -> None:
        self.started: dict[str, tuple[str, dict[str, Any]]] = {}

    def start(self, flow: str, name: str, payload: Mapping[str, Any]) -> bool:
        if name in self.started:
            return False
        self.started[name] = (flow, dict(payload))
        return True


class FakeMessageLog:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def begin(self, message: OutboundMessage, now: datetime) -> str | None:
        with self._lock:
            old = self.items.get(message.message_id)
            if old is not None and old["state"] != "retry":
                return str(old["state"])
            self.items[message.message_id] = {"state": "sending", "to": message.to}
            return None

    def release(self, message_id: str, reason: str) -> None:
        self.items[message_id].update(state="retry", reason=reason)

    def complete(self, message_id: str, receipt: ProviderReceipt, now: datetime) -> None:
        self.items[message_id].update(state="sent", sid=receipt.sid, segments=receipt.segments)

    def fail(self, message_id: str, code: int | None, reason: str, now: datetime) -> None:
        self.items.setdefault(message_id, {}).update(state="failed", error_code=code, reason=reason)


class FakeProvider:
    """Records sends; `errors` are raised, one per call, before succeeding."""

    def __init__(self, errors: list[ProviderError] | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.errors = list(errors or [])

    def send(self, *, to: str, body: str, sender: Sender, status_callback: str | None) -> ProviderReceipt:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append({"to": to, "body": body, "sender": sender})
        return ProviderReceipt(sid=f"SM{len(self.sent):032d}", status="queued", segments=1)
