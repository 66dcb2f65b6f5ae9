"""Interfaces between the use cases and the outside world. Adapters implement them; tests fake them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from smsflows.domain.messages import OutboundMessage
from smsflows.domain.models import InboxRecord, OrderRecord, ProfileRecord


class WebhookInbox(Protocol):
    """Durable record of every authentic webhook, kept for dedupe and replay."""

    def record(self, item: InboxRecord) -> bool:
        """Store the webhook; False if this webhook id was stored before (a Shopify redelivery)."""

    def forget(self, shop: str, webhook_id: str) -> None:
        """Remove a record whose hand-off failed, so that Shopify's retry is accepted again."""

    def get(self, shop: str, webhook_id: str) -> InboxRecord | None: ...

    def mark(self, shop: str, webhook_id: str, state: str, reason: str | None = None) -> None:
        """Set the processing state; 'unparseable' keeps the body for replay with no expiry."""


class Queue(Protocol):
    def send(self, body: Mapping[str, Any], *, delay_seconds: int = 0) -> None: ...


class ShopDataRepository(Protocol):
    def save_order(self, order: OrderRecord, profile: ProfileRecord) -> None:
        """Upsert the profile and store the order in one atomic write."""

    def get_order(self, shop: str, order_id: str) -> OrderRecord | None: ...


class FlowStarter(Protocol):
    def start(self, flow: str, name: str, payload: Mapping[str, Any]) -> bool:
        """Start a flow execution with a deterministic name; False if it already exists."""


class MessageLog(Protocol):
    def begin(self, message: OutboundMessage, now: datetime) -> str | None:
        """Claim a message id for sending; returns the state found if it was claimed before."""

    def release(self, message_id: str, reason: str) -> None:
        """Give the claim back after a retryable failure (the provider did not accept it)."""

    def complete(self, message_id: str, receipt: ProviderReceipt, now: datetime) -> None: ...

    def fail(self, message_id: str, code: int | None, reason: str, now: datetime) -> None: ...


@dataclass(frozen=True)
class Sender:
    """Who a message is sent from: a Messaging Service (preferred) or a phone number."""

    messaging_service_sid: str | None = None
    from_number: str | None = None


@dataclass(frozen=True)
class ProviderReceipt:
    sid: str
    status: str
    segments: int | None
    price: str | None = None


class SmsProvider(Protocol):
    def send(self, *, to: str, body: str, sender: Sender, status_callback: str | None) -> ProviderReceipt:
        """Hand one message to the provider; raises runtime.errors.ProviderError when refused."""
