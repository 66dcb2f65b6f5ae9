import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsflows.domain.encoding import GSM7_BASIC, GSM7_EXTENDED, segment_info
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


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # extension characters count two septets
        ("€" * 81, "GSM-7", 2),
        ("é" * 160, "GSM-7", 1),  # é is in the basic table
        ("ç" * 70, "UCS-2", 1),  # ç (lower case) is not
        ("ç" * 71, "UCS-2", 2),
        ("ç" * 134, "UCS-2", 2),
        ("ç" * 135, "UCS-2", 3),
        ("😀" * 35, "UCS-2", 1),  # an emoji is two UTF-16 units
        ("😀" * 36, "UCS-2", 2),
        ("’", "UCS-2", 1),  # a curly quote forces UCS-2
    ],
)
def test_segment_counting(text, encoding, segments):
    info = segment_info(text)
    assert (info.encoding, info.segments) == (encoding, segments)


@given(st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENDED), max_size=700))
def test_gsm_segments_bound_the_septets(text):
    info = segment_info(text)
    assert info.encoding == "GSM-7"
    capacity = 160 if info.segments <= 1 else 153 * info.segments
    assert info.units <= capacity
    if info.segments > 1:
        assert info.units > (160 if info.segments == 2 else 153 * (info.segments - 1))


def test_scaled_clock_runs_faster_from_its_virtual_start(monkeypatch):
    import time as time_module
    from datetime import UTC, datetime

    from smsflows.runtime.clock import scaled_clock

    now = [1000.0]
    monkeypatch.setattr(time_module, "time", lambda: now[0])
    start = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    clock = scaled_clock(3600, epoch_real=1000.0, epoch_virtual=start.timestamp())
    assert clock() == start
    now[0] += 2.5
    assert clock() == datetime(2026, 11, 23, 17, 30, tzinfo=UTC)


def test_dynamodb_json_decoder_matches_boto3():
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    from smsflows.adapters.ddb_json import item

    values = {"s": "x", "n": 42, "f": __import__("decimal").Decimal("1.5"), "b": True, "z": None,
              "m": {"a": [1, "b", {"c": False}]}, "ss": {"a", "b"}}  # fmt: skip
    raw = {k: TypeSerializer().serialize(v) for k, v in values.items()}
    expected = {k: TypeDeserializer().deserialize(v) for k, v in raw.items()}
    assert item(raw) == expected
