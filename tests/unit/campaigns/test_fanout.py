"""The fan-out (issue 15 part 4): windows of the sender's throughput, local time per zone group, bounded
reads, resumable steps, the holdout recorded and never texted. Time is simulated: each step runs at the
instant its predecessor asked for (`wait_until`), as the cursor message's delay makes it run."""

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from smsflows.domain.campaigns import campaign as C
from smsflows.domain.campaigns import fanout as F
from smsflows.domain.campaigns.segments import SegmentMember, parse_segment
from smsflows.domain.registration import Throughput
from smsflows.domain.shops import ShopConfig

SHOP = "demo-shop.myshopify.com"
TOLL_FREE = ShopConfig(shop=SHOP, brand_name="Demo Shop")  # 3 MPS x 0.96 = 2.88 segments/s
FIVE = ShopConfig(
    shop=SHOP, brand_name="Demo Shop", throughput=Throughput(segments_per_second=5.0, headroom=1.0)
)
MONDAY_9_ET = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
EVERYONE = parse_segment({"subscribed": True})
ET, CT, PT = "America/New_York", "America/Chicago", "America/Los_Angeles"


def campaign(**overrides):
    args = {"name": "Black Friday", "variants": {"A": "Demo Shop: 20% off. Reply STOP to opt out."},
            "now": MONDAY_9_ET - timedelta(days=1), "by": "ops", "segment": "everyone"}  # fmt: skip
    args.update(overrides)
    made, _ = C.create(TOLL_FREE, **args)
    return made


def member(i, *zones, status="subscribed", **fields):
    return SegmentMember(
        phone=f"+1512555{i:04d}", status=status, candidate_zones=frozenset(zones or (CT,)), **fields
    )


class Pages:
    """Members by shard, paged in key order like the by_segment index; records every read's limit."""

    def __init__(self, members, shards=4):
        self.shards = shards
        self.by_shard = [sorted((m for m in members if int(m.phone[-4:]) % shards == s), key=lambda m: m.phone)
                         for s in range(shards)]  # fmt: skip
        self.limits = []

    def __call__(self, shard, cursor, limit):
        self.limits.append(limit)
        rows = self.by_shard[shard]
        start = int(cursor["i"]) if cursor else 0
        page = rows[start : start + limit]
        end = start + len(page)
        return page, ({"i": str(end)} if end < len(rows) else None)


def run_all(made, members, config=TOLL_FREE, start=MONDAY_9_ET, shards=4, crash_every=0, max_steps=10_000):
    """Every step until done; returns (texts as (due, message), assignments, steps, final progress)."""
    pages = Pages(members, shards)
    progress, now = F.Progress(), start
    texts, rows, steps = [], [], 0
    while not progress.done:
        steps += 1
        assert steps < max_steps, "the run does not end"
        result = F.step(made, F.ONCE, progress, pages, shards, config, now, segment=EVERYONE)
        if crash_every and steps % crash_every == 0:
            # the texts were queued, then the step died before the progress moved: it runs again
            texts += [(now + timedelta(seconds=r.delay_s), r.message) for r in result.releases]
            result = F.step(made, F.ONCE, progress, pages, shards, config, now, segment=EVERYONE)
        texts += [(now + timedelta(seconds=r.delay_s), r.message) for r in result.releases]
        rows += result.assignments
        progress = result.progress
        if progress.wait_until is not None:
            now = max(now, progress.wait_until)
    return texts, rows, steps, progress, pages


def test_a_run_releases_everyone_once_at_exactly_the_senders_rate():
    members = [member(i) for i in range(1000)]
    texts, _, steps, progress, _ = run_all(campaign(), members)
    assert len(texts) == 1000 and len({m.to for _, m in texts}) == 1000
    assert progress.enqueued == progress.targeted == 1000 and progress.held_out == 0
    dues = sorted(due for due, _ in texts)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(dues)]
    assert len(gaps) == 999
    # never faster than the rate the sender paces to, and no gap: one text every 1/2.88 s
    assert min(gaps) == pytest.approx(1 / 2.88) and max(gaps) == pytest.approx(1 / 2.88)
    assert dues[0] == MONDAY_9_ET
    assert progress.finished_at == dues[-1] + timedelta(seconds=1 / 2.88)
    # windows of about two minutes: 1,000 texts at 2.88/s is 347 s, so three windows (and a last read)
    assert 3 <= steps <= 5


def test_no_text_is_queued_more_than_a_window_ahead_and_reads_are_bounded():
    members = [member(i) for i in range(3000)]
    pages = Pages(members)
    progress, now, ahead = F.Progress(), MONDAY_9_ET, []
    while not progress.done:
        result = F.step(campaign(), F.ONCE, progress, pages, 4, FIVE, now, segment=EVERYONE)
        ahead += [r.delay_s for r in result.releases]
        assert result.progress.read - progress.read <= F.MAX_READ
        progress = result.progress
        now = max(now, progress.wait_until or now)
    assert len(ahead) == 3000
    assert max(ahead) <= F.WINDOW_S + 1 / 5.0
    assert pages.limits and max(pages.limits) <= F.PAGE_LIMIT


def test_the_holdout_is_recorded_and_never_texted_and_the_split_follows_the_weights():
    made = campaign(variants={"A": "Demo Shop: 20% off. Reply STOP to opt out.",
                              "B": "Demo Shop: a gift with every order. Reply STOP to opt out."},
                    weights={"A": 50, "B": 50}, holdout=0.1)  # fmt: skip
    members = [member(i) for i in range(2000)]
    texts, rows, _, progress, _ = run_all(made, members)
    held = [r for r in rows if r.group == "holdout"]
    assert len(rows) == 2000 and {r.phone for r in rows} == {m.phone for m in members}
    assert progress.held_out == len(held) and progress.enqueued == len(texts) == 2000 - len(held)
    assert not {r.phone for r in held} & {m.to for _, m in texts}
    # 10 % +- 3 sigma (sigma = sqrt(2000 * 0.1 * 0.9) = 13.4)
    assert abs(len(held) - 200) <= 40
    a = sum(1 for _, m in texts if "20% off" in m.body)
    assert abs(a - len(texts) / 2) <= 3 * (len(texts) * 0.25) ** 0.5
    assert progress.variants == {"A": a, "B": len(texts) - a}


def test_texts_carry_the_campaign_the_run_and_an_idempotent_id():
    made = campaign(not_after=MONDAY_9_ET + timedelta(days=1), smart_sending_hours=12)
    texts, *_ = run_all(made, [member(1)])
    ((_, text),) = texts
    assert text.message_id == F.message_id(made.id, F.ONCE, SHOP, "+15125550001")
    assert F.parse_message_id(text.message_id) == (made.id, F.ONCE)
    assert (text.campaign, text.run, text.flow, text.category) == (made.id, F.ONCE, F.FLOW, "marketing")
    assert text.smart_sending_hours == 12 and text.not_after == made.not_after
    assert text.body.startswith("Demo Shop:") and "STOP" in text.body


def test_a_step_run_twice_queues_the_same_ids_so_the_sender_drops_the_repeat():
    members = [member(i) for i in range(700)]
    texts, _, _, progress, _ = run_all(campaign(), members, crash_every=2)
    ids = [m.message_id for _, m in texts]
    assert len(ids) > 700  # the repeated steps queued their texts twice ...
    assert len(set(ids)) == 700 == progress.enqueued  # ... under the same ids, and the counts are once


def test_a_local_time_campaign_releases_each_zone_group_at_10_in_its_latest_zone():
    made = campaign(send_at=C.SendAt.local(time(10, 0), date(2026, 11, 23)))
    members = [member(i, ET) for i in range(0, 30)] + [member(i, CT) for i in range(30, 60)]
    members += [member(i, PT) for i in range(60, 90)] + [member(i, ET, CT) for i in range(90, 120)]
    start = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # the schedule fires at 10:00 ET, the earliest group
    texts, _, _, progress, _ = run_all(made, members, start=start)
    assert len(texts) == 120 and progress.enqueued == 120
    zones = {m.phone: m.candidate_zones for m in members}
    for due, text in texts:
        for zone in zones[text.to]:
            local = due.astimezone(ZoneInfo(zone))
            assert (local.date(), local.time()) >= (date(2026, 11, 23), time(10, 0)), (text.to, zone, local)
    first = {}
    for due, text in texts:
        key = tuple(sorted(zones[text.to]))
        first[key] = min(first.get(key, due), due)
    assert first[(ET,)] == start
    # the Miami number with a Texas address goes with Chicago: both groups in the pass that starts at 10:00 CT
    assert min(first[(CT,)], first[(CT, ET)]) == start + timedelta(hours=1)
    assert max(first[(CT,)], first[(CT, ET)]) < start + timedelta(hours=1, seconds=30)
    assert first[(PT,)] == start + timedelta(hours=3)


def test_members_the_segment_does_not_hold_are_read_but_not_targeted():
    made = campaign()
    members = [member(i) for i in range(50)] + [member(i, status="unsubscribed") for i in range(50, 80)]
    vip = parse_segment({"tags": {"any": ["vip"]}})
    members += [replace(member(i), tags=frozenset({"vip"})) for i in range(80, 90)]
    pages = Pages(members)
    progress, now, texts = F.Progress(), MONDAY_9_ET, []
    while not progress.done:
        result = F.step(made, F.ONCE, progress, pages, 4, TOLL_FREE, now, segment=vip)
        texts += result.releases
        progress = result.progress
        now = max(now, progress.wait_until or now)
    assert progress.read == 90 and progress.targeted == 10
    assert sorted(r.message.to for r in texts) == [f"+1512555{i:04d}" for i in range(80, 90)]


def test_an_expired_campaign_stops_releasing():
    made = campaign(not_after=MONDAY_9_ET + timedelta(seconds=150))
    texts, _, _, progress, _ = run_all(made, [member(i) for i in range(1000)])
    assert progress.done and progress.expired
    assert 0 < len(texts) < 1000
    assert all(m.not_after == made.not_after for _, m in texts)


def test_an_early_cursor_waits_without_reading():
    made = campaign(send_at=C.SendAt.local(time(10, 0), date(2026, 11, 23)))
    pages = Pages([member(1, PT)])
    start = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    first = F.step(made, F.ONCE, F.Progress(), pages, 4, TOLL_FREE, start, segment=EVERYONE)
    assert first.releases == () and first.progress.wait_until == datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
    reads = len(pages.limits)
    again = F.step(
        made, F.ONCE, first.progress, pages, 4, TOLL_FREE, start + timedelta(minutes=15), segment=EVERYONE
    )
    assert again.progress == first.progress and len(pages.limits) == reads


def test_progress_survives_its_stored_form():
    _, _, _, progress, _ = run_all(campaign(), [member(i) for i in range(20)])
    assert F.Progress.from_dict(progress.to_dict()) == progress
    middle = F.step(campaign(), F.ONCE, F.Progress(), Pages([member(i) for i in range(2000)]), 4, TOLL_FREE,
                    MONDAY_9_ET, segment=EVERYONE).progress  # fmt: skip
    assert middle.after is not None and F.Progress.from_dict(middle.to_dict()) == middle


def test_message_ids_of_other_messages_are_not_campaign_ones():
    for mid in ("order:123", "cmp::once:x", "cmp:a:b", "x:a:b:c"):
        assert F.parse_message_id(mid) is None


def test_the_shop_link_carries_the_campaigns_utm_parameters():
    made = campaign(
        variants={"A": "Demo Shop: 20% off at {shop_url} Reply STOP to opt out."}, utm_campaign="bf26"
    )
    made = made.model_copy(update={"shop_url": "https://demo-shop.example"})
    (text,) = F.texts_of(made).values()
    assert "https://demo-shop.example?utm_source=smsflows&utm_medium=sms&utm_campaign=bf26" in text
