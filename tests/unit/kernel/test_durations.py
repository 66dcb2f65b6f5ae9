"""Human durations for settings (`flow set --offsets 1h,1d,3d`): read to seconds, written back, and every
other text refused with a message naming the field and the form."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsflows.domain.durations import format_duration, parse_duration, parse_offsets


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("1h", 3600), ("1h30m", 5400), ("2d", 172800), ("1w", 604800),
     ("1w2d", 777600), ("1d12h", 129600), (" 2H ", 7200), ("0", 0), ("0s", 0), ("1h0m", 3600)],
)  # fmt: skip
def test_durations_read_as_seconds(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text", ["1x", "", "90", "h", "1.5h", "-1h", "1m1h", "1h1h", "1 h", "one hour", "1h,"]
)
def test_anything_else_is_refused_naming_the_field_and_the_form(text):
    with pytest.raises(ValueError) as caught:
        parse_duration(text, field="offsets")
    assert str(caught.value) == f"offsets: {text.strip()!r} is not a duration; use e.g. 30m, 1h, 1d, 1w"


def test_offsets_are_one_duration_per_step_each_after_the_one_before():
    assert parse_offsets("1h,1d,3d") == (3600, 86400, 259200)
    assert parse_offsets("0, 2d, 5d") == (0, 172800, 432000)  # a first step may go at once
    with pytest.raises(ValueError, match=r"^offsets: '1x' is not a duration; use e.g. 30m, 1h, 1d, 1w$"):
        parse_offsets("1h,1x,3d")
    with pytest.raises(ValueError, match=r"^offsets: 1h does not come after 1d; each step must come after"):
        parse_offsets("1d,1h")
    with pytest.raises(ValueError, match=r"^offsets: 1h does not come after 1h"):
        parse_offsets("1h,1h")
    with pytest.raises(
        ValueError, match=r"^offsets: '1h,,3d' is not a list of durations; use e.g. 1h,1d,3d$"
    ):
        parse_offsets("1h,,3d")
    with pytest.raises(ValueError, match=r"^offsets: '' is not a list of durations"):
        parse_offsets("")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (90, "1m30s"), (5400, "1h30m"), (86400, "1d"), (604800, "1w"), (1209600, "2w"),
     (777600, "9d"), (31536000, "365d"), (93784, "1d2h3m4s")],
)  # fmt: skip
def test_a_duration_is_written_back_in_its_shortest_readable_form(seconds, text):
    assert format_duration(seconds) == text


@given(st.integers(min_value=0, max_value=400 * 86400))
def test_what_is_written_reads_back_as_the_same_seconds(seconds):
    assert parse_duration(format_duration(seconds)) == seconds
