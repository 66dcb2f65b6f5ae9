"""Use case: run one step of a campaign run, from its cursor message (functions/release_campaign).

The cursor message is `{"kind": "campaign_step", "shop", "campaign", "run", "step"}`. The first one (step
0) comes from the campaign's schedule (or from `campaign schedule` itself for "now"); each step queues its
window of texts, records who was assigned what, moves the run's progress on (a conditional write on the step
number) and queues the next cursor. Failure anywhere before the progress moved re-runs the step (the texts'
message ids make the repeat harmless); failure after it re-queues the next cursor.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from smsflows.domain.campaigns import fanout
from smsflows.domain.campaigns.campaign import Campaign
from smsflows.domain.campaigns.segments import parse_segment
from smsflows.runtime.clock import Clock
from smsflows.runtime.errors import BadRequest, Conflict, TransientError

KIND = "campaign_step"
MAX_QUEUE_DELAY_S = 900  # SQS's longest delay: a cursor waiting longer hops in 15-minute delays
_RUN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
BY = "release_campaign"


def cursor(shop: str, campaign_id: str, run: str, step: int) -> dict[str, Any]:
    return {"kind": KIND, "shop": shop, "campaign": campaign_id, "run": run, "step": step}


def run_id(occurrence: str | None) -> str:
    """The run's id: "once" for a one-off campaign; for a recurring one the scheduled time of the
    occurrence (`<aws.scheduler.scheduled-time>`, e.g. 2026-12-07T15:00:00Z) as 20261207T150000Z."""
    if not occurrence or occurrence == fanout.ONCE:
        return fanout.ONCE
    try:
        at = datetime.fromisoformat(occurrence.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"run: {occurrence!r} is not an occurrence time") from None
    if at.tzinfo is None:
        raise BadRequest(f"run: {occurrence!r} has no time zone")
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass
class ReleaseDeps:
    campaigns: Any  # ports.Campaigns
    runs: Any  # ports.CampaignRuns
    members: Any  # ports.SegmentMembers
    segments: Any  # ports.Segments (stored segment documents), or None
    shops: Any  # ports.ShopConfigs
    send: Callable[[Sequence[tuple[Mapping[str, Any], int]]], None]  # texts with their delays (real s)
    requeue: Callable[[Mapping[str, Any], int], None]  # the next cursor, with its delay (real s)
    clock: Clock
    delay_scale: float = 1.0  # virtual seconds per real second (the local cloud's time scale)


@dataclass(frozen=True)
class StepOutcome:
    outcome: str  # released | waiting | done | stale | stopped | missing
    detail: str = ""
    released: int = 0


def parse_cursor(body: Mapping[str, Any]) -> tuple[str, str, str, int]:
    if body.get("kind") != KIND:
        raise BadRequest(f"not a campaign cursor: kind {body.get('kind')!r}")
    shop, campaign_id, step = body.get("shop"), body.get("campaign"), body.get("step", 0)
    if not isinstance(shop, str) or not isinstance(campaign_id, str) or not shop or not campaign_id:
        raise BadRequest("a campaign cursor needs shop and campaign")
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise BadRequest(f"a campaign cursor's step is a whole number, not {step!r}")
    run = run_id(str(body.get("run") or fanout.ONCE))
    if not _RUN.fullmatch(run):
        raise BadRequest(f"run: {run!r} is not a run id")
    return shop, campaign_id, run, step


def segment_document(campaign: Campaign, segments: Any) -> dict[str, Any]:
    if campaign.segment_doc is not None:
        return dict(campaign.segment_doc)
    stored = segments.get(campaign.shop, campaign.segment) if segments is not None else None
    if stored is None:
        raise BadRequest(f"segment: {campaign.segment!r} is not a segment of {campaign.shop}")
    return dict(stored["document"])


def handle(body: Mapping[str, Any], deps: ReleaseDeps) -> StepOutcome:
    shop, campaign_id, run, number = parse_cursor(body)
    found = deps.campaigns.get(shop, campaign_id)
    if found is None:
        return StepOutcome("missing", "no such campaign (deleted with its shop?)")
    campaign, version = found
    if campaign.state not in ("scheduled", "sending"):
        # paused: `campaign resume` queues the cursor again; cancelled and completed: nothing more goes
        return StepOutcome("stopped", f"campaign {campaign.state}")
    config = deps.shops.get(shop)
    if config is None or not config.may_send("marketing"):
        return StepOutcome("stopped", "the shop is not sending marketing")
    stored = deps.runs.get(shop, campaign_id, run)
    progress = stored[0] if stored is not None else fanout.Progress()
    if number == progress.step - 1 and not progress.done:
        if stored is not None and stored[1].get("queued") == progress.step:
            return StepOutcome("stale", f"step {number} ran, and its successor is queued")
        # this step's work is recorded but its successor may not have been queued (a crash in between)
        _next(deps, shop, campaign_id, run, progress)
        return StepOutcome("stale", "successor re-queued")
    if number != progress.step:
        return StepOutcome("stale", f"cursor step {number}, the run is at {progress.step}")
    if progress.done:
        return StepOutcome("done")
    now = deps.clock()
    segment = parse_segment(segment_document(campaign, deps.segments))
    result = fanout.step(
        campaign,
        run,
        progress,
        lambda shard, after, limit: deps.members.page(shop, shard, after, limit),
        deps.members.shards,
        config,
        now,
        segment=segment,
    )
    if result.progress.step == progress.step:  # an early cursor: wait on
        _next(deps, shop, campaign_id, run, progress)
        return StepOutcome("waiting", f"until {progress.wait_until}")
    if campaign.state == "scheduled" and (result.releases or result.progress.done):
        # the first text released (or a run that ends without one: everyone held out): it is sending
        campaign, version = _move(deps, campaign, version, "sending", now)
    if result.releases:
        deps.send([(r.message.model_dump(mode="json"), _real(r.delay_s, deps)) for r in result.releases])
    if result.assignments:
        deps.runs.assign(shop, campaign_id, run, result.assignments)
    if not deps.runs.advance(shop, campaign_id, run, progress.step, result.progress):
        return StepOutcome("stale", "another step moved the run first")
    if result.progress.done:
        _complete(deps, shop, campaign_id, now)
        return StepOutcome("done", released=len(result.releases))
    _next(deps, shop, campaign_id, run, result.progress)
    return StepOutcome("released", released=len(result.releases))


def _real(virtual_s: float, deps: ReleaseDeps) -> int:
    return max(0, min(MAX_QUEUE_DELAY_S, math.floor(virtual_s / deps.delay_scale)))


def _next(deps: ReleaseDeps, shop: str, campaign_id: str, run: str, progress: fanout.Progress) -> None:
    """Queue the cursor of `progress.step`, then note it queued: a duplicate of the step before, arriving
    later, is then dropped instead of queuing the successor a second time (and every step after it)."""
    wait = 0.0
    if progress.wait_until is not None:
        wait = max(0.0, (progress.wait_until - deps.clock()).total_seconds())
    delay = max(0, min(MAX_QUEUE_DELAY_S, math.ceil(wait / deps.delay_scale)))
    deps.requeue(cursor(shop, campaign_id, run, progress.step), delay)
    deps.runs.queued(shop, campaign_id, run, progress.step)


def _move(
    deps: ReleaseDeps, campaign: Campaign, version: int, to: str, now: datetime
) -> tuple[Campaign, int]:
    moved = campaign.transition(to, BY, now)  # type: ignore[arg-type]
    try:
        return moved, deps.campaigns.put(moved, version)
    except Conflict:
        # an operator changed it meanwhile (a pause, a cancel): retry the step against what they wrote
        raise TransientError(f"campaign {campaign.id} changed while its run started; retrying") from None


def _complete(deps: ReleaseDeps, shop: str, campaign_id: str, now: datetime) -> None:
    """The run is done: a one-off campaign completes, a recurring one waits for its next occurrence."""
    for _ in range(3):
        found = deps.campaigns.get(shop, campaign_id)
        if found is None or found[0].state != "sending":
            return  # paused or cancelled at the very end: leave it as the operator put it
        campaign, version = found
        moved = campaign.transition("scheduled" if campaign.recurring else "completed", BY, now)
        try:
            deps.campaigns.put(moved, version)
            return
        except Conflict:
            continue
    raise TransientError(f"campaign {campaign_id} kept changing while its run completed")
