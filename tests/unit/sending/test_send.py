from datetime import UTC, datetime, timedelta

import pytest

from smsflows.domain.messages import OutboundMessage
from smsflows.domain.sending.send import SendDeps, send_one
from smsflows.ports import Sender
from smsflows.runtime.clock import fixed_clock
from smsflows.runtime.errors import ProviderError, TransientError
from tests.fakes import FakeMessageLog, FakeProvider

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def message(**kw):
    base = dict(
        message_id="m-1",
        shop="demo-shop.myshopify.com",
        to="+15125550123",
        body="Demo Shop: hi",
        category="transactional",
        created_at=NOW,
    )
    base.update(kw)
    return OutboundMessage(**base)


def deps(provider=None, log=None):
    return SendDeps(
        log=log or FakeMessageLog(),
        provider=provider or FakeProvider(),
        sender=Sender(messaging_service_sid="MG1"),
        clock=fixed_clock(NOW),
    )


def test_sends_once_and_records_the_receipt():
    d = deps()
    outcome = send_one(message(), d)
    assert outcome.outcome == "sent" and outcome.sid
    assert d.provider.sent == [
        {"to": "+15125550123", "body": "Demo Shop: hi", "sender": Sender(messaging_service_sid="MG1")}
    ]
    assert d.log.items["m-1"]["state"] == "sent"


def test_redelivered_message_is_not_sent_twice():
    d = deps()
    send_one(message(), d)
    assert send_one(message(), d).outcome == "duplicate"
    assert len(d.provider.sent) == 1


def test_retryable_provider_error_releases_the_claim_and_raises_for_redelivery():
    d = deps(FakeProvider([ProviderError("busy", code=20429, status=429, retryable=True)]))
    with pytest.raises(TransientError):
        send_one(message(), d)
    assert d.log.items["m-1"]["state"] == "retry"
    assert send_one(message(), d).outcome == "sent"
    assert len(d.provider.sent) == 1


def test_an_invalid_number_is_recorded_suppressed_and_not_retried():
    d = deps(FakeProvider([ProviderError("bad to", code=21211, status=400, retryable=False)]))
    outcome = send_one(message(), d)
    assert outcome.outcome == "suppressed" and "unreachable" in outcome.detail
    assert d.log.items["m-1"]["error_code"] == 21211
    assert send_one(message(), d).outcome == "suppressed"  # redelivered: not sent
    assert send_one(message(message_id="m-2"), d).detail == "number unreachable"  # the next message neither
    assert d.provider.sent == []


@pytest.mark.parametrize(
    ("code", "kind"), [(30007, "content_error"), (21408, "config_error"), (99999, "provider refused")]
)
def test_content_and_account_errors_fail_without_retry_or_suppression(code, kind):
    d = deps(FakeProvider([ProviderError("no", code=code, status=400, retryable=False)]))
    outcome = send_one(message(), d)
    assert outcome.outcome == "failed" and kind in outcome.detail
    assert send_one(message(message_id="m-2"), d).outcome == "sent"  # the number itself is fine


def test_expired_message_is_dropped_with_a_reason():
    d = deps()
    outcome = send_one(message(not_after=NOW - timedelta(minutes=1)), d)
    assert outcome.outcome == "expired"
    assert d.log.items["m-1"]["reason"].startswith("expired")
    assert d.provider.sent == []


@pytest.mark.parametrize("to", ["5125550123", "+0123", "", "+1512555012345678"])
def test_message_needs_an_e164_recipient(to):
    with pytest.raises(ValueError):
        message(to=to)


def test_the_demo_check_accepts_independent_flows_in_either_order_and_nothing_else():
    from smsflows.local.demo import ADA, BOB, EXPECTED, outbox_matches

    texts = [(to, f"Demo Shop: {phrase}") for to, phrase in EXPECTED]
    assert outbox_matches(texts)
    swapped = [texts[0], texts[1], texts[3], texts[2], *texts[4:]]  # Ada's reminder before her welcome
    assert outbox_matches(swapped)
    shipped_first = [*texts[:4], texts[5], texts[4], texts[6]]  # shipping before the order confirmation
    assert not outbox_matches(shipped_first)
    assert not outbox_matches([*texts, (BOB, "Demo Shop: Welcome to Demo Shop!")])  # a duplicate
    assert not outbox_matches([(ADA if to == BOB else BOB, body) for to, body in texts])  # wrong people


@pytest.mark.parametrize(
    ("status", "category", "sent"),
    [
        ("paused", "marketing", False),
        ("paused", "transactional", False),
        ("paused", "compliance", True),  # a STOP or HELP reply still goes out while the operator pauses
        ("uninstalled", "compliance", False),
        ("active", "transactional", True),
    ],
)
def test_a_paused_shop_sends_only_compliance_replies(status, category, sent):
    from smsflows.domain.shops import ShopConfig
    from tests.fakes import FakeShopConfigs

    d = deps()
    d.shops = FakeShopConfigs(ShopConfig(shop="demo-shop.myshopify.com", status=status))
    outcome = send_one(message(category=category), d)
    assert (outcome.outcome == "sent") is sent
    assert len(d.provider.sent) == int(sent)
    if not sent:
        assert (outcome.outcome, outcome.detail) == ("suppressed", f"shop {status}")
        assert d.log.items["m-1"]["state"] == "failed"


def test_the_cli_pauses_and_resumes_a_shop(monkeypatch):
    from smsflows import admin, cli

    seen = []
    monkeypatch.setattr(admin, "shop_set", lambda shop, changes, **kw: seen.append(changes) or {})
    monkeypatch.setattr(admin, "shop_show", lambda shop, **kw: {}, raising=False)
    for flag, status in (("--pause", "paused"), ("--activate", "active")):
        try:
            cli.main(["shop", "set", "--shop", "demo-shop.myshopify.com", flag])
        except SystemExit as exc:
            assert not exc.code
        assert seen[-1]["status"] == status
    with pytest.raises(SystemExit):  # both at once is refused by the parser
        cli.main(["shop", "set", "--shop", "demo-shop.myshopify.com", "--pause", "--activate"])
    cli.main(["shop", "set", "--shop", "demo-shop.myshopify.com", "--sms-countries", "US, CA,PR"])
    assert seen[-1]["sms_countries"] == ("US", "CA", "PR") and seen[-1]["status"] is None
