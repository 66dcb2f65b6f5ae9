"""Consent synced both ways (issue 17): every consent change smsflows records is written back to Shopify with
customerSmsMarketingConsentUpdate (through the shop-events queue: its retries are the throttling retries),
with when consent was given; never one that came from Shopify (the loop); and the webhook that echoes our own
write is recognised and not applied again, while a genuine later change in Shopify is. A STOP is never lost.

The real adapter talks to the fake Shopify over loopback; everything else is the in-memory fakes."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from smsflows.adapters.secrets import SecretsStore
from smsflows.adapters.shopify_admin import ShopifyAdminClient, token_secret_id
from smsflows.domain.consent import subscriptions
from smsflows.domain.consent.ledger import ConsentEvent
from smsflows.domain.consent.subscriptions import CONSENT_SYNC_TOPIC, InboundSms, handle_inbound
from smsflows.domain.shopify.consent_sync import NO_CUSTOMER
from smsflows.domain.shopify.events import ShopEventDeps, ShopEventEnvelope, process_shop_event
from smsflows.local.fake_shopify import FakeShopify
from smsflows.runtime.errors import ShopifyThrottled
from tests.fakes import (
    FakeConsentEchoes,
    FakeFlows,
    FakeInbox,
    FakeQueue,
    FakeShopData,
    MovableClock,
    onboarded_shop,
    shop_sender,
    sign_up_deps,
)

SHOP = "demo-shop.myshopify.com"
PHONE = "+15125550123"
TOKEN = "shpat_unit-test-token-0123456789"
PREFIX = "unit/shopify-admin"
START = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


class Secrets:
    """Secrets Manager's get_secret_value over a dict (no AWS in a unit test)."""

    def __init__(self, values: dict[str, dict[str, str]]) -> None:
        self.values = values

    def get_secret_value(self, SecretId: str) -> dict[str, str]:
        if SecretId not in self.values:
            raise ClientError(
                {"Error": {"Code": "ResourceNotFoundException", "Message": "no"}}, "GetSecretValue"
            )
        return {"SecretString": json.dumps(self.values[SecretId])}


@dataclass
class World:
    fake: FakeShopify
    clock: MovableClock
    consent: Any
    events: FakeQueue
    shop_events: ShopEventDeps
    customer: str

    def sms(self, body: str, sid: str) -> Any:
        inbound = InboundSms(MessageSid=sid, From=PHONE, To="+15125550000", Body=body,
                             MessagingServiceSid=shop_sender(SHOP))  # fmt: skip
        return handle_inbound(inbound, self.consent)

    def syncs(self) -> list[dict[str, Any]]:
        """The consent_sync events queued so far (taken off the queue)."""
        found = [m for m in self.events.sent if m["topic"] == CONSENT_SYNC_TOPIC]
        self.events.sent = [m for m in self.events.sent if m["topic"] != CONSENT_SYNC_TOPIC]
        return found

    def process(self, message: Mapping[str, Any]) -> Any:
        return process_shop_event(ShopEventEnvelope.model_validate(message), self.shop_events)

    def sync_all(self) -> list[str]:
        return [self.process(m).detail for m in self.syncs()]

    def echo_of_last_write(self, webhook_id: str = "echo-1") -> str:
        """What Shopify's customers_marketing_consent/update says after the last write (as the fake posts it)."""
        last = self.fake.consent_writes()[-1]
        customer = self.fake.customer(SHOP, last["customer_id"])
        assert customer is not None
        payload = {"id": customer["legacy"], "phone": customer["phone"], "sms_marketing_consent": {
            "state": last["state"].lower(), "opt_in_level": (customer["opt_in_level"] or "").lower() or None,
            "consent_updated_at": datetime.fromisoformat(last["consent_updated_at"].replace("Z", "+00:00"))
            .astimezone(__import__("datetime").timezone(timedelta(hours=-6))).isoformat(),  # Shopify's offset
            "consent_collected_from": "OTHER"}}  # fmt: skip
        return subscriptions.shopify_consent_update(SHOP, webhook_id, payload, self.consent)

    def ledger(self) -> list[ConsentEvent]:
        return self.consent.store.events(SHOP, PHONE)


@pytest.fixture
def world() -> Iterator[World]:
    fake = FakeShopify(clock=lambda: START).start()
    fake.add_token(SHOP, TOKEN)
    customer = fake.add_customer(SHOP, phone=PHONE, first_name="Ada")
    clock = MovableClock(START)
    consent = sign_up_deps(onboarded_shop(SHOP), clock=clock)
    events = FakeQueue()
    consent.events = events
    consent.echoes = FakeConsentEchoes()
    store = SecretsStore(lambda: Secrets({token_secret_id(PREFIX, SHOP): {"access_token": TOKEN}}))
    admin = ShopifyAdminClient(store, PREFIX, api_base=fake.base_url, timeout_s=2, sleep=lambda s: None)
    shop_events = ShopEventDeps(inbox=FakeInbox(), data=FakeShopData(), send_queue=FakeQueue(), flows=FakeFlows(),
                                clock=clock, consent=consent, shops=consent.shops, events=events, admin=admin)  # fmt: skip
    yield World(fake, clock, consent, events, shop_events, customer)
    fake.stop()


def request_sign_up(world: World, customer_id: str | None = None) -> None:
    subscriptions.record_and_announce(world.consent, ConsentEvent(
        event_id="web_form:sub-1", shop=SHOP, phone=PHONE, kind="opt_in_requested", source="web_form",
        at=world.clock(), disclosure_text="Demo Shop: recurring msgs. Msg & data rates may apply. HELP/STOP.",
        shopify_customer_id=customer_id))  # fmt: skip


def written(world: World) -> list[tuple[str, str | None, str]]:
    return [(w["state"], w["opt_in_level"], w["consent_updated_at"]) for w in world.fake.consent_writes()]


def test_a_double_opt_in_then_a_stop_are_written_to_shopify_with_their_own_times(world):
    request_sign_up(world)
    assert world.sync_all() == ["Shopify consent written: PENDING"]
    world.clock.now = START + timedelta(minutes=2, seconds=5)
    assert world.sms("YES", "SM1").intent == "confirmed"
    (sync,) = world.syncs()
    world.clock.now = START + timedelta(hours=3)  # the queue was slow: the write says when consent was given
    assert world.process(sync).detail == "Shopify consent written: SUBSCRIBED (CONFIRMED_OPT_IN)"
    world.clock.now = START + timedelta(days=1)
    assert world.sms("STOP", "SM2").intent == "opt_out"
    assert world.sync_all() == ["Shopify consent written: UNSUBSCRIBED"]
    assert written(world) == [
        ("PENDING", None, "2026-11-23T17:00:00Z"),
        ("SUBSCRIBED", "CONFIRMED_OPT_IN", "2026-11-23T17:02:05Z"),
        ("UNSUBSCRIBED", None, "2026-11-24T17:00:00Z"),
    ]
    assert {w["customer_id"] for w in world.fake.consent_writes()} == {world.customer}  # found by phone


def test_a_keyword_opt_in_is_a_single_opt_in(world):
    assert world.sms("START", "SM1").intent == "opt_in"
    assert world.sync_all() == ["Shopify consent written: SUBSCRIBED (SINGLE_OPT_IN)"]


def test_the_echo_of_our_own_write_is_ignored_and_records_nothing(world):
    world.sms("START", "SM1")
    world.sync_all()
    before = world.ledger()
    assert world.echo_of_last_write() == "echo of our own write: ignored"
    world.clock.now = START + timedelta(hours=1)
    world.sms("STOP", "SM2")
    world.sync_all()
    stop_ledger = world.ledger()
    assert len(stop_ledger) == len(before) + 1
    assert world.echo_of_last_write("echo-2") == "echo of our own write: ignored"
    assert world.ledger() == stop_ledger and world.syncs() == []


def test_a_late_echo_of_an_earlier_opt_in_does_not_undo_a_stop(world):
    world.sms("START", "SM1")
    world.sync_all()
    subscribed_echo = world.fake.consent_writes()[-1]
    world.clock.now = START + timedelta(minutes=5)
    world.sms("STOP", "SM2")
    world.sync_all()
    # the opt-in's echo comes in only now (Shopify retried it): still recognised, and nothing changes
    customer = world.fake.customer(SHOP, world.customer)
    payload = {"id": customer["legacy"], "phone": PHONE, "sms_marketing_consent": {
        "state": "subscribed", "consent_updated_at": subscribed_echo["consent_updated_at"]}}  # fmt: skip
    assert (
        subscriptions.shopify_consent_update(SHOP, "late", payload, world.consent)
        == "echo of our own write: ignored"
    )
    world.consent.echoes.noted.clear()  # and once its mark has expired: older than the STOP, so ignored all the same
    assert "older than the opt-out" in subscriptions.shopify_consent_update(
        SHOP, "later", payload, world.consent
    )
    assert world.consent.store.state(SHOP, PHONE).status == "unsubscribed"


def test_a_genuine_later_change_in_shopify_is_applied_and_never_written_back(world):
    world.sms("START", "SM1")
    world.sync_all()
    last = world.fake.consent_writes()[-1]
    later = (
        datetime.fromisoformat(last["consent_updated_at"].replace("Z", "+00:00")) + timedelta(minutes=9)
    ).isoformat()
    for state, time in (("unsubscribed", last["consent_updated_at"]), ("subscribed", later)):
        payload = {
            "id": 1,
            "phone": PHONE,
            "sms_marketing_consent": {"state": state, "consent_updated_at": time},
        }
        assert subscriptions.shopify_consent_update(SHOP, f"shopify-{state}", payload, world.consent) in (
            "opt_out", "opt_in")  # fmt: skip
    assert world.consent.store.state(SHOP, PHONE).status == "subscribed"
    assert world.syncs() == []  # what Shopify said is not written back to it: no loop
    assert len(world.fake.consent_writes()) == 1


def test_checkout_consent_from_shopify_is_not_written_back(world):
    checkout = {"token": "tok-1", "buyer_accepts_sms_marketing": True, "sms_marketing_phone": PHONE,
                "customer": {"id": 5}}  # fmt: skip
    message = {"shop": SHOP, "topic": "checkouts/create", "webhook_id": "w-1", "received_at": START.isoformat(),
               "body": json.dumps(checkout)}  # fmt: skip
    world.process(message)
    assert world.consent.store.state(SHOP, PHONE).status == "subscribed"
    assert world.syncs() == []


def test_a_repeated_event_or_a_join_from_a_subscriber_writes_nothing_more(world):
    world.sms("START", "SM1")
    world.sms("START", "SM1")  # the same message again (Twilio's retry)
    world.sms("JOIN", "SM3")  # a subscriber joining again
    assert len(world.syncs()) == 1


def test_a_second_stop_is_written_again_if_in_doubt_unsubscribe(world):
    world.sms("STOP", "SM1")
    world.sms("STOP", "SM2")
    assert world.sync_all() == ["Shopify consent written: UNSUBSCRIBED"] * 2


def test_an_opt_in_overtaken_by_a_stop_is_not_written(world):
    world.sms("START", "SM1")
    opt_in = world.syncs()
    world.clock.now = START + timedelta(minutes=1)
    world.sms("STOP", "SM2")
    stop = world.syncs()
    assert world.process(stop[0]).detail == "Shopify consent written: UNSUBSCRIBED"
    outcome = world.process(opt_in[0])  # handled after the STOP's (SQS does not keep order)
    assert (outcome.outcome, outcome.detail) == (
        "ignored",
        "not synced: superseded (the status is unsubscribed now, not subscribed)",
    )
    assert [w[0] for w in written(world)] == ["UNSUBSCRIBED"]


def test_a_stop_recorded_while_an_opt_in_is_written_is_written_again_last(world):
    world.sms("START", "SM1")
    (sync,) = world.syncs()
    original = world.fake.execute

    def stop_meanwhile(shop: str, query: str, variables: dict[str, Any]) -> Any:
        answer = original(shop, query, variables)
        if "customerSmsMarketingConsentUpdate" in query and len(world.fake.consent_writes()) == 1:
            world.clock.now = START + timedelta(seconds=30)
            world.sms("STOP", "SM2")  # recorded between our check and Shopify's answer
        return answer

    world.fake.execute = stop_meanwhile  # type: ignore[method-assign]
    assert world.process(sync).detail.endswith("then UNSUBSCRIBED again (a STOP came in meanwhile)")
    assert [(w[0], w[2]) for w in written(world)] == [
        ("SUBSCRIBED", "2026-11-23T17:00:00Z"), ("UNSUBSCRIBED", "2026-11-23T17:00:30Z")
    ]  # fmt: skip


def test_no_shopify_customer_with_the_phone_writes_nothing_and_creates_nobody(world):
    world.fake._customers[SHOP].clear()
    world.sms("START", "SM1")
    (sync,) = world.syncs()
    outcome = world.process(sync)
    assert (outcome.outcome, outcome.detail) == ("ignored", NO_CUSTOMER)
    assert world.fake.consent_writes() == [] and world.fake.customers(SHOP) == []


def test_the_customer_of_the_sign_up_is_used_without_a_search(world):
    request_sign_up(world, customer_id=world.customer.rsplit("/", 1)[-1])
    world.sync_all()
    assert [c["field"] for c in world.fake.calls] == ["customerSmsMarketingConsentUpdate"]


def test_a_customer_without_a_phone_in_shopify_is_an_outcome_not_a_retry(world):
    no_phone = world.fake.add_customer(SHOP, email="grace@example.com")
    request_sign_up(world, customer_id=no_phone)
    (detail,) = world.sync_all()
    assert detail.startswith("not synced: Shopify refused it") and "phone" in detail


def test_a_shop_with_no_token_is_skipped_with_a_clear_outcome(world):
    other = "other-shop.myshopify.com"
    world.consent.shops.put(onboarded_shop(other))
    event = ConsentEvent(
        event_id="manual:1", shop=other, phone=PHONE, kind="opt_out", source="manual", at=START
    )
    subscriptions.record_and_announce(world.consent, event)
    (sync,) = world.syncs()
    outcome = world.process(sync)
    assert (outcome.outcome, outcome.detail) == (
        "ignored", "not synced: the shop is not connected (no Admin API access token stored)")  # fmt: skip


def test_a_throttled_write_fails_the_event_so_the_queue_retries_it(world):
    world.sms("STOP", "SM1")
    (sync,) = world.syncs()
    world.fake.throttle_next(10)
    with pytest.raises(ShopifyThrottled):
        world.process(sync)
    world.fake.throttle_next(0)
    assert world.process(sync).detail == "Shopify consent written: UNSUBSCRIBED"  # the redelivery


def test_imports_are_not_written_back():
    event = ConsentEvent(
        event_id="import:1", shop=SHOP, phone=PHONE, kind="opt_in", source="import", at=START
    )
    before = subscriptions.SubscriberState(shop=SHOP, phone=PHONE)
    after = before.model_copy(update={"status": "subscribed"})
    assert subscriptions.consent_sync_message(event, subscriptions.Recorded(before, after)) is None
