"""The ConsentEchoes port: a consent write to Shopify is found again by (shop, phone, state, consent time to
the second) exactly, whatever offset the echo writes the time in, until it expires; another state, another
time, another phone or another shop is no echo."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

import pytest

from tests.contracts.conftest import IMPLEMENTATIONS, NOW, OTHER_PHONE, OTHER_SHOP, PHONE, SHOP

AT = NOW - timedelta(minutes=3, microseconds=250_000)  # when consent was given, with a fraction of a second


@pytest.fixture(params=IMPLEMENTATIONS)
def echoes(request: pytest.FixtureRequest) -> Any:
    from tests.fakes import FakeConsentEchoes

    if request.param == "fake":
        return FakeConsentEchoes()
    from smsflows.adapters.consent_echoes import DynamoConsentEchoes
    from tests.contracts.conftest import TABLE

    return DynamoConsentEchoes(request.getfixturevalue("dynamodb"), TABLE)


def test_a_noted_write_is_its_own_echo_in_any_offset_to_the_second(echoes):
    echoes.note_write(SHOP, PHONE, "SUBSCRIBED", AT, NOW)
    chicago = timezone(timedelta(hours=-6))
    echoed = AT.replace(microsecond=0).astimezone(chicago)  # Shopify keeps seconds, in the shop's offset
    assert echoes.is_echo(SHOP, PHONE, "SUBSCRIBED", echoed, NOW)
    assert echoes.is_echo(SHOP, PHONE, "subscribed", AT, NOW + timedelta(hours=1))


@pytest.mark.parametrize(
    ("shop", "phone", "state", "at"),
    [
        (SHOP, PHONE, "UNSUBSCRIBED", AT),  # a genuine change of state in Shopify
        (SHOP, PHONE, "SUBSCRIBED", AT + timedelta(seconds=1)),  # a newer consent in Shopify
        (SHOP, OTHER_PHONE, "SUBSCRIBED", AT),
        (OTHER_SHOP, PHONE, "SUBSCRIBED", AT),
    ],
)
def test_anything_else_is_no_echo(echoes, shop, phone, state, at):
    echoes.note_write(SHOP, PHONE, "SUBSCRIBED", AT, NOW)
    assert not echoes.is_echo(shop, phone, state, at, NOW)


def test_an_echo_expires_after_its_ttl(echoes):
    from smsflows.adapters.consent_echoes import ECHO_TTL

    echoes.note_write(SHOP, PHONE, "UNSUBSCRIBED", AT, NOW)
    assert echoes.is_echo(SHOP, PHONE, "UNSUBSCRIBED", AT, NOW + ECHO_TTL - timedelta(seconds=1))
    assert not echoes.is_echo(SHOP, PHONE, "UNSUBSCRIBED", AT, NOW + ECHO_TTL + timedelta(seconds=1))
