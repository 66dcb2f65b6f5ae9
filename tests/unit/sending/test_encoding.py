"""Segment counting (RULES.md B): hand-computed cases, and agreement with an independent reference counter
(segment_reference.py) on texts biased to the segment boundaries."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from smsflows.domain.messages import OutboundMessage
from smsflows.domain.sending.encoding import GSM7_BASIC, GSM7_EXTENDED, lone_surrogates, segment_info
from tests.hypothesis_scale import examples
from tests.unit.sending.segment_reference import (
    boundary_text,
    boundary_texts,
    old_segments,
    reference_segments,
)


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", "GSM-7", 0),
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


@pytest.mark.parametrize(
    ("text", "units", "segments"),
    [
        # an escape and its septet go in the same part: the part before holds 152 septets
        ("a" * 152 + "€" + "a" * 152, 306, 3),
        ("a" * 151 + "€" + "a" * 153, 306, 2),  # here the escape pair ends the first part exactly
        ("a" * 152 + "€" * 77, 306, 3),
        ("a" * 159 + "€", 161, 2),  # single-segment limit unchanged: 161 septets are two parts
        ("a" * 158 + "€", 160, 1),
        ("€" * 153, 306, 3),  # a part of pairs alone holds 76 of them (152 septets): 76 + 76 + 1
        ("a" + "€" * 152, 305, 2),  # 1 + 76 pairs = 153, then 76 pairs = 152
        ("a" * 152 + "€" + "a" * 150 + "€" + "a" * 153, 459, 4),  # two straddles: 152 + 152 + 153 + 2
        # a surrogate pair is never split: the part before holds 66 units
        ("ê" * 66 + "😀" + "ê" * 66, 134, 3),
        ("ê" * 65 + "😀" + "ê" * 67, 134, 2),
        ("a" * 69 + "😀", 71, 2),
        ("ê" * 68 + "😀", 70, 1),  # single-segment limit unchanged: 70 units
        ("😀" * 67, 134, 3),  # 33 emoji (66 units) a part: 33 + 33 + 1
        ("ê" + "😀" * 66, 133, 2),  # 1 + 33 emoji = 67, then 33 emoji = 66
    ],
)
def test_a_character_is_never_split_across_two_segments(text, units, segments):
    info = segment_info(text)
    assert (info.units, info.segments) == (units, segments)
    assert reference_segments(text)[1:] == (units, segments)  # the reference reads RULES.md B alike


@settings(max_examples=examples(1000), deadline=None)
@given(boundary_text())
def test_segment_info_agrees_with_the_reference_near_the_boundaries(text):
    info = segment_info(text)
    assert (info.encoding, info.units, info.segments) == reference_segments(text)


@given(st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENDED), max_size=700))
def test_gsm_segments_bound_the_septets(text):
    info = segment_info(text)
    assert info.encoding == "GSM-7"
    assert info.units <= (160 if info.segments <= 1 else 153 * info.segments)
    if info.segments > 1:  # each full part holds at least 152 septets (153, or 152 before a straddle)
        assert info.units > (160 if info.segments == 2 else 152 * (info.segments - 1))


def test_the_old_formula_undercounted_and_the_new_count_agrees_on_a_fixed_sample():
    """The figures of `python -m tests.unit.sending.segment_reference`, on a smaller sample: dividing the
    units by 153 (67) undercounts a text whose two-unit character straddles a boundary."""
    texts = boundary_texts(2000)
    now = [t for t in texts if segment_info(t).segments != reference_segments(t)[2]]
    before = [t for t in texts if old_segments(t) != reference_segments(t)[2]]
    assert now == []
    assert len(before) > 100
    assert all(old_segments(t) < reference_segments(t)[2] for t in before)  # always under, never over


# A lone surrogate ("\ud83d", half an emoji: a JSON body's escape can carry one) ---------------------------


def test_a_lone_surrogate_counts_as_one_unit_and_is_found():
    assert segment_info("\ud83d") == segment_info("ê")  # UCS-2, one code unit; no UnicodeEncodeError
    assert segment_info("a" * 69 + "\udc00").segments == 1
    assert lone_surrogates("ok \ud83d then \ude00 😀") == [3, 10]
    assert lone_surrogates("😀 é € plain") == []


def test_the_send_path_never_gets_a_body_with_a_lone_surrogate():
    """An OutboundMessage cannot hold one, from Python or from a queue body (its JSON escape): the
    producer fails to build it, and a record carrying one fails validation in the send handler, which
    treats it as every invalid body (the poison-message path: the DLQ after 5 receives, test_pollers)."""
    message = {"message_id": "m-1", "shop": "s.myshopify.com", "to": "+15125550123", "body": "Hi \ud83d",
               "category": "transactional", "created_at": "2026-11-23T15:00:00+00:00"}  # fmt: skip
    with pytest.raises(ValidationError):
        OutboundMessage.model_validate(message)
    with pytest.raises(ValidationError):
        OutboundMessage.model_validate_json(json.dumps(message))
