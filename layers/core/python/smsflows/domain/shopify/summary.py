"""The subscriber's summary that segments read (docs/segments.md §1): what the writers derive from Shopify's
orders and customers, and from where the phone's owner may be. Pure; the adapters write it on the subscriber
state item and read it back as a `SegmentMember`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from smsflows.domain.campaigns.segments import MAX_BOUGHT_IDS, normal_tag
from smsflows.domain.compliance.locations import Address, candidate_locations, number_locations

MAX_TAGS = 250  # Shopify's own maximum of tags per customer: a full set is never cut
Place = tuple[str | None, str | None, str]  # (country, state, source), as the state item's `addresses`


def iso_utc(at: datetime) -> str:
    """An instant as the summary stores it: UTC, fixed width (microseconds always), so that comparing the
    text in a condition expression compares the instants."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("an aware datetime is required")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


@dataclass(frozen=True)
class PlaceSummary:
    """Where the phone's owner may be: the candidate zones (`candidate_locations`, as the sender computes
    them, without the shop's country: a number with no place and no address gets the US's and Canada's
    zones) and one country and state: the first address's, else the area code's."""

    zones: frozenset[str]
    country: str | None
    state: str | None


def place_summary(phone: str, addresses: Sequence[Place]) -> PlaceSummary:
    """The summary of `addresses` (the state item's, default address first) for `phone`; as
    domain/sending/send.py reads them: the first is the default address, the second the shipping one."""
    places = [Address(country, region) for country, region, _ in addresses]
    default = places[0] if places else None
    shipping = places[1] if len(places) > 1 else None
    zones = frozenset(loc.time_zone for loc in candidate_locations(phone, default, shipping))
    for country, region, _ in addresses:
        if country:
            return PlaceSummary(zones, country.upper(), region.upper() if region else None)
    number = number_locations(phone)
    if number:
        return PlaceSummary(zones, number[0].country, number[0].state)
    return PlaceSummary(zones, None, None)


def with_default_address(addresses: Sequence[Place], country: str, province: str | None) -> tuple[Place, ...]:
    """The addresses after a customers/update named the default address: it comes first, in place of the
    one known before; the shipping addresses orders taught stay."""
    kept = tuple(a for a in addresses if a[2] != "default_address")
    return ((country.upper(), province.upper() if province else None, "default_address"), *kept)


_ID = re.compile(r"(?:gid://shopify/[A-Za-z]+/)?([1-9]\d{0,19})")


def shopify_ids(values: Iterable[object]) -> tuple[str, ...]:
    """Distinct Shopify ids (digits) in the order given; anything that is not an id is left out."""
    out: dict[str, None] = {}
    for value in values:
        if isinstance(value, bool) or value is None:
            continue
        match = _ID.fullmatch(str(value).strip())
        if match:
            out[match.group(1)] = None
    return tuple(out)


def amount(value: object) -> Decimal | None:
    """A money amount from Shopify ("199.00"), or None if it is not one."""
    if value is None or isinstance(value, bool):
        return None
    try:
        found = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return found if found.is_finite() and found >= 0 else None


def tags_of(text: str | None) -> frozenset[str]:
    """Shopify's comma-separated tags, normalised as the evaluator compares them (`normal_tag`)."""
    found = [normal_tag(t) for t in (text or "").split(",") if t.strip()]
    return frozenset(list(dict.fromkeys(found))[:MAX_TAGS])


@dataclass(frozen=True)
class BoughtUpdate:
    """What to add to one bought-ids set: `add` (the first ids that fit under the cap) and whether some were
    left out (`truncated`)."""

    add: tuple[str, ...]
    truncated: bool


def bought_update(stored: Iterable[str], ids: Sequence[str], cap: int = MAX_BOUGHT_IDS) -> BoughtUpdate:
    """The ids of an order to add to a set holding `stored`: the first `cap` distinct ids are kept, those
    past it are dropped and flagged (docs/segments.md §4)."""
    have = set(stored)
    new = [i for i in dict.fromkeys(ids) if i not in have]
    room = max(0, cap - len(have))
    return BoughtUpdate(tuple(new[:room]), len(new) > room)


@dataclass(frozen=True)
class CustomerSummary:
    """What a customers/create or customers/update says about the customer's whole history in the shop
    (Shopify's own figures: they include orders from before the app was installed)."""

    customer_id: str
    updated_at: datetime
    orders_count: int | None = None
    total_spent: Decimal | None = None
    tags: frozenset[str] = frozenset()
    default_address: tuple[str, str | None] | None = None  # (country, province)
