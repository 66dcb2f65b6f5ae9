"""Quiet hours, property-tested against an independent reading of RULES.md A1/A2 (the oracle below)."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsflows.domain.compliance.locations import Address, Location, candidate_locations
from smsflows.domain.compliance.quiet_hours import NoAllowedWindow, Window, is_allowed, next_allowed
from tests.hypothesis_scale import examples

# --- oracle: written again from RULES.md, not imported from the code under test -------------------
H = lambda a, b: (time(a), time(b))  # noqa: E731
ORACLE_STATE = {
    "FL": [H(8, 20)] * 7, "OK": [H(8, 20)] * 7, "MD": [H(8, 20)] * 7, "WA": [H(8, 20)] * 7,
    "TX": [H(9, 21)] * 6 + [H(12, 21)], "VA": [H(8, 21)] * 7, "CT": [H(9, 20)] * 7, "NJ": [H(8, 20)] * 7,
    "MS": [H(8, 20)] * 7, "AL": [H(8, 20)] * 7, "LA": [H(8, 20)] * 7, "MA": [H(8, 20)] * 7,
    "IL": [H(9, 21)] * 7, "MI": [H(9, 21)] * 7, "MN": [H(9, 21)] * 7, "CA": [H(9, 21)] * 7,
    "KY": [H(10, 21)] * 7, "RI": [H(9, 18)] * 5 + [H(10, 17)] * 2,
}  # fmt: skip


def oracle_ok(instant: datetime, loc: Location) -> bool:
    local = instant.astimezone(ZoneInfo(loc.time_zone))
    t, day = local.time().replace(tzinfo=None), local.weekday()
    rules = [H(9, 20)]  # house default, everyone (A2.1)
    if loc.country == "US":
        rules.append(H(8, 21))  # federal (A1.1)
        if loc.state is None:
            rules += [r[day] for r in ORACLE_STATE.values()]  # unknown state: all of them
        elif loc.state in ORACLE_STATE:
            rules.append(ORACLE_STATE[loc.state][day])
    return all(start <= t < end for start, end in rules)


def oracle_allowed(instant, locations):
    return all(oracle_ok(instant, loc) for loc in locations)


def assert_never_allowed(instant, locations):
    """No shared window at all (an Australian mobile with a Texas address): check 14 days, quarter-hourly."""
    for quarter in range(14 * 96):
        assert not oracle_allowed(instant + timedelta(minutes=15 * quarter), locations)


# --- strategies -------------------------------------------------------------------------------
NUMBERS = [
    "+12125550123", "+13055550123", "+18135550123", "+14055550123", "+14105550123", "+12065550123",
    "+15125550123", "+12145550123", "+19155550123", "+17035550123", "+12035550123", "+12015550123",
    "+16015550123", "+12055550123", "+15045550123", "+16175550123", "+13125550123", "+13135550123",
    "+16125550123", "+14155550123", "+15025550123", "+14015550123", "+16025550123", "+18085550123",
    "+19075550123", "+13035550123", "+17025550123", "+15035550123", "+16155550123", "+17875550123",
    "+16475550123", "+16045550123", "+14165550123", "+33612345678", "+447911123456", "+61412345678",
    "+4915123456789",
    # no place of their own (the addresses, then the shop's country decide), territories, Canada's wide codes
    "+18005550123", "+18885550123", "+15005550123", "+80012345678", "+16715550123", "+16847331234",
    "+13405550123", "+18765550123", "+18075550123", "+18675550123", "+14185550123",
]  # fmt: skip
STATES = ["TX", "RI", "FL", "KY", "CA", "NY", "AZ", "HI", "AK", "IN", "MI", "WA", "ON", "BC", "NL", "PR", None]  # fmt: skip
addresses = st.one_of(
    st.none(),
    st.builds(Address, st.sampled_from(["US", "CA", "FR", "PR", None]), st.sampled_from(STATES)),
)
shop_countries = st.sampled_from(["US", "CA", "GB", None])
# DST transitions (US: 2nd Sunday of March, 1st Sunday of November; EU: last Sundays) get extra weight.
DST_DAYS = [datetime(2026, 3, 8), datetime(2026, 11, 1), datetime(2027, 3, 14), datetime(2027, 11, 7),
            datetime(2026, 3, 29), datetime(2026, 10, 25)]  # fmt: skip
near_dst = st.builds(
    lambda day, minutes: (day + timedelta(minutes=minutes)).replace(tzinfo=UTC),
    st.sampled_from(DST_DAYS),
    st.integers(-36 * 60, 36 * 60),
)
anytime = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
instants = st.one_of(anytime, near_dst)
cases = st.tuples(st.sampled_from(NUMBERS), addresses, addresses, instants, shop_countries)


@settings(max_examples=examples(10_000), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases)
def test_no_marketing_send_is_allowed_outside_any_candidate_window(case):
    number, default, shipping, instant, shop_country = case
    locations = candidate_locations(number, default, shipping, shop_country=shop_country)
    assert locations
    if is_allowed(instant, locations):
        assert oracle_allowed(instant, locations), (instant, locations)
    try:
        nxt = next_allowed(instant, locations)
    except NoAllowedWindow:
        assert_never_allowed(instant, locations)
        return
    assert nxt >= instant
    assert oracle_allowed(nxt, locations), (instant, nxt, locations)
    if nxt > instant:
        assert not oracle_allowed(nxt - timedelta(seconds=1), locations)


@settings(max_examples=examples(300), deadline=None)
@given(cases)
def test_next_allowed_instant_is_the_earliest(case):
    number, default, shipping, instant, shop_country = case
    locations = candidate_locations(number, default, shipping, shop_country=shop_country)
    try:
        nxt = next_allowed(instant, locations)
    except NoAllowedWindow:
        assert_never_allowed(instant, locations)
        return
    # Windows open on whole hours, so a one-minute scan cannot step over an allowed stretch.
    t = instant
    while t < nxt:
        assert not oracle_allowed(t, locations), (instant, t, nxt)
        t += timedelta(minutes=1)


def loc(state, tz="America/Chicago", country="US"):
    return (Location(country, state, tz, "area_code"),)


@pytest.mark.parametrize(
    ("utc", "state", "tz", "allowed"),
    [
        ("2026-11-23T14:59", "TX", "America/Chicago", False),  # Mon 08:59 Austin
        ("2026-11-23T15:00", "TX", "America/Chicago", True),  # Mon 09:00
        ("2026-11-23T01:59", "TX", "America/Chicago", True),  # Sun 19:59: TX Sunday 12-21, house 9-20
        ("2026-11-22T17:59", "TX", "America/Chicago", False),  # Sun 11:59: Texas' Sunday rule
        ("2026-11-22T18:00", "TX", "America/Chicago", True),  # Sun 12:00
        ("2026-11-24T01:59", "NY", "America/New_York", False),  # Mon 20:59 New York: house 20:00
        ("2026-11-23T23:30", "RI", "America/New_York", False),  # Mon 18:30 Providence
        ("2026-11-22T22:00", "RI", "America/New_York", False),  # Sun 17:00 Providence
        ("2026-11-23T15:30", "KY", "America/New_York", True),  # Mon 10:30 Louisville
        ("2026-11-23T14:30", "KY", "America/New_York", False),  # Mon 09:30
        ("2026-03-08T14:00", "NY", "America/New_York", True),  # DST day: 10:00 EDT
        ("2026-03-08T12:30", "NY", "America/New_York", False),  # DST day: 08:30 EDT
    ],
)
def test_state_table_examples(utc, state, tz, allowed):
    instant = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert is_allowed(instant, loc(state, tz)) is allowed


def test_most_restrictive_location_wins():
    austin_number_rhode_island_address = candidate_locations("+15125550123", Address("US", "RI"))
    monday_1830_eastern = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # 17:30 in Austin, 18:30 in RI
    assert is_allowed(monday_1830_eastern, loc("TX"))
    assert not is_allowed(monday_1830_eastern, austin_number_rhode_island_address)
    assert next_allowed(monday_1830_eastern, austin_number_rhode_island_address) == datetime(
        2026, 11, 24, 15, 0, tzinfo=UTC
    )  # Tue 09:00 Austin (10:00 in RI)


def test_unknown_location_is_never_utc():
    locations = candidate_locations("+447911123456")  # a UK number: Europe/London, house window
    assert {x.time_zone.split("/")[0] for x in locations} == {"Europe"}
    nowhere = candidate_locations("+80012345678")  # international freephone: no zone at all
    assert len({x.time_zone for x in nowhere}) > 5 and all(x.time_zone != "UTC" for x in nowhere)


def test_shop_override_can_only_narrow():
    from smsflows.domain.compliance.quiet_hours import week_for

    wider = tuple([Window(time(6), time(23))] * 7)
    narrower = tuple([Window(time(11), time(15))] * 7)
    assert week_for("US", "NY", wider) == week_for("US", "NY")
    assert week_for("US", "NY", narrower)[0] == Window(time(11), time(15))


def test_naive_instants_are_refused():
    with pytest.raises(ValueError):
        is_allowed(datetime(2026, 1, 1, 12), loc("TX"))
