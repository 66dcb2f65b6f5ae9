"""A web or checkout sign-up as the domain records it (issue 10: the mutants that survived in
consent/subscriptions.py `subscribe`): each refusal's whole message, the number read in the right country,
the idempotency key, the proof kept, the back-in-stock request, and the answer."""

from datetime import UTC, datetime, timedelta

import pytest

from smsflows.domain.consent.subscriptions import ConsentDeps, ConsentShown, SubscribeRequest, subscribe
from smsflows.runtime.errors import BadRequest
from tests.fakes import (
    SIGN_UP_DISCLOSURE,
    onboarded_shop,
    sign_up_deps,
)

SHOP = "demo-shop.myshopify.com"
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
DISCLOSURE = SIGN_UP_DISCLOSURE


def deps(country="US", now=NOW, sms_countries=None) -> ConsentDeps:
    config = onboarded_shop(SHOP, default_country=country, sms_countries=sms_countries)
    return sign_up_deps(config, clock=lambda: now)


def request(**overrides) -> SubscribeRequest:
    shown = {
        "checked": True,
        "default_checked": False,
        "disclosure_text": DISCLOSURE,
        **overrides.pop("consent", {}),
    }
    return SubscribeRequest(
        **{"shop": SHOP, "phone": "(512) 555-0123", "consent": ConsentShown(**shown), **overrides}
    )


@pytest.mark.parametrize(
    ("consent", "message"),
    [
        (
            {"default_checked": True},
            "the consent checkbox was pre-checked: that is not consent (RULES.md A3, A6, A7)",
        ),
        ({"checked": False}, "consent was not given"),
        ({"required_for_purchase": True}, "consent cannot be a condition of purchase (RULES.md A3)"),
    ],
)
def test_each_refusal_says_exactly_why(consent, message):
    d = deps()
    with pytest.raises(BadRequest) as err:
        subscribe(request(consent=consent), "1.2.3.4", "ua", d)
    assert str(err.value) == message and d.store.ledger == {} and d.send_queue.sent == []


def test_a_number_that_is_not_a_mobile_is_refused_so():
    with pytest.raises(BadRequest) as err:
        subscribe(request(phone="555-0100"), None, None, deps())
    assert str(err.value) == "phone is not a valid mobile number"


def test_a_national_number_is_read_in_the_shops_country_unless_the_form_names_one():
    assert subscribe(request(phone="07400 123456"), None, None, deps(country="GB")).phone == "+447400123456"
    # a US shop that also texts the UK (sms_countries): the form's country reads the national number
    us_and_uk = deps(country="US", sms_countries=("US", "GB"))
    assert (
        subscribe(request(phone="07400 123456", country="GB"), None, None, us_and_uk).phone == "+447400123456"
    )


def test_the_proof_is_recorded_with_the_request():
    d = deps()
    result = subscribe(request(customer_id="7001", locale="en-US", country="US", page_url="https://x.example/p",
                               submission_id="sub-1"), "34.1.2.3", "Mozilla", d)  # fmt: skip
    assert (result.status, result.phone) == ("pending", "+15125550123")
    [event] = d.store.events(SHOP, "+15125550123")
    assert (event.event_id, event.kind, event.source) == ("web_form:sub-1", "opt_in_requested", "web_form")
    assert (event.shopify_customer_id, event.locale, event.country) == ("7001", "en-US", "US")
    assert (event.ip, event.user_agent, event.page_url) == ("34.1.2.3", "Mozilla", "https://x.example/p")
    assert event.disclosure_text == DISCLOSURE and event.checkbox_default == "unchecked"
    assert [m["message_id"] for m in d.send_queue.sent] == ["doi:web_form:sub-1"]


def test_without_a_submission_id_the_same_sign_up_in_the_same_minute_is_one_event():
    d = deps()
    subscribe(request(), None, None, d)
    subscribe(request(), None, None, d)  # a double click
    [event] = d.store.events(SHOP, "+15125550123")
    assert event.event_id.startswith("web_form:form:") and len(d.send_queue.sent) == 1


@pytest.mark.parametrize(
    "change",
    ["phone", "disclosure", "minute"],
)
def test_a_different_number_text_or_minute_is_a_new_sign_up(change):
    first = deps()
    subscribe(request(), None, None, first)
    [one] = first.store.events(SHOP, "+15125550123")
    other = deps(now=NOW + timedelta(minutes=1)) if change == "minute" else deps()
    if change == "phone":
        subscribe(request(phone="(512) 555-0124"), None, None, other)
        [two] = other.store.events(SHOP, "+15125550124")
    else:
        text = DISCLOSURE.replace("up to 4", "up to 6") if change == "disclosure" else DISCLOSURE
        subscribe(request(consent={"disclosure_text": text}) if change == "disclosure" else request(), None, None,
                  other)  # fmt: skip
        [two] = other.store.events(SHOP, "+15125550123")
    assert one.event_id != two.event_id


def test_a_back_in_stock_request_is_kept_only_when_there_is_one():
    d = deps()
    subscribe(request(), None, None, d)
    assert getattr(d.restocks, "restocks", {}) == {}
    subscribe(request(submission_id="s2", restock_variant_id="77", restock_product="Brass Compass",
                      restock_url="https://demo-shop.example/p/compass"), None, None, d)  # fmt: skip
    assert d.restocks.restocks[(SHOP, "77")]["+15125550123"]["product"] == "Brass Compass"
    assert d.restocks.restocks[(SHOP, "77")]["+15125550123"]["url"] == "https://demo-shop.example/p/compass"


def test_an_existing_subscriber_is_told_so_with_the_number():
    d = deps()
    d.store.suppressed.clear()
    from smsflows.domain.consent.ledger import ConsentEvent
    from smsflows.domain.consent.subscriptions import record_and_announce

    record_and_announce(d, ConsentEvent(event_id="k1", shop=SHOP, phone="+15125550123", kind="opt_in",
                                        source="keyword", at=NOW))  # fmt: skip
    result = subscribe(request(), None, None, d)
    assert (result.status, result.phone) == ("already_subscribed", "+15125550123")
