"""The sender's part in a campaign (issue 15 parts 6 and 7): a text of a cancelled or deleted campaign is
dropped and recorded, one of a paused campaign comes back later, and the campaign's smart sending replaces
the shop's for its texts."""

from datetime import UTC, datetime, timedelta

import pytest

from smsflows.domain.compliance.frequency import SendRecord
from smsflows.domain.consent.ledger import SubscriberState
from smsflows.domain.messages import OutboundMessage
from smsflows.domain.sending.send import PAUSED_RECHECK_S, SendDeps, send_one
from smsflows.ports import Sender
from smsflows.runtime.clock import fixed_clock
from tests.fakes import FakeMessageLog, FakeProvider, FakeQueue, FakeShopConfigs, onboarded_shop

SHOP = "demo-shop.myshopify.com"
PHONE = "+15125550123"
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 11:00 in Austin: within every window


def text(**fields) -> OutboundMessage:
    return OutboundMessage(message_id="cmp:c1:once:abc", shop=SHOP, to=PHONE, body="Demo Shop: 20% off. Reply STOP",
                           category="marketing", flow="campaign", created_at=NOW, campaign="c1", run="once",
                           **fields)  # fmt: skip


def deps(state: str | None, *sent_hours_ago: float) -> SendDeps:
    """A subscribed recipient who got marketing `sent_hours_ago`; the campaign in `state`."""
    asked: list[tuple[str, str]] = []

    def campaign_state(shop: str, campaign_id: str) -> str | None:
        asked.append((shop, campaign_id))
        return state

    log = FakeMessageLog()
    log.consent.states[(SHOP, PHONE)] = SubscriberState(
        shop=SHOP, phone=PHONE, status="subscribed", version=3
    )
    log.history[(SHOP, PHONE)] = (
        1,
        [SendRecord(NOW - timedelta(hours=h), "welcome") for h in sent_hours_ago],
    )
    made = SendDeps(log=log, provider=FakeProvider(), sender=Sender(messaging_service_sid="MG1"),
                    clock=fixed_clock(NOW), shops=FakeShopConfigs(onboarded_shop(SHOP)), requeue=FakeQueue(),
                    campaign_state=campaign_state)  # fmt: skip
    made.asked = asked  # type: ignore[attr-defined]
    return made


@pytest.mark.parametrize("state", ["cancelled", None])  # None: the campaign no longer exists
def test_a_cancelled_campaigns_text_is_dropped_and_recorded(state):
    d = deps(state)
    outcome = send_one(text(), d)
    assert (outcome.outcome, outcome.detail) == ("cancelled", "campaign cancelled")
    assert d.provider.sent == [] and d.asked == [(SHOP, "c1")]
    assert d.log.claim("cmp:c1:once:abc")["reason"] == "cancelled: the campaign was cancelled"


def test_a_paused_campaigns_text_comes_back_later_unsent():
    d = deps("paused")
    outcome = send_one(text(), d)
    assert (outcome.outcome, outcome.detail) == ("deferred", "campaign_paused")
    assert outcome.until == NOW + timedelta(seconds=PAUSED_RECHECK_S)
    assert d.provider.sent == [] and d.requeue.delays == [PAUSED_RECHECK_S]
    assert d.requeue.sent[0]["message_id"] == "cmp:c1:once:abc" and d.requeue.sent[0]["deferred"] == 1


def test_a_sending_campaigns_text_goes_and_other_texts_never_ask():
    d = deps("sending")
    assert send_one(text(), d).outcome == "sent"
    flow_text = text().model_copy(update={"campaign": None, "run": None, "message_id": "welcome:1"})
    assert send_one(flow_text, d).outcome == "sent"
    assert d.asked == [(SHOP, "c1")]


def test_the_campaigns_smart_sending_skips_whoever_got_marketing_within_it():
    d = deps("sending", 2)
    skipped = send_one(text(smart_sending_hours=6), d)
    assert (skipped.outcome, skipped.detail) == ("skipped", "smart_sending")
    later = text(smart_sending_hours=1).model_copy(update={"message_id": "cmp:c1:once:def"})
    assert send_one(later, d).outcome == "sent"  # the last marketing was 2 h ago: outside a 1 h window
    assert len(d.provider.sent) == 1
