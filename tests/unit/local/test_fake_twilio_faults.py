"""The fake Twilio's random fault injection (what `smsflows local --provider-faults` sets): with share 1
every message create fails with one of HTTP 500 (20500), 429 (20429), 503 (20503) or a late answer
(accepted, answered later); with share 0 none does; the draws come from a seeded generator."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from smsflows.local.fake_twilio import DEFAULT_FAULT_SEED, FAULT_KINDS, FakeTwilio, ProviderFaults
from smsflows.local.provision import LOCAL_TWILIO_SID

TOKEN = "unit-token"
TWILIO_ERRORS = {500: 20500, 429: 20429, 503: 20503}


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    twilio = FakeTwilio(LOCAL_TWILIO_SID, TOKEN).start()
    twilio.send_status_callbacks = False
    yield twilio
    twilio.stop()


def create(fake: FakeTwilio, to: str) -> tuple[int, dict]:
    """POST Messages.json as the twilio client does; (status, JSON body). The client waits long enough
    for any late answer the test configures."""
    url = f"{fake.base_url}/2010-04-01/Accounts/{LOCAL_TWILIO_SID}/Messages.json"
    auth = base64.b64encode(f"{LOCAL_TWILIO_SID}:{TOKEN}".encode()).decode()
    data = urlencode({"To": to, "From": "+15125550000", "Body": "hello"}).encode()
    headers = {"Authorization": f"Basic {auth}"}
    request = urllib.request.Request(url, data=data, method="POST", headers=headers)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_share_one_fails_every_create_with_one_of_the_kinds(fake):
    fake.provider_faults.configure(share=1.0, late_s=0.05)  # late: answered after 0.05 s (the client waits)
    answers = [create(fake, f"+1512555{1000 + i}") for i in range(40)]
    late = [body for status, body in answers if status == 201]  # share 1: a success can only be late
    for status, body in answers:
        if status != 201:
            assert (
                status in TWILIO_ERRORS and body["code"] == TWILIO_ERRORS[status] and body["status"] == status
            )
    state = fake.provider_faults.as_json()
    assert state["calls"] == 40 and sum(state["injected"].values()) == 40
    assert state["injected"]["late"] == len(late) == len(fake.outbox())  # Twilio kept the late ones
    assert {str(s) for s, _ in answers if s != 201} | ({"late"} if late else set()) == set(FAULT_KINDS)
    by_status = {k: sum(1 for s, _ in answers if s == int(k)) for k in ("500", "429", "503")}
    assert by_status == {k: state["injected"][k] for k in by_status}


def test_share_zero_fails_nothing(fake):
    fake.provider_faults.configure(share=1.0)
    fake.provider_faults.configure(share=0)
    answers = [create(fake, f"+1512555{2000 + i}") for i in range(20)]
    assert [s for s, _ in answers] == [201] * 20 and len(fake.outbox()) == 20
    assert fake.provider_faults.as_json()["injected"] == dict.fromkeys(FAULT_KINDS, 0)


def test_the_kinds_can_be_narrowed(fake):
    fake.provider_faults.configure(share=1.0, kinds=["429"])
    assert {create(fake, f"+1512555{3000 + i}")[0] for i in range(5)} == {429}


def test_the_real_twilio_client_sees_twilios_error(fake):
    from twilio.base.exceptions import TwilioRestException
    from twilio.rest import Client

    from smsflows.adapters.twilio_provider import _http_client

    fake.provider_faults.configure(share=1.0, kinds=["503"])
    messages = Client(LOCAL_TWILIO_SID, TOKEN, http_client=_http_client(fake.base_url)).messages
    with pytest.raises(TwilioRestException) as raised:
        messages.create(to="+15125550100", from_="+15125550000", body="hi")
    assert raised.value.status == 503 and raised.value.code == 20503


def test_queued_faults_and_the_rule_come_before_the_random_share(fake):
    from smsflows.local.fake_twilio import Fault

    fake.provider_faults.configure(share=1.0, kinds=["500"])
    fake.fail_next(Fault(status=429, code=20429))
    fake.fault_rule = lambda form: Fault(status=503, code=20503) if form["To"].endswith("9") else None
    assert [create(fake, to)[0] for to in ("+15125554001", "+15125554009", "+15125554001")] == [429, 503, 500]
    assert fake.provider_faults.as_json()["calls"] == 1  # only the last call reached the random share


def draws(faults: ProviderFaults, n: int) -> list[str]:
    out = []
    for _ in range(n):
        fault = faults.draw()
        out.append("ok" if fault is None else ("late" if fault.accept else str(fault.status)))
    return out


def test_the_draws_are_reproducible_from_the_seed():
    first = draws(ProviderFaults(share=0.3), 200)
    assert first == draws(ProviderFaults(share=0.3, seed=DEFAULT_FAULT_SEED), 200)
    assert first != draws(ProviderFaults(share=0.3, seed=DEFAULT_FAULT_SEED + 1), 200)
    assert 0 < first.count("ok") < 200 and set(first) == {"ok", *FAULT_KINDS}
    again = ProviderFaults(share=0.3)
    draws(again, 17)
    again.configure(share=0.3)  # setting it restarts the sequence
    assert draws(again, 200) == first


@pytest.mark.parametrize(
    "settings",
    [
        {"share": 1.5},
        {"share": -0.1},
        {"share": "0.2"},
        {"share": True},
        {"seed": 1.5},
        {"kinds": []},
        {"kinds": ["404"]},
        {"kinds": "500"},
        {"late_s": -1},
    ],
)
def test_a_bad_setting_is_refused_and_changes_nothing(settings):
    faults = ProviderFaults(share=0.2)
    before = faults.as_json()
    with pytest.raises(ValueError):
        faults.configure(**settings)
    assert faults.as_json() == before
