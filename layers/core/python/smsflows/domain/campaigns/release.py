"""Use case: run one step of a campaign run, from its cursor message (functions/release_campaign).

The cursor message is `{"kind": "campaign_step", "shop", "campaign", "run", "step"}`. The first one (step
0) comes from the campaign's schedule (or from `campaign schedule` itself for "now"); each step queues its
window of texts, records who was assigned what, moves the run's progress on (a conditional write on the step
number) and queues the next cursor. Failure anywhere before the progress moved re-runs the step (the texts'
message ids make the repeat harmless); failure after it re-queues the next cursor.

A run on a stored segment pins the segment's document on the run item with its first progress (`audience`,
written once): a segment replaced during the run changes neither who the rest of it reaches nor its
holdout's population, and no later step reads the segment again. The next run reads it anew.

A run on a Shopify segment (domain/campaigns/shopify_segments.py) first materialises its members: each
step reads at most MAX_REFRESH of them from Shopify and writes their phones under the run, then queues the
next step; once Shopify has listed them all, the steps release windows from those phones as from the index.
Shopify's throttle or an outage fails the step (SQS retries it); a refusal that retrying cannot mend (access
denied, no token, the segment gone) pauses the campaign with the reason, and `campaign resume` goes on from
the same step once it is mended.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from smsflows.domain.campaigns import fanout, shopify_segments
from smsflows.domain.campaigns.campaign import Campaign
from smsflows.domain.campaigns.segments import parse_segment
from smsflows.runtime.clock import Clock
from smsflows.runtime.errors import BadRequest, Conflict, ShopifyError, ShopifyNotConnected, TransientError

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
    # Shopify segments: `fetch(shop, segment_id)` -> shopify_segments.Fetch (adapters/shopify_segment_
    # members.py ShopifySegmentSource), and the runs' materialised members (DynamoShopifySegmentMembers)
    shopify: Any = None
    shopify_members: Any = None


@dataclass(frozen=True)
class StepOutcome:
    outcome: str  # released | waiting | done | stale | stopped | missing | refreshing | refreshed
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


def audience_of(campaign: Campaign, segments: Any) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The campaign's segment document, and its Shopify segment ({"id", "name", "query"}) if it is one."""
    if campaign.segment_doc is not None:
        return dict(campaign.segment_doc), None
    stored = segments.get(campaign.shop, campaign.segment) if segments is not None else None
    if stored is None:
        raise BadRequest(f"segment: {campaign.segment!r} is not a segment of {campaign.shop}")
    shopify = stored.get("shopify")
    return dict(stored["document"]), (dict(shopify) if shopify else None)


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
    # The run's audience: pinned on the run at its first step, so a stored segment replaced meanwhile does not
    # change who the rest of the run reaches (nor its holdout's population), and no step reads it again.
    pinned = stored[1].get("audience") if stored is not None else None
    if pinned:
        found = json.loads(str(pinned))
        document, shopify = (
            dict(found["document"]),
            (dict(found["shopify"]) if found.get("shopify") else None),
        )
        pin = None
    else:
        document, shopify = audience_of(campaign, deps.segments)
        # a campaign's own document cannot change: only a stored segment's is pinned
        pin = None if campaign.segment_doc is not None else _pin(document, shopify)
    segment = parse_segment(document)
    page: fanout.Page = lambda shard, after, limit: deps.members.page(shop, shard, after, limit)  # noqa: E731
    shards = deps.members.shards
    # a run that began on the index stays on it (its segment replaced meanwhile), and one on Shopify's on its
    if progress.shopify is not None or (shopify is not None and progress.started_at is None):
        refresh = progress.shopify
        if refresh is None or not refresh.get("done"):
            return _refresh(deps, campaign, version, run, progress, shopify, config, now, pin)
        members = deps.shopify_members
        page, shards = (lambda _shard, after, limit: members.page(shop, campaign_id, run, after, limit)), 1
    result = fanout.step(campaign, run, progress, page, shards, config, now, segment=segment)
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
    if not deps.runs.advance(shop, campaign_id, run, progress.step, result.progress, audience=pin):
        return StepOutcome("stale", "another step moved the run first")
    if result.progress.done:
        _complete(deps, shop, campaign_id, now)
        return StepOutcome("done", released=len(result.releases))
    _next(deps, shop, campaign_id, run, result.progress)
    return StepOutcome("released", released=len(result.releases))


def _refresh(
    deps: ReleaseDeps,
    campaign: Campaign,
    version: int,
    run: str,
    progress: fanout.Progress,
    shopify: Mapping[str, Any] | None,
    config: Any,
    now: datetime,
    pin: str | None = None,
) -> StepOutcome:
    """One step of a Shopify segment's materialisation (at most MAX_REFRESH members), then the next."""
    shop = campaign.shop
    if progress.shopify is not None:
        refresh = shopify_segments.Refresh.from_dict(progress.shopify)
    else:
        assert shopify is not None
        refresh = shopify_segments.Refresh(segment_id=str(shopify["id"]))
    expires = now + timedelta(days=shopify_segments.KEEP_DAYS)
    try:
        if deps.shopify is None or deps.shopify_members is None:
            raise ShopifyNotConnected("this deployment has no Shopify Admin API access configured")
        result = shopify_segments.refresh_step(
            refresh,
            deps.shopify.fetch(shop, refresh.segment_id),
            lambda phones: deps.shopify_members.write(shop, campaign.id, run, phones, expires),
            config.default_country,
            now,
        )
    except ShopifyError as exc:  # access denied, no token, the segment gone: retrying cannot mend it
        reason = f"Shopify segment {refresh.segment_id}: {exc}"[:300]
        _move(deps, campaign, version, "paused", now, reason=reason)
        return StepOutcome("stopped", reason)
    wait = now + timedelta(seconds=shopify_segments.THROTTLED_WAIT_S) if result.throttled else None
    moved = replace(progress, step=progress.step + 1, shopify=result.refresh.to_dict(), wait_until=wait)
    if not deps.runs.advance(shop, campaign.id, run, progress.step, moved, audience=pin):
        return StepOutcome("stale", "another step moved the run first")
    _next(deps, shop, campaign.id, run, moved)
    r = result.refresh
    return StepOutcome("refreshed" if r.done else "refreshing",
                       f"{r.members} members read from Shopify, {r.phones} phones, {r.no_phone} without one")  # fmt: skip


def _pin(document: Mapping[str, Any], shopify: Mapping[str, Any] | None) -> str:
    return json.dumps({"document": document, "shopify": shopify}, separators=(",", ":"), sort_keys=True)


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
    deps: ReleaseDeps, campaign: Campaign, version: int, to: str, now: datetime, reason: str | None = None
) -> tuple[Campaign, int]:
    moved = campaign.transition(to, BY, now, reason=reason)  # type: ignore[arg-type]
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
