"""The SmsProvider port: Twilio behind TwilioProvider (the real `twilio` client, talking to the fake Twilio
over HTTP) and the FakeProvider of the unit tests: receipts, refusals, and finding an accepted message
again after an attempt ended without an answer."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from smsflows.ports import Sender
from smsflows.runtime.errors import ProviderError
from tests.contracts.conftest import NOW, OTHER_PHONE, PHONE

SERVICE = Sender(messaging_service_sid="MG" + "0" * 31 + "1")
NUMBER = Sender(from_number="+18005550100")


def send(provider, body="Demo Shop: your order shipped", to=PHONE, sender=SERVICE):
    return provider.port.send(to=to, body=body, sender=sender, status_callback=None)


def test_an_accepted_message_gets_a_receipt(provider):
    first, second = send(provider), send(provider, sender=NUMBER)
    assert re.fullmatch(r"SM\w{32}", first.sid) and re.fullmatch(r"SM\w{32}", second.sid)
    assert first.sid != second.sid
    # a Messaging Service picks the number later: 'accepted'; a number sends right away: 'queued'
    assert (first.status, second.status) == ("accepted", "queued")
    assert (first.segments, first.price) == (1, None)


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("x" * 160, 1),
        ("x" * 161, 2),
        ("€" * 80, 1),
        ("€" * 81, 2),
        ("Hi 👋", 1),
        ("ü" * 71, 1),
        ("ê" * 71, 2),
    ],
    ids=["160-gsm", "161-gsm", "80-euro", "81-euro", "emoji", "71-gsm-umlaut", "71-ucs2"],
)
def test_the_receipt_counts_segments_as_twilio_does(provider, body, segments):
    assert send(provider, body=body).segments == segments


@pytest.mark.parametrize(
    ("to", "body", "code"),
    [("5125550123", "hi", 21211), ("+1512", "hi", 21211), (PHONE, "", 21602), (PHONE, "x" * 1601, 21617)],
)
def test_a_bad_request_is_refused_for_good(provider, to, body, code):
    with pytest.raises(ProviderError) as refused:
        send(provider, body=body, to=to)
    assert (refused.value.provider_code, refused.value.http_status, refused.value.retryable) == (
        code,
        400,
        False,
    )
    assert refused.value.in_doubt is False


def test_a_message_without_a_sender_is_refused_before_any_call(provider):
    with pytest.raises(ProviderError) as refused:
        send(provider, sender=Sender())
    assert (refused.value.provider_code, refused.value.retryable) == (None, False)


def test_find_returns_the_accepted_message_since_the_attempt(provider):
    since = NOW - timedelta(minutes=5)
    assert provider.port.find(to=PHONE, body="Demo Shop: your order shipped", since=since) is None
    accepted = send(provider)
    found = provider.port.find(to=PHONE, body="Demo Shop: your order shipped", since=since)
    assert found is not None
    assert (found.sid, found.segments) == (accepted.sid, accepted.segments)
    assert found.status in ("accepted", "queued", "sending", "sent", "delivered")


def test_find_matches_the_recipient_the_body_and_the_time(provider):
    send(provider)
    since = NOW - timedelta(minutes=5)
    assert provider.port.find(to=OTHER_PHONE, body="Demo Shop: your order shipped", since=since) is None
    assert provider.port.find(to=PHONE, body="Demo Shop: your order", since=since) is None
    assert (
        provider.port.find(to=PHONE, body="Demo Shop: your order shipped", since=NOW + timedelta(seconds=1))
        is None
    )


def test_find_returns_the_newest_of_identical_texts(provider):
    send(provider)
    provider.clock.advance(hours=1)
    newer = send(provider)
    since = NOW - timedelta(minutes=5)
    assert provider.port.find(to=PHONE, body="Demo Shop: your order shipped", since=since).sid == newer.sid
    # only the newer one was accepted since this attempt
    later = NOW + timedelta(minutes=30)
    assert provider.port.find(to=PHONE, body="Demo Shop: your order shipped", since=later).sid == newer.sid


def test_find_looks_at_the_fifty_most_recent_messages_to_the_number(provider):
    send(provider, body="the old one")
    for i in range(50):
        provider.clock.advance(seconds=1)
        send(provider, body=f"newer {i}")
    since = NOW - timedelta(minutes=5)
    assert provider.port.find(to=PHONE, body="newer 0", since=since) is not None
    assert provider.port.find(to=PHONE, body="the old one", since=since) is None  # beyond one page
