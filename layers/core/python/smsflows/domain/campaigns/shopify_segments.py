"""A Shopify customer segment as a campaign's audience (issue 17 part 5): who Shopify puts in it, read with
the Admin API's `customerSegmentMembers` (cursor-paged), and who of them smsflows may text.

Segment membership is not consent. A member is texted only if smsflows' own consent store has the phone
subscribed (the sender re-checks consent and suppression for every text, RULES.md A5), whatever Shopify's
`marketingState` says; a member without a phone, or with one that is not a valid number, is counted as
skipped. So a Shopify segment is stored as a segment whose document is `{"subscribed": {}}` (the consent
gate every segment has) and whose *members come from Shopify* instead of the shop's whole index.

A campaign run on a Shopify segment first materialises the membership: its first steps page through Shopify
(`refresh_step`, at most MAX_REFRESH members a step, so a million-member segment never holds a Lambda past
its timeout) and write each member's phone under the run (adapters/shopify_segment_members.py). Then the
fan-out pages those phones joined with their consent state, exactly as it pages the index: pacing, quiet
hours, holdout, A/B split, dedupe and the consent checks apply unchanged.

Shopify's failures are runtime.errors': ShopifyThrottled and ShopifyUnavailable are TransientErrors (the
step is retried); ShopifyAccessDenied, ShopifyNotConnected and any other ShopifyError are for good.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from smsflows.domain.campaigns.fanout import zones_of
from smsflows.domain.campaigns.segments import SUBSCRIBED, SegmentMember
from smsflows.domain.phones import normalize_phone
from smsflows.runtime.errors import BadRequest, TransientError

# The document a Shopify segment is stored with: consent is the only condition smsflows adds.
DOCUMENT: dict[str, Any] = {"subscribed": {}}
GID_PREFIX = "gid://shopify/Segment/"
ID_FORM = 'a Shopify segment id: digits or "gid://shopify/Segment/123" (`smsflows segment shopify-list`)'
PAGE_SIZE = 250  # members per Admin API call (Shopify's maximum is 1000; the cost is per member either way)
MAX_REFRESH = 5_000  # members one release step reads from Shopify at most (as fanout.MAX_READ bounds a step)
THROTTLED_WAIT_S = 10  # a refresh step cut short by Shopify's throttle goes on after this (virtual) delay
KEEP_DAYS = 30  # a run's materialised members expire this long after their refresh (the table's TTL)
_ID = re.compile(r"(?:gid://shopify/Segment/)?([1-9]\d{0,19})")


class ShopifySegmentError(BadRequest):
    code = "invalid_shopify_segment"


def segment_gid(value: Any) -> str:
    """The segment's GID from what an operator types: "123" or "gid://shopify/Segment/123"."""
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    match = _ID.fullmatch(text)
    if match is None:
        raise ShopifySegmentError(f"--shopify-segment: {str(value)[:60]!r} is not {ID_FORM}")
    return GID_PREFIX + match.group(1)


def is_shopify(stored: Mapping[str, Any] | None) -> bool:
    """Whether a stored segment record (`Segments.get`) is a Shopify segment."""
    return bool(stored and stored.get("shopify"))


def describe(shopify: Mapping[str, Any]) -> str:
    name = shopify.get("name") or shopify["id"]
    return f"Shopify segment {name!r} ({shopify['id']}), members subscribed in smsflows only"


# ---------------------------------------------------------------------------------------------------------
# What Shopify answers


@dataclass(frozen=True)
class ShopifyMember:
    """One member as `customerSegmentMembers` lists it: its phone (None when it has none) and Shopify's
    legacy `marketingState` for it (informational only: it is not consent here)."""

    phone: str | None
    marketing_state: str | None = None


@dataclass(frozen=True)
class MembersPage:
    total: int | None  # Shopify's totalCount of the segment
    members: tuple[ShopifyMember, ...]
    end_cursor: str | None
    has_next: bool


# `fetch(after, first)`: one page of the segment's members after Shopify's cursor (None: the first page).
Fetch = Callable[[str | None, int], MembersPage]


@dataclass(frozen=True)
class Mapped:
    """A page's members as smsflows sees them: E.164 phones, and the members it skips."""

    phones: tuple[str, ...]
    no_phone: int = 0
    invalid_phone: int = 0
    shopify_subscribed: int = 0  # Shopify says SUBSCRIBED (counted, never trusted)


def map_members(members: Iterable[ShopifyMember], country: str | None) -> Mapped:
    """E.164 phones of the members (in order, a number listed twice once), and the skipped counted."""
    phones: dict[str, None] = {}
    no_phone = invalid = subscribed = 0
    for member in members:
        if (member.marketing_state or "").upper() == "SUBSCRIBED":
            subscribed += 1
        result = normalize_phone(member.phone, country)
        if result.status == "missing":
            no_phone += 1
        elif not result.usable or result.e164 is None:
            invalid += 1
        else:
            phones.setdefault(result.e164)
    return Mapped(tuple(phones), no_phone, invalid, subscribed)


def pages(fetch: Fetch, after: str | None = None, first: int = PAGE_SIZE) -> Iterator[MembersPage]:
    """Every page from `after` on, following Shopify's cursor until it says there is no next page."""
    while True:
        page = fetch(after, first)
        yield page
        if not page.has_next or page.end_cursor is None or page.end_cursor == after:
            return
        after = page.end_cursor


# ---------------------------------------------------------------------------------------------------------
# Materialising a run's members (release_campaign), a bounded slice per step


@dataclass(frozen=True)
class Refresh:
    """Where a run's materialisation stands, stored on its progress (`fanout.Progress.shopify`)."""

    segment_id: str
    after: str | None = None  # Shopify's cursor: the next page starts after it
    done: bool = False
    pages: int = 0
    members: int = 0  # members Shopify listed
    phones: int = 0  # phones written (a number shared by two customers once per page)
    no_phone: int = 0
    invalid_phone: int = 0
    shopify_subscribed: int = 0
    total: int | None = None  # Shopify's totalCount when the refresh read it
    started_at: datetime | None = None
    finished_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("started_at", "finished_at"):
            out[key] = out[key].isoformat() if out[key] is not None else None
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Refresh:
        def when(key: str) -> datetime | None:
            value = data.get(key)
            return datetime.fromisoformat(str(value)) if value else None

        def number(key: str) -> int:
            return int(data.get(key) or 0)

        total = data.get("total")
        return cls(segment_id=str(data["segment_id"]), after=data.get("after") or None, done=bool(data.get("done")),
                   pages=number("pages"), members=number("members"), phones=number("phones"),
                   no_phone=number("no_phone"), invalid_phone=number("invalid_phone"),
                   shopify_subscribed=number("shopify_subscribed"), total=int(total) if total is not None else None,
                   started_at=when("started_at"), finished_at=when("finished_at"))  # fmt: skip


@dataclass(frozen=True)
class RefreshResult:
    refresh: Refresh
    throttled: bool = False  # Shopify's throttle cut the step short: go on after THROTTLED_WAIT_S


def refresh_step(
    refresh: Refresh,
    fetch: Fetch,
    write: Callable[[tuple[str, ...]], None],
    country: str | None,
    now: datetime,
    *,
    max_members: int | None = None,
    page_size: int | None = None,
) -> RefreshResult:
    """Read at most `max_members` more members from Shopify and `write` their phones (idempotent: a step
    that runs twice writes the same items). A throttle or outage on the step's first page raises (SQS
    retries the step); later in the step, what was read is kept and the step ends early."""
    if refresh.done:
        return RefreshResult(refresh)
    max_members, page_size = max_members or MAX_REFRESH, page_size or PAGE_SIZE  # read now: tests narrow them
    r = refresh if refresh.started_at is not None else replace(refresh, started_at=now)
    read = 0
    while read < max_members:
        try:
            page = fetch(r.after, max(1, min(page_size, max_members - read)))
        except TransientError:
            if read == 0:
                raise
            return RefreshResult(r, throttled=True)
        mapped = map_members(page.members, country)
        if mapped.phones:
            write(mapped.phones)
        read += len(page.members)
        last = not page.has_next or page.end_cursor is None or page.end_cursor == r.after
        r = replace(r, after=page.end_cursor, pages=r.pages + 1, members=r.members + len(page.members),
                    phones=r.phones + len(mapped.phones), no_phone=r.no_phone + mapped.no_phone,
                    invalid_phone=r.invalid_phone + mapped.invalid_phone,
                    shopify_subscribed=r.shopify_subscribed + mapped.shopify_subscribed,
                    total=page.total if page.total is not None else r.total)  # fmt: skip
        if last:
            return RefreshResult(replace(r, done=True, finished_at=now))
    return RefreshResult(r)


# ---------------------------------------------------------------------------------------------------------
# Counting who is textable now (`segment count`, `campaign preview` and `schedule`)


@dataclass
class Count:
    """A Shopify segment counted now: Shopify's size and who of its members smsflows may text."""

    segment_id: str
    shopify_total: int | None = None  # Shopify's totalCount
    members: int = 0  # members listed
    phones: int = 0  # distinct valid phones
    no_phone: int = 0
    invalid_phone: int = 0
    not_subscribed: int = 0  # a phone smsflows has no subscription for (whatever Shopify says)
    shopify_subscribed: int = 0
    by_zones: dict[tuple[str, ...], int] = field(default_factory=dict)

    @property
    def textable(self) -> int:
        return sum(self.by_zones.values())

    def summary(self) -> dict[str, Any]:
        return {
            "segment_id": self.segment_id, "shopify_total": self.shopify_total, "members": self.members,
            "textable": self.textable, "not_subscribed": self.not_subscribed, "no_phone": self.no_phone,
            "invalid_phone": self.invalid_phone, "shopify_subscribed": self.shopify_subscribed,
        }  # fmt: skip


def count(
    segment_id: str,
    fetch: Fetch,
    states: Callable[[tuple[str, ...]], Mapping[str, SegmentMember]],
    country: str | None,
    *,
    page_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Count:
    """Page through the whole segment; `states(phones)` reads smsflows' members of those phones (consent
    and candidate zones). Only a subscribed one is textable; each is grouped by its candidate zones, as the
    index's members are (`audience.tally`). `progress(members)` after each page."""
    out = Count(segment_id)
    seen: set[str] = set()
    for page in pages(fetch, None, page_size or PAGE_SIZE):
        out.shopify_total = page.total if page.total is not None else out.shopify_total
        mapped = map_members(page.members, country)
        out.members += len(page.members)
        out.no_phone += mapped.no_phone
        out.invalid_phone += mapped.invalid_phone
        out.shopify_subscribed += mapped.shopify_subscribed
        fresh = tuple(p for p in mapped.phones if p not in seen)
        seen.update(fresh)
        out.phones += len(fresh)
        found = states(fresh) if fresh else {}
        for phone in fresh:
            member = found.get(phone)
            if member is None or member.status != SUBSCRIBED:
                out.not_subscribed += 1
                continue
            zones = zones_of(member, country)
            out.by_zones[zones] = out.by_zones.get(zones, 0) + 1
        if progress is not None:
            progress(len(page.members))
    out.by_zones = dict(sorted(out.by_zones.items(), key=lambda kv: (-kv[1], kv[0])))
    return out
