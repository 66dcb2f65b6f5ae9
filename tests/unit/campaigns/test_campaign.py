"""The campaign model, `create`'s checks (issue 15 part 8) and the state machine (part 1)."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from smsflows.domain.campaigns import campaign as C
from smsflows.domain.shops import ShopConfig
from smsflows.runtime.errors import BadRequest

SHOP = "demo-shop.myshopify.com"
CONFIG = ShopConfig(shop=SHOP, brand_name="Demo Shop")
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 ET
GOOD = "Demo Shop: 20% off today only. Reply STOP to opt out."
MONDAY_NEXT = date(2026, 11, 30)


def make(**overrides):
    args = {"name": "Black Friday", "variants": {"A": GOOD}, "now": NOW, "by": "ops", "segment": "vip"}
    args.update(overrides)
    return C.create(CONFIG, **args)


def error(**overrides) -> C.CampaignError:
    with pytest.raises(C.CampaignError) as caught:
        make(**overrides)
    return caught.value


def test_a_complete_campaign_is_a_draft_with_no_warnings():
    campaign, warnings = make(send_at=C.SendAt.local(time(10), MONDAY_NEXT), holdout=0.1, utm_campaign="bf26")
    assert warnings == ()
    assert campaign.state == "draft" and campaign.history == ()
    assert campaign.weights == {"A": 100} and campaign.holdout == 0.1
    assert campaign.brand == "Demo Shop" and campaign.utm.campaign == "bf26" and campaign.utm.medium == "sms"
    assert campaign.id.startswith("cmp_") and campaign.id == make()[0].id  # deterministic
    assert campaign.shares == {"A": pytest.approx(0.9)}
    assert C.Campaign.model_validate_json(campaign.model_dump_json()) == campaign


def test_the_utm_campaign_defaults_to_the_names_slug():
    assert make(name="Black Friday 2026!")[0].utm.campaign == "black_friday_2026"


def test_previews_give_encoding_and_segments_of_the_text_as_sent():
    campaign, _ = make(variants={"A": GOOD, "B": "Demo Shop: 🎉 sale " + "x" * 60 + " Reply STOP"},
                       weights={"A": 50, "B": 50})  # fmt: skip
    previews = campaign.previews
    assert (previews["A"].encoding, previews["A"].segments) == ("GSM-7", 1)
    assert (previews["B"].encoding, previews["B"].segments) == ("UCS-2", 2)


def test_a_variant_without_brand_or_opt_out_is_completed_and_warned_about():
    campaign, warnings = make(variants={"A": "Hi {first_name}, 20% off"})
    assert campaign.previews["A"].text == "Demo Shop: Hi there, 20% off Reply STOP to opt out."
    assert any(w.startswith("variants.A: no brand prefix") for w in warnings)
    assert any(w.startswith("variants.A: no opt-out text") for w in warnings)


@pytest.mark.parametrize(
    ("overrides", "field", "says"),
    [
        ({"send_at": C.SendAt.at(NOW - timedelta(minutes=1))}, "send_at", "in the past"),
        ({"send_at": C.SendAt.local(time(10), date(2026, 11, 23))}, "send_at", "already passed in America/"),
        ({"send_at": C.SendAt.local(time(22), MONDAY_NEXT)}, "send_at", "federal window 08:00-21:00"),
        ({"send_at": C.SendAt.local(time(21), MONDAY_NEXT)}, "send_at", "federal window"),
        ({"send_at": C.SendAt.local(time(7, 59), MONDAY_NEXT)}, "send_at", "federal window"),
        ({"variants": {"A": GOOD, "B": GOOD}, "weights": {"A": 60, "B": 50}}, "weights", "add up to 110"),
        ({"variants": {"A": GOOD, "B": GOOD}, "weights": {"A": 100, "B": 0}}, "weights", "B=0"),
        ({"variants": {"A": GOOD, "B": GOOD}, "weights": {"A": 50.5, "B": 49.5}}, "weights", "whole percentage"),
        ({"variants": {"A": GOOD, "B": GOOD}, "weights": {"A": 100}}, "weights", "no weight for B"),
        ({"variants": {"A": GOOD}, "weights": {"A": 50, "C": 50}}, "weights", "no variant C"),
        ({"variants": {}}, "variants", "needs a text"),
        ({"variants": {"A": "  "}}, "variants.A", "empty"),
        ({"variants": {"holdout": GOOD}}, "variants", "not a variant name"),
        ({"variants": {"A": "Your order {order_name} ships"}}, "variants.A", "{order_name} has no value"),
        ({"variants": {"A": "Hi {nickname}"}}, "variants.A", "unknown placeholders"),
        ({"variants": {"A": "x" * 1700}}, "variants.A", "longer than 1000"),
        ({"not_after": NOW}, "not_after", "not after the send time"),
        ({"send_at": C.SendAt.at(NOW + timedelta(days=1)), "not_after": NOW + timedelta(hours=1)}, "not_after", "not after"),
        ({"not_after": datetime(2026, 12, 1)}, "not_after", "time zone"),
        ({"smart_sending_hours": -1}, "smart_sending_hours", "hours above 0"),
        ({"smart_sending_hours": 1000}, "smart_sending_hours", "at most 720"),
        ({"smart_sending_hours": float("nan")}, "smart_sending_hours", "not a number of hours"),
        ({"holdout": 0.6}, "holdout", "0 to 0.5"),
        ({"holdout": -0.1}, "holdout", "0 to 0.5"),
        ({"segment": None}, "segment", "not both and not neither"),
        ({"segment_doc": {"subscribed": {}}}, "segment", "not both"),
        ({"segment": "vip customers"}, "segment", "not a segment name"),
        ({"segment": None, "segment_doc": {}}, "segment_doc", "empty"),
        ({"name": "  "}, "name", "not a campaign name"),
        ({"campaign_id": "Bad Id"}, "id", "not a campaign id"),
        ({"utm_campaign": "black friday"}, "utm.campaign", "not a UTM value"),
        ({"recurrence": ("cron(0 10 * * ? *)", "Mars/Olympus")}, "recurrence.time_zone", "IANA"),
        ({"recurrence": ("0 10 * * *", "America/New_York")}, "recurrence.cron", "6 fields"),
        ({"recurrence": ("cron(0 10 * * MON *)", "America/New_York")}, "recurrence.cron", "exactly one"),
        ({"recurrence": ("cron(* 10 ? * MON *)", "America/New_York")}, "recurrence.cron", "fixed minutes"),
        ({"recurrence": ("cron(0 */2 ? * MON *)", "America/New_York")}, "recurrence.cron", "fixed hours"),
        ({"recurrence": ("cron(0 22 ? * MON *)", "America/New_York")}, "recurrence.cron", "federal window"),
        ({"recurrence": ("cron(0 10 ? 13 MON *)", "America/New_York")}, "recurrence.cron", "outside 1-12"),
        ({"recurrence": ("cron(0 10 ? * FUNDAY *)", "America/New_York")}, "recurrence.cron", "names no"),
        ({"recurrence": ("cron(0 10 ? * MON *)", "America/New_York"), "send_at": C.SendAt.local(time(10), MONDAY_NEXT)},
         "recurrence", "each occurrence"),
    ],
)  # fmt: skip
def test_bad_input_is_one_error_naming_the_field(overrides, field, says):
    problem = error(**overrides)
    assert problem.field == field, str(problem)
    assert says in str(problem) and str(problem).startswith(f"{field}: ")


def test_a_campaign_error_is_a_value_error_and_a_bad_request():
    problem = error(holdout=0.9)
    assert isinstance(problem, ValueError) and isinstance(problem, BadRequest) and problem.status_code == 400


def test_a_segment_document_is_checked_by_the_segment_parser():
    class SegmentError(BadRequest):  # segments.py's errors are BadRequests
        pass

    def reject(doc):
        raise SegmentError("segment.lapsed.days: -3 is not a number of days")

    problem = error(segment=None, segment_doc={"lapsed": {"days": -3}}, check_segment=reject)
    assert problem.field == "segment_doc" and "lapsed.days" in str(problem)
    seen = []
    campaign, _ = make(segment=None, segment_doc={"subscribed": {}}, check_segment=seen.append)
    assert campaign.segment_doc == {"subscribed": {}} and seen == [{"subscribed": {}}]


def test_a_time_lawful_federally_but_outside_a_state_window_is_a_warning():
    sunday = date(2026, 11, 29)
    _, warnings = make(send_at=C.SendAt.local(time(9, 30), sunday))
    assert any("recipients in TX" in w and "wait until 12:00" in w for w in warnings)
    assert any("recipients in KY" in w for w in warnings) and any("RI" in w for w in warnings)
    _, warnings = make(send_at=C.SendAt.local(time(8, 30), MONDAY_NEXT))
    assert any("window of everyone (house window" in w and "wait until 09:00" in w for w in warnings)
    _, warnings = make(send_at=C.SendAt.local(time(20, 30), MONDAY_NEXT))
    assert any("after the 09:00-20:00 window of everyone" in w and "next allowed day" in w for w in warnings)
    _, warnings = make(send_at=C.SendAt.local(time(10, 30), MONDAY_NEXT))
    assert warnings == ()


def test_the_shops_narrower_hours_warn_too():
    config = ShopConfig(
        shop=SHOP, brand_name="Demo Shop", quiet_hours_override=[{"start": "11:00", "end": "19:00"}] * 7
    )
    _, warnings = C.create(config, name="N", variants={"A": GOOD}, now=NOW, by="ops", segment="vip",
                           send_at=C.SendAt.local(time(10), MONDAY_NEXT))  # fmt: skip
    assert any("narrowed by the shop" in w and "wait until 11:00" in w for w in warnings)


def test_an_expiry_before_some_zones_send_time_is_a_warning():
    local = C.SendAt.local(time(10), MONDAY_NEXT)
    _, warnings = make(
        send_at=local, not_after=datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    )  # 12:00 ET, 07:00 HT
    assert any(w.startswith("not_after:") and "get nothing" in w for w in warnings)


def test_weights_default_to_an_equal_split():
    three = {"A": GOOD, "B": GOOD, "C": GOOD}
    campaign, warnings = make(variants=three)
    assert campaign.weights == {"A": 34, "B": 33, "C": 33} and any("A=34,B=33,C=33" in w for w in warnings)
    assert make(variants={"A": GOOD, "B": GOOD})[0].weights == {"A": 50, "B": 50}


def test_smart_sending_zero_is_off():
    assert make(smart_sending_hours=0)[0].smart_sending_hours is None
    assert make(smart_sending_hours=16)[0].smart_sending_hours == 16.0


def test_a_recurrence_is_normalised_and_its_hours_checked():
    campaign, warnings = make(recurrence=("0 10 ? * mon-fri *", "America/Chicago"))
    assert campaign.recurrence == C.Recurrence(cron="cron(0 10 ? * MON-FRI *)", time_zone="America/Chicago")
    assert warnings == () and campaign.recurring
    for cron in ("cron(30 9,15 1 * ? *)", "cron(0 12 ? * 2#1 *)", "cron(0 12 L * ? 2026-2030)",
                 "cron(0 12 ? JAN,JUL 6L *)", "cron(0 12 15W */3 ? *)"):  # fmt: skip
        assert make(recurrence=(cron, "America/New_York"))[0].recurrence is not None, cron
    _, warnings = make(recurrence=("cron(0 8 ? * SAT *)", "America/New_York"))
    assert any("house window" in w for w in warnings)


def test_parsers_of_the_cli_forms():
    assert C.parse_split("A=50, B=50") == {"A": 50, "B": 50}
    assert C.parse_variant("B=Last day: 20% off") == ("B", "Last day: 20% off")
    assert C.parse_local_time("9:30") == time(9, 30)
    for bad in ("A=50;B=50", "A=fifty", "A=50,A=50", "=50"):
        with pytest.raises(C.CampaignError, match="weights"):
            C.parse_split(bad)
    with pytest.raises(C.CampaignError, match="variants"):
        C.parse_variant("no equals sign")
    for bad in ("24:00", "10", "10:60", "ten"):
        with pytest.raises(C.CampaignError, match="send_at"):
            C.parse_local_time(bad)


def test_send_at_forms():
    with pytest.raises(ValueError, match="time zone"):
        C.SendAt.at(datetime(2026, 11, 30, 10))
    with pytest.raises(ValueError, match="a time and a date"):
        C.SendAt(kind="local", local_time=time(10))
    local = C.SendAt.local(time(10), MONDAY_NEXT)
    assert local.release_in("America/Chicago", NOW) == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert C.SendAt.now().release_in("America/Chicago", NOW) == NOW
    assert "in each recipient's local time" in local.describe()


# The state machine --------------------------------------------------------------------------------

LEGAL = [("draft", "scheduled"), ("draft", "cancelled"), ("scheduled", "sending"), ("scheduled", "paused"),
         ("scheduled", "cancelled"), ("sending", "completed"), ("sending", "paused"), ("sending", "cancelled"),
         ("paused", "sending"), ("paused", "scheduled"), ("paused", "cancelled")]  # fmt: skip
STATES = ["draft", "scheduled", "sending", "completed", "cancelled", "paused"]


def in_state(state, recurring=False):
    campaign, _ = make(recurrence=("cron(0 10 ? * MON *)", "America/New_York") if recurring else None)
    return campaign.model_copy(update={"state": state})


@pytest.mark.parametrize(("source", "target"), [(s, t) for s in STATES for t in STATES])
def test_only_the_documented_transitions_are_allowed(source, target):
    campaign = in_state(source)
    if (source, target) in LEGAL:
        moved = campaign.transition(target, "ops", NOW)
        assert moved.state == target and campaign.state == source  # a new campaign; the old one unchanged
        assert moved.history[-1] == C.Transition(from_state=source, to_state=target, by="ops", at=NOW)
    else:
        with pytest.raises(C.IllegalTransition) as caught:
            campaign.transition(target, "ops", NOW)
        assert caught.value.field == "state" and f"a {source} campaign cannot become {target}" in str(
            caught.value
        )


def test_only_a_recurring_campaign_goes_back_to_scheduled_after_sending():
    assert (
        in_state("sending", recurring=True).transition("scheduled", "run_campaign", NOW).state == "scheduled"
    )
    with pytest.raises(C.IllegalTransition, match="it can become cancelled, completed, paused"):
        in_state("sending").transition("scheduled", "run_campaign", NOW)


def test_history_records_who_and_when_and_resume_returns_to_where_it_was():
    draft, _ = make()
    later = [NOW + timedelta(minutes=m) for m in range(4)]
    c = draft.transition("scheduled", "ops", later[0]).transition("sending", "run_campaign", later[1])
    c = c.transition("paused", "alice", later[2])
    assert c.resumes_to() == "sending"
    c = c.transition(c.resumes_to(), "alice", later[3])
    assert [(h.from_state, h.to_state, h.by, h.at) for h in c.history] == [
        ("draft", "scheduled", "ops", later[0]),
        ("scheduled", "sending", "run_campaign", later[1]),
        ("sending", "paused", "alice", later[2]),
        ("paused", "sending", "alice", later[3]),
    ]
    assert (
        draft.transition("scheduled", "ops", NOW).transition("paused", "ops", NOW).resumes_to() == "scheduled"
    )
    with pytest.raises(C.IllegalTransition, match="not paused"):
        draft.resumes_to()


def test_a_transition_needs_who_and_an_aware_instant():
    draft, _ = make()
    with pytest.raises(C.CampaignError, match=r"^by:"):
        draft.transition("scheduled", " ", NOW)
    with pytest.raises(C.CampaignError, match=r"^at:"):
        draft.transition("scheduled", "ops", datetime(2026, 11, 23))


def test_schedule_rechecks_the_clock_and_the_audience():
    draft, _ = make(send_at=C.SendAt.local(time(10), MONDAY_NEXT))
    scheduled = C.schedule(draft, by="ops", now=NOW, audience=120)
    assert scheduled.state == "scheduled" and scheduled.history[-1].by == "ops"
    with pytest.raises(C.CampaignError, match=r"^segment: vip matches no subscriber"):
        C.schedule(draft, by="ops", now=NOW, audience=0)
    with pytest.raises(C.CampaignError, match="already passed"):
        C.schedule(draft, by="ops", now=datetime(2026, 11, 30, 15, 30, tzinfo=UTC), audience=120)


def test_a_stored_campaign_that_breaks_an_invariant_is_refused():
    campaign, _ = make()
    data = campaign.model_dump()
    with pytest.raises(ValueError, match="weights"):
        C.Campaign.model_validate({**data, "weights": {"A": 90}})
    with pytest.raises(ValueError, match="segment"):
        C.Campaign.model_validate({**data, "segment": None})


def test_a_copy_that_names_the_brand_by_its_placeholder_gets_no_brand_warning_and_no_second_prefix():
    from tests.fakes import onboarded_shop

    config = onboarded_shop("demo-shop.myshopify.com", brand_name="Demo Shop")
    now = datetime(2026, 11, 23, 15, tzinfo=UTC)
    campaign, warnings = C.create(config, name="x", variants={"A": "{shop_name}: 20% off: {shop_url} Reply STOP to opt out"},
                                  now=now, by="me", segment="all", send_at=C.SendAt.now())  # fmt: skip
    assert warnings == ()
    assert (
        campaign.previews["A"].text.startswith("Demo Shop: 20% off")
        and campaign.previews["A"].text.count("Demo Shop") == 1
    )
