"""A campaign on a Shopify customer segment, end to end under moto: the real Admin API adapter against the fake
Shopify on loopback, release_campaign and send_message run by the local runtime. The segment's members are
materialised in bounded steps, then exactly the members subscribed in smsflows are texted (whatever Shopify's
marketing state says); members without a phone, with an invalid one, opted out or never subscribed are
skipped, and a subscriber outside the segment is not texted. Access denied mid-run pauses the campaign with
the reason and texts nobody; `campaign resume` goes on once the access is back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from smsflows.domain.campaigns import shopify_segments
from smsflows.domain.consent.ledger import ConsentEvent, SubscriberState, apply
from smsflows.local.fake_shopify import FakeShopify
from smsflows.local.provision import LOCAL_SHOPIFY_ADMIN_TOKEN
from tests.integration.conftest import SHOP, sqs_event

SEGMENT = 210588551
GID = f"gid://shopify/Segment/{SEGMENT}"
SUBSCRIBED = [f"+1512555{7100 + i:04d}" for i in range(5)]
OPTED_OUT, NEVER, OUTSIDE = "+15125557200", "+15125557201", "+15125557202"


@pytest.fixture
def shopify(cloud: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeShopify]:
    from smsflows.runtime import deps as deps_module

    fake = FakeShopify(clock=lambda: deps_module.get_deps().clock()).start()
    fake.add_token(SHOP, LOCAL_SHOPIFY_ADMIN_TOKEN)
    monkeypatch.setenv("SMSFLOWS_SHOPIFY_API_BASE", fake.base_url)
    deps_module.get_deps.cache_clear()
    try:
        yield fake
    finally:
        fake.stop()
        deps_module.get_deps.cache_clear()


def consent(phone: str, kind: str, minutes: int = 0) -> None:
    from smsflows.runtime.deps import get_deps

    deps = get_deps()
    state = deps.consent_store.state(SHOP, phone) or SubscriberState(shop=SHOP, phone=phone)
    event = ConsentEvent(event_id=f"{kind}-{phone}", shop=SHOP, phone=phone, kind=kind, source="keyword",
                         at=deps.clock() - timedelta(days=3, minutes=-minutes), message_sid=f"SM{kind}{phone[1:]}",
                         message_body="JOIN" if kind == "opt_in" else "STOP")  # fmt: skip
    assert deps.consent_store.append(event, apply(state, event), state.version) == "ok"


@pytest.fixture
def vip(cloud: Any, shopify: FakeShopify) -> str:
    """The shop's subscribers, and a Shopify segment of some of them and of customers smsflows cannot text."""
    for phone in [*SUBSCRIBED, OPTED_OUT, OUTSIDE]:
        consent(phone, "opt_in")
    consent(OPTED_OUT, "opt_out", minutes=5)
    no_phone = shopify.add_customer(SHOP, email="grace@example.com")
    invalid = shopify.add_customer(SHOP, phone="12345")
    shared = shopify.add_customer(SHOP, phone=SUBSCRIBED[0])  # a second customer with the same phone
    members = [*SUBSCRIBED, OPTED_OUT, NEVER, no_phone, invalid, shared]
    assert shopify.add_segment(SHOP, "VIP", members, "amount_spent > 500", segment_id=SEGMENT) == GID
    shopify.add_segment(SHOP, "Everyone else", [OUTSIDE])
    return GID


def segment() -> None:
    from smsflows.admin import segments

    made = segments.segment_create(SHOP, "vip", shopify_segment=str(SEGMENT), by="ops")
    assert (made["source"], made["shopify"]) == (
        "shopify",
        {"id": GID, "name": "VIP", "query": "amount_spent > 500"},
    )


def campaign() -> str:
    from smsflows.admin import campaigns, segments

    if segments.segments().get(SHOP, "vip") is None:
        segment()
    created = campaigns.campaign_create(SHOP, name="VIP night", text="Demo Shop: VIP night, 30% off.",
                                        segment="vip", by="ops")  # fmt: skip
    return str(created["id"])


def _waiting_cursors(cloud: Any) -> int:
    """Cursors on the campaign queue not yet visible: delayed (a window paced out) or in flight."""
    attrs = cloud.client("sqs").get_queue_attributes(
        QueueUrl=cloud.res.queue_urls["campaign_queue"],
        AttributeNames=["ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(v) for v in attrs.values())


def drive(cloud: Any) -> list[dict[str, Any]]:
    """Run every cursor on the campaign queue (through the local runtime) until none is left, waiting for one
    a step delayed (the next window at the sender's pace: seconds), then send every text queued."""
    from tests.waiting import wait_until

    results = []
    while True:
        bodies = cloud.queue_bodies("campaign_queue")
        if not bodies:
            if not _waiting_cursors(cloud):
                break
            bodies = wait_until(lambda: cloud.queue_bodies("campaign_queue"), what="the delayed campaign cursor",
                                timeout=60)  # fmt: skip
        for body in bodies:
            results.append(cloud.invoke("release_campaign", sqs_event(body)))
    texts = cloud.queue_bodies("send_queue")
    for i in range(0, len(texts), 10):
        assert cloud.invoke("send_message", sqs_event(*texts[i : i + 10])) == {"batchItemFailures": []}
    return results


def test_a_campaign_on_a_shopify_segment_texts_exactly_its_subscribed_members(
    cloud, shopify, vip, monkeypatch
):
    from smsflows.admin import campaigns, segments

    segment()
    counted = segments.segment_count(SHOP, "vip")
    assert counted["total"] == len(SUBSCRIBED) and counted["source"] == "shopify"
    assert {k: counted["shopify"][k] for k in ("shopify_total", "not_subscribed", "no_phone", "invalid_phone")} == {
        "shopify_total": 10, "not_subscribed": 2, "no_phone": 1, "invalid_phone": 1,
    }  # fmt: skip

    monkeypatch.setattr(shopify_segments, "MAX_REFRESH", 4)  # several bounded refresh steps
    monkeypatch.setattr(shopify_segments, "PAGE_SIZE", 3)
    cid = campaign()
    preview = campaigns.campaign_preview(SHOP, cid)
    assert preview["audience"] == len(SUBSCRIBED) and any(
        "5 of its 10 members are not texted (2 not subscribed in smsflows, 1 without a phone, 1 with an invalid"
        in w
        for w in preview["warnings"]
    )
    scheduled = campaigns.campaign_transition(SHOP, cid, "schedule", by="ops")
    assert scheduled["estimate"]["audience"] == len(SUBSCRIBED)  # the preview counted Shopify's members

    results = drive(cloud)
    assert all(r == {"batchItemFailures": []} for r in results) and len(results) >= 4
    sent = [m for m in cloud.twilio.outbox() if "VIP night" in m["body"]]
    assert sorted(m["to"] for m in sent) == sorted(
        SUBSCRIBED
    )  # each once; nobody outside, opted out, unknown

    shown = campaigns.campaign_show(SHOP, cid)
    assert shown["state"] == "completed" and shown["counts"]["sent"] == len(SUBSCRIBED)
    assert shown["runs"][0]["shopify"]["done"] and shown["runs"][0]["shopify"]["no_phone"] == 1
    run = cloud.items(f"CAMPAIGN#{SHOP}")
    progress = json.loads(next(i for i in run if i["sk"].startswith("RUN#"))["progress"])
    refresh = progress["shopify"]
    assert refresh["done"] and (refresh["members"], refresh["no_phone"], refresh["invalid_phone"]) == (
        10,
        1,
        1,
    )
    materialised = cloud.items(f"SHOPSEG#{SHOP}#{cid}#once")
    assert sorted(i["phone"] for i in materialised) == sorted([*SUBSCRIBED, OPTED_OUT, NEVER])
    assert all(
        i["shop"] == SHOP and i["expires_at"] > 0 and i["gsi1pk"].startswith("PHONE#") for i in materialised
    )
    asked = [c for c in shopify.calls if c["field"] == "customerSegmentMembers"]
    assert len(asked) >= 10 // 3 + 1 and all(c["status"] == "ok" for c in asked)  # paged, never refused


def test_access_denied_during_the_run_pauses_the_campaign_and_resume_goes_on(cloud, shopify, vip):
    from smsflows.admin import campaigns

    cid = campaign()
    campaigns.campaign_transition(SHOP, cid, "schedule", by="ops")
    shopify.add_token(
        SHOP, "shpat_another-token"
    )  # Shopify now refuses the stored token: 401, re-read, denied
    assert drive(cloud) == [{"batchItemFailures": []}]  # not retried: it cannot mend by itself
    shown = campaigns.campaign_show(SHOP, cid)
    assert shown["state"] == "paused" and GID in (shown["paused_because"] or "")
    assert [m for m in cloud.twilio.outbox() if "VIP night" in m["body"]] == []

    shopify.add_token(SHOP, LOCAL_SHOPIFY_ADMIN_TOKEN)  # the shop reconnected
    assert campaigns.campaign_transition(SHOP, cid, "resume", by="ops")["state"] == "scheduled"
    drive(cloud)
    sent = [m for m in cloud.twilio.outbox() if "VIP night" in m["body"]]
    assert sorted(m["to"] for m in sent) == sorted(SUBSCRIBED)
    assert campaigns.campaign_show(SHOP, cid)["state"] == "completed"


def test_a_customer_redaction_erases_their_materialised_membership_and_the_runs_place(cloud, shopify, vip):
    from smsflows.adapters.campaigns import DynamoCampaignRuns
    from smsflows.adapters.shopify_segment_members import DynamoShopifySegmentMembers
    from smsflows.domain import keys
    from smsflows.domain.campaigns.fanout import Progress
    from smsflows.runtime.deps import get_deps

    deps = get_deps()
    table = deps.settings.table_name
    members = DynamoShopifySegmentMembers(cloud.client("dynamodb"), table)
    members.write(SHOP, "cmp_x", "once", SUBSCRIBED[:3], deps.clock() + timedelta(days=30))
    _, place = members.page(SHOP, "cmp_x", "once", None, 2)  # a run paused mid-way: its place names a phone
    assert place == {"pk": f"SHOPSEG#{SHOP}#cmp_x#once", "sk": f"PHONE#{SUBSCRIBED[1]}"}
    runs = DynamoCampaignRuns(cloud.client("dynamodb"), table)
    assert runs.advance(
        SHOP, "cmp_x", "once", 0, Progress(step=3, after=place, shopify={"segment_id": GID, "done": True})
    )

    deps.privacy.store.erase_subject(SHOP, None, [SUBSCRIBED[1]], [])
    left = cloud.items(keys.shopify_segment_member(SHOP, "cmp_x", "once", "")["pk"])
    assert sorted(i["phone"] for i in left) == [SUBSCRIBED[0], SUBSCRIBED[2]]
    after = runs.get(SHOP, "cmp_x", "once")[0].after
    assert after is not None and SUBSCRIBED[1] not in json.dumps(after)
    # the run goes on from just before where it was: a phone read again is texted once (the message id)
    page, _ = members.page(SHOP, "cmp_x", "once", after, 10)
    assert [m.phone for m in page][-1:] == [SUBSCRIBED[2]] and SUBSCRIBED[1] not in [m.phone for m in page]
