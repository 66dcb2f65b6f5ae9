"""Where a recipient may be (RULES.md A2.2), and that every number has a lawful window unless the law leaves
none: a number with no place (toll-free, ...) leaves it to the addresses, then to the shop's country, never
to the whole NANP; territories, Canadian provinces and foreign countries are places with their own zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from phonenumbers.tzdata import TIMEZONE_DATA

from smsflows.domain.compliance.locations import (
    COUNTRY_TIME_ZONES,
    NANP_REGION_TIME_ZONES,
    PROVINCE_TIME_ZONES,
    STATE_TIME_ZONES,
    US_STATES,
    Address,
    Location,
    candidate_locations,
)
from smsflows.domain.compliance.quiet_hours import (
    HOUSE_DEFAULT,
    STATE_RULES,
    NoAllowedWindow,
    intersect,
    is_allowed,
    next_allowed,
    week_for,
)
from tests.unit.compliance.nanp_walk import (
    TOLL_FREE,
    e164,
    geographic,
    mentions,
    nanp_numbers,
    region,
    same_clocks,
    zone_tab,
)

WINTER_MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
SUMMER_MONDAY = datetime(2026, 7, 13, tzinfo=UTC)
US_ZONES = set(COUNTRY_TIME_ZONES["US"])
CA_ZONES = set(COUNTRY_TIME_ZONES["CA"])


def zones(locations: tuple[Location, ...]) -> set[str]:
    return {loc.time_zone for loc in locations}


def has_window(locations: tuple[Location, ...]) -> bool:
    """Some instant in a winter week and in a summer week is inside every candidate's window."""
    try:
        next_allowed(WINTER_MONDAY, locations, horizon_days=7)
        next_allowed(SUMMER_MONDAY, locations, horizon_days=7)
    except NoAllowedWindow:
        return False
    return True


# --- numbers with no place -----------------------------------------------------------------------------
def test_the_whole_nanp_as_candidates_leaves_no_window():
    """What a toll-free number got before: every zone phonenumbers lists for +1, Guam to Newfoundland."""
    everywhere = tuple(Location("US", None, zone, "area_code") for zone in TIMEZONE_DATA["1"])
    assert not has_window(everywhere)


@pytest.mark.parametrize("npa", TOLL_FREE)
def test_a_toll_free_number_with_no_address_is_anywhere_in_the_shops_country(npa):
    number = f"+1{npa}5550123"
    us = candidate_locations(number, shop_country="US")
    assert zones(us) == US_ZONES
    assert {(x.country, x.state, x.source) for x in us} == {("US", None, "shop_country")}
    assert not zones(us) & {"Pacific/Guam", "America/Puerto_Rico", "America/St_Johns"}
    ca = candidate_locations(number, shop_country="CA")
    assert zones(ca) == CA_ZONES and {x.country for x in ca} == {"CA"}
    neither = candidate_locations(number)  # no shop country: the US and Canada
    assert zones(neither) == US_ZONES | CA_ZONES and {x.source for x in neither} == {"unknown"}
    assert has_window(us) and has_window(ca) and has_window(neither)


def test_a_us_shop_with_no_address_for_a_toll_free_number_texts_inside_every_states_window():
    found = candidate_locations("+18885550123", shop_country="US")
    # Unknown state: the strictest rules everywhere from New York to Hawaii and the Aleutians. Monday's first
    # instant inside all of them: 10:00 in Honolulu (Kentucky's opening), 15:00 in New York (before RI's 18:00).
    assert next_allowed(WINTER_MONDAY, found) == datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
    assert not is_allowed(datetime(2026, 11, 23, 23, 0, tzinfo=UTC), found)  # 18:00 in New York


def test_a_toll_free_numbers_addresses_decide_and_the_shop_country_does_not():
    assert candidate_locations("+18885550123", Address("US", "WA"), shop_country="CA") == (
        Location("US", "WA", "America/Los_Angeles", "default_address"),
    )
    both = candidate_locations("+18005550123", Address("US", "NY"), Address("CA", "BC"), shop_country="US")
    assert zones(both) == {"America/New_York", *PROVINCE_TIME_ZONES["BC"]} and has_window(both)


@pytest.mark.parametrize(
    "number",
    ["+15005550123", "+15225550123", "+19005550123", "+16002000123", "+16222000123", "+80012345678", "+17005550123"],
    ids=["500", "522", "900", "ca-600", "ca-622", "intl-freephone", "unassigned-700"],
)  # fmt: skip
def test_other_numbers_with_no_place_behave_like_toll_free(number):
    assert zones(candidate_locations(number, shop_country="US")) == US_ZONES
    assert candidate_locations(number, Address("US", "TX")) == (
        Location("US", "TX", "America/Chicago", "default_address"),
        Location("US", "TX", "America/Denver", "default_address"),
    )


@pytest.mark.parametrize("shop_country", ["GB", "au", "FR", "ZZ", "", None])
def test_unknown_never_means_utc(shop_country):
    found = candidate_locations("+80012345678", shop_country=shop_country)
    assert found and not zones(found) & {"UTC", "Etc/UTC", "Etc/Unknown"}
    if shop_country == "au":
        assert {"Australia/Perth", "Australia/Sydney", "Australia/Adelaide"} <= zones(found)
    if shop_country in ("ZZ", "", None):
        assert zones(found) == US_ZONES | CA_ZONES


# --- territories and the other NANP members ----------------------------------------------------------
@pytest.mark.parametrize(
    ("number", "member", "zone"),
    [
        ("+17875550123", "PR", "America/Puerto_Rico"),
        ("+19395550123", "PR", "America/Puerto_Rico"),
        ("+13405550123", "VI", "America/St_Thomas"),
        ("+16715550123", "GU", "Pacific/Guam"),
        ("+16702345678", "MP", "Pacific/Saipan"),
        ("+16847331234", "AS", "Pacific/Pago_Pago"),  # phonenumbers: every NANP zone
        ("+18765550123", "JM", "America/Jamaica"),  # a Jamaican mobile: likewise
    ],
)
def test_a_territory_number_is_in_its_territory_with_a_window_of_its_own(number, member, zone):
    found = candidate_locations(number, shop_country="US")
    assert [(x.country, x.time_zone) for x in found] == [(member, zone)]
    nine = datetime(2026, 11, 23, 9, tzinfo=ZoneInfo(zone))  # a Monday, local time: the house 09:00-20:00
    assert is_allowed(nine, found) and not is_allowed(nine - timedelta(minutes=1), found)
    assert is_allowed(nine + timedelta(hours=10, minutes=59), found)
    assert not is_allowed(nine + timedelta(hours=11), found)


@pytest.mark.parametrize(
    ("address", "zone"),
    [(Address("PR"), "America/Puerto_Rico"), (Address("US", "PR"), "America/Puerto_Rico"),
     (Address("GU"), "Pacific/Guam"), (Address("US", "vi"), "America/St_Thomas"),
     (Address("US", "AS"), "Pacific/Pago_Pago"), (Address("MP"), "Pacific/Saipan")],
)  # fmt: skip
def test_a_territory_address_as_shopify_writes_it_either_way_is_in_the_territory(address, zone):
    assert zones(candidate_locations("+18005550123", address, shop_country="US")) == {zone}


# --- foreign numbers and addresses -------------------------------------------------------------------
BRITISH_ISLES = {"Europe/London", "Europe/Guernsey", "Europe/Jersey", "Europe/Isle_of_Man"}


def test_a_foreign_mobile_with_a_us_address_is_where_the_address_says():
    """A2.2's candidates are the area code's place and the addresses; a UK mobile has no area code in that
    sense (its country code says where the SIM was issued), so the Texas address decides."""
    found = candidate_locations("+447911123456", Address("US", "TX"), shop_country="US")
    assert zones(found) == {"America/Chicago", "America/Denver"}
    # after Sunday's close, 09:00 Monday in El Paso (16:00 UTC) opens it; 20:00 in Houston (02:00 UTC) closes
    # it; London plays no part
    assert next_allowed(datetime(2026, 11, 23, 4, 0, tzinfo=UTC), found) == datetime(
        2026, 11, 23, 16, 0, tzinfo=UTC
    )
    assert is_allowed(datetime(2026, 11, 23, 21, 0, tzinfo=UTC), found)
    assert not is_allowed(datetime(2026, 11, 24, 2, 0, tzinfo=UTC), found)


def test_a_foreign_mobile_without_an_address_is_in_its_own_country():
    assert zones(candidate_locations("+447911123456", shop_country="US")) == BRITISH_ISLES


def test_a_us_number_with_a_foreign_address_adds_that_countrys_zones():
    found = candidate_locations("+15125550123", Address("FR"), Address("GB", "ENG"))
    assert zones(found) == {"America/Chicago", "Europe/Paris"} | BRITISH_ISLES and has_window(found)


def test_a_foreign_mobile_that_may_be_anywhere_in_the_us_has_the_strictest_us_window():
    found = candidate_locations("+447911123456", Address("US"))
    assert "Europe/London" not in zones(found) and has_window(found)


# --- US states ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("npa", ["206", "253", "360", "425", "509", "564"])
def test_washington_numbers_are_in_washington(npa):
    assert [(x.state, x.time_zone) for x in candidate_locations(f"+1{npa}5550123")] == [
        ("WA", "America/Los_Angeles")
    ]


@pytest.mark.parametrize(
    ("local", "allowed"),
    [("2026-11-23T08:59", False), ("2026-11-23T09:00", True), ("2026-11-23T09:30", True),
     ("2026-11-23T18:30", True), ("2026-11-23T19:59", True), ("2026-11-23T20:00", False),
     ("2026-11-28T17:30", True)],  # a Saturday: the unknown-state rule (Rhode Island's) ends at 17:00
)  # fmt: skip
def test_seattle_gets_washingtons_window_not_the_unknown_states(local, allowed):
    """WA's 08:00-20:00 under the house 09:00-20:00 (A2.1), where an unknown state gets 10:00-18:00."""
    seattle = candidate_locations("+12065550123", shop_country="US")
    assert week_for("US", "WA") == intersect(HOUSE_DEFAULT, STATE_RULES["WA"])
    instant = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo("America/Los_Angeles"))
    assert is_allowed(instant, seattle) is allowed


def test_a_us_address_without_a_usable_state_is_any_state():
    for address in (Address("US"), Address("US", "ZZ"), Address("us", "AE")):
        found = candidate_locations("+18005550123", address)
        assert zones(found) == US_ZONES and {x.state for x in found} == {None}  # None: the strictest rules


# --- Canada -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("province", "expected"),
    [
        ("ON", {"America/Toronto", "America/Atikokan", "America/Winnipeg"}),
        ("BC", {"America/Vancouver", "America/Edmonton", "America/Creston", "America/Dawson_Creek",
                "America/Fort_Nelson"}),
        ("QC", {"America/Toronto", "America/Blanc-Sablon", "America/Halifax"}),
        ("NS", {"America/Halifax", "America/Glace_Bay"}),
        ("NL", {"America/St_Johns", "America/Goose_Bay"}),
        ("AB", {"America/Edmonton"}), ("MB", {"America/Winnipeg"}), ("NB", {"America/Moncton"}),
        ("PE", {"America/Halifax"}), ("SK", {"America/Regina", "America/Swift_Current", "America/Edmonton"}),
        ("YT", {"America/Whitehorse", "America/Dawson"}), ("NT", {"America/Edmonton", "America/Inuvik"}),
        ("NU", {"America/Iqaluit", "America/Atikokan", "America/Rankin_Inlet", "America/Resolute",
                "America/Cambridge_Bay"}),
    ],
)  # fmt: skip
def test_a_canadian_address_has_its_provinces_zones_not_all_of_canadas(province, expected):
    found = candidate_locations("+18005550123", Address("CA", province.lower()))
    assert zones(found) == expected and {(x.country, x.state) for x in found} == {("CA", province)}
    assert has_window(found)


def test_a_canadian_address_without_a_province_is_anywhere_in_canada():
    assert zones(candidate_locations("+18005550123", Address("CA"))) == CA_ZONES


def test_the_tables_agree_with_the_tz_databases_zone_tab():
    rows = zone_tab()
    if rows is None:
        pytest.skip("no zone.tab on zoneinfo.TZPATH")
    canada = {zone: comment for country, zone, comment in rows if country == "CA"}
    assert set(canada) == CA_ZONES
    for zone, comment in canada.items():  # every row that names a province is among its zones ...
        for province, zs in PROVINCE_TIME_ZONES.items():
            assert zone in zs or not mentions(comment, province), (province, zone, comment)
    for province, zs in PROVINCE_TIME_ZONES.items():  # ... and a province has no other zone but one:
        for zone in zs:  # the Magdalen Islands' and Listuguj's Atlantic time (Quebec's Legal Time Act)
            assert mentions(canada[zone], province) or (province, zone) == ("QC", "America/Halifax")
    for member, zs in NANP_REGION_TIME_ZONES.items():
        assert {zone for country, zone, _ in rows if country == member} == set(zs), member
    united_states = [zone for country, zone, _ in rows if country == "US"]  # Juneau, Indiana/Knox, ...
    assert all(same_clocks(zone, US_ZONES) for zone in united_states)  # each keeps one table zone's clocks


def test_the_us_is_its_50_states_and_dc():
    assert set(STATE_TIME_ZONES) == set(US_STATES.values()) - {"PR"} and len(STATE_TIME_ZONES) == 51


def test_every_zone_in_the_tables_is_one_zoneinfo_knows():
    for zs in (*COUNTRY_TIME_ZONES.values(), *PROVINCE_TIME_ZONES.values(), *STATE_TIME_ZONES.values()):
        for zone in zs:
            ZoneInfo(zone)


# --- the walk: every area code alone has a window ----------------------------------------------------------
def test_every_nanp_area_code_alone_has_a_lawful_window():
    no_window = []
    for npa, number in nanp_numbers().items():
        countries = ("US", "CA", None) if not geographic(npa) or region(npa) is None else ("US",)
        for country in countries:
            if not has_window(candidate_locations(e164(number), shop_country=country)):
                no_window.append((npa, country))
    assert no_window == []


@pytest.mark.parametrize("npa", ["800", "500"])
def test_a_number_with_no_place_and_any_one_state_or_province_address_has_a_window(npa):
    places = [Address("US", s) for s in STATE_TIME_ZONES] + [Address("CA", p) for p in PROVINCE_TIME_ZONES]
    assert [a for a in places if not has_window(candidate_locations(f"+1{npa}5550123", a))] == []


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("+15125550123", {("US", "TX", "America/Chicago", "area_code")}),
        ("+14165550123", {("CA", "ON", "America/Toronto", "area_code")}),
        ("+17875550123", {("PR", None, "America/Puerto_Rico", "area_code")}),
        ("+18005550123", set()),
    ],
    ids=["austin", "toronto", "puerto-rico", "toll-free"],
)
def test_a_numbers_own_places_say_where_they_come_from(number, expected):
    from smsflows.domain.compliance.locations import number_locations

    got = {(loc.country, loc.state, loc.time_zone, loc.source) for loc in number_locations(number)}
    assert got == expected
