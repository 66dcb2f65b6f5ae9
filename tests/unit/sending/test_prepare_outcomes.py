"""Every answer `prepare` gives before a claim, with what it records: a redelivery the batch read as done,
the not_after instant, an unreachable number, each way of having opted out, the shop's 30-day cap and smart
sending (its own setting or the campaign's), the deferral's schedule name, the claim's conditions and the
record's quiet-hours fields, the sender, and the short links (the shop's domain and key, the 1,600-character
limit). Written from the send path's surviving mutants (README, mutation testing)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from smsflows.domain.analytics import links
from smsflows.domain.compliance import quiet_hours
from smsflows.domain.compliance.frequency import SendRecord
from smsflows.domain.sending.send import Prepared, SendOutcome, finish, prepare, send_one
from smsflows.ports import SendConditions, Sender
from tests.fakes import onboarded_shop, shop_sender
from tests.unit.sending.send_world import (
    DAY,
    DEPLOYMENT_SENDER,
    PHONE,
    SHOP,
    at,
    record,
    subscribed,
    text,
    world,
)

API = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"


@pytest.mark.parametrize("claimed", ["sent", "failed"])
def test_a_redelivery_the_batch_read_as_done_costs_nothing(claimed):
    d = world()
    assert prepare(text(), d, claimed=claimed) == SendOutcome("duplicate", detail=f"already {claimed}")
    assert d.log.items == {} and d.provider.sent == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("claimed", ["retry", "deferred", "sending", None])
def test_a_message_the_batch_read_in_any_other_state_goes_on_to_its_checks(claimed):
    assert isinstance(prepare(text(), world(), claimed=claimed), Prepared)


def test_a_text_may_still_go_at_its_not_after_instant_and_not_a_microsecond_after():
    assert send_one(text(not_after=DAY), world()).outcome == "sent"
    d = world()
    late = text(not_after=DAY - timedelta(microseconds=1))
    assert send_one(late, d) == SendOutcome("expired", detail="not_after passed")
    assert record(d) == {"state": "failed", "reason": "expired before it could be sent", "failed_at": at(DAY)}


def test_a_number_suppressed_after_a_carrier_error_is_failed_with_why():
    d = world()
    d.log.mark_unreachable(SHOP, PHONE, "twilio 30006", DAY)
    assert send_one(text("transactional"), d) == SendOutcome("suppressed", detail="number unreachable")
    assert record(d)["reason"] == "number unreachable (suppressed after a carrier error)"
    assert record(d)["failed_at"] == at(DAY)


def unsubscribed(d: Any) -> None:
    subscribed(d.log, status="unsubscribed", version=2)


def only_on_the_suppression_list(d: Any) -> None:
    """The hashed suppression list kept after a customer redaction: no state, still opted out."""
    from smsflows.domain.consent.ledger import suppression_key

    del d.log.consent.states[(SHOP, PHONE)]
    d.log.consent.suppressed.add(suppression_key(SHOP, PHONE))


def suppressed_while_subscribed(d: Any) -> None:
    from smsflows.domain.consent.ledger import suppression_key

    d.log.consent.suppressed.add(suppression_key(SHOP, PHONE))


def never_asked(d: Any) -> None:
    del d.log.consent.states[(SHOP, PHONE)]


def pending(d: Any) -> None:
    subscribed(d.log, status="pending", version=1)


@pytest.mark.parametrize(
    ("category", "state", "reason"),
    [
        ("transactional", unsubscribed, "opted out"),
        ("transactional", only_on_the_suppression_list, "opted out"),
        ("marketing", unsubscribed, "opted out"),
        ("marketing", only_on_the_suppression_list, "opted out"),
        ("marketing", suppressed_while_subscribed, "opted out"),
        ("marketing", never_asked, "no marketing consent"),
        ("marketing", pending, "no marketing consent"),
    ],
)
def test_each_way_of_not_having_consent_is_suppressed_and_says_which(category, state, reason):
    d = world()
    state(d)
    assert send_one(text(category), d) == SendOutcome("suppressed", detail=reason)
    assert record(d) == {"state": "failed", "reason": reason, "failed_at": at(DAY)}
    assert d.provider.sent == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("state", [never_asked, pending])
def test_an_order_text_needs_no_marketing_consent(state):
    d = world()
    state(d)
    assert send_one(text("transactional"), d).outcome == "sent"


def history(d: Any, *ago: timedelta, flow: str | None = "welcome", version: int = 4) -> None:
    d.log.history[(SHOP, PHONE)] = (version, [SendRecord(DAY - a, flow) for a in ago])


def test_the_shops_30_day_cap_defers_a_marketing_text_until_the_oldest_text_leaves_the_window():
    d = world(shop=onboarded_shop(SHOP, max_marketing_per_30_days=2))
    history(d, timedelta(days=20), timedelta(days=3))
    outcome = send_one(text(), d)
    assert outcome == SendOutcome("deferred", detail="shop_cap", until=DAY + timedelta(days=10))
    assert record(d)["reason"] == "shop_cap" and record(d)["deferred_until"] == at(DAY + timedelta(days=10))
    [queued] = d.requeue.sent  # type: ignore[union-attr]
    assert queued["message_id"] == "flow:welcome:ex-1:0" and queued["deferred"] == 1


def test_under_the_shops_30_day_cap_a_marketing_text_goes_and_its_claim_writes_the_history():
    d = world(shop=onboarded_shop(SHOP, max_marketing_per_30_days=3))
    history(d, timedelta(days=20), timedelta(days=3))
    assert send_one(text(), d).outcome == "sent"
    version, records = d.log.history[(SHOP, PHONE)]  # type: ignore[attr-defined]
    assert version == 5
    assert records == [SendRecord(DAY - timedelta(days=20), "welcome"), SendRecord(DAY - timedelta(days=3), "welcome"),
                       SendRecord(DAY, "welcome")]  # fmt: skip


def test_smart_sending_skips_a_flow_text_within_the_shops_hours_and_says_why():
    d = world(shop=onboarded_shop(SHOP, smart_sending_hours={"welcome": 12}))
    history(d, timedelta(hours=2))
    assert send_one(text(), d) == SendOutcome("skipped", detail="smart_sending")
    assert record(d) == {"state": "failed", "reason": "skipped: smart_sending", "failed_at": at(DAY)}


def test_a_campaigns_own_smart_sending_hours_replace_the_shops_for_its_texts():
    d = world(shop=onboarded_shop(SHOP, smart_sending_hours={"welcome": 12}))
    history(d, timedelta(hours=2))
    assert send_one(text(smart_sending_hours=1), d).outcome == "sent"
    d = world(shop=onboarded_shop(SHOP))
    history(d, timedelta(hours=2))
    assert send_one(text(smart_sending_hours=3), d).outcome == "skipped"


def test_a_flow_text_with_no_hours_of_its_own_keeps_the_shops():
    d = world(shop=onboarded_shop(SHOP, smart_sending_hours={"*": 12}))
    history(d, timedelta(hours=2))
    assert send_one(text(), d).outcome == "skipped"


def test_two_texts_deferred_past_15_minutes_to_the_same_instant_get_two_schedules():
    class Schedules:
        def __init__(self) -> None:
            self.names: list[str] = []

        def schedule(self, body: Any, until: Any, name: str) -> None:
            self.names.append(name)

    d = world(shop=onboarded_shop(SHOP, max_marketing_per_30_days=1), deferrals=Schedules())
    history(d, timedelta(days=20))
    for mid in ("flow:welcome:ex-1:0", "flow:welcome:ex-2:0"):
        assert send_one(text(message_id=mid), d).outcome == "deferred"
    first, second = d.deferrals.names  # type: ignore[union-attr]
    assert first != second and all(n.startswith("smsflows-defer-") for n in (first, second))


def test_a_deferral_past_not_after_expires_the_text_and_says_until_when():
    d = world(shop=onboarded_shop(SHOP, max_marketing_per_30_days=1))
    history(d, timedelta(days=20))
    outcome = send_one(text(not_after=DAY + timedelta(days=1)), d)
    assert outcome == SendOutcome("expired", detail="shop_cap")
    until = (DAY + timedelta(days=10)).isoformat()
    assert record(d)["reason"] == f"expired: shop_cap until {until} after not_after"


def test_the_claim_checks_the_consent_version_the_checks_read_and_the_history_they_read():
    d = world()
    subscribed(d.log, version=7)
    history(d, timedelta(days=2), version=9)
    ready = prepare(text(), d)
    assert isinstance(ready, Prepared)
    assert ready.conditions == SendConditions(
        state_version=7, require_subscribed=True,
        frequency=(9, [SendRecord(DAY - timedelta(days=2), "welcome"), SendRecord(DAY, "welcome")]),
    )  # fmt: skip
    transactional = prepare(text("transactional"), d)
    assert isinstance(transactional, Prepared)
    assert transactional.conditions == SendConditions(forbid_unsubscribed=True)


def test_the_sent_record_names_the_quiet_hours_rules_and_every_zone_checked():
    d = world()
    subscribed(d.log, addresses=(("US", "NY", "default_address"),))
    assert send_one(text(), d).outcome == "sent"
    assert record(d)["quiet_hours_rules"] == quiet_hours.RULES_VERSION
    assert record(d)["locations"] == "America/Chicago,America/New_York"


def test_a_number_with_no_place_of_its_own_is_held_to_the_shops_country():
    toll_free = "+18005550199"  # no area code place: the shop's country decides its windows
    d = world(shop=onboarded_shop(SHOP, default_country="GB"))
    d.log.consent.states[(SHOP, toll_free)] = d.log.consent.states.pop((SHOP, PHONE)).model_copy(
        update={"phone": toll_free}
    )
    ready = prepare(text(to=toll_free), d)
    assert isinstance(ready, Prepared)
    zones = {loc.time_zone for loc in ready.locations}
    assert "Europe/London" in zones and all(z.startswith("Europe/") for z in zones)  # not the US and Canada


def test_a_text_goes_from_the_shops_own_sender_and_a_config_without_one_texts_nobody():
    d = world()
    send_one(text("transactional"), d)
    assert [s["sender"] for s in d.provider.sent] == [Sender.parse(shop_sender(SHOP))]  # type: ignore[attr-defined]
    assert Sender.parse(shop_sender(SHOP)) != DEPLOYMENT_SENDER
    d = world(
        shop=onboarded_shop(SHOP).model_copy(update={"senders": ()})
    )  # as stored before senders were required
    assert send_one(text("transactional"), d) == SendOutcome("suppressed", detail="shop_not_onboarded")
    assert d.provider.sent == []  # type: ignore[attr-defined]


def test_a_text_checked_without_booking_keeps_the_queued_body_when_it_has_no_link():
    d = world()
    ready = prepare(text(), d, book=False)
    assert isinstance(ready, Prepared) and ready.paced is False and ready.body == "" and ready.links == ()
    assert finish(ready, d).outcome == "sent"


# -- short links ---------------------------------------------------------------------------------------

LINKED = "Demo Shop: new in https://demo-shop.example/new and https://demo-shop.example/sale. Reply STOP to opt out"


def linked(**kw: Any) -> Any:
    return text(body=LINKED, **kw)


def codes(body: str) -> list[str]:
    return [body[s:e].rsplit("/", 1)[-1] for s, e in links.find_urls(body)]


def test_each_url_gets_the_recipients_code_from_the_shops_own_key():
    shop = onboarded_shop(SHOP, link_key="k" * 32)
    d = world(shop=shop, link_api_base=API)
    assert send_one(linked(), d).outcome == "sent"
    [sent] = d.provider.sent  # type: ignore[attr-defined]
    mid = "flow:welcome:ex-1:0"
    assert codes(sent["body"]) == [links.code_for("k" * 32, mid, 0), links.code_for("k" * 32, mid, 1)]
    stored = d.measurement.links  # type: ignore[union-attr]
    assert [(link.shop, link.phone, link.message_id) for link in stored] == [(SHOP, PHONE, mid)] * 2


def test_a_config_stored_before_short_links_keys_its_codes_on_the_shop():
    shop = onboarded_shop(SHOP).model_copy(update={"link_key": None})
    d = world(shop=shop, link_api_base=API)
    assert send_one(linked(), d).outcome == "sent"
    [sent] = d.provider.sent  # type: ignore[attr-defined]
    assert codes(sent["body"])[0] == links.code_for(f"smsflows-links:{SHOP}", "flow:welcome:ex-1:0", 0)


def test_a_shops_link_domain_is_used_before_the_apis():
    shop = onboarded_shop(SHOP, measurement={"link_domain": "go.demo-shop.example"})
    d = world(shop=shop, link_api_base=API)
    assert send_one(linked(), d).outcome == "sent"
    [sent] = d.provider.sent  # type: ignore[attr-defined]
    assert [sent["body"][s:e].rsplit("/", 1)[0] for s, e in links.find_urls(sent["body"])] == [
        "https://go.demo-shop.example/l"
    ] * 2


def padded_to(length: int) -> str:
    """A text of one URL that is exactly `length` characters once its URL is a short link."""
    short = len(f"{API}/l/") + len(links.code_for("k", "m", 0))
    head = "Demo Shop: https://demo-shop.example/new "
    return head + "x" * (length - short - len(head) + len("https://demo-shop.example/new"))


@pytest.mark.parametrize(("length", "shortened"), [(1600, True), (1601, False)])
def test_a_text_longer_than_1600_characters_once_shortened_keeps_its_urls(length, shortened):
    d = world(link_api_base=API)
    ready = prepare(text(body=padded_to(length)), d)
    assert isinstance(ready, Prepared)
    assert (len(ready.body) if ready.body else None, bool(ready.links)) == (
        (length, True) if shortened else (None, False)
    )
