"""The fake Twilio held to Twilio's documented behaviour, through the real `twilio` client where it speaks HTTP.

Segments: the fake counts them with its own implementation of Twilio's rules (never the application's
`segment_info`, or the outbox would check the application against itself). Both are held to hand-computed
cases from Twilio's documentation, to each other on random text, and to a third reading of the rules on
text biased to the segment boundaries.

Listing: `messages.list` filters by recipient and by the date sent in whole GMT days, as Twilio documents
`DateSent`, `DateSent<=` and `DateSent>=` (the client's date_sent, date_sent_before, date_sent_after).
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsflows.domain.sending.encoding import segment_info
from smsflows.local.fake_twilio import FakeTwilio, twilio_segments
from smsflows.local.provision import LOCAL_MESSAGING_SERVICE, LOCAL_TWILIO_SID
from tests.contracts.conftest import OTHER_PHONE, PHONE, TWILIO_TOKEN, Clock
from tests.hypothesis_scale import examples
from tests.ids import safe_id
from tests.unit.sending.segment_reference import boundary_text, reference_segments

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = "\f^{}\\[~]|€"


# Segments: hand-computed from Twilio's rules ------------------------------------------------------------

CASES = [
    # (body, encoding, units, segments, why)
    ("a" * 160, "GSM-7", 160, 1, "160 GSM-7 characters fit one segment"),
    ("a" * 161, "GSM-7", 161, 2, "one more: concatenated, 153 per segment"),
    ("a" * 306, "GSM-7", 306, 2, "2 x 153"),
    ("a" * 307, "GSM-7", 307, 3, "2 x 153 + 1"),
    ("^", "GSM-7", 2, 1, "an extension character is an escape plus a septet"),
    ("€" * 80, "GSM-7", 160, 1, "80 euro signs are 160 septets"),
    ("€" * 81, "GSM-7", 162, 2, "81 are 162"),
    ("a" * 159 + "^", "GSM-7", 161, 2, "'^' takes the 160th and a 161st septet"),
    ("a" * 158 + "€", "GSM-7", 160, 1, "... but 158 + '€' is exactly 160"),
    ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3, "an escape and its character are never split"),
    ("\f{}[]~|\\", "GSM-7", 16, 1, "the whole extension table, two septets each"),
    ("Ünïcode", "UCS-2", 7, 1, "'ï' is not in the GSM table: the whole text is UCS-2"),
    ("garçon", "UCS-2", 6, 1, "GSM has 'Ç' but not 'ç'"),
    ("`", "UCS-2", 1, 1, "nor the backtick"),
    ("Élan ñ Δ à ¿", "GSM-7", 12, 1, "accented letters and Greek capitals of the GSM table"),
    ("😀", "UCS-2", 2, 1, "an emoji makes it UCS-2, a surrogate pair: two code units"),
    ("ê" * 70, "UCS-2", 70, 1, "70 UCS-2 units fit one segment"),
    ("ê" * 71, "UCS-2", 71, 2, "one more: concatenated, 67 per segment"),
    ("ê" * 134, "UCS-2", 134, 2, "2 x 67"),
    ("ê" * 135, "UCS-2", 135, 3, "2 x 67 + 1"),
    ("a" * 69 + "😀", "UCS-2", 71, 2, "one emoji turns 69 GSM characters into 71 UCS-2 units"),
    ("a" * 159 + "😀", "UCS-2", 161, 3, "... and 159 into three segments"),
    ("😀" * 35, "UCS-2", 70, 1, "35 emoji are 70 units"),
    ("😀" * 36, "UCS-2", 72, 2, "36 are 72: 33 + 3 emoji"),
    ("ê" * 66 + "😀" + "ê" * 66, "UCS-2", 134, 3, "a surrogate pair is never split"),
]


@pytest.mark.parametrize(
    ("body", "encoding", "units", "segments", "why"), CASES, ids=[safe_id(c[4]) for c in CASES]
)
def test_the_fake_counts_segments_as_twilio_documents(body, encoding, units, segments, why):
    got = twilio_segments(body)
    assert (got.encoding, got.units, got.segments) == (encoding, units, segments), why


@pytest.mark.parametrize(
    ("body", "encoding", "units", "segments", "why"), CASES, ids=[safe_id(c[4]) for c in CASES]
)
def test_the_application_counts_the_documented_cases_alike(body, encoding, units, segments, why):
    info = segment_info(body)
    assert (info.encoding, info.units, info.segments) == (encoding, units, segments), why


def test_both_know_the_same_gsm_characters():
    """Every BMP character (and a few beyond) is GSM-7 for both, or UCS-2 for both, with the same cost."""
    chars = [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF] + ["😀", "𝄞", "🇺"]
    ours = [(twilio_segments(ch).encoding, twilio_segments(ch).units) for ch in chars]
    theirs = [(segment_info(ch).encoding, segment_info(ch).units) for ch in chars]
    assert len(ours) == len(theirs) == 0x10000 - 0x800 + 3
    assert [ch for ch, a, b in zip(chars, ours, theirs, strict=True) if a != b] == []
    gsm = {ch for ch, (encoding, _) in zip(chars, ours, strict=True) if encoding == "GSM-7"}
    assert len(gsm) == 127 + 10  # the basic table (less the escape) and the extension table
    assert gsm == set(GSM_BASIC) | set(GSM_EXTENDED)


# Segments: the two implementations held to each other --------------------------------------------------

_GSM = st.sampled_from(GSM_BASIC)
_ANY = st.one_of(
    _GSM, st.sampled_from(GSM_EXTENDED), st.characters(exclude_categories=["Cs"]), st.sampled_from("😀👋🏽𝄞")
)
_TEXT = st.one_of(
    st.integers(0, 700).flatmap(lambda n: st.text(_GSM, min_size=n, max_size=n)),
    st.integers(0, 700).flatmap(
        lambda n: st.text(st.one_of(_GSM, st.sampled_from(GSM_EXTENDED)), min_size=n, max_size=n)
    ),
    st.integers(0, 400).flatmap(lambda n: st.text(_ANY, min_size=n, max_size=n)),
)


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_the_fake_and_the_application_agree_on_random_text(text):
    ours, theirs = twilio_segments(text), segment_info(text)
    assert (ours.encoding, ours.units, ours.segments) == (theirs.encoding, theirs.units, theirs.segments)


@settings(max_examples=examples(1000), deadline=None)
@given(boundary_text())
def test_the_fake_agrees_with_the_reference_and_the_application_near_the_boundaries(text):
    """Texts where an escape pair or a surrogate pair often straddles a segment boundary (the reference
    counter is a third, independent reading of RULES.md B: tests/unit/sending/segment_reference.py)."""
    ours, theirs = twilio_segments(text), segment_info(text)
    assert (ours.encoding, ours.units, ours.segments) == reference_segments(text)
    assert (theirs.encoding, theirs.units, theirs.segments) == reference_segments(text)


# Through the real twilio client -------------------------------------------------------------------------


@pytest.fixture
def twilio() -> Iterator[tuple[FakeTwilio, Any, Clock]]:
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    clock = Clock(datetime(2026, 11, 23, 23, 59, 59, tzinfo=UTC))
    fake = FakeTwilio(LOCAL_TWILIO_SID, TWILIO_TOKEN, clock=clock).start()
    fake.send_status_callbacks = False
    base = urlsplit(fake.base_url)

    class ToTheFake(TwilioHttpClient):
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            parts = urlsplit(url)
            return super().request(
                method, urlunsplit((base.scheme, base.netloc, parts.path, parts.query, "")), *args, **kwargs
            )

    try:
        yield fake, Client(LOCAL_TWILIO_SID, TWILIO_TOKEN, http_client=ToTheFake(timeout=5)), clock
    finally:
        fake.stop()


def test_the_outbox_and_the_answer_carry_twilios_count(twilio):
    fake, client, _ = twilio
    sent = client.messages.create(
        to=PHONE, messaging_service_sid=LOCAL_MESSAGING_SERVICE, body="a" * 152 + "€" + "a" * 152
    )
    assert (sent.num_segments, sent.status, sent.date_sent) == ("3", "accepted", None)
    [entry] = fake.outbox()
    assert (entry["segments"], entry["encoding"]) == (3, "GSM-7")


def test_listing_filters_by_recipient_and_whole_gmt_days(twilio):
    _, client, clock = twilio

    def send(to: str, at: datetime, body: str) -> str:
        clock.now = at
        return client.messages.create(to=to, messaging_service_sid=LOCAL_MESSAGING_SERVICE, body=body).sid

    a = send(PHONE, datetime(2026, 11, 23, 23, 59, 59, tzinfo=UTC), "a")
    b = send(PHONE, datetime(2026, 11, 24, 0, 0, 0, tzinfo=UTC), "b")
    d = send(OTHER_PHONE, datetime(2026, 11, 24, 10, 0, tzinfo=UTC), "d")
    c = send(PHONE, datetime(2026, 11, 24, 15, 0, tzinfo=UTC), "c")

    def sids(**filters: Any) -> list[str]:
        return [m.sid for m in client.messages.list(**filters)]

    assert sids(to=PHONE) == [c, b, a]  # newest first
    assert sids(to=PHONE, limit=2) == [c, b]
    noon = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    # "on or after" a day: the time of day the client sends along is not looked at
    assert sids(to=PHONE, date_sent_after=noon) == [c, b]
    assert sids(to=PHONE, date_sent_before=datetime(2026, 11, 23, 0, 0, 1, tzinfo=UTC)) == [a]
    assert sids(to=PHONE, date_sent=noon) == [c, b]
    assert sids(date_sent=noon) == [c, d, b]
    assert sids(to=PHONE, date_sent_after=noon, date_sent_before=noon) == [c, b]
    assert sids(to=PHONE, date_sent_after=datetime(2026, 11, 25, tzinfo=UTC)) == []
    [listed] = [m for m in client.messages.list(to=PHONE, limit=1)]
    assert listed.date_sent == listed.date_created == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def _get(fake: FakeTwilio, query: str) -> tuple[int, dict[str, Any]]:
    """A raw GET, for the filters as Twilio's documentation writes them (DateSent>=YYYY-MM-DD)."""
    auth = base64.b64encode(f"{LOCAL_TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
    url = f"{fake.base_url}/2010-04-01/Accounts/{LOCAL_TWILIO_SID}/Messages.json?{query}"
    request = urllib.request.Request(url, headers={"Authorization": f"Basic {auth}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - the fake on loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_documented_inequalities_and_a_bad_date(twilio):
    fake, client, clock = twilio
    for day in (22, 23, 24):
        clock.now = datetime(2026, 11, day, 8, 0, tzinfo=UTC)
        client.messages.create(to=PHONE, messaging_service_sid=LOCAL_MESSAGING_SERVICE, body=f"day {day}")

    def bodies(query: str) -> list[str]:
        status, page = _get(fake, query)
        assert status == 200
        return [m["body"] for m in page["messages"]]

    assert bodies("DateSent>=2026-11-23") == ["day 24", "day 23"]
    assert bodies("DateSent<=2026-11-23") == ["day 23", "day 22"]
    assert bodies("DateSent=2026-11-22") == ["day 22"]
    status, error = _get(fake, "DateSent>=last-tuesday")
    assert (status, error["code"]) == (400, 20001)
