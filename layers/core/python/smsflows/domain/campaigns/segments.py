"""Segments as data: a JSON document of conditions composed with all/any/not, and its evaluation.

A document is one node, an object with exactly one key that names it:

    {"all": [{"repeat": {}}, {"lapsed": {"days": 90}},
             {"not": {"bought": {"product": ["7001"]}}},
             {"any": [{"tags": {"any": ["vip"]}}, {"high_value": {"min_total": "250.00"}}]}]}

Consent is not a condition one can leave out: the evaluator counts only members whose status is
`subscribed`, whatever the document says (the sender re-checks consent for every text, RULES.md A5).

Evaluation is three-valued (Kleene): a condition on data the member's summary does not hold (no total
spent, no address, a bought-ids set that reached its cap and lacks the id) is *unknown*, `not` of unknown is
unknown, and only a definite yes counts. So a gap in the data never puts anyone in an audience, neither by a
condition nor by its negation, and `not(not(s))` is exactly `s`.

The evaluator reads `SegmentMember`, the denormalised per-subscriber summary that the enumeration pages
through (docs/segments.md); `needs` says which of its fields a segment reads, so the reader projects only
those.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from smsflows.runtime.errors import BadRequest

# A segment document cannot be a denial of service: bounded in bytes, nesting, conditions and listed values.
MAX_DOCUMENT_BYTES = 64 * 1024
MAX_DEPTH = 8  # levels of all/any/not
MAX_NODES = 100  # conditions and compositions in one document
MAX_LIST = 500  # values in one list (ids, tags, places)
MAX_VALUES = 2000  # values in all lists of the document together
MAX_DAYS = 36_500
MAX_TEXT = 255  # Shopify's longest tag
MAX_AMOUNT = Decimal("1e12")
# Caps on the summary's bought-ids sets (docs/segments.md): past one, the writer sets `bought_truncated`.
MAX_BOUGHT_IDS = 100
# Link clicks are recorded (issue 16: a click sets the summary's last_click_at), so `engaged.clicked_days` counts.
CLICKS_RECORDED = True

SUBSCRIBED = "subscribed"
ROOT = "segment"
# The document's consent-source names -> the ledger's (domain/consent/ledger.py `Source`).
CONSENT_SOURCES = {
    "web_form": "web_form",
    "checkout": "checkout",
    "keyword": "keyword",
    "import": "import",
    "shopify": "shopify_consent",
    "manual": "manual",
    "api": "api",
}


class SegmentError(BadRequest):
    """A segment document that does not validate: `path` names the place ("any[1].lapsed.days")."""

    code = "invalid_segment"

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


# ---------------------------------------------------------------------------------------------------------
# Values


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("not a boolean")
    return value


def _shopify_id(value: Any) -> str:
    _no_bool(value)
    if isinstance(value, int) and value > 0:
        return str(value)
    if isinstance(value, str):
        match = re.fullmatch(r"(?:gid://shopify/[A-Za-z]+/)?([1-9]\d{0,19})", value.strip())
        if match:
            return match.group(1)
    raise ValueError("not a Shopify id")


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise ValueError("not a tag")
    return normal_tag(value)


def _country(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{2}", value.strip()):
        raise ValueError("not a country code")
    return value.strip().upper()


def _state(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"(?:[A-Za-z]{2}-)?[A-Za-z0-9]{1,3}", value.strip()):
        raise ValueError("not a state code")
    return value.strip().upper()


def _zone(value: Any) -> str:
    if not isinstance(value, str) or not _is_zone(value):
        raise ValueError("not a time zone")
    return value


@lru_cache(maxsize=1024)
def _is_zone(name: str) -> bool:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*", name):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _source(value: Any) -> str:
    if not isinstance(value, str) or value not in CONSENT_SOURCES:
        raise ValueError("not a consent source")
    return str(value)


def _amount(value: Any) -> Decimal:
    _no_bool(value)
    if not isinstance(value, int | float | str | Decimal):
        raise ValueError("not an amount")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("not an amount") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise ValueError("not an amount")
    return amount


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("not a date")


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def normal_tag(tag: str) -> str:
    """Shopify tags compare without case and surrounding spaces; the summary stores them like this."""
    return tag.strip().casefold()


Days = Annotated[int, Field(strict=True, ge=1, le=MAX_DAYS)]


_IdList = tuple[Annotated[str, BeforeValidator(_shopify_id)], ...]
_TagList = tuple[Annotated[str, BeforeValidator(_text)], ...]
_CountryList = tuple[Annotated[str, BeforeValidator(_country)], ...]
_StateList = tuple[Annotated[str, BeforeValidator(_state)], ...]
_ZoneList = tuple[Annotated[str, BeforeValidator(_zone)], ...]
_SourceList = tuple[Annotated[str, BeforeValidator(_source)], ...]
_Bounded = Field(min_length=1, max_length=MAX_LIST)
Ids = Annotated[_IdList, _Bounded, AfterValidator(_unique)]
Tags = Annotated[_TagList, _Bounded, AfterValidator(_unique)]
Countries = Annotated[_CountryList, _Bounded, AfterValidator(_unique)]
States = Annotated[_StateList, _Bounded, AfterValidator(_unique)]
Zones = Annotated[_ZoneList, _Bounded, AfterValidator(_unique)]
Sources = Annotated[_SourceList, _Bounded, AfterValidator(_unique)]

# The accepted form of each field, for error messages ("any[1].lapsed.days: must be a whole number ≥ 1").
_FORMS = {
    "days": f"a whole number ≥ 1 (at most {MAX_DAYS})",
    "replied_days": f"a whole number ≥ 1 (at most {MAX_DAYS})",
    "clicked_days": f"a whole number ≥ 1 (at most {MAX_DAYS})",
    "min_orders": "a whole number ≥ 2",
    "min_total": 'an amount ≥ 0 in the shop currency, e.g. 250 or "250.00"',
    "date": 'a date "YYYY-MM-DD" (UTC)',
    "product": f'a list of 1 to {MAX_LIST} Shopify ids (digits or "gid://shopify/…/123")',
    "variant": f'a list of 1 to {MAX_LIST} Shopify ids (digits or "gid://shopify/…/123")',
    "collection": f'a list of 1 to {MAX_LIST} Shopify ids (digits or "gid://shopify/…/123")',
    "tags.any": f"a list of 1 to {MAX_LIST} tags (text of 1 to {MAX_TEXT} characters)",
    "tags.all": f"a list of 1 to {MAX_LIST} tags (text of 1 to {MAX_TEXT} characters)",
    "consent_source.any": "a list of consent sources: " + ", ".join(CONSENT_SOURCES),
    "country": f'a list of 1 to {MAX_LIST} two-letter country codes, e.g. ["US", "CA"]',
    "state": f'a list of 1 to {MAX_LIST} state or province codes, e.g. ["TX", "US-FL", "CA-ON"]',
    "time_zone": f'a list of 1 to {MAX_LIST} IANA time zones, e.g. ["America/Chicago"]',
    "zones": '"any" (a candidate zone is listed) or "all" (every candidate zone is listed)',
}
_ID_FORM = 'a Shopify id: digits or "gid://shopify/…/123"'
_ITEM_FORMS = {
    "product": _ID_FORM,
    "variant": _ID_FORM,
    "collection": _ID_FORM,
    "tags.any": f"a tag: text of 1 to {MAX_TEXT} characters",
    "tags.all": f"a tag: text of 1 to {MAX_TEXT} characters",
    "consent_source.any": "one of " + ", ".join(CONSENT_SOURCES),
    "country": 'a two-letter country code, e.g. "US"',
    "state": 'a state or province code, e.g. "TX", "US-FL" or "CA-ON"',
    "time_zone": 'an IANA time zone, e.g. "America/Chicago"',
}


# ---------------------------------------------------------------------------------------------------------
# The document's nodes (a discriminated union on `kind`)


class _Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Subscribed(_Node):
    """Every subscriber (consent is required by every segment; this one asks for nothing more)."""

    kind: Literal["subscribed"] = "subscribed"


class FirstTime(_Node):
    """Exactly one order."""

    kind: Literal["first_time"] = "first_time"


class Repeat(_Node):
    """At least `min_orders` orders (2 unless said)."""

    kind: Literal["repeat"] = "repeat"
    min_orders: int = Field(2, strict=True, ge=2, le=1_000_000)


class HighValue(_Node):
    """Total spent (the summary's, in the shop currency) at least `min_total`."""

    kind: Literal["high_value"] = "high_value"
    min_total: Annotated[Decimal, BeforeValidator(_amount)]


class Lapsed(_Node):
    """Has ordered, and the last order is more than `days` days old (exactly `days` is not lapsed)."""

    kind: Literal["lapsed"] = "lapsed"
    days: Days


class OneTimeBuyer(_Node):
    """Exactly one order, placed `days` or more days ago."""

    kind: Literal["one_time_buyer"] = "one_time_buyer"
    days: Days


class SubscribedSince(_Node):
    """Subscribed within the last `days` days, or on or after `date` (00:00 UTC); exactly one of them."""

    kind: Literal["subscribed_since"] = "subscribed_since"
    days: Days | None = None
    date: Annotated[dt.date, BeforeValidator(_date)] | None = None

    @model_validator(mode="after")
    def _one(self) -> SubscribedSince:
        if (self.days is None) == (self.date is None):
            raise ValueError("give exactly one of days, date")
        return self


class Bought(_Node):
    """Bought any of the listed products, variants or collections (use `not` for "never bought")."""

    kind: Literal["bought"] = "bought"
    product: Ids | None = None
    variant: Ids | None = None
    collection: Ids | None = None

    @model_validator(mode="after")
    def _some(self) -> Bought:
        if not (self.product or self.variant or self.collection):
            raise ValueError("give at least one of product, variant, collection")
        return self


class HasTags(_Node):
    """The customer's tags include any (or all) of the listed ones; compared without case."""

    kind: Literal["tags"] = "tags"
    any: Tags | None = None
    all: Tags | None = None

    @model_validator(mode="after")
    def _one(self) -> HasTags:
        if (self.any is None) == (self.all is None):
            raise ValueError("give exactly one of any, all")
        return self


class Location(_Node):
    """Country, state/province and time zone; each one given must hold.

    A phone has candidate zones (its area code's and its addresses', domain/compliance/locations.py):
    `zones: "any"` (the default) matches when any candidate is listed — the person may be there;
    `zones: "all"` only when every candidate is — the person is there wherever they are. A state written
    "US-TX" also asks for the country; "TX" alone matches that code in any country.
    """

    kind: Literal["location"] = "location"
    country: Countries | None = None
    state: States | None = None
    time_zone: Zones | None = None
    zones: Literal["any", "all"] = "any"

    @model_validator(mode="after")
    def _some(self) -> Location:
        if not (self.country or self.state or self.time_zone):
            raise ValueError("give at least one of country, state, time_zone")
        return self


class ConsentSource(_Node):
    """Where the subscriber's current opt-in came from."""

    kind: Literal["consent_source"] = "consent_source"
    any: Sources


class Engaged(_Node):
    """Replied within `replied_days`, or clicked a link within `clicked_days` (either given one counts).
    Clicks are not recorded yet (CLICKS_RECORDED): `clicked_days` is ignored, with a warning."""

    kind: Literal["engaged"] = "engaged"
    replied_days: Days | None = None
    clicked_days: Days | None = None

    @model_validator(mode="after")
    def _some(self) -> Engaged:
        if self.replied_days is None and self.clicked_days is None:
            raise ValueError("give at least one of replied_days, clicked_days")
        return self


class AllOf(_Node):
    kind: Literal["all"] = "all"
    of: tuple[Segment, ...] = Field(min_length=1)


class AnyOf(_Node):
    kind: Literal["any"] = "any"
    of: tuple[Segment, ...] = Field(min_length=1)


class Not(_Node):
    kind: Literal["not"] = "not"
    of: Segment


Condition = (
    Subscribed
    | FirstTime
    | Repeat
    | HighValue
    | Lapsed
    | OneTimeBuyer
    | SubscribedSince
    | Bought
    | HasTags
    | Location
    | ConsentSource
    | Engaged
)
Segment = Annotated[AllOf | AnyOf | Not | Condition, Field(discriminator="kind")]
for _model in (AllOf, AnyOf, Not):
    _model.model_rebuild()

_CONDITIONS: dict[str, type[_Node]] = {
    m.model_fields["kind"].default: m
    for m in (Subscribed, FirstTime, Repeat, HighValue, Lapsed, OneTimeBuyer, SubscribedSince, Bought,
              HasTags, Location, ConsentSource, Engaged)
}  # fmt: skip
_COMPOSITIONS = ("all", "any", "not")
KINDS = (*_COMPOSITIONS, *_CONDITIONS)
_NULLARY = ("subscribed", "first_time", "repeat")  # `true` stands for `{}`


# ---------------------------------------------------------------------------------------------------------
# Parsing


@dataclass
class _Budget:
    nodes: int = 0
    values: int = 0


def parse_segment(document: str | bytes | Mapping[str, Any]) -> Segment:
    """The segment a JSON document (text or already decoded) describes; a SegmentError names the first
    problem's path and the accepted form."""
    if isinstance(document, str | bytes):
        if len(document) > MAX_DOCUMENT_BYTES:
            raise SegmentError(ROOT, f"the document is over {MAX_DOCUMENT_BYTES} bytes")
        try:
            document = json.loads(document)
        except RecursionError:
            raise SegmentError(ROOT, f"nested more than {MAX_DEPTH} levels deep") from None
        except ValueError as exc:
            raise SegmentError(ROOT, f"not JSON ({exc})") from None
    return _parse(document, ROOT, 0, _Budget())


def _parse(doc: Any, path: str, depth: int, budget: _Budget) -> Segment:
    if not isinstance(doc, Mapping) or len(doc) != 1:
        raise SegmentError(path, "must be one condition: an object with one key, one of " + ", ".join(KINDS))
    ((kind, payload),) = doc.items()
    here = kind if path == ROOT else f"{path}.{kind}"
    budget.nodes += 1
    if budget.nodes > MAX_NODES:
        raise SegmentError(here, f"the document has more than {MAX_NODES} conditions")
    if kind in _COMPOSITIONS:
        if depth >= MAX_DEPTH:
            raise SegmentError(here, f"nested more than {MAX_DEPTH} levels of all/any/not")
        if kind == "not":
            return Not(of=_parse(payload, here, depth + 1, budget))
        if not isinstance(payload, list) or not payload:
            raise SegmentError(here, "must be a non-empty list of conditions")
        children = tuple(_parse(c, f"{here}[{i}]", depth + 1, budget) for i, c in enumerate(payload))
        return AllOf(of=children) if kind == "all" else AnyOf(of=children)
    model = _CONDITIONS.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise SegmentError(path, f"unknown condition {kind!r}; one of " + ", ".join(KINDS))
    if payload is True and kind in _NULLARY:
        payload = {}
    if not isinstance(payload, Mapping):
        raise SegmentError(here, "must be an object of the condition's fields" + _fields_hint(model))
    if "kind" in payload:
        raise SegmentError(f"{here}.kind", "unknown field" + _fields_hint(model))
    try:
        node = model.model_validate({**payload, "kind": kind})
    except ValidationError as exc:
        raise _field_error(exc, here, kind, model) from None
    budget.values += sum(len(v) for v in node.__dict__.values() if isinstance(v, tuple))
    if budget.values > MAX_VALUES:
        raise SegmentError(here, f"the document lists more than {MAX_VALUES} values")
    return node  # type: ignore[return-value]  # one of the Condition models


def _fields_hint(model: type[_Node]) -> str:
    fields = [f for f in model.model_fields if f != "kind"]
    return "; accepted: " + ", ".join(fields) if fields else "; it takes no fields: {} or true"


def _field_error(exc: ValidationError, here: str, kind: str, model: type[_Node]) -> SegmentError:
    # an unknown field first (it explains a "missing" one next to it), then the document's order
    first = min(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    loc = [p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    field = str(loc[0]) if loc else ""
    path = here + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
    if not field:  # a rule across fields (exactly one of ...)
        ctx = first.get("ctx") or {}
        return SegmentError(here, str(ctx.get("error", first["msg"])))
    if first["type"] == "extra_forbidden":
        return SegmentError(path, "unknown field" + _fields_hint(model))
    form = _FORMS.get(f"{kind}.{field}") or _FORMS.get(field, "as documented")
    if len(loc) > 1 and isinstance(loc[1], int):
        form = _ITEM_FORMS.get(f"{kind}.{field}") or _ITEM_FORMS.get(field, form)
    if first["type"] == "missing":
        return SegmentError(path, f"required: {form}")
    return SegmentError(path, f"must be {form}")


def dump_segment(segment: Segment) -> dict[str, Any]:
    """The document form of a segment (what parse_segment reads back to an equal segment)."""
    if isinstance(segment, AllOf | AnyOf):
        return {segment.kind: [dump_segment(c) for c in segment.of]}
    if isinstance(segment, Not):
        return {"not": dump_segment(segment.of)}
    fields = segment.model_dump(mode="json", exclude_none=True, exclude={"kind"})
    return {segment.kind: fields}


# ---------------------------------------------------------------------------------------------------------
# The member and the evaluation


@dataclass(frozen=True, slots=True)
class SegmentMember:
    """The denormalised summary of one subscriber of one shop that an enumeration reads (docs/segments.md).

    Datetimes are aware (UTC). `total_spent` is in the shop currency. The bought-ids sets hold at most
    MAX_BOUGHT_IDS each; `bought_truncated` says a set reached its cap and later ids were not kept.
    `tags` are stored normalised (`normal_tag`).
    """

    phone: str
    status: str = "none"
    opt_in_source: str | None = None
    subscribed_at: dt.datetime | None = None
    orders_count: int = 0
    total_spent: Decimal | None = None
    last_order_at: dt.datetime | None = None
    first_order_at: dt.datetime | None = None
    product_ids: frozenset[str] = frozenset()
    variant_ids: frozenset[str] = frozenset()
    collection_ids: frozenset[str] = frozenset()
    bought_truncated: bool = False
    tags: frozenset[str] = frozenset()
    country: str | None = None
    state: str | None = None
    candidate_zones: frozenset[str] = frozenset()
    last_reply_at: dt.datetime | None = None
    last_click_at: dt.datetime | None = None


Verdict = bool | None  # None: unknown (the summary lacks what the condition reads)
_Predicate = Callable[[SegmentMember], Verdict]


def compile_segment(
    segment: Segment, now: dt.datetime, *, clicks_recorded: bool = CLICKS_RECORDED
) -> Callable[[SegmentMember], bool]:
    """A fast predicate for one evaluation instant: True only for a subscribed member the segment
    definitely holds. Cutoffs (now − N days) and value sets are computed once, here."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    inner = _compile(segment, now, clicks_recorded)

    def check(member: SegmentMember) -> bool:
        return member.status == SUBSCRIBED and inner(member) is True

    return check


@lru_cache(maxsize=64)
def _compiled(segment: Segment, now: dt.datetime, clicks_recorded: bool) -> Callable[[SegmentMember], bool]:
    return compile_segment(segment, now, clicks_recorded=clicks_recorded)


def matches(segment: Segment, member: SegmentMember, now: dt.datetime) -> bool:
    """Whether `member` is in `segment` at `now` (never, if not subscribed). Compiles once per
    (segment, now): for many members use `select` or `count`."""
    return _compiled(segment, now, CLICKS_RECORDED)(member)


def select(segment: Segment, members: Iterable[SegmentMember], now: dt.datetime) -> Iterator[SegmentMember]:
    """The members in the segment, lazily: one page at a time in, one member at a time out."""
    check = compile_segment(segment, now)
    return (m for m in members if check(m))


def count(segment: Segment, members: Iterable[SegmentMember], now: dt.datetime) -> int:
    check = compile_segment(segment, now)
    return sum(1 for m in members if check(m))


def _compile(node: Segment, now: dt.datetime, clicks: bool) -> _Predicate:
    if isinstance(node, AllOf | AnyOf):
        return _compose(tuple(_compile(c, now, clicks) for c in node.of), node.kind == "all")
    if isinstance(node, Not):
        inner = _compile(node.of, now, clicks)

        def negation(m: SegmentMember) -> Verdict:
            v = inner(m)
            return None if v is None else not v

        return negation
    if isinstance(node, Subscribed):
        return lambda m: True
    if isinstance(node, FirstTime):
        return lambda m: m.orders_count == 1
    if isinstance(node, Repeat):
        least = node.min_orders
        return lambda m: m.orders_count >= least
    if isinstance(node, HighValue):
        floor = node.min_total
        return lambda m: None if m.total_spent is None else m.total_spent >= floor
    if isinstance(node, Lapsed):
        before = now - dt.timedelta(days=node.days)

        def lapsed(m: SegmentMember) -> Verdict:
            if m.orders_count < 1:
                return False
            return None if m.last_order_at is None else m.last_order_at < before

        return lapsed
    if isinstance(node, OneTimeBuyer):
        by = now - dt.timedelta(days=node.days)

        def one_time(m: SegmentMember) -> Verdict:
            if m.orders_count != 1:
                return False
            at = m.last_order_at or m.first_order_at
            return None if at is None else at <= by

        return one_time
    if isinstance(node, SubscribedSince):
        if node.date is not None:
            since = dt.datetime.combine(node.date, dt.time(), tzinfo=dt.UTC)
        else:
            since = now - dt.timedelta(days=node.days or 0)
        return lambda m: None if m.subscribed_at is None else m.subscribed_at >= since
    if isinstance(node, Bought):
        return _bought(node)
    if isinstance(node, HasTags):
        if node.any is not None:
            wanted = frozenset(node.any)
            return lambda m: not wanted.isdisjoint(m.tags)
        required = frozenset(node.all or ())
        return lambda m: required <= m.tags
    if isinstance(node, Location):
        return _location(node)
    if isinstance(node, ConsentSource):
        sources = frozenset(CONSENT_SOURCES[s] for s in node.any)
        return lambda m: None if m.opt_in_source is None else m.opt_in_source in sources
    if isinstance(node, Engaged):
        return _engaged(node, now, clicks)
    raise TypeError(f"not a segment node: {node!r}")  # pragma: no cover - the union is closed


def _compose(parts: tuple[_Predicate, ...], conjunction: bool) -> _Predicate:
    if len(parts) == 1:
        return parts[0]
    stop = not conjunction  # `all` stops at the first False, `any` at the first True

    def composed(m: SegmentMember) -> Verdict:
        unknown = False
        for part in parts:
            v = part(m)
            if v is None:
                unknown = True
            elif v is stop:
                return stop
        return None if unknown else conjunction

    return composed


def _bought(node: Bought) -> _Predicate:
    products = frozenset(node.product or ())
    variants = frozenset(node.variant or ())
    collections = frozenset(node.collection or ())

    def bought(m: SegmentMember) -> Verdict:
        if (
            not products.isdisjoint(m.product_ids)
            or not variants.isdisjoint(m.variant_ids)
            or not collections.isdisjoint(m.collection_ids)
        ):
            return True
        return None if m.bought_truncated else False  # past the cap the id may have been dropped

    return bought


def _location(node: Location) -> _Predicate:
    checks: list[_Predicate] = []
    if node.country:
        countries = frozenset(node.country)
        checks.append(lambda m: None if m.country is None else m.country in countries)
    if node.state:
        bare = frozenset(s for s in node.state if "-" not in s)
        qualified = frozenset(s for s in node.state if "-" in s)

        def in_state(m: SegmentMember) -> Verdict:
            if m.state is None:
                return None
            state = m.state.upper()
            return state in bare or f"{(m.country or '').upper()}-{state}" in qualified

        checks.append(in_state)
    if node.time_zone:
        zones = frozenset(node.time_zone)
        if node.zones == "any":
            checks.append(
                lambda m: None if not m.candidate_zones else not zones.isdisjoint(m.candidate_zones)
            )
        else:
            checks.append(lambda m: None if not m.candidate_zones else m.candidate_zones <= zones)
    return _compose(tuple(checks), conjunction=True)


def _engaged(node: Engaged, now: dt.datetime, clicks: bool) -> _Predicate:
    checks: list[_Predicate] = []
    if node.replied_days is not None:
        replied = now - dt.timedelta(days=node.replied_days)
        checks.append(lambda m: m.last_reply_at is not None and m.last_reply_at >= replied)
    if node.clicked_days is not None and clicks:
        clicked = now - dt.timedelta(days=node.clicked_days)
        checks.append(lambda m: m.last_click_at is not None and m.last_click_at >= clicked)
    if not checks:  # clicked_days alone, before clicks are recorded: no evidence either way
        return lambda m: None
    return _compose(tuple(checks), conjunction=False)


# ---------------------------------------------------------------------------------------------------------
# What a segment reads, says and warns about


_ALWAYS = frozenset({"phone", "status"})


def needs(segment: Segment, *, clicks_recorded: bool = CLICKS_RECORDED) -> set[str]:
    """The SegmentMember fields the segment reads (phone and status always): the enumeration projects
    only these."""
    out = set(_ALWAYS)
    for node in _walk(segment):
        if isinstance(node, FirstTime | Repeat):
            out.add("orders_count")
        elif isinstance(node, HighValue):
            out.add("total_spent")
        elif isinstance(node, Lapsed):
            out |= {"orders_count", "last_order_at"}
        elif isinstance(node, OneTimeBuyer):
            out |= {"orders_count", "last_order_at", "first_order_at"}
        elif isinstance(node, SubscribedSince):
            out.add("subscribed_at")
        elif isinstance(node, Bought):
            out.add("bought_truncated")
            out |= {f"{k}_ids" for k in ("product", "variant", "collection") if getattr(node, k)}
        elif isinstance(node, HasTags):
            out.add("tags")
        elif isinstance(node, Location):
            out |= {"country"} if node.country else set()
            out |= {"country", "state"} if node.state else set()
            out |= {"candidate_zones"} if node.time_zone else set()
        elif isinstance(node, ConsentSource):
            out.add("opt_in_source")
        elif isinstance(node, Engaged):
            out |= {"last_reply_at"} if node.replied_days is not None else set()
            out |= {"last_click_at"} if node.clicked_days is not None and clicks_recorded else set()
    return out


def warnings(segment: Segment, *, clicks_recorded: bool = CLICKS_RECORDED) -> list[str]:
    """What the preview should say about the segment before anyone counts on it."""
    out: list[str] = []
    for node in _walk(segment):
        if isinstance(node, Engaged) and node.clicked_days is not None and not clicks_recorded:
            if node.replied_days is None:
                out.append(
                    "engaged.clicked_days is ignored until link clicks are recorded: "
                    "this condition matches nobody for now"
                )
            else:
                out.append(
                    "engaged.clicked_days is ignored until link clicks are recorded: "
                    "this condition matches replies only for now"
                )
    return list(dict.fromkeys(out))


def _walk(segment: Segment) -> Iterator[Segment]:
    yield segment
    if isinstance(segment, AllOf | AnyOf):
        for child in segment.of:
            yield from _walk(child)
    elif isinstance(segment, Not):
        yield from _walk(segment.of)


def describe(segment: Segment) -> str:
    """A readable one-liner for previews: "repeat buyers (2+ orders) and last order more than 90 days ago"."""
    return _describe(segment, top=True)


def _describe(node: Segment, top: bool = False) -> str:
    if isinstance(node, AllOf | AnyOf):
        text = (" and " if node.kind == "all" else " or ").join(_describe(c) for c in node.of)
        return text if top or len(node.of) == 1 else f"({text})"
    if isinstance(node, Not):
        return f"not ({_describe(node.of, top=True)})"
    if isinstance(node, Subscribed):
        return "all subscribers"
    if isinstance(node, FirstTime):
        return "first-time buyers (exactly 1 order)"
    if isinstance(node, Repeat):
        return f"repeat buyers ({node.min_orders}+ orders)"
    if isinstance(node, HighValue):
        return f"total spent ≥ {node.min_total} (shop currency)"
    if isinstance(node, Lapsed):
        return f"last order more than {_days(node.days)} ago"
    if isinstance(node, OneTimeBuyer):
        return f"one order only, {_days(node.days)} or more ago"
    if isinstance(node, SubscribedSince):
        if node.date is not None:
            return f"subscribed on or after {node.date.isoformat()}"
        return f"subscribed in the last {_days(node.days or 0)}"
    if isinstance(node, Bought):
        kinds = [
            f"{k} {_listed(getattr(node, k))}"
            for k in ("product", "variant", "collection")
            if getattr(node, k)
        ]
        return "bought " + " or ".join(kinds)
    if isinstance(node, HasTags):
        return (
            f"tagged any of {_listed(node.any)}"
            if node.any is not None
            else f"tagged all of {_listed(node.all)}"
        )
    if isinstance(node, Location):
        parts = []
        if node.country:
            parts.append(f"country {_listed(node.country)}")
        if node.state:
            parts.append(f"state {_listed(node.state)}")
        if node.time_zone:
            which = "any" if node.zones == "any" else "every"
            parts.append(f"time zone {_listed(node.time_zone)} ({which} candidate zone)")
        return "in " + ", ".join(parts)
    if isinstance(node, ConsentSource):
        return f"signed up by {_listed(node.any)}"
    if isinstance(node, Engaged):
        parts = []
        if node.replied_days is not None:
            parts.append(f"replied in the last {_days(node.replied_days)}")
        if node.clicked_days is not None:
            parts.append(f"clicked in the last {_days(node.clicked_days)}")
        return " or ".join(parts)
    raise TypeError(f"not a segment node: {node!r}")  # pragma: no cover - the union is closed


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _listed(values: tuple[str, ...] | None, shown: int = 3) -> str:
    values = values or ()
    head = ", ".join(values[:shown])
    return head if len(values) <= shown else f"{head} and {len(values) - shown} more"
