"""The area-code table agrees with phonenumbers' geocoder (the source it was read from)."""

import phonenumbers
import pytest
from phonenumbers import geocoder

from smsflows.domain.compliance.area_codes import US_AREA_CODES
from smsflows.domain.compliance.locations import US_STATES, _state_from_description


def test_table_covers_the_us():
    assert len(US_AREA_CODES) > 300
    assert set(US_AREA_CODES.values()) <= set(US_STATES.values())
    assert len(set(US_AREA_CODES.values())) >= 50


@pytest.mark.parametrize("npa", sorted(US_AREA_CODES))
def test_every_entry_matches_the_geocoder(npa):
    for line in ("2345678", "5550100", "3456789"):
        number = phonenumbers.parse(f"+1{npa}{line}")
        if phonenumbers.is_valid_number(number):
            assert (
                _state_from_description(geocoder.description_for_number(number, "en")) == US_AREA_CODES[npa]
            )
            return
    pytest.fail(f"no valid number found for area code {npa}")
