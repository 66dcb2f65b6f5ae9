"""A shop's saved segments (issue 15, docs/segments.md), as the operator makes and counts them: create one
from a JSON document, list them, count who one holds now by time-zone group, and the one-off backfill of
the index for subscribers from before segments.

The rules are the domain's: `domain/campaigns/segments.py` parses and evaluates a document, and
`domain/campaigns/audience.py` counts an audience by zone group exactly as `campaign preview` does. A bad
document is a BadValue (exit 2) naming the field; nothing is stored then.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from smsflows.admin.campaigns import operator
from smsflows.admin.errors import BadValue, Failed, one_line
from smsflows.admin.shops import current
from smsflows.admin.target import deps
from smsflows.runtime.errors import BadRequest

CREATE_KEYS = ("shop", "name", "describe", "document", "warnings", "replaced", "created_by", "created_at",
               "updated_at")  # fmt: skip
LIST_KEYS = ("name", "describe", "created_by", "created_at", "updated_at")
COUNT_KEYS = ("shop", "name", "describe", "total", "groups", "warnings", "counted_at")
GROUP_KEYS = ("label", "zones", "count")
BACKFILL_KEYS = ("shop", "pages", "states", "subscribed", "updated", "already", "changed_meanwhile", "truncated",
                 "cursor")  # fmt: skip
# Orders carry no collection ids, and the product → collections lookup is not built yet (docs/segments.md
# §6): until it is, no summary holds a collection, so a `bought.collection` condition is false for everyone.
COLLECTIONS_RECORDED = False


def segments() -> Any:
    """The saved segments of the deployment."""
    from smsflows.adapters.segment_store import DynamoSegments

    found = deps()
    return DynamoSegments(found.client("dynamodb"), found.settings.table_name)


def _name(name: str) -> str:
    from smsflows.domain.campaigns.campaign import _SEGMENT, SEGMENT_FORM

    if not _SEGMENT.fullmatch(name):
        raise BadValue(f"--name: {name!r} is not a segment name: give {SEGMENT_FORM}")
    return name


def _document(path: str) -> dict[str, Any]:
    """The segment document of the file, as stored (`dump_segment`); BadValue naming the field if not."""
    from smsflows.domain.campaigns.segments import dump_segment, parse_segment

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadValue(f"--file: cannot read {path}: {one_line(exc)}") from None
    try:
        parsed = parse_segment(text)
    except BadRequest as exc:  # segments.SegmentError: "segment.all[1].lapsed.days: must be ..."
        raise BadValue(f"invalid segment, nothing stored: {one_line(exc)}") from None
    return dict(json.loads(json.dumps(dump_segment(parsed), default=str)))


def _warnings(document: Mapping[str, Any]) -> list[str]:
    from smsflows.domain.campaigns.segments import parse_segment, warnings

    found = list(warnings(parse_segment(document)))
    if not COLLECTIONS_RECORDED and _mentions_collection(document):
        found.append(
            "bought.collection matches nobody until product collections are recorded (not built yet), "
            "and not(bought.collection …) matches everyone"
        )
    return found


def _mentions_collection(node: Any) -> bool:
    if isinstance(node, Mapping):
        bought = node.get("bought")
        if isinstance(bought, Mapping) and bought.get("collection"):
            return True
        return any(_mentions_collection(v) for v in node.values())
    if isinstance(node, list):
        return any(_mentions_collection(v) for v in node)
    return False


def _row(shop: str, found: Mapping[str, Any]) -> dict[str, Any]:
    from smsflows.domain.campaigns.segments import describe, parse_segment

    return {
        "shop": shop,
        "name": found["name"],
        "describe": describe(parse_segment(found["document"])),
        "document": found["document"],
        "created_by": found["created_by"],
        "created_at": found["created_at"].isoformat(),
        "updated_at": found["updated_at"].isoformat(),
    }


def segment_create(
    shop: str, name: str, file: str, *, replace: bool = False, by: str | None = None
) -> dict[str, Any]:
    """Validate the document (`parse_segment`) and store it under `name`; {CREATE_KEYS}. A name that exists
    is replaced only with `replace` (Failed otherwise). Nothing is stored on a refusal."""
    current(shop)
    _name(name)
    document = _document(file)
    store = segments()
    existed = store.get(shop, name) is not None
    if existed and not replace:
        raise Failed(
            f"segment {name!r} exists in shop {shop}: nothing stored (pass --replace to replace its document)"
        )
    store.put(shop, name, document, operator(by), deps().clock())
    stored = store.get(shop, name)
    if stored is None:  # pragma: no cover - read after our own consistent write
        raise Failed(f"segment {name!r} was not stored")
    row = _row(shop, stored)
    return {**row, "warnings": _warnings(document), "replaced": existed}


def segment_list(shop: str) -> list[dict[str, Any]]:
    """The shop's segments, by name: {LIST_KEYS} each."""
    current(shop)
    return [{k: v for k, v in _row(shop, s).items() if k in LIST_KEYS} for s in segments().list(shop)]


def strictest_first(zones: tuple[str, ...], at: datetime) -> tuple[str, ...]:
    """Candidate zones, the strictest first: the one whose local time is the earliest at `at` (the last to
    reach a local send time, so the one a local-time campaign releases by), then by name."""
    return tuple(sorted(zones, key=lambda z: (at.astimezone(ZoneInfo(z)).utcoffset() or timedelta(0), z)))


def segment_count(shop: str, name: str, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Who the segment holds now: every shard paged through the evaluator, the total and the count by
    candidate zones (`audience.tally`, as `campaign preview` counts), with the segment's warnings.
    `progress(shard)` is called as each shard is done."""
    from smsflows.domain.campaigns import audience
    from smsflows.domain.campaigns.eta import AudienceGroup
    from smsflows.domain.campaigns.segments import parse_segment

    config = current(shop)
    stored = segments().get(shop, name)
    if stored is None:
        raise Failed(f"no segment {name!r} in shop {shop} (`smsflows segment list --shop {shop}`)")
    parsed = parse_segment(stored["document"])
    found = deps()
    members, now = found.segment_members, found.clock()

    def page(shard: int, cursor: Mapping[str, str] | None, limit: int) -> Any:
        got = members.page(shop, shard, cursor, limit)
        if got[1] is None and progress is not None:
            progress(shard)
        return got

    counts = audience.tally(parsed, page, members.shards, now, config.default_country)
    groups = []
    for zones, n in counts.items():
        ordered = strictest_first(zones, now)
        label = AudienceGroup.of(n, *ordered).label
        groups.append({"label": label, "zones": list(ordered), "count": n})
    row = _row(shop, stored)
    return {"shop": shop, "name": name, "describe": row["describe"], "total": sum(counts.values()),
            "groups": groups, "warnings": _warnings(stored["document"]), "counted_at": now.isoformat()}  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# Backfill


def _encode(cursor: Mapping[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(dict(cursor), sort_keys=True).encode()).decode()


def _decode(shop: str, token: str) -> dict[str, str]:
    from smsflows.adapters.segment_members import checked_backfill_cursor

    try:
        return checked_backfill_cursor(shop, json.loads(base64.urlsafe_b64decode(token.encode())))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadValue(
            f"--cursor: {token[:40]!r} is not a cursor `segment backfill --shop {shop}` printed"
        ) from None


def segment_backfill(
    shop: str,
    *,
    cursor: str | None = None,
    page_size: int = 100,
    rate: float = 200.0,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Give every subscriber of the shop written before segments its `seg_pk` and candidate zones
    (adapters/segment_members.py `backfill_page`): resumable from `cursor` (what a stopped run printed),
    idempotent, at most `rate` writes a second (0: unpaced). {BACKFILL_KEYS}; `progress(states)` per page.
    A failure part way is a Failed that names the cursor to resume from."""
    from smsflows.adapters.segment_members import MAX_BACKFILL_PAGE, backfill_page

    current(shop)
    if not 1 <= page_size <= MAX_BACKFILL_PAGE:
        raise BadValue(f"--page-size: {page_size} is not accepted: give 1 to {MAX_BACKFILL_PAGE}")
    if rate < 0:
        raise BadValue(f"--rate: {rate:g} is not accepted: give writes per second ≥ 0 (0: unpaced)")
    start = _decode(shop, cursor) if cursor else None
    found = deps()
    client, table = found.client("dynamodb"), found.settings.table_name
    next_at = [time.monotonic()]

    def paced() -> None:
        if rate > 0:
            wait = next_at[0] - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            next_at[0] = max(next_at[0], time.monotonic()) + 1.0 / rate

    totals = {k: 0 for k in BACKFILL_KEYS if k not in ("shop", "cursor")}
    at: dict[str, str] | None = start
    while True:
        try:
            page = backfill_page(client, table, shop, at, page_size, before_write=paced)
        except Exception as exc:
            resume = f"; resume with --cursor {_encode(at)}" if at else "; run it again"
            raise Failed(f"backfill stopped after {totals['pages']} pages: {one_line(exc)}{resume}") from exc
        totals["pages"] += 1
        for key in ("states", "subscribed", "updated", "already", "changed_meanwhile", "truncated"):
            totals[key] += getattr(page, key)
        if progress is not None:
            progress(page.states)
        at = page.cursor
        if at is None:
            return {"shop": shop, **totals, "cursor": None}
