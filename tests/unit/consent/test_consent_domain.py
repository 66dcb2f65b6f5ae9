import io
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsflows.domain.consent import imports, ledger
from smsflows.domain.consent.ledger import ConsentEvent, SubscriberState, apply, replay
from smsflows.domain.consent.subscriptions import (
    ConsentDeps,
    InboundSms,
    handle_inbound,
    manual_opt_out,
    record,
)
from smsflows.runtime.clock import fixed_clock
from smsflows.runtime.errors import BadRequest
from tests.fakes import (
    FakeConsentStore,
    FakeConversations,
    FakeQueue,
    FakeShopConfigs,
    onboarded_shop,
    shop_sender,
)

SHOP = "demo-shop.myshopify.com"
PHONE = "+15125550123"
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def event(kind, i=0, **kw):
    return ConsentEvent(
        event_id=f"e{i}",
        shop=SHOP,
        phone=PHONE,
        kind=kind,
        source="keyword",
        at=NOW + timedelta(seconds=i),
        **kw,
    )


@pytest.mark.parametrize(
    ("kinds", "status"),
    [
        (["opt_in_requested"], "pending"),
        (["opt_in_requested", "opt_in_confirmed"], "subscribed"),
        (["opt_in", "opt_out"], "unsubscribed"),
        (["opt_in", "opt_out", "opt_in"], "subscribed"),
        (["opt_in", "opt_in_requested"], "subscribed"),  # a new web sign-up does not demote a subscriber
        (["opt_out", "opt_in_requested"], "pending"),
        (["opt_out", "opt_out"], "unsubscribed"),
    ],
)
def test_state_transitions(kinds, status):
    assert replay(SHOP, PHONE, [event(k, i) for i, k in enumerate(kinds)]).status == status


@given(st.lists(st.sampled_from(["opt_in_requested", "opt_in_confirmed", "opt_in", "opt_out"]), max_size=12))
def test_replay_equals_folding_one_by_one_and_counts_versions(kinds):
    events = [event(k, i) for i, k in enumerate(kinds)]
    state = SubscriberState(shop=SHOP, phone=PHONE)
    for e in events:
        state = apply(state, e)
    assert replay(SHOP, PHONE, reversed(events)) == state
    assert state.version == len(events)
    if kinds and kinds[-1] == "opt_out":
        assert state.status == "unsubscribed"


def test_imported_old_consent_replays_in_the_order_it_was_recorded():
    stop = event("opt_out", 0)
    old_consent = ConsentEvent(event_id="imp", shop=SHOP, phone=PHONE, kind="opt_in", source="import",
                               at=NOW - timedelta(days=300), recorded_at=NOW + timedelta(seconds=5))  # fmt: skip
    assert replay(SHOP, PHONE, [old_consent, stop]).status == "subscribed"


GOOD = (
    "Get texts from Demo Shop: recurring automated marketing, up to 4 msgs/mo. Msg & data rates may apply. "
    "Reply HELP for help, STOP to cancel. Terms & Privacy at demo-shop.example"
)


def test_complete_disclosure_passes():
    ledger.check_disclosure(GOOD, "Demo Shop")


@pytest.mark.parametrize(
    ("drop", "missing"),
    [("Msg & data rates may apply. ", "Msg & data"), ("STOP", "STOP"), ("HELP", "HELP"), ("up to 4 msgs/mo", "frequency"),
     ("Terms & ", "Terms"), ("Demo Shop", "brand")],
)  # fmt: skip
def test_incomplete_disclosure_names_what_is_missing(drop, missing):
    text = GOOD.replace(drop, "" if drop not in ("STOP", "HELP") else "x")
    if missing == "frequency":
        text = text.replace("recurring automated marketing, ", "")
    with pytest.raises(BadRequest) as err:
        ledger.check_disclosure(text, "Demo Shop")
    assert missing in str(err.value)


def deps():
    config = onboarded_shop(SHOP, keywords=("JOIN",))
    return ConsentDeps(store=FakeConsentStore(), shops=FakeShopConfigs(config), send_queue=FakeQueue(),
                       conversations=FakeConversations(), clock=fixed_clock(NOW))  # fmt: skip


def sms(body, sid):
    return InboundSms.model_validate(
        {
            "MessageSid": sid,
            "From": PHONE,
            "To": "+15125550000",
            "Body": body,
            "MessagingServiceSid": shop_sender(SHOP),
        }
    )


def test_inbound_intents_with_fakes():
    d = deps()
    assert handle_inbound(sms("JOIN", "1"), d).reply.startswith("Demo Shop: You're subscribed")
    assert "already subscribed" in handle_inbound(sms("START", "2"), d).reply
    out = handle_inbound(sms("stop please", "3"), d)
    assert out.intent == "opt_out" and "unsubscribed" in out.reply
    assert handle_inbound(sms("STOP", "4"), d).reply is None
    assert handle_inbound(sms("HELP", "5"), d).intent == "help"
    # every reply that changes or re-affirms consent is in the ledger: JOIN, START, "stop please", STOP
    assert d.store.state(SHOP, PHONE).version == 4
    assert [e.kind for e in d.store.events(SHOP, PHONE)] == ["opt_in", "opt_in", "opt_out", "opt_out"]


def test_concurrent_writer_conflict_is_retried():
    d = deps()
    store = d.store
    real_append = store.append
    calls = []

    def racing_append(e, new_state, expected):
        calls.append(expected)
        if len(calls) == 1:  # someone else writes first
            real_append(
                event("opt_in", 99),
                SubscriberState(shop=SHOP, phone=PHONE, status="subscribed", version=1),
                0,
            )
        return real_append(e, new_state, expected)

    store.append = racing_append
    record(store, event("opt_out", 1))
    assert calls == [0, 1] and store.state(SHOP, PHONE).status == "unsubscribed"


def test_manual_opt_out_rejects_garbage():
    with pytest.raises(BadRequest):
        manual_opt_out(SHOP, "call me", "x", deps())


def test_csv_import_rows_each_pass_or_fail_alone():
    data = io.StringIO(
        "phone,consent_at,source,disclosure_text,message_sid,message_body,checkbox_default\n"
        "+15125550123,2025-01-01T00:00:00Z,web_form,I agree,,,unchecked\n"
        "+15125550124,2025-01-01T00:00:00Z,keyword,,SM1,JOIN,\n"
        "+15125550125,2025-01-01T00:00:00,web_form,I agree,,,\n"
        "+15125550126,2030-01-01T00:00:00Z,web_form,I agree,,,\n"
        "+15125550127,2025-01-01T00:00:00Z,web_form,I agree,,,checked\n"
        "+15125550128,2025-01-01T00:00:00Z,fax,I agree,,,\n"
    )
    rows = list(imports.read_rows(data, SHOP, NOW))
    assert [r.error is None for r in rows] == [True, True, False, False, False, False]
    assert "UTC offset" in rows[2].error and "future" in rows[3].error and "pre-checked" in rows[4].error
    assert rows[0].event.disclosure_version == ledger.disclosure_version("I agree")
    assert rows[1].event.message_sid == "SM1"


def test_csv_header_problems_are_refused_up_front():
    with pytest.raises(ValueError, match="lacks consent_at"):
        list(imports.read_rows(io.StringIO("phone\n+15125550123\n"), SHOP, NOW))
    with pytest.raises(ValueError, match="unknown columns"):
        list(imports.read_rows(io.StringIO("phone,consent_at,favourite_color\n"), SHOP, NOW))


def test_when_twilio_answers_its_keywords_we_record_but_do_not_reply_twice():
    d = deps()
    d.shops.put(d.shops.get(SHOP).model_copy(update={"twilio_answers_keywords": True}))
    out = handle_inbound(sms("STOP", "1"), d)
    assert out.reply is None and d.store.state(SHOP, PHONE).status == "unsubscribed"
    # a revocation Twilio does not recognise still gets our one confirmation
    handle_inbound(sms("START", "2"), d)
    assert "unsubscribed" in handle_inbound(sms("please stop texting me", "3"), d).reply


def test_an_incomplete_disclosure_names_everything_missing_brand_first():
    text = "Texts from us. Reply STOP to cancel."
    with pytest.raises(BadRequest) as err:
        ledger.check_disclosure(text, "Demo Shop")
    message = str(err.value)
    assert message.startswith("the disclosure shown is missing the brand name 'Demo Shop', ")
    assert message.endswith(" (RULES.md A3.1)") and "HELP" in message and "Terms" in message


@pytest.mark.parametrize(
    ("box", "error"),
    [("unchecked", None), ("false", None), ("No", None), ("0", None), ("", None),
     ("checked", "pre-checked consent is not consent"), ("TRUE", "pre-checked consent is not consent"),
     ("maybe", "checkbox_default: 'maybe' is neither unchecked (unchecked, false, no) nor checked")],
)  # fmt: skip
def test_csv_checkbox_default_reads_common_spellings_and_names_the_accepted_form(box, error):
    data = io.StringIO(f"phone,consent_at,source,disclosure_text,checkbox_default\n"
                       f"+15125550123,2025-01-01T00:00:00Z,web_form,I agree,{box}\n")  # fmt: skip
    [row] = list(imports.read_rows(data, SHOP, NOW))
    assert row.error == error or (error is not None and row.error is not None and error in row.error)
    assert (row.event is not None) is (error is None)
