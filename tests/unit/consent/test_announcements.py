"""What the consent use cases tell the rest of the system, exactly: the shop-events a change puts on the
queue ("opted_out" stops the marketing flows at once, "subscribed" starts the welcome series, with the
customer's key when there is one), nothing for a duplicate or an import, Twilio's 21610 recorded as an
opt-out of ours, and the shop and phone an inbound text is counted against (even when Twilio answered the
keyword itself). Written from consent/subscriptions' surviving mutants."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smsflows.domain.consent.ledger import ConsentEvent
from smsflows.domain.consent.subscriptions import (
    InboundSms,
    handle_inbound,
    provider_opt_out,
    record,
    record_and_announce,
)
from tests.fakes import FakeQueue, onboarded_shop, shop_sender, sign_up_deps
from tests.fakes import MovableClock as Clock

SHOP = "demo-shop.myshopify.com"
PHONE = "+15125550123"
NOW = datetime(2026, 11, 23, 17, 0, 40, tzinfo=UTC)


def deps(**config: Any) -> Any:
    d = sign_up_deps(onboarded_shop(SHOP, **config), clock=Clock(NOW))
    d.events = FakeQueue()
    return d


def event(kind: str, n: int, source: str = "keyword", **kw: Any) -> ConsentEvent:
    return ConsentEvent(event_id=f"e{n}", shop=SHOP, phone=PHONE, kind=kind, source=source, at=NOW, **kw)  # type: ignore[arg-type]


def topics(d: Any) -> list[dict[str, Any]]:
    return [e for e in d.events.sent if e["topic"] in ("smsflows/opted_out", "smsflows/subscribed")]


def test_leaving_the_program_announces_opted_out_once_with_the_phone():
    d = deps()
    record(d.store, event("opt_in", 1, source="web_form"))
    record_and_announce(d, event("opt_out", 2))
    assert topics(d) == [{"shop": SHOP, "topic": "smsflows/opted_out", "webhook_id": "opted-out-e2",
                          "received_at": NOW.isoformat(), "body": json.dumps({"phone": PHONE})}]  # fmt: skip
    record_and_announce(d, event("opt_out", 2))  # the same STOP delivered again
    record_and_announce(d, event("opt_out", 3))  # a second STOP: already out
    assert len(topics(d)) == 1


def test_an_opt_out_of_someone_never_subscribed_announces_nothing():
    d = deps()
    record_and_announce(d, event("opt_out", 1))
    assert topics(d) == []


@pytest.mark.parametrize(("customer", "key"), [("gid://shopify/Customer/7", "customer:gid://shopify/Customer/7"),
                                              (None, None)])  # fmt: skip
def test_joining_announces_subscribed_with_the_customers_key_when_known(customer, key):
    d = deps()
    record_and_announce(d, event("opt_in", 1, source="web_form", shopify_customer_id=customer))
    assert topics(d) == [{"shop": SHOP, "topic": "smsflows/subscribed", "webhook_id": "subscribed-e1",
                          "received_at": NOW.isoformat(), "body": json.dumps({"phone": PHONE, "customer_key": key})}]  # fmt: skip


def test_an_imported_subscriber_gets_no_welcome_series():
    d = deps()
    record_and_announce(d, event("opt_in", 1, source="import"))
    assert topics(d) == []


def test_twilios_21610_is_recorded_as_an_opt_out_of_ours_and_stops_the_flows():
    d = deps()
    record(d.store, event("opt_in", 1, source="web_form"))
    result = provider_opt_out(SHOP, PHONE, "flow:welcome:ex-1:0", d)
    assert (result.before.status, result.after.status, result.duplicate) == (
        "subscribed",
        "unsubscribed",
        False,
    )
    stop = d.store.events(SHOP, PHONE)[-1]
    assert (stop.event_id, stop.kind, stop.source, stop.at, stop.classifier) == (
        "provider:flow:welcome:ex-1:0", "opt_out", "provider_opt_out", NOW, "twilio:21610"
    )  # fmt: skip
    assert [e["topic"] for e in topics(d)] == ["smsflows/opted_out"]
    assert provider_opt_out(SHOP, PHONE, "flow:welcome:ex-1:0", d).duplicate is True  # a retried send


def sms(body: str, sender: str = PHONE, sid: str = "SM1") -> InboundSms:
    return InboundSms.model_validate({"MessageSid": sid, "From": sender, "To": "+15125550000", "Body": body,
                                      "MessagingServiceSid": shop_sender(SHOP)})  # fmt: skip


def test_an_inbound_text_is_counted_against_its_shop_and_number():
    d = deps()
    outcome = handle_inbound(sms("HELP"), d)
    assert (outcome.intent, outcome.shop, outcome.phone) == ("help", SHOP, PHONE)
    assert outcome.reply


def test_a_keyword_twilio_answered_itself_gets_no_second_reply_but_is_recorded_and_counted():
    d = deps(twilio_answers_keywords=True)
    record(d.store, event("opt_in", 1, source="web_form"))
    outcome = handle_inbound(sms("STOP"), d)
    assert (outcome.intent, outcome.reply, outcome.shop, outcome.phone) == ("opt_out", None, SHOP, PHONE)
    assert outcome.detail.endswith(" (answered by Twilio)") and outcome.review is False
    assert d.store.state(SHOP, PHONE).status == "unsubscribed"
    other = handle_inbound(sms("When does my order ship?", sid="SM2"), d)  # not a keyword: answered as usual
    assert other.shop == SHOP and not other.detail.endswith("(answered by Twilio)")


def test_a_duplicate_event_reports_the_state_as_it_stands():
    d = deps()
    record(d.store, event("opt_in", 1, source="web_form"))
    again = record(d.store, event("opt_in", 1, source="web_form"))
    assert again.duplicate is True and again.before == again.after == d.store.state(SHOP, PHONE)


def test_a_state_that_keeps_changing_under_the_writer_is_retried_later_and_says_so():
    from smsflows.runtime.errors import TransientError

    class Contended:
        """Another writer moves the state between every read and write."""

        def state(self, shop: str, phone: str) -> Any:
            return None

        def append(self, *args: Any) -> str:
            return "conflict"

    with pytest.raises(TransientError) as raised:
        record(Contended(), event("opt_out", 1))  # type: ignore[arg-type]
    assert str(raised.value) == "consent state kept changing under us; retry"


# Shopify's consent, both ways --------------------------------------------------------------------------


def test_the_write_back_to_shopify_names_the_customer_from_the_event_or_else_the_state():
    from smsflows.domain.consent.subscriptions import consent_sync_message

    d = deps()
    first = record(d.store, event("opt_in", 1, shopify_customer_id="7001"))
    body = json.loads(consent_sync_message(event("opt_in", 1, shopify_customer_id="7001"), first)["body"])  # type: ignore[index]
    assert (body["state"], body["opt_in_level"], body["customer_id"]) == (
        "SUBSCRIBED",
        "SINGLE_OPT_IN",
        "7001",
    )
    stop = event("opt_out", 2)  # a STOP names no customer: the state knows them
    body = json.loads(consent_sync_message(stop, record(d.store, stop))["body"])  # type: ignore[index]
    assert (body["state"], body["customer_id"]) == ("UNSUBSCRIBED", "7001")


def test_the_write_backs_id_fits_the_inbox_key_for_the_longest_event_id():
    from smsflows.domain.consent.subscriptions import consent_sync_message

    d = deps()
    long = ConsentEvent(event_id="e" * 200, shop=SHOP, phone=PHONE, kind="opt_out", source="keyword", at=NOW)
    message = consent_sync_message(long, record(d.store, long))
    assert message is not None and message["webhook_id"] == ("consent-sync-" + "e" * 200)[:200]


def shopify(state: str, updated: datetime) -> dict[str, Any]:
    return {"id": 7001, "phone": PHONE, "sms_marketing_consent": {"state": state,
                                                                 "consent_updated_at": updated.isoformat()}}  # fmt: skip


def test_a_shopify_opt_in_older_than_our_opt_out_is_ignored_and_one_as_old_or_newer_is_applied():
    from smsflows.domain.consent.subscriptions import shopify_consent_update

    d = deps()
    record(d.store, event("opt_in", 1, source="web_form"))
    record(d.store, event("opt_out", 2))  # since NOW
    older = shopify_consent_update(SHOP, "w1", shopify("subscribed", NOW - timedelta(seconds=1)), d)
    assert older == "ignored: Shopify's opt-in is older than the opt-out recorded"
    assert d.store.state(SHOP, PHONE).status == "unsubscribed"
    assert shopify_consent_update(SHOP, "w2", shopify("subscribed", NOW), d) != older
    assert d.store.state(SHOP, PHONE).status == "subscribed"


def test_a_shopify_opt_out_is_recorded_however_old_it_says_it_is():
    from smsflows.domain.consent.subscriptions import shopify_consent_update

    d = deps()
    record(d.store, event("opt_in", 1, source="web_form"))
    record(d.store, event("opt_out", 2))
    assert (
        shopify_consent_update(SHOP, "w1", shopify("unsubscribed", NOW - timedelta(days=3)), d) == "opt_out"
    )
    assert d.store.events(SHOP, PHONE)[-1].event_id == "shopify:w1"


# Inbound texts -----------------------------------------------------------------------------------------


def test_a_text_from_a_short_code_is_counted_against_the_shop_and_no_phone():
    outcome = handle_inbound(sms("Where is my order?", sender="12345"), deps())
    assert outcome.shop == SHOP and outcome.phone is None


def test_a_conversation_is_stored_with_whose_it_is_and_how_it_was_read():
    d = deps()
    handle_inbound(sms("Where is my order? It has been a week", sid="SM-q"), d)
    stored = d.conversations.items["SM-q"]
    assert (stored["shop"], stored["phone"], stored["review"]) == (SHOP, PHONE, False)
    assert stored["at"] == NOW.isoformat() and stored["body"] == "Where is my order? It has been a week"


@pytest.mark.parametrize(
    ("body", "kind", "rating", "review"), [("9", "rating", 9, False), ("🙄", "message", None, True)]
)
def test_a_rating_and_a_text_for_a_person_are_stored_as_read(body, kind, rating, review):
    d = deps()
    handle_inbound(sms(body, sid="SM-r"), d)
    stored = d.conversations.items["SM-r"]
    assert (stored["kind"], stored["rating"], stored["review"]) == (kind, rating, review)


def test_a_text_to_a_sender_no_shop_owns_is_refused_and_says_so():
    from smsflows.runtime.errors import NotFound

    stray = InboundSms.model_validate({"MessageSid": "SM-x", "From": PHONE, "To": "+15125550999", "Body": "STOP",
                                       "MessagingServiceSid": "MG" + "9" * 32})  # fmt: skip
    with pytest.raises(NotFound) as raised:
        handle_inbound(stray, deps())
    assert str(raised.value) == "no shop owns this sender"  # the 404's message, in Twilio's request log
