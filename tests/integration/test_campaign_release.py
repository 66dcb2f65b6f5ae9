"""release_campaign and send_message through the real adapters (moto) and the fake Twilio: a campaign whose
release step dies after queueing its texts (before its progress is written) is retried by SQS and resumes
with no second text to anyone; an early cursor waits on the campaign queue without releasing anyone."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from smsflows.domain.consent.ledger import ConsentEvent, SubscriberState, apply
from tests.integration.conftest import SHOP, sqs_event

PHONES = [f"+1512555{7000 + i:04d}" for i in range(30)]


def subscribe(cloud: Any, phones: list[str]) -> None:
    """Keyword opt-ins as the consent writer records them: each member in the segment index."""
    from smsflows.runtime.deps import get_deps

    deps = get_deps()
    for phone in phones:
        event = ConsentEvent(event_id=f"SM{phone[1:]}", shop=SHOP, phone=phone, kind="opt_in", source="keyword",
                             at=deps.clock() - timedelta(days=3), message_sid=f"SM{phone[1:]}", message_body="JOIN")  # fmt: skip
        deps.consent_store.append(event, apply(SubscriberState(shop=SHOP, phone=phone), event), 0)


@pytest.fixture
def campaign(cloud: Any, tmp_path: Any) -> Any:
    from smsflows.admin import campaigns

    subscribe(cloud, PHONES)
    doc = tmp_path / "everyone.json"
    doc.write_text('{"subscribed": true}')

    def make(**extra: Any) -> str:
        made = campaigns.campaign_create(SHOP, name="Winter sale", text="Demo Shop: WINTER20 today.",
                                         segment_file=str(doc), by="ops", **extra)  # fmt: skip
        return str(made["id"])

    return make


def step(cloud: Any) -> dict[str, Any]:
    bodies = cloud.queue_bodies("campaign_queue")
    assert bodies, "no campaign cursor queued"
    return cloud.invoke("release_campaign", sqs_event(*bodies))


def test_a_step_that_dies_after_queueing_its_texts_resumes_without_a_second_text(
    cloud, campaign, monkeypatch
):
    from smsflows.adapters.campaigns import DynamoCampaignRuns
    from smsflows.admin import campaigns

    cid = campaign()
    campaigns.campaign_transition(SHOP, cid, "schedule", by="ops")
    cursor = cloud.queue_bodies("campaign_queue")
    assert [json.loads(b)["step"] for b in cursor] == [0]

    real = DynamoCampaignRuns.advance
    monkeypatch.setattr(DynamoCampaignRuns, "advance",
                        lambda *a, **k: (_ for _ in ()).throw(RuntimeError("the function timed out")))  # fmt: skip
    failed = cloud.invoke("release_campaign", sqs_event(*cursor))
    assert len(failed["batchItemFailures"]) == 1  # SQS delivers the cursor again
    first = cloud.queue_bodies("send_queue")
    assert len(first) == len(PHONES)  # the texts went out before the step died

    monkeypatch.setattr(DynamoCampaignRuns, "advance", real)
    assert cloud.invoke("release_campaign", sqs_event(*cursor, receive_count=2)) == {"batchItemFailures": []}
    second = cloud.queue_bodies("send_queue")
    assert sorted(json.loads(b)["message_id"] for b in second) == sorted(
        json.loads(b)["message_id"] for b in first
    )

    for bodies in (first, second):
        for i in range(0, len(bodies), 10):
            assert cloud.invoke("send_message", sqs_event(*bodies[i : i + 10])) == {"batchItemFailures": []}
    sent = [m for m in cloud.twilio.outbox() if "WINTER20" in m["body"]]
    assert sorted(m["to"] for m in sent) == sorted(PHONES)  # each once, the repeats dropped by the claim
    shown = campaigns.campaign_show(SHOP, cid)
    assert shown["state"] == "completed"
    assert (shown["counts"]["targeted"], shown["counts"]["enqueued"], shown["counts"]["sent"]) == (30, 30, 30)
    assert cloud.queue_bodies("campaign_queue") == []  # a one-step run queues no successor


def test_an_early_cursor_waits_on_the_campaign_queue_and_releases_nobody(cloud, campaign):
    from smsflows.admin import campaigns
    from smsflows.domain.campaigns import release
    from smsflows.runtime.deps import get_deps

    at = get_deps().clock() + timedelta(hours=2)
    cid = campaign(at=at.isoformat())
    campaigns.campaign_transition(SHOP, cid, "schedule", by="ops")
    assert cloud.queue_bodies("campaign_queue") == []  # its schedule fires at the send time
    group = json.loads(cloud.res.env["SMSFLOWS_CAMPAIGN_SCHEDULER"])["group"]
    assert len(cloud.client("scheduler").list_schedules(GroupName=group)["Schedules"]) == 1
    # SQS delivering the first cursor early (or a replay from the DLQ): the step waits in 15-minute hops
    early = json.dumps(release.cursor(SHOP, cid, "once", 0))
    assert cloud.invoke("release_campaign", sqs_event(early)) == {"batchItemFailures": []}
    assert cloud.queue_bodies("send_queue") == []
    attrs = cloud.client("sqs").get_queue_attributes(
        QueueUrl=cloud.res.queue_urls["campaign_queue"], AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "1"  # the same cursor, back in 15 minutes
    assert campaigns.campaign_show(SHOP, cid)["state"] == "scheduled"  # nothing was released: not sending yet
