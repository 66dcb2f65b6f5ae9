"""A shop's saved segments (issue 15, docs/segments.md), as the operator makes and counts them: create one
from a JSON document, list them, count who one holds now by time-zone group, and the one-off backfill of
the index for subscribers from before segments.

The rules are the domain's: `domain/campaigns/segments.py` parses and evaluates a document, and
`domain/campaigns/audience.py` counts an audience by zone group exactly as `campaign preview` does. A bad
document is a BadValue (exit 2) naming the field; nothing is stored then.

A Shopify segment (issue 17, `domain/campaigns/shopify_segments.py`) is made from its id in the shop's
Shopify (`--shopify-segment`); its members are Shopify's, its textable ones those smsflows has subscribed.
Shopify unreachable, no token or access denied: a Failed (exit 1) that says so; nothing is stored then.
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
from smsflows.admin.shopify_segments import shopify_count, shopify_failure, shopify_source
from smsflows.admin.shops import current
from smsflows.admin.target import deps
from smsflows.runtime.errors import BadRequest

CREATE_KEYS = ("shop", "name", "describe", "document", "warnings", "replaced", "created_by", "created_at",
               "updated_at", "source", "shopify")  # fmt: skip
# `source`: "smsflows" (a document) or "shopify" (issue 17); `shopify`: None, or SHOPIFY_SEGMENT_KEYS
LIST_KEYS = ("name", "describe", "created_by", "created_at", "updated_at", "source", "shopify")
# `total` is who may be texted now; `shopify` (a Shopify segment's only, else None): SHOPIFY_COUNT_KEYS
COUNT_KEYS = ("shop", "name", "describe", "total", "groups", "warnings", "counted_at", "source", "shopify")
SHOPIFY_SEGMENT_KEYS = ("id", "name", "query")
SHOPIFY_COUNT_KEYS = ("id", "name", "query", "segment_id", "shopify_total", "members", "textable",
                      "not_subscribed", "no_phone", "invalid_phone", "shopify_subscribed")  # fmt: skip
# `segment list`'s `shopify`: the segment, Shopify's size now (None, with `unavailable` saying why, when
# Shopify cannot say) and the last count's textable members and instant
SHOPIFY_LIST_KEYS = ("id", "name", "query", "total", "unavailable", "textable", "counted_at")
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
    from smsflows.domain.campaigns import shopify_segments
    from smsflows.domain.campaigns.segments import describe, parse_segment

    shopify = found.get("shopify")
    return {
        "shop": shop,
        "name": found["name"],
        "describe": shopify_segments.describe(shopify)
        if shopify
        else describe(parse_segment(found["document"])),
        "document": found["document"],
        "created_by": found["created_by"],
        "created_at": found["created_at"].isoformat(),
        "updated_at": found["updated_at"].isoformat(),
        "source": "shopify" if shopify else "smsflows",
        "shopify": {k: shopify.get(k) for k in SHOPIFY_SEGMENT_KEYS} if shopify else None,
    }


def _shopify_segment(shop: str, value: str) -> dict[str, Any]:
    """The Shopify segment `value` names ({"id", "name", "query"}), read from Shopify; Failed if none."""
    from smsflows.domain.campaigns.shopify_segments import segment_gid
    from smsflows.runtime.errors import ShopifyError, TransientError

    try:
        wanted = segment_gid(value)
    except BadRequest as exc:
        raise BadValue(one_line(exc)) from None
    try:
        found = shopify_source().segment(shop, wanted)
    except (ShopifyError, TransientError) as exc:
        raise shopify_failure(exc, shop, f"cannot read Shopify segment {wanted}") from None
    if found is None:
        raise Failed(f"--shopify-segment: the shop has no Shopify segment {wanted}; nothing stored "
                     f"(`smsflows segment shopify-list --shop {shop}`)")  # fmt: skip
    return {k: found.get(k) for k in SHOPIFY_SEGMENT_KEYS}


def segment_create(
    shop: str,
    name: str,
    file: str | None = None,
    *,
    shopify_segment: str | None = None,
    replace: bool = False,
    by: str | None = None,
) -> dict[str, Any]:
    """Validate the document (`parse_segment`), or find the Shopify segment, and store it under `name`;
    {CREATE_KEYS}. A name that exists is replaced only with `replace` (Failed otherwise). Nothing is stored
    on a refusal."""
    from smsflows.domain.campaigns import shopify_segments

    current(shop)
    _name(name)
    if (file is None) == (shopify_segment is None):
        raise BadValue("give --file F.json (a segment document) or --shopify-segment ID, exactly one")
    store = segments()
    existed = store.get(shop, name) is not None
    if existed and not replace:
        raise Failed(
            f"segment {name!r} exists in shop {shop}: nothing stored (pass --replace to replace its document)"
        )
    shopify = _shopify_segment(shop, shopify_segment) if shopify_segment is not None else None
    document = dict(shopify_segments.DOCUMENT) if shopify is not None else _document(str(file))
    store.put(shop, name, document, operator(by), deps().clock(), shopify=shopify)
    stored = store.get(shop, name)
    if stored is None:  # pragma: no cover - read after our own consistent write
        raise Failed(f"segment {name!r} was not stored")
    row = _row(shop, stored)
    return {**row, "warnings": [] if shopify else _warnings(document), "replaced": existed}


def shopify_segments_list(shop: str) -> list[dict[str, Any]]:
    """The shop's segments in Shopify ({SHOPIFY_SEGMENT_KEYS} each), to pick one for `--shopify-segment`."""
    from smsflows.runtime.errors import ShopifyError, TransientError

    current(shop)
    try:
        return [{k: s.get(k) for k in SHOPIFY_SEGMENT_KEYS} for s in shopify_source().segments(shop)]
    except (ShopifyError, TransientError) as exc:
        raise shopify_failure(exc, shop, "cannot list the shop's Shopify segments") from None


def segment_list(shop: str) -> list[dict[str, Any]]:
    """The shop's segments, by name: {LIST_KEYS} each. A Shopify segment's `shopify` ({SHOPIFY_LIST_KEYS})
    has Shopify's size now (one call each; None with the reason when Shopify cannot say) and the last
    count's textable members."""
    from smsflows.runtime.errors import ShopifyError, TransientError

    current(shop)
    rows = []
    source = None
    for stored in segments().list(shop):
        row = {k: v for k, v in _row(shop, stored).items() if k in LIST_KEYS}
        shopify = stored.get("shopify")
        if shopify:
            last = shopify.get("last_count") or {}
            total, unavailable = None, None
            try:
                source = source or shopify_source()
                total = source.total(shop, shopify["id"])
            except (ShopifyError, TransientError, Failed) as exc:
                failed = exc if isinstance(exc, Failed) else shopify_failure(exc, shop, "size")
                unavailable = one_line(failed).removeprefix("size: ").removesuffix("; nothing changed")
            row["shopify"] = {**row["shopify"], "total": total, "unavailable": unavailable,
                              "textable": last.get("textable"), "counted_at": last.get("counted_at")}  # fmt: skip
        rows.append(row)
    return rows


def strictest_first(zones: tuple[str, ...], at: datetime) -> tuple[str, ...]:
    """Candidate zones, the strictest first: the one whose local time is the earliest at `at` (the last to
    reach a local send time, so the one a local-time campaign releases by), then by name."""
    return tuple(sorted(zones, key=lambda z: (at.astimezone(ZoneInfo(z)).utcoffset() or timedelta(0), z)))


def _stored(shop: str, name: str) -> dict[str, Any]:
    stored = segments().get(shop, name)
    if stored is None:
        raise Failed(f"no segment {name!r} in shop {shop} (`smsflows segment list --shop {shop}`)")
    return dict(stored)


def count_size(shop: str, name: str) -> tuple[int | None, str]:
    """What `segment_count` will report progress in: (how many, of what): the index's shards, or a
    Shopify segment's members (Shopify's totalCount: one call, so an unreachable Shopify fails here)."""
    from smsflows.domain import keys
    from smsflows.runtime.errors import ShopifyError, TransientError

    current(shop)
    shopify = _stored(shop, name).get("shopify")
    if not shopify:
        return keys.SEGMENT_SHARDS, "shards"
    try:
        return shopify_source().total(shop, shopify["id"]), "members"
    except (ShopifyError, TransientError) as exc:
        raise shopify_failure(exc, shop, f"cannot count Shopify segment {shopify['id']}") from None


def segment_count(shop: str, name: str, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Who the segment holds now: every shard paged through the evaluator, the total and the count by
    candidate zones (`audience.tally`, as `campaign preview` counts), with the segment's warnings. A
    Shopify segment: its members paged from Shopify, the textable ones (subscribed in smsflows) counted by
    zones, and what was skipped (`shopify`: SHOPIFY_COUNT_KEYS), kept for `segment list`. `progress(n)`
    as n more of `count_size`'s units are done."""
    from smsflows.domain.campaigns import audience
    from smsflows.domain.campaigns.segments import parse_segment

    config = current(shop)
    stored = _stored(shop, name)
    found = deps()
    members, now = found.segment_members, found.clock()
    shopify = stored.get("shopify")
    summary = None
    if shopify:
        counted = shopify_count(shop, shopify, config.default_country, progress)
        counts = counted.by_zones
        summary = {**{k: shopify.get(k) for k in SHOPIFY_SEGMENT_KEYS}, **counted.summary()}
        segments().note_count(shop, name, {"textable": counted.textable, "counted_at": now.isoformat()})
    else:
        parsed = parse_segment(stored["document"])

        def page(shard: int, cursor: Mapping[str, str] | None, limit: int) -> Any:
            got = members.page(shop, shard, cursor, limit)
            if got[1] is None and progress is not None:
                progress(1)
            return got

        counts = audience.tally(parsed, page, members.shards, now, config.default_country)
    return _counted(shop, name, stored, counts, now, summary)


def _counted(shop: str, name: str, stored: Mapping[str, Any], counts: Mapping[tuple[str, ...], int],
             now: datetime, summary: dict[str, Any] | None) -> dict[str, Any]:  # fmt: skip
    from smsflows.domain.campaigns.eta import AudienceGroup

    groups = []
    for zones, n in counts.items():
        ordered = strictest_first(zones, now)
        label = AudienceGroup.of(n, *ordered).label
        groups.append({"label": label, "zones": list(ordered), "count": n})
    row = _row(shop, stored)
    warnings = [] if summary is not None else _warnings(stored["document"])
    return {"shop": shop, "name": name, "describe": row["describe"], "total": sum(counts.values()),
            "groups": groups, "warnings": warnings, "counted_at": now.isoformat(), "source": row["source"],
            "shopify": summary}  # fmt: skip


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
