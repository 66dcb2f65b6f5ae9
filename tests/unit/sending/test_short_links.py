"""The sender's short links (issue 16 part 1): the text goes out with the recipient's codes, the links are
stored before the claim, a deferred text goes back to the queue as it was queued (its URLs, not codes no
one stored), and a retry after an answer lost in transit finds the text by the same body."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from smsflows.domain.analytics import links
from smsflows.domain.consent.ledger import SubscriberState
from smsflows.domain.messages import OutboundMessage
from smsflows.domain.sending.send import SendDeps, send_one
from smsflows.ports import Sender
from smsflows.runtime.clock import fixed_clock
from tests.fakes import FakeMessageLog, FakeProvider, FakeQueue, FakeShopConfigs, onboarded_shop

SHOP = "demo-shop.myshopify.com"
PHONE = "+15125550123"
API = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"
DAY = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 11:00 in Austin
NIGHT = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # 22:00 in Austin: quiet hours


class Store:
    """The measurement port in memory (adapters/measurement.py on DynamoDB)."""

    def __init__(self) -> None:
        self.links: dict[str, links.Link] = {}
        self.counts: list[tuple[str, dict[str, Any]]] = []
        self.sent: list[tuple[str, str | None]] = []

    def put_links(self, made: Any) -> None:
        for link in made:
            self.links.setdefault(link.code, link)

    def count(self, shop: str, at: datetime, scope: str, values: Any) -> None:
        self.counts.append((scope, dict(values)))

    def note_sent(self, shop: str, phone: str, sent: Any, discount_code: str | None) -> None:
        self.sent.append((sent.scope, discount_code))


def setup(now: datetime, category: str = "marketing") -> SendDeps:
    log = FakeMessageLog()
    log.consent.states[(SHOP, PHONE)] = SubscriberState(
        shop=SHOP, phone=PHONE, status="subscribed", version=1
    )
    return SendDeps(log=log, provider=FakeProvider(), sender=Sender(messaging_service_sid="MG1"), clock=fixed_clock(now),
                    shops=FakeShopConfigs(onboarded_shop(SHOP)), requeue=FakeQueue(), measurement=Store(),
                    link_api_base=API)  # fmt: skip


def text(category: str = "marketing", **extra: Any) -> OutboundMessage:
    return OutboundMessage(message_id="flow:welcome:ex-1:0", shop=SHOP, to=PHONE, category=category,
                           body="Demo Shop: 10% off with WELCOME10 https://demo-shop.example/new. Reply STOP to opt out",
                           flow="welcome", step=0, discount_code="WELCOME10", created_at=DAY, **extra)  # fmt: skip


def test_the_text_goes_out_with_the_recipients_code_and_its_link_is_stored():
    d = setup(DAY)
    assert send_one(text(), d).outcome == "sent"
    [sent] = d.provider.sent
    [(start, end)] = links.find_urls(sent["body"])
    url = sent["body"][start:end]
    code = url.rsplit("/", 1)[-1]
    assert url == f"{API}/l/{code}" and sent["body"].endswith(". Reply STOP to opt out")
    link = d.measurement.links[code]  # type: ignore[union-attr]
    assert (link.phone, link.message_id, link.scope) == (PHONE, "flow:welcome:ex-1:0", "flow#welcome#0")
    assert link.target.startswith("https://demo-shop.example/new?utm_source=sms&utm_medium=flow")
    assert d.measurement.counts == [("flow#welcome#0", {"sent": 1, "segments": 1, "cost_est": 0.0083})]  # type: ignore[union-attr]
    assert d.measurement.sent == [("flow#welcome#0", "WELCOME10")]  # type: ignore[union-attr]


def test_a_deferred_text_goes_back_with_its_urls_and_stores_no_link():
    d = setup(NIGHT)
    assert send_one(text(), d).outcome == "deferred"
    [queued] = d.requeue.sent  # type: ignore[union-attr]
    assert "https://demo-shop.example/new" in queued["body"] and "/l/" not in queued["body"]
    assert d.measurement.links == {}  # type: ignore[union-attr]
    later = setup(DAY)
    later.shops = d.shops
    assert send_one(OutboundMessage.model_validate(queued), later).outcome == "sent"
    [link] = later.measurement.links.values()  # type: ignore[union-attr]
    assert link.code in later.provider.sent[0]["body"]


def test_the_same_message_gets_the_same_codes_on_every_attempt():
    first, second = setup(DAY), setup(DAY)
    second.shops = first.shops  # the same shop (its link key), a fresh attempt
    send_one(text(), first)
    send_one(text(), second)
    assert first.provider.sent[0]["body"] == second.provider.sent[0]["body"]


def test_a_compliance_reply_keeps_its_urls_and_a_deployment_without_a_public_url_shortens_nothing():
    d = setup(DAY)
    reply = OutboundMessage(message_id="optin:1", shop=SHOP, to=PHONE, category="compliance", created_at=DAY,
                            body="Demo Shop: Terms https://demo-shop.example/terms. Reply Y to confirm")  # fmt: skip
    send_one(reply, d)
    assert "https://demo-shop.example/terms" in d.provider.sent[0]["body"]
    bare = setup(DAY)
    bare.link_api_base = None
    send_one(text(), bare)
    assert "https://demo-shop.example/new" in bare.provider.sent[0]["body"]
