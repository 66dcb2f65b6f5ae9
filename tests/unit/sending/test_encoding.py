import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsflows.domain.sending.encoding import GSM7_BASIC, GSM7_EXTENDED, segment_info


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
