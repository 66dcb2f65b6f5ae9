"""Where a NANP number is when the phone library and our area-code table disagree, and what each candidate
location says about where it came from. The library's metadata and `area_codes.py` are updated apart: a new
area code can be in one and not yet in the other. Either way the number keeps the places one of them knows —
never no place (the text would go out on the shop's country alone) and never the whole NANP (no window)."""

from __future__ import annotations

import pytest
from phonenumbers import timezone
from phonenumbers.tzdata import TIMEZONE_DATA

from smsflows.domain.compliance import area_codes
from smsflows.domain.compliance.locations import (
    COUNTRY_TIME_ZONES,
    STATE_TIME_ZONES,
    Address,
    candidate_locations,
    number_locations,
)

AUSTIN = "+15125550123"  # 512: Texas; the library places it in America/Chicago
NANP_WIDE = list(TIMEZONE_DATA["1"])  # the library's answer for a +1 number it cannot place


@pytest.fixture
def library_cannot_place(monkeypatch):
    """The phone library's zone data lacks Austin's area code: it answers every zone of the NANP."""
    real = timezone.time_zones_for_number

    def zones(parsed):
        return NANP_WIDE if f"+1{parsed.national_number}" == AUSTIN else real(parsed)

    monkeypatch.setattr(timezone, "time_zones_for_number", zones)
    yield
    number_locations.cache_clear()  # nothing computed with the fake outlives the test


@pytest.fixture
def table_lacks_512(monkeypatch):
    """Our area-code table does not know 512 yet (a new code the library has already)."""
    monkeypatch.delitem(area_codes.US_AREA_CODES, "512")
    yield
    number_locations.cache_clear()


def zones_of(number: str) -> set[str]:
    number_locations.cache_clear()
    return {loc.time_zone for loc in number_locations(number)}


def test_a_us_area_code_the_library_cannot_place_has_its_states_zones(library_cannot_place):
    assert zones_of(AUSTIN) == set(STATE_TIME_ZONES["TX"]) == {"America/Chicago", "America/Denver"}
    assert {(loc.country, loc.state, loc.source) for loc in number_locations(AUSTIN)} == {
        ("US", "TX", "area_code")
    }


def test_an_area_code_our_table_lacks_keeps_the_librarys_zones(table_lacks_512):
    assert zones_of(AUSTIN) == {"America/Chicago"}
    assert {(loc.country, loc.state) for loc in number_locations(AUSTIN)} == {("US", None)}


def test_an_area_code_neither_can_place_is_anywhere_in_the_50_states_not_the_whole_nanp(
    library_cannot_place, table_lacks_512
):
    assert zones_of(AUSTIN) == set(COUNTRY_TIME_ZONES["US"])
    assert "Pacific/Guam" not in zones_of(AUSTIN) and "America/St_Johns" not in zones_of(AUSTIN)


def test_an_address_with_a_country_but_no_province_says_it_is_the_default_address():
    found = candidate_locations("+18005550123", Address("CA"))  # toll-free: the address alone decides
    assert found and {(loc.country, loc.state, loc.source) for loc in found} == {
        ("CA", None, "default_address")
    }
    assert {loc.time_zone for loc in found} == set(COUNTRY_TIME_ZONES["CA"])


def test_a_shipping_address_says_it_is_the_shipping_address():
    found = candidate_locations("+18005550123", Address("US", "TX"), Address("US", "CA"))
    assert {(loc.state, loc.time_zone, loc.source) for loc in found} == {
        ("TX", "America/Chicago", "default_address"),
        ("TX", "America/Denver", "default_address"),
        ("CA", "America/Los_Angeles", "shipping_address"),
    }
    shipped_abroad = candidate_locations("+18005550123", None, Address("MX"))
    assert shipped_abroad and {(loc.country, loc.source) for loc in shipped_abroad} == {
        ("MX", "shipping_address")
    }


def test_with_no_place_and_no_shop_country_the_candidates_are_us_and_canadian_places():
    found = candidate_locations("+18005550123")
    assert {loc.source for loc in found} == {"unknown"}
    assert {loc.country for loc in found} == {"US", "CA"}
    assert {loc.time_zone for loc in found if loc.country == "US"} == set(COUNTRY_TIME_ZONES["US"])
    assert {loc.time_zone for loc in found if loc.country == "CA"} == set(COUNTRY_TIME_ZONES["CA"])
