"""A campaign run driven by its cursor messages (domain/campaigns/release.py), every port a fake: the
campaign's state moves scheduled → sending → completed, a duplicated or stale cursor does nothing, a step
that dies anywhere resumes without a second text to anyone, paused and cancelled campaigns release nothing,
and a malformed cursor is refused."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smsflows.domain.campaigns import campaign as C
from smsflows.domain.campaigns import release as R
from smsflows.domain.campaigns.fanout import ONCE
from smsflows.domain.campaigns.segments import SegmentMember
from smsflows.runtime.errors import BadRequest
from tests.fakes import FakeCampaignRuns, FakeCampaigns, FakeShopConfigs, MovableClock, onboarded_shop

SHOP = "demo-shop.myshopify.com"
CONFIG = onboarded_shop(SHOP, throughput={"sender_type": "toll_free"})  # 2.88 segments/s
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


class Members:
    shards = 3

    def __init__(self, n: int) -> None:
        self.rows = [SegmentMember(phone=f"+1512555{i:04d}", status="subscribed",
                                   candidate_zones=frozenset({"America/Chicago"})) for i in range(n)]  # fmt: skip

    def page(self, shop: str, shard: int, cursor: Any, limit: int) -> Any:
        assert shop == SHOP
        mine = [m for i, m in enumerate(self.rows) if i % self.shards == shard]
        start = int(cursor["i"]) if cursor else 0
        end = min(len(mine), start + limit)
        return mine[start:end], ({"i": str(end)} if end < len(mine) else None)


@dataclass
class World:
    deps: R.ReleaseDeps
    clock: MovableClock
    campaigns: FakeCampaigns
    runs: FakeCampaignRuns
    texts: list[tuple[dict[str, Any], int]] = field(default_factory=list)
    cursors: list[tuple[dict[str, Any], int]] = field(default_factory=list)

    def drive(self, limit: int = 1000, fail: Any = None) -> list[R.StepOutcome]:
        """Deliver cursor messages in order, the clock moved by each one's delay, until none is left."""
        outcomes = []
        while self.cursors and len(outcomes) < limit:
            body, delay = self.cursors.pop(0)
            self.clock.now += timedelta(seconds=delay)
            try:
                outcomes.append(R.handle(body, self.deps))
            except RuntimeError:
                self.cursors.insert(0, (body, 0))  # the record failed: SQS delivers it again
                outcomes.append(R.StepOutcome("failed"))
        return outcomes


def world(n: int = 600, **campaign: Any) -> World:
    clock = MovableClock(NOW)
    campaigns, runs = FakeCampaigns(), FakeCampaignRuns()
    made, _ = C.create(CONFIG, name="Black Friday", variants={"A": "Demo Shop: 20% off. Reply STOP to opt out."},
                       segment_doc={"subscribed": True}, now=NOW - timedelta(days=1), by="ana", **campaign)  # fmt: skip
    campaigns.put(made.transition("scheduled", "ana", NOW - timedelta(hours=1)))
    w = World(R.ReleaseDeps(campaigns=campaigns, runs=runs, members=Members(n), segments=None,
                            shops=FakeShopConfigs(CONFIG), send=lambda texts: w.texts.extend(texts),
                            requeue=lambda body, delay: w.cursors.append((dict(body), delay)), clock=clock),
              clock, campaigns, runs)  # fmt: skip
    w.cursors.append((R.cursor(SHOP, made.id, ONCE, 0), 0))
    w.id = made.id  # type: ignore[attr-defined]
    return w


def test_a_run_goes_scheduled_sending_completed_and_texts_everyone_once():
    w = world(600)
    outcomes = w.drive()
    assert [o.outcome for o in outcomes][-1] == "done"
    assert sum(o.released for o in outcomes) == 600 == len(w.texts)
    assert len({t["to"] for t, _ in w.texts}) == 600
    made, _ = w.campaigns.get(SHOP, w.id)
    assert [(h.from_state, h.to_state, h.by) for h in made.history][-2:] == [
        ("scheduled", "sending", "release_campaign"),
        ("sending", "completed", "release_campaign"),
    ]
    progress, _ = w.runs.get(SHOP, w.id, ONCE)
    assert progress.done and progress.enqueued == 600 and progress.targeted == 600
    rows, _ = w.runs.assignments(SHOP, w.id)
    assert len(rows) == 600
    # every cursor waited for its window: 600 texts at 2.88/s take 208 s; no window is released early
    assert all(delay <= 120 for _, delay in w.texts)
    assert w.clock.now - NOW >= timedelta(seconds=600 / 2.88 - 120)


def test_a_duplicated_cursor_is_stale_and_changes_nothing():
    w = world(1000)
    w.drive(limit=1)
    w.cursors.insert(0, (R.cursor(SHOP, w.id, ONCE, 0), 0))  # SQS delivers step 0 once more, after it ran
    outcomes = w.drive()
    assert [o.outcome for o in outcomes].count("stale") == 1
    assert len(w.texts) == 1000 == len({t["message_id"] for t, _ in w.texts})  # no text queued twice


def test_a_step_that_dies_after_queueing_runs_again_under_the_same_message_ids():
    w = world(400)
    runs = w.runs
    real_advance = runs.advance
    failures = {"left": 1}

    def dying(*args: Any, **kwargs: Any) -> bool:
        if failures["left"] and args[3] == 1:
            failures["left"] -= 1
            raise RuntimeError("the function timed out before the progress was written")
        return real_advance(*args, **kwargs)

    runs.advance = dying  # type: ignore[method-assign]
    outcomes = w.drive()
    assert "failed" in [o.outcome for o in outcomes] and outcomes[-1].outcome == "done"
    ids = [t["message_id"] for t, _ in w.texts]
    assert len(ids) > 400 and len(set(ids)) == 400  # the sender's claim drops the repeats
    assert w.runs.get(SHOP, w.id, ONCE)[0].enqueued == 400


def test_a_step_that_dies_after_its_progress_is_written_requeues_its_successor():
    w = world(400)
    real = w.deps.requeue
    dropped = {"left": 1}

    def lost(body: Any, delay: int) -> None:
        if dropped["left"] and body["step"] == 1:
            dropped["left"] -= 1
            raise RuntimeError("SQS send failed after the progress moved")
        real(body, delay)

    w.deps.requeue = lost
    outcomes = w.drive()
    assert [o.outcome for o in outcomes].count("stale") == 1  # the redelivered step 1 re-queued step 2
    assert outcomes[-1].outcome == "done" and len({t["message_id"] for t, _ in w.texts}) == 400


@pytest.mark.parametrize("state", ["paused", "cancelled"])
def test_a_paused_or_cancelled_campaign_releases_nothing_more(state):
    w = world(1000)
    w.drive(limit=1)
    released = len(w.texts)
    assert 0 < released < 1000
    made, version = w.campaigns.get(SHOP, w.id)
    w.campaigns.put(made.transition(state, "ana", w.clock.now), version)
    outcomes = w.drive()
    assert [o.outcome for o in outcomes] == ["stopped"] and len(w.texts) == released


def test_the_run_waits_for_its_send_time_in_15_minute_hops():
    w = world(5, send_at=C.SendAt.at(NOW + timedelta(hours=1)))
    outcomes = w.drive()
    assert [o.outcome for o in outcomes].count("waiting") >= 3
    first = min(datetime.fromisoformat(t["created_at"]) for t, _ in w.texts)
    assert first >= NOW + timedelta(hours=1)


@pytest.mark.parametrize(
    "body, says",
    [
        ({"kind": "other"}, "not a campaign cursor"),
        ({"kind": R.KIND, "shop": SHOP}, "needs shop and campaign"),
        ({"kind": R.KIND, "shop": SHOP, "campaign": "c", "step": -1}, "whole number"),
        ({"kind": R.KIND, "shop": SHOP, "campaign": "c", "step": True}, "whole number"),
        ({"kind": R.KIND, "shop": SHOP, "campaign": "c", "run": "yesterday"}, "not an occurrence"),
    ],
)
def test_a_malformed_cursor_is_refused(body, says):
    with pytest.raises(BadRequest, match=says):
        R.parse_cursor(body)


def test_run_ids_of_occurrences():
    assert R.run_id(None) == R.run_id("once") == ONCE
    assert R.run_id("2026-12-07T15:00:00Z") == "20261207T150000Z"
    assert R.run_id("2026-12-07T10:00:00-05:00") == "20261207T150000Z"


def test_a_run_keeps_the_segment_it_started_with_and_reads_it_once(monkeypatch):
    """A stored segment replaced mid-run changes neither who the rest of the run reaches nor its holdout's
    population; the next run (of a recurring campaign) would read the new one."""
    from tests.fakes import FakeSegments

    w = world(600)
    segments = FakeSegments()
    segments.put(SHOP, "vip", {"subscribed": True}, "ana", NOW)
    made, version = w.campaigns.get(SHOP, w.id)
    w.campaigns.put(made.model_copy(update={"segment": "vip", "segment_doc": None}), version)
    reads: list[str] = []
    real_get = segments.get

    def get(shop: str, name: str) -> Any:
        reads.append(name)
        return real_get(shop, name)

    monkeypatch.setattr(segments, "get", get)
    w.deps.segments = segments
    first = w.drive(limit=1)
    assert first[0].outcome == "released" and 0 < len(w.texts) < 600
    segments.put(SHOP, "vip", {"not": {"subscribed": True}}, "bo", NOW)  # now it holds nobody
    outcomes = w.drive()
    assert outcomes[-1].outcome == "done"
    assert len({t["to"] for t, _ in w.texts}) == 600  # everyone, as the segment was when the run began
    assert reads == ["vip"]  # read at the first step only
    _, counters = w.runs.get(SHOP, w.id, ONCE)
    assert json.loads(counters["audience"]) == {"document": {"subscribed": True}, "shopify": None}
