"""JSON from outside (issue 12): one clear error for anything unusable, never another exception."""

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsflows.domain.json_bodies import MAX_DEPTH, BadJson, clean, loads

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(st.binary(max_size=300))
def test_any_bytes_parse_or_raise_badjson_and_nothing_else(raw):
    with contextlib.suppress(BadJson):
        loads(raw, strict_keys=True)


@given(JSON)
def test_plain_json_reads_back_as_it_was_less_any_lone_surrogate(value):
    expected = json.loads(json.dumps(value), object_hook=lambda d: {clean(k): v for k, v in d.items()})
    got = loads(json.dumps(value).encode())
    assert json.dumps(got, sort_keys=True) == json.dumps(_cleaned(expected), sort_keys=True)


def _cleaned(value):
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    if isinstance(value, dict):
        return {clean(k): _cleaned(v) for k, v in value.items()}
    return value


@given(st.dictionaries(st.text(alphabet="abc", min_size=1, max_size=3), st.integers(), max_size=5))
def test_a_dict_without_lone_surrogates_is_unchanged(value):
    assert loads(json.dumps(value, ensure_ascii=False).encode()) == value


def test_a_lone_surrogate_is_dropped_and_a_pair_is_kept():
    assert loads(b'{"a": "Zo\\ud83d", "b": "\\ud83d\\ude00", "\\udc00k": 1}') == {
        "a": "Zo",
        "b": "😀",
        "k": 1,
    }
    assert clean("x\udcffy") == "xy" and clean("plain") == "plain"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "nested deeper"),
        (b'{"a": 1, "a": 2}', "duplicate key"),
        (b"\xed\xa0\xbd", "not UTF-8"),
        (b"{", "not JSON"),
        (b"", "not JSON"),
    ],
)
def test_what_cannot_be_used_is_one_clear_error(raw, message):
    with pytest.raises(BadJson, match=message):
        loads(raw, strict_keys=True)


def test_depth_is_counted_outside_strings_only():
    deep_text = {"note": "[" * 1000}
    assert loads(json.dumps(deep_text).encode()) == deep_text
    assert loads(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None


def test_duplicate_keys_are_allowed_unless_asked():
    assert loads(b'{"a": 1, "a": 2}') == {"a": 2}
