"""One small world for the send use case's unit tests (test_prepare_outcomes, test_finish_outcomes): a shop,
a subscriber in Austin, the fakes held to their ports' contracts, and a measurement store and a provider
that keep every argument they were given, so a test can check what each record and call carried."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from smsflows.domain.consent.ledger import SubscriberState
from smsflows.domain.messages import OutboundMessage
from smsflows.domain.sending.send import SendDeps
from smsflows.ports import ProviderReceipt, Sender
from smsflows.runtime.clock import fixed_clock
from tests.fakes import FakeMessageLog, FakeProvider, FakeQueue, FakeShopConfigs, onboarded_shop

SHOP = "demo-shop.myshopify.com"
PHONE = "+15125550123"  # Austin, Texas: America/Chicago
DAY = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 11:00 in Austin
DEPLOYMENT_SENDER = Sender(messaging_service_sid="MG" + "0" * 32)


class Store:
    """The measurement port in memory, keeping every argument."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.links: list[Any] = []
        self.put_calls = 0
        self.counts: list[tuple[str, datetime, str, dict[str, Any]]] = []
        self.sent: list[tuple[str, str, Any, str | None]] = []
        self.fail = fail

    def put_links(self, made: Any) -> None:
        self.put_calls += 1
        self.links.extend(made)

    def count(self, shop: str, at: datetime, scope: str, values: Any) -> None:
        if self.fail is not None:
            raise self.fail
        self.counts.append((shop, at, scope, dict(values)))

    def note_sent(self, shop: str, phone: str, sent: Any, discount_code: str | None) -> None:
        self.sent.append((shop, phone, sent, discount_code))


class Provider(FakeProvider):
    """FakeProvider that also keeps each call's sender and status callback; `segments_known=False` answers
    as Twilio does when its response has no segment count yet."""

    def __init__(self, *args: Any, segments_known: bool = True, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.callbacks: list[str | None] = []
        self.segments_known = segments_known

    def send(self, *, to: str, body: str, sender: Sender, status_callback: str | None) -> ProviderReceipt:
        self.callbacks.append(status_callback)
        receipt = super().send(to=to, body=body, sender=sender, status_callback=status_callback)
        if not self.segments_known:
            return ProviderReceipt(sid=receipt.sid, status=receipt.status, segments=None)
        return receipt


def subscribed(log: FakeMessageLog, version: int = 1, status: str = "subscribed", **kw: Any) -> None:
    log.consent.states[(SHOP, PHONE)] = SubscriberState(
        shop=SHOP,
        phone=PHONE,
        status=status,
        version=version,
        **kw,  # type: ignore[arg-type]
    )


def world(now: datetime = DAY, shop: Any = None, **kw: Any) -> SendDeps:
    log = kw.pop("log", None) or FakeMessageLog()
    subscribed(log)
    return SendDeps(log=log, provider=kw.pop("provider", None) or Provider(), sender=DEPLOYMENT_SENDER,
                    clock=fixed_clock(now), shops=FakeShopConfigs(shop or onboarded_shop(SHOP)),
                    requeue=FakeQueue(), measurement=kw.pop("measurement", None) or Store(), **kw)  # fmt: skip


def text(category: str = "marketing", message_id: str = "flow:welcome:ex-1:0", **kw: Any) -> OutboundMessage:
    base: dict[str, Any] = dict(message_id=message_id, shop=SHOP, to=PHONE, category=category,
                                body="Demo Shop: 10% off today. Reply STOP to opt out", created_at=DAY)  # fmt: skip
    if category == "marketing":
        base.update(flow="welcome", step=0)
    base.update(kw)
    return OutboundMessage(**base)


def record(d: SendDeps, message_id: str = "flow:welcome:ex-1:0") -> dict[str, Any]:
    return d.log.items[message_id]  # type: ignore[attr-defined,no-any-return]


def at(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
