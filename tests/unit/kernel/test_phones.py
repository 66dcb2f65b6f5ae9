import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsflows.domain.phones import normalize_phone
from smsflows.runtime.observability import mask_phone, scrub


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("+1 512 555 0123", "US", "+15125550123"),
        ("(512) 555-0142", "US", "+15125550142"),
        ("512.555.0142", None, "+15125550142"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+33 6 12 34 56 78", "US", "+33612345678"),
    ],
)
def test_valid_numbers_normalise_to_e164(raw, region, e164):
    result = normalize_phone(raw, region)
    assert result.usable and result.e164 == e164


@pytest.mark.parametrize("raw", ["555-555-SHIP", "123-123-1234", "12", "+", "call me", "+1 (000) 000-0000"])
def test_unusable_numbers_are_kept_raw_and_never_raise(raw):
    result = normalize_phone(raw, "US")
    assert result.status == "unusable" and result.e164 is None and result.raw == raw


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_missing_numbers(raw):
    assert normalize_phone(raw).status == "missing"


@given(st.text(max_size=40))
def test_normalisation_never_raises(text):
    result = normalize_phone(text, "US")
    assert result.status in {"usable", "unusable", "missing"}
    if result.usable:
        assert result.e164 and result.e164.startswith("+")


def test_mask_keeps_country_code_and_last_four():
    assert mask_phone("+15125550123") == "+1******0123"
    assert "5550123" not in scrub("call +1 512 555 0123 now")
