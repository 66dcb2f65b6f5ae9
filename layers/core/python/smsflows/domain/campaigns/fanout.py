"""Fan-out: a campaign's recipients released to the send queue at the sender's pace (issue 15, part 4).

A run never dumps its audience onto the send queue. Each *step* releases one window: about `WINDOW_S`
seconds of the sender's registered throughput. Each text carries its own delay inside the window, so the
texts reach the sender at the rate it may send them: nothing waits in the pacer's backlog line, and there
is no gap between windows because the next step runs `LEAD_S` before the last text of this one is due.
The next step is a cursor message that re-queues itself on the campaign queue (`release_campaign`).

Why a cursor message and not a Step Functions loop: a million-recipient run at 3 MPS is ~4 days of
windows; a Standard workflow's history (25,000 events) would need continue-as-new every few hundred
windows, and an Express workflow cannot last that long. A cursor on SQS costs one receive and one send per
window, retries on its own, and dead-letters (alarmed) if a step keeps failing.

A step reads members in pages (bounded memory: one page at a time) from the sparse `by_segment` index,
shard after shard. A local-time campaign releases in *passes*: each pass releases the members whose release
instant (the stated local time in the *latest* of their candidate zones, so nobody is texted early anywhere
they may be) has come, and notes the earliest instant still to come; when the pass ends, the next pass
waits for that instant. "Now" and fixed-instant campaigns have one pass.

Idempotency: a text's message id is campaign × run × recipient, so a step that runs twice (a crash after the
texts were queued, before the cursor moved) queues duplicates the sender drops on its claim. The run's
progress records the step number; a cursor message for an older step is stale and dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from smsflows.domain.analytics import links
from smsflows.domain.campaigns import assignment
from smsflows.domain.campaigns.campaign import HOLDOUT, Campaign
from smsflows.domain.campaigns.segments import SegmentMember, compile_segment
from smsflows.domain.compliance.locations import candidate_locations
from smsflows.domain.flows import templates
from smsflows.domain.messages import OutboundMessage, stable_id
from smsflows.domain.sending.encoding import segment_info
from smsflows.domain.shops import ShopConfig

WINDOW_S = 120.0  # each step releases this many seconds of the sender's throughput
LEAD_S = 20.0  # the next step runs this long before the last text of the window is due
PAGE_LIMIT = 500  # members per read
MAX_READ = 5_000  # members read by one step at most (a selective segment reads on in the next step)
FLOW = "campaign"  # the flow name campaign texts carry: frequency history, a shop's smart-sending key
ONCE = "once"  # the run id of a one-off campaign; a recurring one's runs are named by their occurrence


def message_id(campaign_id: str, run: str, shop: str, phone: str) -> str:
    """The text's idempotency key: one text per recipient per run, whatever happens to the fan-out."""
    return f"cmp:{campaign_id}:{run}:{stable_id(shop, phone)}"


def parse_message_id(mid: str) -> tuple[str, str] | None:
    """(campaign id, run) of a campaign text's message id; None for any other message."""
    parts = mid.split(":")
    if len(parts) != 4 or parts[0] != "cmp" or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


@dataclass(frozen=True)
class Progress:
    """Where a run stands, stored on its run item (`CampaignRuns`). Times are aware UTC datetimes."""

    step: int = 0  # the cursor message that may run next carries this number
    started_at: datetime | None = None  # the first step: the instant the segment is evaluated at
    phase: datetime | None = None  # the pass under way releases members due at or before this
    previous: datetime | None = None  # the pass before's instant: members due by then went already
    shard: int = 0
    after: dict[str, str] | None = None  # the store's cursor within `shard`
    next_due: datetime | None = None  # the earliest release instant after `phase` seen in this pass
    slot: datetime | None = None  # when the next released text is due (windows follow on seamlessly)
    wait_until: datetime | None = None  # the next step runs then
    done: bool = False
    finished_at: datetime | None = None  # when the last text was due to the sender
    expired: bool = False  # the run stopped at not_after with recipients left
    read: int = 0  # members read (the index holds subscribed members only)
    targeted: int = 0  # members the segment holds, holdout included
    held_out: int = 0
    enqueued: int = 0
    variants: dict[str, int] = field(default_factory=dict)  # texts queued per variant
    # a run on a Shopify segment: its members' materialisation (shopify_segments.Refresh.to_dict), done
    # before the first window is released
    shopify: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "step": self.step,
            "started_at": iso(self.started_at),
            "phase": iso(self.phase),
            "previous": iso(self.previous),
            "shard": self.shard,
            "after": self.after,
            "next_due": iso(self.next_due),
            "slot": iso(self.slot),
            "wait_until": iso(self.wait_until),
            "done": self.done,
            "finished_at": iso(self.finished_at),
            "expired": self.expired,
            "read": self.read,
            "targeted": self.targeted,
            "held_out": self.held_out,
            "enqueued": self.enqueued,
            "variants": dict(self.variants),
            "shopify": dict(self.shopify) if self.shopify is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Progress:
        def when(key: str) -> datetime | None:
            value = data.get(key)
            return datetime.fromisoformat(str(value)) if value else None

        after = data.get("after")
        return cls(
            step=int(data.get("step", 0)),
            started_at=when("started_at"),
            phase=when("phase"),
            previous=when("previous"),
            shard=int(data.get("shard", 0)),
            after={str(k): str(v) for k, v in after.items()} if isinstance(after, Mapping) else None,
            next_due=when("next_due"),
            slot=when("slot"),
            wait_until=when("wait_until"),
            done=bool(data.get("done", False)),
            finished_at=when("finished_at"),
            expired=bool(data.get("expired", False)),
            read=int(data.get("read", 0)),
            targeted=int(data.get("targeted", 0)),
            held_out=int(data.get("held_out", 0)),
            enqueued=int(data.get("enqueued", 0)),
            variants={str(k): int(v) for k, v in (data.get("variants") or {}).items()},
            shopify=dict(data["shopify"]) if isinstance(data.get("shopify"), Mapping) else None,
        )


@dataclass(frozen=True)
class AssignmentRow:
    """Who was assigned what, stored for every targeted recipient (the holdout included): the attribution
    issue's lift compares these groups."""

    phone: str
    group: str  # "holdout" or the variant
    u: float
    release_at: (
        datetime  # when the recipient's text was due to the sender (the release instant for a holdout)
    )
    zones: tuple[str, ...]


@dataclass(frozen=True)
class Release:
    """One text to queue, `delay_s` seconds (virtual) after the step's `now`."""

    message: OutboundMessage
    delay_s: float


@dataclass(frozen=True)
class StepResult:
    progress: Progress  # the run after the step (its `step` already moved on)
    releases: tuple[Release, ...]
    assignments: tuple[AssignmentRow, ...]


Page = Callable[[int, Mapping[str, str] | None, int], tuple[list[SegmentMember], dict[str, str] | None]]


def zones_of(member: SegmentMember, shop_country: str | None) -> tuple[str, ...]:
    """The member's candidate zones, as its summary holds them, else from the number (and the shop's country)."""
    if member.candidate_zones:
        return tuple(sorted(member.candidate_zones))
    places = candidate_locations(member.phone, shop_country=shop_country)
    return tuple(sorted({loc.time_zone for loc in places}))


def release_at(campaign: Campaign, zones: tuple[str, ...], start: datetime) -> datetime:
    """When a recipient with these candidate zones may first be released: the stated local time in the
    latest of them (never before `start`)."""
    return max(campaign.send_at.release_in(zone, start) for zone in zones).astimezone(UTC)


def texts_of(campaign: Campaign) -> dict[str, str]:
    """Each variant as it is sent: brand prefix and opt-out completed (as flows do), {shop_url} with the
    campaign's UTM parameters, {first_name} at its fallback (the summary holds no names)."""
    url = campaign.tracked_url
    values = {"shop_name": campaign.brand, "shop_url": url}
    return {
        name: templates.render(text, values, brand=campaign.brand, marketing=True)
        for name, text in campaign.variants.items()
    }


def rate_of(config: ShopConfig) -> float:
    """Segments per second the run releases at: the rate the sender paces to."""
    return config.throughput.rate


def step(
    campaign: Campaign,
    run: str,
    progress: Progress,
    page: Page,
    shards: int,
    config: ShopConfig,
    now: datetime,
    *,
    segment: Any,
    link_base: str | None = None,
) -> StepResult:
    """One window of the run. `segment` is the parsed audience; `page(shard, cursor, limit)` reads members."""
    if progress.done:
        return StepResult(progress, (), ())
    p = progress
    if p.started_at is None:
        p = replace(p, started_at=now, phase=now)
    assert p.started_at is not None and p.phase is not None
    if campaign.not_after is not None and now >= campaign.not_after:
        return StepResult(_finished(p, now, expired=True), (), ())
    if p.wait_until is not None and now < p.wait_until:
        return StepResult(p, (), ())  # an early cursor (the queue's 15-minute delays hop towards a pass)

    holds = compile_segment(segment, p.started_at)
    texts = texts_of(campaign)
    # counted as sent: each URL a short link of the shop's (`link_base`), the same length for everyone
    segments = {name: segment_info(links.preview(text, link_base)).segments for name, text in texts.items()}
    rate = rate_of(config)
    slot = max(p.slot or now, now)
    window_end = now + timedelta(seconds=WINDOW_S)
    releases: list[Release] = []
    rows: list[AssignmentRow] = []
    read = 0
    phase, previous, next_due = p.phase, p.previous, p.next_due
    shard, after = p.shard, p.after
    counts = dict(p.variants)
    targeted = held_out = 0
    finished = new_pass = False
    expected_per_text = max(segments.values())
    while read < MAX_READ and slot < window_end:
        room = math.ceil((window_end - slot).total_seconds() * rate / expected_per_text)
        limit = max(10, min(PAGE_LIMIT, room, MAX_READ - read))
        members, cursor = page(shard, after, limit)
        read += len(members)
        for member in members:
            if not holds(member):
                continue
            zones = zones_of(member, config.default_country)
            due = release_at(campaign, zones, p.started_at)
            if previous is not None and due <= previous:
                continue  # released by an earlier pass
            if due > phase:
                next_due = due if next_due is None or due < next_due else next_due
                continue
            targeted += 1
            chosen = assignment.assign(campaign, member.phone)
            if chosen.group == HOLDOUT:
                held_out += 1
                rows.append(AssignmentRow(member.phone, HOLDOUT, chosen.u, due, zones))
                continue
            name = chosen.group
            at = max(slot, now)
            releases.append(
                Release(
                    _message(campaign, run, config, member.phone, texts[name], now, name),
                    (at - now).total_seconds(),
                )
            )
            rows.append(AssignmentRow(member.phone, name, chosen.u, at, zones))
            counts[name] = counts.get(name, 0) + 1
            slot = at + timedelta(seconds=segments[name] / rate)
        after = cursor
        if cursor is None:
            shard, after = shard + 1, None
            if shard >= shards:
                if next_due is None:
                    finished = True
                    break
                # the pass is over: the next one releases who is due by the earliest instant still to come
                previous, phase, next_due, shard = phase, next_due, None, 0
                new_pass = True
                break
    p = replace(
        p,
        step=p.step + 1,
        phase=phase,
        previous=previous,
        shard=shard,
        after=after,
        next_due=next_due,
        slot=slot,
        read=p.read + read,
        targeted=p.targeted + targeted,
        held_out=p.held_out + held_out,
        enqueued=p.enqueued + len(releases),
        variants=counts,
    )
    if finished:
        p = _finished(p, max(slot, now))
    elif new_pass and phase > slot - timedelta(seconds=LEAD_S):
        p = replace(p, wait_until=phase)  # the next pass starts when its recipients are due
    else:
        p = replace(p, wait_until=max(now, slot - timedelta(seconds=LEAD_S)))
    return StepResult(p, tuple(releases), tuple(rows))


def _finished(p: Progress, at: datetime, expired: bool = False) -> Progress:
    return replace(p, step=p.step + 1, done=True, finished_at=at, expired=expired, wait_until=None)


def _message(
    campaign: Campaign, run: str, config: ShopConfig, phone: str, body: str, now: datetime, variant: str
) -> OutboundMessage:
    return OutboundMessage(
        message_id=message_id(campaign.id, run, campaign.shop, phone),
        shop=campaign.shop,
        to=phone,
        body=body,
        category="marketing",
        flow=FLOW,
        created_at=now,
        not_after=campaign.not_after,
        correlation_id=f"campaign:{campaign.id}:{run}",
        campaign=campaign.id,
        run=run,
        smart_sending_hours=campaign.smart_sending_hours,
        variant=variant,
        discount_code=campaign.discount_code,
    )
