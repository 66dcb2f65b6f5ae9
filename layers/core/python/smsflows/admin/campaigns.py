"""Scheduled campaigns (issue 15), as the operator makes and moves them: create a draft, show, list, and the
state changes schedule, pause, resume and cancel, each recorded with who made it and when (the deployment's
clock). The rules are the domain's (`domain/campaigns/campaign.py`); this adds the store and the errors.

A CampaignError (a value the operator gave) is a BadValue (exit 2) naming the field; a campaign that does
not exist, a state change the state machine refuses, or a write that lost a race is a Failed (exit 1).
Nothing is written on a refusal: every check is made before the one conditional put.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from smsflows.admin.errors import BadValue, Failed
from smsflows.admin.shops import current
from smsflows.admin.target import deps
from smsflows.runtime.errors import BadRequest

Action = Literal["schedule", "pause", "resume", "cancel"]
CREATE_KEYS = ("id", "shop", "name", "state", "warnings", "campaign")
RECORD_KEYS = (
    "id", "shop", "name", "state", "version", "variants", "segment", "segment_doc", "holdout_pct", "send_at",
    "not_after", "utm", "smart_sending_hours", "recurrence", "created_at", "created_by", "history", "estimate",
    "paused_because", "discount_code",
)  # fmt: skip
SHOW_KEYS = (*RECORD_KEYS, "runs", "counts")
MOVE_KEYS = (*RECORD_KEYS, "warnings")  # schedule, pause, resume, cancel: the record and what to know
LIST_KEYS = ("id", "name", "state", "send_at", "variants", "created_at", "created_by")
ISO_FORM = "an ISO 8601 instant with its offset (e.g. 2026-11-27T15:00:00Z or 2026-11-27T10:00:00-05:00)"


def campaigns() -> Any:
    """The campaign store of the deployment (uncached: an operator reads what is stored now)."""
    from smsflows.adapters.campaigns import DynamoCampaigns

    found = deps()
    return DynamoCampaigns(found.client("dynamodb"), found.settings.table_name)


def operator(by: str | None) -> str:
    """Who makes a change: --by, else $USER, else "operator"."""
    return (by or "").strip() or os.environ.get("USER", "").strip() or "operator"


def _bad(exc: ValueError) -> BadValue:
    return BadValue(" ".join(str(exc).split()))


def _instant(text: str, field: str) -> datetime:
    from smsflows.domain.campaigns.campaign import CampaignError

    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CampaignError(field, f"{text!r} is not an instant", ISO_FORM) from None
    if value.tzinfo is None:
        raise CampaignError(field, f"{text!r} has no time zone", ISO_FORM)
    return value


def _send_at(at: str | None, local_time: str | None, on_date: str | None) -> Any:
    from smsflows.domain.campaigns.campaign import CampaignError, SendAt, parse_local_time

    if at is not None and (local_time is not None or on_date is not None):
        raise CampaignError("send_at", "give --at, or --local-time with --date, not both")
    if at is not None:
        return SendAt.at(_instant(at, "send_at"))
    if local_time is None and on_date is None:
        return None
    if local_time is None or on_date is None:
        raise CampaignError(
            "send_at", "a local send time needs both --local-time HH:MM and --date YYYY-MM-DD"
        )
    wall = parse_local_time(local_time)
    try:
        day = date.fromisoformat(on_date.strip())
    except ValueError:
        raise CampaignError("send_at", f"{on_date!r} is not a date", "YYYY-MM-DD (e.g. 2026-11-27)") from None
    return SendAt.local(wall, day)


def _segment_doc(path: str) -> dict[str, Any]:
    from smsflows.domain.campaigns.campaign import CampaignError
    from smsflows.domain.campaigns.segments import dump_segment, parse_segment

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CampaignError("segment_doc", f"cannot read {path}: {exc.__class__.__name__}") from None
    try:
        doc = dump_segment(parse_segment(text))
    except (ValueError, BadRequest) as exc:  # segments.SegmentError is a BadRequest
        raise CampaignError("segment_doc", str(exc)) from None
    return json.loads(json.dumps(doc, default=str))  # as stored (dates and amounts as text)


def campaign_create(
    shop: str,
    *,
    name: str,
    text: str,
    variants: Sequence[str] = (),
    split: str | None = None,
    segment: str | None = None,
    segment_file: str | None = None,
    at: str | None = None,
    local_time: str | None = None,
    on_date: str | None = None,
    holdout_pct: float = 0.0,
    not_after: str | None = None,
    utm_campaign: str | None = None,
    smart_sending_hours: float | None = None,
    every: str | None = None,
    tz: str | None = None,
    by: str | None = None,
    campaign_id: str | None = None,
    discount_code: str | None = None,
) -> dict[str, Any]:
    """Store a draft campaign; {id, shop, name, state, warnings, campaign}. BadValue naming the field of
    the first bad input (nothing stored); NotOnboarded for a shop without a config."""
    from smsflows.domain.campaigns import campaign as domain
    from smsflows.domain.campaigns.segments import parse_segment

    config = current(shop)
    try:
        texts: dict[str, str] = {"A": text}
        for item in variants:
            key, body = domain.parse_variant(item)
            if key in texts:
                raise domain.CampaignError(
                    "variants", f"variant {key!r} is given twice", "--text is variant A"
                )
            texts[key] = body
        weights = domain.parse_split(split) if split is not None else None
        if segment is not None and segment_file is not None:
            raise domain.CampaignError("segment", "give --segment or --segment-file, not both")
        doc = _segment_doc(segment_file) if segment_file is not None else None
        if every is None and tz is not None:
            raise domain.CampaignError("recurrence", "--tz goes with --every CRON")
        if every is not None and tz is None:
            raise domain.CampaignError(
                "recurrence.time_zone", "--every needs --tz ZONE", "e.g. America/New_York"
            )
        recurrence = (every, tz) if every is not None and tz is not None else None
        made, warnings = domain.create(
            config,
            name=name,
            variants=texts,
            weights=weights,
            segment=segment,
            segment_doc=doc,
            check_segment=parse_segment,
            send_at=_send_at(at, local_time, on_date),
            holdout=holdout_pct / 100.0,
            not_after=_instant(not_after, "not_after") if not_after is not None else None,
            utm_campaign=utm_campaign,
            smart_sending_hours=smart_sending_hours,
            discount_code=discount_code,
            recurrence=recurrence,
            now=deps().clock(),
            by=operator(by),
            campaign_id=campaign_id,
        )
    except ValueError as exc:  # CampaignError
        raise _bad(exc) from None
    version = _put(made, 0)
    return {"id": made.id, "shop": made.shop, "name": made.name, "state": made.state,
            "warnings": list(warnings), "campaign": record(made, version)}  # fmt: skip


def _put(made: Any, version: int) -> int:
    from smsflows.runtime.errors import Conflict

    try:
        return int(campaigns().put(made, version))
    except Conflict as exc:
        raise Failed(str(exc)) from None


def _get(shop: str, campaign_id: str) -> tuple[Any, int]:
    found = campaigns().get(shop, campaign_id)
    if found is None:
        raise Failed(f"no campaign {campaign_id!r} in shop {shop} (`smsflows campaign list --shop {shop}`)")
    return found[0], int(found[1])


def campaign_show(shop: str, campaign_id: str) -> dict[str, Any]:
    """The campaign as stored, its runs (progress and counts) and the totals over them."""
    current(shop)
    made, version = _get(shop, campaign_id)
    found = record(made, version)
    runs = run_records(made)
    found["runs"] = runs
    found["counts"] = {k: sum(r["counts"][k] for r in runs) for k in COUNT_KEYS}
    return found


def campaign_list(shop: str) -> list[dict[str, Any]]:
    current(shop)
    return [
        {"id": c.id, "name": c.name, "state": c.state, "send_at": c.send_at.describe(),
         "variants": list(c.variants), "created_at": c.created_at.isoformat(), "created_by": c.created_by}
        for c in campaigns().list(shop)
    ]  # fmt: skip


def campaign_transition(
    shop: str, campaign_id: str, action: Action, *, by: str | None = None
) -> dict[str, Any]:
    """Move the campaign; the record as stored. `schedule` counts the audience (an empty one is refused),
    stores the preview's estimate, and starts the run: at once for "now", else a schedule on EventBridge
    Scheduler at the first group's release (a cron schedule for a recurring campaign). `resume` re-queues
    a paused run's cursor; `cancel` deletes the schedule (and the sender drops texts already queued). An
    illegal move is a Failed naming both states; nothing is written."""
    from smsflows.domain.campaigns import campaign as domain

    config = current(shop)
    made, version = _get(shop, campaign_id)
    who, now = operator(by), deps().clock()
    try:
        if action == "schedule":
            made.transition("scheduled", who, now)  # a move the state machine refuses is said first
            preview = _preview(config, made, now)
            moved = domain.schedule(
                made, by=who, now=now, audience=preview["audience"], country=config.default_country
            )
            moved = moved.model_copy(update={"estimate": {
                "audience": preview["audience"], "texts": preview["texts"],
                "first_text": preview["eta"]["first_text"], "finish": preview["eta"]["finish"],
            }})  # fmt: skip
        elif action == "pause":
            moved = made.transition("paused", who, now)
        elif action == "resume":
            moved = made.transition(made.resumes_to(), who, now)
            if made.not_after is not None and now >= made.not_after:
                raise Failed(
                    f"campaign {campaign_id}: its expiry (not_after {made.not_after.isoformat()}) has passed, so a "
                    "resumed run would send nothing more; cancel it, or create a new campaign; nothing changed"
                )
        else:
            moved = made.transition("cancelled", who, now)
    except domain.IllegalTransition as exc:
        raise Failed(f"campaign {campaign_id}: {' '.join(str(exc).split())}; nothing changed") from None
    except ValueError as exc:
        raise _bad(exc) from None
    stored = _put(moved, version)
    warnings: list[str] = []
    if action == "schedule":
        _start(moved, preview["first_release"], now)
    elif action == "resume":
        warnings = _resume(moved, now)
    elif action == "cancel":
        _unschedule(moved)
    return {**record(moved, stored), "warnings": warnings}


# Running it ----------------------------------------------------------------------------------------------


def _schedule_name(c: Any) -> str:
    from smsflows.domain.messages import stable_id

    return f"smsflows-cmp-{stable_id(c.shop, c.id)}"  # Scheduler names: at most 64 characters


def _scheduler() -> tuple[Any, dict[str, Any]]:
    found = deps()
    settings = found.settings.campaign_scheduler
    if not settings:
        raise Failed(
            "no campaign schedule group named: set SMSFLOWS_CAMPAIGN_SCHEDULER from the stack output "
            "CampaignSchedulerSettings (README, Operating it)"
        )
    return found.client("scheduler"), settings


def _cursor_queue() -> Any:
    from smsflows.adapters.queues import SqsQueue

    found = deps()
    if not found.settings.campaign_queue_url:
        raise Failed("no campaign queue named: set CAMPAIGN_QUEUE_URL from the stack output CampaignQueueUrl")
    return SqsQueue(found.client("sqs"), found.settings.campaign_queue_url)


def _start(c: Any, first_release: datetime | None, now: datetime) -> None:
    """The run's first cursor: now, or a schedule that puts it on the campaign queue when it is due."""
    import json as _json
    from datetime import UTC

    from smsflows.domain.campaigns import release
    from smsflows.domain.campaigns.fanout import ONCE

    if c.recurrence is None and (c.send_at.kind == "now" or first_release is None or first_release <= now):
        _cursor_queue().send(release.cursor(c.shop, c.id, ONCE, 0))
        return
    scheduler, settings = _scheduler()
    target: dict[str, Any] = {
        "Arn": settings["target"],
        "RoleArn": settings["role_arn"],
        "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400},
    }
    if settings.get("dead_letter"):
        target["DeadLetterConfig"] = {"Arn": settings["dead_letter"]}
    if c.recurrence is not None:
        body = release.cursor(c.shop, c.id, "<aws.scheduler.scheduled-time>", 0)
        expression, zone, after = c.recurrence.cron, c.recurrence.time_zone, {}
    else:
        assert first_release is not None
        body = release.cursor(c.shop, c.id, ONCE, 0)
        expression = f"at({first_release.astimezone(UTC):%Y-%m-%dT%H:%M:%S})"
        zone, after = "UTC", {"ActionAfterCompletion": "DELETE"}
    target["Input"] = _json.dumps(body, separators=(",", ":"))
    scheduler.create_schedule(
        Name=_schedule_name(c), GroupName=settings["group"], ScheduleExpression=expression,
        ScheduleExpressionTimezone=zone, FlexibleTimeWindow={"Mode": "OFF"}, Target=target,
        Description=f"smsflows campaign {c.id} of {c.shop}"[:512], **after,
    )  # fmt: skip


def _schedule_exists(c: Any) -> bool:
    if not deps().settings.campaign_scheduler:
        return False
    scheduler, settings = _scheduler()
    try:
        scheduler.get_schedule(Name=_schedule_name(c), GroupName=settings["group"])
    except scheduler.exceptions.ResourceNotFoundException:
        return False
    return True


def _resume(c: Any, now: datetime) -> list[str]:
    """Back to sending: the run's cursor again, at the step it stopped at. Back to scheduled: nothing if
    its schedule is still waiting; else (it fired while paused) the run starts now, and the warning says so.
    Either way every text is still checked by the sender: consent, quiet hours, caps, and the expiry."""
    from smsflows.domain.campaigns import release
    from smsflows.domain.campaigns.fanout import ONCE

    if c.state == "scheduled" and _schedule_exists(c):
        return []
    runs = runs_store().runs(c.shop, c.id)
    open_runs = [(run, p) for run, p, _ in runs if not p.done]
    run, step = (open_runs[-1][0], open_runs[-1][1].step) if open_runs else (ONCE, 0)
    if c.recurrence is not None and not open_runs:
        return []  # between occurrences: the cron schedule starts the next run
    _cursor_queue().send(release.cursor(c.shop, c.id, run, step))
    warnings = []
    if c.state == "scheduled" and c.send_at.kind != "now" and not open_runs:
        expiry = f", and stops at its expiry {c.not_after.isoformat()}" if c.not_after else ""
        warnings.append(
            f"send time: {c.send_at.describe()} passed while the campaign was paused: its run starts now "
            f"({now.isoformat(timespec='seconds')}); each text still waits for its recipient's allowed hours"
            f"{expiry}"
        )
    return warnings


def _unschedule(c: Any) -> None:
    if not deps().settings.campaign_scheduler:
        return
    scheduler, settings = _scheduler()
    # "now", or a one-time schedule that already ran, has none
    with contextlib.suppress(scheduler.exceptions.ResourceNotFoundException):
        scheduler.delete_schedule(Name=_schedule_name(c), GroupName=settings["group"])


def runs_store() -> Any:
    from smsflows.adapters.campaigns import DynamoCampaignRuns

    found = deps()
    return DynamoCampaignRuns(found.client("dynamodb"), found.settings.table_name)


# The preview ----------------------------------------------------------------------------------------


PREVIEW_KEYS = (
    "id", "shop", "state", "audience", "held_out", "texts", "variants", "segments", "cost_usd", "by_zone",
    "eta", "warnings", "first_release",
)  # fmt: skip


def _segment_of(c: Any) -> tuple[Any, dict[str, Any] | None]:
    """The campaign's parsed segment, and its Shopify segment if it is one."""
    from smsflows.domain.campaigns.release import audience_of
    from smsflows.domain.campaigns.segments import parse_segment

    try:
        document, shopify = audience_of(c, deps().segments)
        return parse_segment(document), shopify
    except BadRequest as exc:
        raise BadValue(" ".join(str(exc).split())) from None


def _preview(config: Any, c: Any, now: datetime) -> dict[str, Any]:
    from smsflows.domain.campaigns import audience, eta, fanout, segments
    from smsflows.domain.campaigns import campaign as domain
    from smsflows.domain.campaigns.assignment import expected_counts
    from smsflows.domain.compliance import quiet_hours

    segment, shopify = _segment_of(c)
    members = deps().segment_members
    notes: list[str] = []
    if shopify is not None:  # its members from Shopify now, the textable ones by zones (issue 17)
        from smsflows.admin.shopify_segments import shopify_count

        counted = shopify_count(c.shop, shopify, config.default_country)
        counts = counted.by_zones
        skipped = counted.members - counted.textable
        if skipped:
            notes.append(
                f"Shopify segment {shopify['id']}: {skipped} of its {counted.members} members are not texted "
                f"({counted.not_subscribed} not subscribed in smsflows, {counted.no_phone} without a phone, "
                f"{counted.invalid_phone} with an invalid one; a phone shared by two customers is texted once)"
            )
    else:
        counts = audience.tally(
            segment, lambda shard, after, limit: members.page(c.shop, shard, after, limit), members.shards,
            now, config.default_country,
        )  # fmt: skip
    total = sum(counts.values())
    start = now
    if c.send_at.kind == "at" and c.send_at.instant is not None:
        start = max(now, c.send_at.instant)
    groups = audience.groups(counts, config.default_country)
    override = quiet_hours.override_week(config)
    base = link_base(config)
    estimate = eta.estimate_campaign(c, groups, config.throughput, start, override=override, link_base=base)
    expected = expected_counts(total, c.weights, c.holdout)
    previews = c.previews_for(base)
    warnings = list(segments.warnings(segment)) + notes
    if c.send_at.kind == "local":
        warnings += domain.local_time_warnings(c.send_at, override)
    if c.not_after is not None:
        domain.check_send_time(c.send_at, c.not_after, min(now, c.created_at), ("UTC",), warnings)
    warnings += [p for n in previews for p in (f"variant {n}: {w}" for w in previews[n].warnings)]
    if total == 0:
        warnings.append("the segment holds no subscriber now: scheduling is refused")
    first = min((fanout.release_at(c, zones, start) for zones in counts), default=None)
    return {
        "id": c.id, "shop": c.shop, "state": c.state, "audience": total,
        "held_out": expected.get("holdout", 0), "texts": total - expected.get("holdout", 0),
        "variants": [{"name": n, "count": expected.get(n, 0), "weight": c.weights[n], "encoding": previews[n].encoding,
                      "segments": previews[n].segments, "characters": previews[n].characters,
                      "sent_text": previews[n].text} for n in c.variants],
        "segments": round(estimate.segments), "cost_usd": estimate.cost_usd,
        "by_zone": [{"zones": list(zones), "count": n} for zones, n in counts.items()],
        "eta": estimate.to_dict(), "warnings": warnings,
        "first_release": first,
    }  # fmt: skip


def campaign_preview(shop: str, campaign_id: str) -> dict[str, Any]:
    """Audience now (by zone group), holdout and per-variant counts, segments and encoding per variant, the
    estimated cost and ETA, and every warning (PREVIEW_KEYS). Reads only; sends nothing."""
    config = current(shop)
    made, _ = _get(shop, campaign_id)
    found = _preview(config, made, deps().clock())
    first = found["first_release"]
    return {**found, "first_release": first.isoformat() if first is not None else None}


# Show: the state and the counts ----------------------------------------------------------------------


COUNT_KEYS = (
    "targeted", "held_out", "enqueued", "sent", "delivered", "undelivered", "failed", "suppressed", "skipped",
    "deferred", "expired", "cancelled",
)  # fmt: skip


def run_records(c: Any) -> list[dict[str, Any]]:
    out = []
    for run, progress, counters in runs_store().runs(c.shop, c.id):
        counts = {"targeted": progress.targeted, "held_out": progress.held_out, "enqueued": progress.enqueued}
        counts.update({k: int(counters.get(k, 0)) for k in COUNT_KEYS if k not in counts})
        out.append({
            "run": run, "done": progress.done, "expired": progress.expired, "read": progress.read,
            "started_at": progress.started_at.isoformat() if progress.started_at else None,
            "released_until": progress.finished_at.isoformat() if progress.finished_at else None,
            "actual_finish": counters.get("last_sent_at") if progress.done else None,
            "variants": dict(progress.variants), "counts": counts,
            # a Shopify segment's run: what its refresh read from Shopify (members, phones, skipped), else None
            "shopify": dict(progress.shopify) if progress.shopify is not None else None,
        })  # fmt: skip
    return out


def link_base(config: Any) -> str:
    """Where the shop's short links live (its link domain, else the deployment's API), as a preview counts
    them: a stand-in of the usual length when the target does not say its public URL."""
    from smsflows.domain.analytics import links

    api = deps().settings.public_base_url or None
    return links.base_url(config.measurement.link_domain, api) or links.API_BASE_EXAMPLE


def record(c: Any, version: int) -> dict[str, Any]:
    """A campaign as `show --json` prints it (RECORD_KEYS)."""
    found = deps().shop_configs.get(c.shop)
    previews = c.previews_for(link_base(found) if found is not None else None)
    send = c.send_at
    return {
        "id": c.id,
        "shop": c.shop,
        "name": c.name,
        "state": c.state,
        "version": version,
        "variants": [
            {
                "name": n,
                "weight": c.weights[n],
                "text": t,
                "sent_text": previews[n].text,
                "encoding": previews[n].encoding,
                "segments": previews[n].segments,
                "characters": previews[n].characters,
            }
            for n, t in c.variants.items()
        ],
        "segment": c.segment,
        "segment_doc": c.segment_doc,
        "holdout_pct": round(c.holdout * 100, 4),
        "send_at": {
            "kind": send.kind,
            "instant": send.instant.isoformat() if send.instant else None,
            "local_time": f"{send.local_time:%H:%M}" if send.local_time else None,
            "date": send.on_date.isoformat() if send.on_date else None,
            "describe": send.describe(),
        },
        "not_after": c.not_after.isoformat() if c.not_after else None,
        "utm": c.utm.model_dump(),
        "smart_sending_hours": c.smart_sending_hours,
        "recurrence": c.recurrence.model_dump() if c.recurrence else None,
        "created_at": c.created_at.isoformat(),
        "created_by": c.created_by,
        "history": [
            {"from": t.from_state, "to": t.to_state, "by": t.by, "at": t.at.isoformat(), "reason": t.reason}
            for t in c.history
        ],
        "estimate": c.estimate,
        # why the deliverability guard paused it (issue 16): an operator resumes or cancels it
        "paused_because": c.paused_because,
        "discount_code": c.discount_code,
    }
