"""The area-code tables are complete and agree with phonenumbers' geocoder (the source they were read from):
a walk over every NANP area code the pinned phonenumbers knows. After an upgrade of phonenumbers, print the
tables again with `.venv/bin/python -m tests.unit.compliance.test_area_codes`."""

from __future__ import annotations

import phonenumbers
import pytest

from smsflows.domain.compliance.area_codes import CA_AREA_CODES, US_AREA_CODES
from smsflows.domain.compliance.locations import (
    NANP_REGION_TIME_ZONES,
    PROVINCE_TIME_ZONES,
    STATE_TIME_ZONES,
    US_STATES,
    number_locations,
)
from tests.unit.compliance.nanp_walk import (
    TOLL_FREE,
    e164,
    geocoder_provinces,
    geocoder_state,
    geographic,
    nanp_numbers,
    phonenumbers_zones,
    region,
    same_clocks,
)


def listed(npa: str) -> tuple[str, ...]:
    return phonenumbers_zones(nanp_numbers()[npa])


def _area_codes(of_region: str, geo: bool = True) -> list[str]:
    return [npa for npa in nanp_numbers() if region(npa) == of_region and geographic(npa) is geo]


def expected_us_table() -> dict[str, str | None]:
    return {npa: geocoder_state(npa) for npa in _area_codes("US")}


def expected_ca_table() -> dict[str, tuple[str, ...]]:
    return {npa: geocoder_provinces(npa) for npa in _area_codes("CA")}


def test_the_walk_finds_the_whole_plan():
    assert len(nanp_numbers()) > 450
    assert len(_area_codes("US")) > 350 and len(_area_codes("CA")) > 50
    assert set(TOLL_FREE) <= set(_area_codes("US", geo=False))
    for npa in ("206", "253", "360", "425", "509", "564"):  # Washington: "Washington State" to the geocoder
        assert region(npa) == "US" and geographic(npa)


def test_every_geographic_us_area_code_is_in_the_table_with_the_geocoders_state():
    expected = expected_us_table()
    wrong = {npa: state for npa, state in expected.items() if US_AREA_CODES.get(npa) != state}
    assert not wrong, f"US_AREA_CODES should have {wrong} (regenerate: see the module docstring)"
    assert set(US_AREA_CODES) == set(expected), "entries phonenumbers does not know as US geographic codes"
    assert set(US_AREA_CODES.values()) == set(STATE_TIME_ZONES)  # every state and DC has an area code


def test_every_geographic_canadian_area_code_is_in_the_table_with_the_geocoders_provinces():
    expected = expected_ca_table()
    wrong = {npa: p for npa, p in expected.items() if CA_AREA_CODES.get(npa) != p}
    assert not wrong, f"CA_AREA_CODES should have {wrong} (regenerate: see the module docstring)"
    assert set(CA_AREA_CODES) == set(expected)
    assert {p for ps in CA_AREA_CODES.values() for p in ps} == set(PROVINCE_TIME_ZONES)


@pytest.mark.parametrize("npa", sorted(set(_area_codes("US", geo=False)) | set(_area_codes("CA", geo=False))))
def test_a_number_with_no_place_gives_no_candidate_of_its_own(npa):
    assert npa not in US_AREA_CODES and npa not in CA_AREA_CODES
    assert number_locations(e164(nanp_numbers()[npa])) == ()  # the addresses or the shop's country decide


def test_every_us_number_is_placed_in_its_state_and_its_states_zones():
    for npa in _area_codes("US"):
        state, found = US_AREA_CODES[npa], number_locations(e164(nanp_numbers()[npa]))
        assert found and {loc.state for loc in found} == {state}, npa
        zones = tuple(loc.time_zone for loc in found)
        assert zones == (listed(npa) or STATE_TIME_ZONES[state]), npa  # phonenumbers' zones, or the state's
        # ... and each keeps the clocks of one of the state's zones (Detroit = New York, ...)
        assert all(same_clocks(zone, STATE_TIME_ZONES[state]) for zone in zones), (npa, zones)


def test_every_canadian_number_gets_phonenumbers_zones_and_its_provinces():
    for npa in _area_codes("CA"):
        provinces, found = CA_AREA_CODES[npa], number_locations(e164(nanp_numbers()[npa]))
        zones = {loc.time_zone for loc in found}
        province_zones = {z for p in provinces for z in PROVINCE_TIME_ZONES[p]}
        assert set(listed(npa)) <= zones <= set(listed(npa)) | province_zones, npa
        assert {loc.state for loc in found} == {provinces[0] if len(provinces) == 1 else None}


@pytest.mark.parametrize(
    ("npa", "zones"),
    [
        ("416", {"America/Toronto"}),  # Toronto
        ("604", {"America/Vancouver"}),  # the Lower Mainland
        ("807", {"America/Toronto", "America/Winnipeg", "America/Atikokan"}),  # phonenumbers: Toronto only
        ("418", {"America/Toronto", "America/Blanc-Sablon", "America/Halifax"}),  # and the Magdalen Islands
        ("306", {"America/Regina", "America/Swift_Current", "America/Edmonton"}),  # Lloydminster
        ("902", {"America/Halifax", "America/Glace_Bay"}),  # Nova Scotia and Prince Edward Island
    ],
)
def test_canadian_area_codes_that_span_zones_get_all_of_them(npa, zones):
    assert {loc.time_zone for loc in number_locations(e164(nanp_numbers()[npa]))} == zones


def test_867_covers_the_three_territories():
    zones = {loc.time_zone for loc in number_locations(e164(nanp_numbers()["867"]))}
    territories = {z for p in ("NT", "NU", "YT") for z in PROVINCE_TIME_ZONES[p]}
    assert zones >= territories  # phonenumbers gives 867 America/Fort_Nelson alone


def test_every_other_nanp_member_has_its_own_zone():
    members = set(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1]) - {"US", "CA"}
    assert set(NANP_REGION_TIME_ZONES) == members
    for npa in nanp_numbers():
        if region(npa) in members:
            found = number_locations(e164(nanp_numbers()[npa]))
            assert [(loc.country, loc.time_zone) for loc in found] == [
                (region(npa), NANP_REGION_TIME_ZONES[region(npa)][0])
            ], npa
    for member in sorted(members):  # where phonenumbers places a fixed line, it agrees with the table
        fixed = phonenumbers.example_number_for_type(member, phonenumbers.PhoneNumberType.FIXED_LINE)
        assert fixed is not None, member
        assert phonenumbers_zones(fixed) in ((), NANP_REGION_TIME_ZONES[member]), member


def test_us_states_names_cover_the_geocoders():
    assert US_STATES["Washington State"] == "WA"
    assert set(US_AREA_CODES.values()) <= set(US_STATES.values())


if __name__ == "__main__":  # print both tables, for area_codes.py
    tables = (("US_AREA_CODES", expected_us_table(), 8), ("CA_AREA_CODES", expected_ca_table(), 6))
    for name, table, per_line in tables:
        print(f"{name} = {{")
        items = [f'"{npa}": {value!r},'.replace("'", '"') for npa, value in sorted(table.items())]
        for i in range(0, len(items), per_line):
            print("    " + " ".join(items[i : i + per_line]))
        print("}  # fmt: skip")
