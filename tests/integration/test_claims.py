"""README claims held by the DynamoDB side, each by a test that a one-token change would fail:

- status callbacks in any order: a late "sent" never overwrites "delivered" (checked after every callback,
  not only at the end: a status that flips back and forth would end where it started);
- the STOP race, second half: the claim checks the consent *version* it read, so a STOP and a new opt-in
  between the sender's read and its claim refuse the claim although the number is subscribed again;
- pacing never above the rate with concurrent senders sharing one bucket (three containers, one sender).
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime

import pytest

from smsflows.adapters.pacing_store import DynamoTokenBuckets
from smsflows.domain.messages import OutboundMessage
from smsflows.domain.registration import Throughput
from smsflows.domain.sending.pacing import Pacer
from smsflows.ports import SendConditions
from tests.integration.conftest import SHOP, inbound_params, twilio_event
from tests.integration.test_status_callbacks import callback, message_item, sent_message

PHONE = "+15125550123"
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def delivery_status(cloud) -> str:
    return message_item(cloud)["delivery_status"]


def test_a_late_status_never_moves_a_message_back(cloud, monkeypatch):
    sms = sent_message(cloud, monkeypatch)
    assert callback(cloud, sms, "sending")["statusCode"] == 200
    assert delivery_status(cloud) == "sending"
    assert callback(cloud, sms, "delivered")["statusCode"] == 200
    assert delivery_status(cloud) == "delivered"
    for late in ("sent", "sending", "queued", "accepted"):
        assert callback(cloud, sms, late)["statusCode"] == 200
        assert delivery_status(cloud) == "delivered", late
    assert callback(cloud, sms, "read")["statusCode"] == 200  # a later status still moves it forward
    assert delivery_status(cloud) == "read"


def test_a_failure_is_final_against_a_late_sent(cloud, monkeypatch):
    sms = sent_message(cloud, monkeypatch)
    callback(cloud, sms, "failed", error=30007)
    callback(cloud, sms, "sent")
    item = message_item(cloud)
    assert (item["delivery_status"], item["delivery_error"]) == ("failed", 30007)


def inbound(cloud, body, sid):
    assert cloud.invoke("twilio_inbound", twilio_event(inbound_params(body, sid)))["statusCode"] == 200


def marketing(message_id: str) -> OutboundMessage:
    return OutboundMessage(message_id=message_id, shop=SHOP, to=PHONE, category="marketing", flow="welcome",
                           body="Demo Shop: 10% off. Reply STOP to opt out", created_at=NOW)  # fmt: skip


def test_the_claim_refuses_a_stale_consent_version_even_when_the_number_is_subscribed_again(cloud):
    from smsflows.runtime.deps import get_deps

    log = get_deps().message_log
    inbound(cloud, "JOIN", "SM-1")
    read = log.snapshot(SHOP, PHONE).state
    assert read is not None and read.status == "subscribed"
    inbound(cloud, "STOP", "SM-2")  # between the sender's read and its claim ...
    inbound(cloud, "JOIN", "SM-3")  # ... and subscribed again
    now = log.snapshot(SHOP, PHONE).state
    assert now is not None and now.status == "subscribed" and now.version == read.version + 2

    stale = SendConditions(state_version=read.version, require_subscribed=True)
    assert log.begin(marketing("m-stale"), NOW, stale) == "consent_changed"
    assert log.claim("m-stale") is None  # refused whole: no claim left behind
    fresh = SendConditions(state_version=now.version, require_subscribed=True)
    assert log.begin(marketing("m-fresh"), NOW, fresh) is None
    assert log.claim("m-fresh")["state"] == "sending"


def test_the_claim_refuses_a_number_that_is_not_subscribed_whatever_the_version(cloud):
    from smsflows.runtime.deps import get_deps

    log = get_deps().message_log
    inbound(cloud, "JOIN", "SM-1")
    inbound(cloud, "STOP", "SM-2")
    state = log.snapshot(SHOP, PHONE).state
    assert state is not None and state.status == "unsubscribed"
    current = SendConditions(state_version=state.version, require_subscribed=True)
    assert log.begin(marketing("m-1"), NOW, current) == "consent_changed"
    transactional = marketing("m-2").model_copy(update={"category": "transactional"})
    assert log.begin(transactional, NOW, SendConditions(forbid_unsubscribed=True)) == "consent_changed"


class Wall:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize("containers", [2, 3])
def test_containers_sharing_one_dynamodb_bucket_never_exceed_the_rate(cloud, containers):
    from smsflows.runtime.deps import get_deps

    buckets = DynamoTokenBuckets(get_deps().client("dynamodb"), cloud.res.env["TABLE_NAME"])
    wall = Wall(1_000.0)
    pacers = [Pacer(buckets, wall=wall) for _ in range(containers)]  # one per container, one bucket
    rate = Throughput(segments_per_second=10, headroom=1.0)
    sends: list[float] = []
    for i in range(60):  # interleaved: every container leases blocks from the same bucket
        decision = pacers[i % containers].acquire("MG-shared", "brand", rate, 1, "transactional", NOW)
        assert decision.send_at is not None, decision
        sends.append(decision.send_at)
    sends.sort()
    assert len(sends) == 60 and len(set(sends)) == 60  # no slot handed out twice
    worst = max(sum(1 for s in sends if start <= s < start + 1) for start in sends)
    assert worst <= 10
    assert sends[-1] - sends[0] >= 59 / 10 - 1e-6  # 60 texts at 10/s take at least 5.9 s
    gaps = [b - a for a, b in itertools.pairwise(sends)]
    assert min(gaps) >= 1 / 10 - 1e-6, json.dumps(sends)
