"""Scheduled campaigns (issue 15), as the operator makes and moves them: create a draft, show, list, and the
state changes schedule, pause, resume and cancel, each recorded with who made it and when (the deployment's
clock). The rules are the domain's (`domain/campaigns/campaign.py`); this adds the store and the errors.

A CampaignError (a value the operator gave) is a BadValue (exit 2) naming the field; a campaign that does
not exist, a state change the state machine refuses, or a write that lost a race is a Failed (exit 1).
Nothing is written on a refusal: every check is made before the one conditional put.
"""

from __future__ import annotations

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
    "not_after", "utm", "smart_sending_hours", "recurrence", "created_at", "created_by", "history",
)  # fmt: skip
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
            recurrence=recurrence,
            now=deps().clock(),
            by=operator(by),
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
    current(shop)
    made, version = _get(shop, campaign_id)
    return record(made, version)


def campaign_list(shop: str) -> list[dict[str, Any]]:
    current(shop)
    return [
        {"id": c.id, "name": c.name, "state": c.state, "send_at": c.send_at.describe(),
         "variants": list(c.variants), "created_at": c.created_at.isoformat(), "created_by": c.created_by}
        for c in campaigns().list(shop)
    ]  # fmt: skip


def campaign_transition(
    shop: str, campaign_id: str, action: Action, *, by: str | None = None, audience: int | None = None
) -> dict[str, Any]:
    """Move the campaign (schedule needs the audience count); the record as stored. An illegal move is a
    Failed naming both states; nothing is written."""
    from smsflows.domain.campaigns import campaign as domain

    config = current(shop)
    made, version = _get(shop, campaign_id)
    who, now = operator(by), deps().clock()
    try:
        if action == "schedule":
            if audience is None:
                raise domain.CampaignError(
                    "audience", "schedule needs --audience N (the subscribers it goes to)"
                )
            moved = domain.schedule(made, by=who, now=now, audience=audience, country=config.default_country)
        elif action == "pause":
            moved = made.transition("paused", who, now)
        elif action == "resume":
            moved = made.transition(made.resumes_to(), who, now)
        else:
            moved = made.transition("cancelled", who, now)
    except domain.IllegalTransition as exc:
        raise Failed(f"campaign {campaign_id}: {' '.join(str(exc).split())}; nothing changed") from None
    except ValueError as exc:
        raise _bad(exc) from None
    return record(moved, _put(moved, version))


def record(c: Any, version: int) -> dict[str, Any]:
    """A campaign as `show --json` prints it (RECORD_KEYS)."""
    previews = c.previews
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
            {"from": t.from_state, "to": t.to_state, "by": t.by, "at": t.at.isoformat()} for t in c.history
        ],
    }
