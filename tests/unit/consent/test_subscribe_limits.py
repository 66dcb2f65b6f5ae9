"""POST /subscribe against SMS pumping (toll fraud), with the in-memory limits (tests/fakes.py
FakeOptInLimits, held to the adapter's contract in tests/contracts/test_opt_in_limits_contract.py): one
double opt-in text per number per shop in 24 h whatever the submission id, SIGN_UPS_PER_SOURCE_PER_HOUR per
source address, only the shop's countries, and every check of the request before any limit is touched."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from smsflows.domain.consent.ledger import ConsentEvent
from smsflows.domain.consent.subscriptions import (
    OPT_IN_REQUEST_HOLD,
    SIGN_UPS_PER_SOURCE_PER_HOUR,
    ConsentDeps,
    ConsentShown,
    InboundSms,
    SubscribeRequest,
    handle_inbound,
    record_and_announce,
    source_key,
    subscribe,
)
from smsflows.domain.shops import ShopConfig
from smsflows.runtime.errors import BadRequest, TooManyRequests, TransientError
from tests.fakes import (
    SIGN_UP_DISCLOSURE,
    FakeConsentStore,
    onboarded_shop,
    shop_sender,
    sign_up_deps,
)
from tests.fakes import MovableClock as Clock

SHOP = "demo-shop.myshopify.com"
PHONE = "+15125550123"
IP = "203.0.113.7"
NOW = datetime(2026, 11, 23, 17, 10, tzinfo=UTC)  # ten minutes into the hour
DISCLOSURE = SIGN_UP_DISCLOSURE


def deps(clock: Clock | None = None, **config) -> ConsentDeps:
    shop = onboarded_shop(SHOP, **config)
    return sign_up_deps(shop, clock=clock or Clock(NOW))


def request(phone: str = "(512) 555-0123", **overrides) -> SubscribeRequest:
    shown = ConsentShown(checked=True, default_checked=False, disclosure_text=DISCLOSURE)
    return SubscribeRequest(**{"shop": SHOP, "phone": phone, "consent": shown, **overrides})


def texts(d: ConsentDeps, phone: str = PHONE) -> list[dict]:
    return [m for m in d.send_queue.sent if m["to"] == phone]


def nothing_written(d: ConsentDeps) -> bool:
    limits = d.opt_in_limits
    return d.store.ledger == {} and d.send_queue.sent == [] and limits.holds == {} and limits.counts == {}


# One opt-in request per number per 24 h ------------------------------------------------------------------


def test_the_same_number_from_many_submission_ids_gets_one_request():
    d = deps()
    results = [subscribe(request(submission_id=f"sub-{i}"), f"198.51.100.{i}", "ua", d) for i in range(10)]
    assert {(r.status, r.phone) for r in results} == {("pending", PHONE)}  # the same answer to all
    assert [r.repeat for r in results] == [False] + [True] * 9
    [doi] = texts(d)
    assert doi["message_id"] == "doi:web_form:sub-0" and "Reply Y to confirm" in doi["body"]
    [event] = d.store.events(SHOP, PHONE)  # no ledger event for a repeat: the first one's proof is kept
    assert (event.event_id, event.kind, event.ip) == ("web_form:sub-0", "opt_in_requested", "198.51.100.0")
    assert d.store.state(SHOP, PHONE).pending_request == "web_form:sub-0"


def test_a_repeat_from_checkout_or_without_a_submission_id_is_limited_too():
    d = deps()
    subscribe(request(submission_id="sub-1"), IP, "ua", d)
    assert subscribe(request(source="checkout"), IP, "ua", d).repeat is True
    assert subscribe(request(phone="512.555.0123"), IP, "ua", d).repeat is True  # the same number, typed so
    assert len(texts(d)) == 1 and len(d.store.events(SHOP, PHONE)) == 1


def test_another_request_is_sent_24_hours_after_the_first_and_not_a_second_before():
    clock = Clock(NOW)
    d = deps(clock)
    subscribe(request(submission_id="day-1"), IP, "ua", d)
    clock.now = NOW + OPT_IN_REQUEST_HOLD - timedelta(seconds=1)
    assert subscribe(request(submission_id="day-1b"), IP, "ua", d).repeat is True
    assert len(texts(d)) == 1
    clock.now = NOW + OPT_IN_REQUEST_HOLD
    result = subscribe(request(submission_id="day-2"), IP, "ua", d)
    assert (result.status, result.repeat) == ("pending", False)
    assert [m["message_id"] for m in texts(d)] == ["doi:web_form:day-1", "doi:web_form:day-2"]
    assert [e.event_id for e in d.store.events(SHOP, PHONE)] == ["web_form:day-1", "web_form:day-2"]
    clock.now = NOW + 2 * OPT_IN_REQUEST_HOLD - timedelta(seconds=1)  # the new hold runs 24 h from day 2
    assert subscribe(request(submission_id="day-2b"), IP, "ua", d).repeat is True


def test_the_limit_is_per_number_and_per_shop():
    d = deps()
    other_shop = "other-shop.myshopify.com"
    d.shops.put(onboarded_shop(other_shop, brand_name="Demo Shop"))
    subscribe(request(submission_id="a"), IP, "ua", d)
    subscribe(request(phone="(512) 555-0124", submission_id="b"), IP, "ua", d)
    subscribe(request(shop=other_shop, submission_id="c"), IP, "ua", d)
    assert [m["to"] for m in d.send_queue.sent] == [PHONE, "+15125550124", PHONE]


def test_a_repeat_after_the_yes_says_already_subscribed_and_sends_nothing():
    d = deps()
    subscribe(request(submission_id="sub-1"), IP, "ua", d)
    inbound = InboundSms.model_validate(
        {
            "MessageSid": "SM-y",
            "From": PHONE,
            "To": "+15125550000",
            "Body": "Y",
            "MessagingServiceSid": shop_sender(SHOP),
        }
    )
    assert handle_inbound(inbound, d).intent == "confirmed"
    events = len(d.store.events(SHOP, PHONE))
    result = subscribe(request(submission_id="sub-2"), IP, "ua", d)
    assert (result.status, result.repeat) == ("already_subscribed", True)
    assert len(texts(d)) == 1 and len(d.store.events(SHOP, PHONE)) == events


def test_an_existing_subscriber_signing_up_again_gets_no_text():
    d = deps()
    record_and_announce(d, ConsentEvent(event_id="k1", shop=SHOP, phone=PHONE, kind="opt_in", source="keyword",
                                        at=NOW))  # fmt: skip
    assert subscribe(request(submission_id="s1"), IP, "ua", d).status == "already_subscribed"
    assert subscribe(request(submission_id="s2"), IP, "ua", d).status == "already_subscribed"
    assert texts(d) == [] and [e.event_id for e in d.store.events(SHOP, PHONE)] == ["k1", "web_form:s1"]


def test_a_back_in_stock_request_in_a_repeat_is_still_kept():
    d = deps()
    subscribe(request(submission_id="s1"), IP, "ua", d)
    subscribe(
        request(submission_id="s2", restock_variant_id="77", restock_product="Brass Compass"), IP, "ua", d
    )
    assert d.restocks.restocks[(SHOP, "77")][PHONE]["product"] == "Brass Compass"
    assert len(texts(d)) == 1


class FailsOnce(FakeConsentStore):
    """A ledger write that fails once (DynamoDB throttled past the retries): the request answers 503."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    def append(self, event, new_state, expected_version):
        if not self.failed:
            self.failed = True
            raise TransientError("DynamoDB ThrottlingException")
        return super().append(event, new_state, expected_version)


def test_the_same_submission_retried_after_a_failure_still_gets_its_one_text():
    d = deps()
    d.store = FailsOnce()
    with pytest.raises(TransientError):
        subscribe(request(submission_id="sub-1"), IP, "ua", d)
    assert texts(d) == []
    assert subscribe(request(submission_id="sub-1"), IP, "ua", d).repeat is False  # the client's retry
    assert subscribe(request(submission_id="sub-1"), IP, "ua", d).status == "pending"  # and a double click
    assert len(texts(d)) == 1 and len(d.store.events(SHOP, PHONE)) == 1
    assert subscribe(request(submission_id="sub-2"), IP, "ua", d).repeat is True  # another one is not


def test_of_sign_ups_racing_with_different_submission_ids_one_sends():
    d = deps()
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def sign_up(i: int) -> None:
        start.wait()
        try:
            subscribe(request(submission_id=f"race-{i}"), f"198.51.100.{i}", "ua", d)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sign_up, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(texts(d)) == 1 and len(d.store.events(SHOP, PHONE)) == 1


# Sign-ups per source address per hour ----------------------------------------------------------------


def numbers(n: int, start: int = 200) -> list[str]:
    return [f"(512) 555-0{start + i}" for i in range(n)]


def test_past_the_limit_a_source_gets_429_with_retry_after_and_nothing_changes():
    d = deps()
    for phone in numbers(SIGN_UPS_PER_SOURCE_PER_HOUR):
        assert subscribe(request(phone), IP, "ua", d).status == "pending"
    ledger, sent = dict(d.store.ledger), list(d.send_queue.sent)
    holds, counts = dict(d.opt_in_limits.holds), dict(d.opt_in_limits.counts)
    with pytest.raises(TooManyRequests) as refused:
        subscribe(request("(512) 555-0999"), IP, "ua", d)
    assert (
        refused.value.status_code == 429 and refused.value.retry_after_s == 50 * 60
    )  # the hour ends at 18:00
    assert str(refused.value) == "too many sign-ups from this address; try again in 50 min"
    assert d.store.ledger == ledger and d.send_queue.sent == sent and d.opt_in_limits.holds == holds
    assert d.opt_in_limits.counts == counts  # not even the count moved
    assert d.store.state(SHOP, "+15125550999") is None


def test_the_limit_counts_repeats_and_is_per_source_shop_and_hour():
    clock = Clock(NOW)
    d = deps(clock)
    for i in range(SIGN_UPS_PER_SOURCE_PER_HOUR):  # the same number again and again: repeats count too
        subscribe(request(submission_id=f"s{i}"), IP, "ua", d)
    with pytest.raises(TooManyRequests):
        subscribe(request(submission_id="one-more"), IP, "ua", d)
    assert subscribe(request("(512) 555-0300"), "198.51.100.1", "ua", d).status == "pending"  # another source
    other_shop = "other-shop.myshopify.com"
    d.shops.put(onboarded_shop(other_shop, brand_name="Demo Shop"))
    assert subscribe(request(shop=other_shop), IP, "ua", d).status == "pending"  # another shop
    clock.now = NOW.replace(minute=0) + timedelta(hours=1)  # the next hour
    assert subscribe(request("(512) 555-0301"), IP, "ua", d).status == "pending"


def test_a_retry_after_is_never_zero():
    d = deps(Clock(NOW.replace(minute=59, second=59, microsecond=900_000)))
    for phone in numbers(SIGN_UPS_PER_SOURCE_PER_HOUR):
        subscribe(request(phone), IP, "ua", d)
    with pytest.raises(TooManyRequests) as refused:
        subscribe(request("(512) 555-0999"), IP, "ua", d)
    assert refused.value.retry_after_s == 1


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", True),  # one /64: one subscriber line
        ("2001:db8:1:2::1", "2001:db8:1:3::1", False),
        ("::ffff:203.0.113.7", "203.0.113.7", True),  # IPv4 written as IPv6
        ("203.0.113.7", "203.0.113.8", False),
        (None, "", True),  # no address: one shared count, not none
        (None, "not-an-address", True),
        (None, "203.0.113.7", False),
    ],
)
def test_what_counts_as_one_source(one, other, same):
    assert (source_key(SHOP, one) == source_key(SHOP, other)) is same
    assert source_key(SHOP, one) != source_key("other-shop.myshopify.com", one)
    assert "203.0.113" not in source_key(SHOP, "203.0.113.7")  # hashed: no address is stored


def test_requests_without_a_source_address_share_one_limit():
    d = deps()
    for phone in numbers(SIGN_UPS_PER_SOURCE_PER_HOUR):
        subscribe(request(phone), None, None, d)
    with pytest.raises(TooManyRequests):
        subscribe(request("(512) 555-0999"), None, None, d)


# The shop's countries --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "country"),
    [
        ("+44 7400 123456", "GB"),
        ("+1 416 555 0123", "CA"),
        ("+1 787 555 0123", "PR"),
        ("+33 6 12 34 56 78", "FR"),
    ],
)
def test_a_number_of_a_country_the_shop_does_not_text_is_refused_and_nothing_changes(phone, country):
    d = deps()  # a US shop: sms_countries defaults to its default country
    with pytest.raises(BadRequest) as refused:
        subscribe(request(phone), IP, "ua", d)
    assert str(refused.value) == f"this shop does not text numbers in {country}: only numbers in US"
    assert nothing_written(d)


def test_a_number_of_no_country_is_refused():
    d = deps()
    with pytest.raises(BadRequest) as refused:
        subscribe(request("+800 1234 5678"), IP, "ua", d)
    assert (
        str(refused.value) == "this shop does not text numbers of no country (+800, +808): only numbers in US"
    )
    assert nothing_written(d)


def test_the_countries_are_the_shops_list_and_the_default_country_follows_the_shop():
    d = deps(sms_countries=("US", "CA"))
    assert subscribe(request("+1 416 555 0123"), IP, "ua", d).phone == "+14165550123"
    with pytest.raises(BadRequest, match="numbers in GB: only numbers in US, CA"):
        subscribe(request("+44 7400 123456"), IP, "ua", d)
    uk = deps(default_country="GB")
    assert subscribe(request("07400 123456"), IP, "ua", uk).phone == "+447400123456"
    with pytest.raises(BadRequest, match="numbers in GG: only numbers in GB"):  # Guernsey shares +44 07911
        subscribe(request("07911 123456"), IP, "ua", uk)


def test_the_shops_countries_are_iso_codes_kept_uppercase():
    assert ShopConfig(shop=SHOP).texted_countries == ("US",)
    assert ShopConfig(shop=SHOP, default_country="CA").texted_countries == ("CA",)
    assert ShopConfig(shop=SHOP, sms_countries=["US", "CA", "US"]).texted_countries == ("US", "CA")
    assert ShopConfig(shop=SHOP, sms_countries=["us", " ca"]).texted_countries == ("US", "CA")
    for bad, why in [(["USA"], "'USA' is not an ISO 3166-1 country code"), (["UK"], "the United Kingdom is GB"),
                     (["XX"], "'XX' is not an ISO 3166-1 country code"), ([], "at least one")]:  # fmt: skip
        with pytest.raises(ValidationError, match=why):
            ShopConfig(shop=SHOP, sms_countries=bad)


# Order: the request is checked before the limits are touched ---------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"consent": ConsentShown(checked=True, default_checked=True, disclosure_text=DISCLOSURE)},
        {"consent": ConsentShown(checked=False, default_checked=False, disclosure_text=DISCLOSURE)},
        {
            "consent": ConsentShown(
                checked=True, default_checked=False, disclosure_text="Texts from Demo Shop!!!!!"
            )
        },
        {"phone": "512-555-CALL"},
        {"phone": "555-0100"},
        {"phone": "+44 7400 123456"},
    ],
)
def test_bad_input_is_a_400_before_any_limit_even_from_a_source_past_its_limit(bad):
    d = deps()
    for phone in numbers(SIGN_UPS_PER_SOURCE_PER_HOUR):
        subscribe(request(phone), IP, "ua", d)
    before = (
        dict(d.store.ledger),
        list(d.send_queue.sent),
        dict(d.opt_in_limits.holds),
        dict(d.opt_in_limits.counts),
    )
    with pytest.raises(BadRequest):
        subscribe(request(**bad), IP, "ua", d)
    after = (
        dict(d.store.ledger),
        list(d.send_queue.sent),
        dict(d.opt_in_limits.holds),
        dict(d.opt_in_limits.counts),
    )
    assert after == before
    fresh = deps()
    with pytest.raises(BadRequest):
        subscribe(request(**bad), IP, "ua", fresh)
    assert nothing_written(fresh)


def test_without_its_limits_the_route_refuses_to_run():
    d = deps()
    d.opt_in_limits = None
    with pytest.raises(RuntimeError, match="opt_in_limits"):
        subscribe(request(), IP, "ua", d)
    assert d.store.ledger == {} and d.send_queue.sent == []
