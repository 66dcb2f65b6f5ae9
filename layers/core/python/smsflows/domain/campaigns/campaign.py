"""The campaign: who it goes to, what it says, when, and the states it passes through (issue 15, parts 1 and 8).

`create` checks everything a marketer can get wrong before anything is stored, and answers a `CampaignError`
(a ValueError) that names the field and the form it takes, or the campaign with the warnings the preview
shows. The checks that depend on the clock or on the audience are repeated by `schedule`, because a draft may
sit for days. A campaign is immutable: `transition` returns a new one with the change in its history.

Copy (RULES.md A3): a variant without the brand prefix or the opt-out instruction is *completed*, not
refused, exactly as `flows.templates.render` completes a flow's template. Refusing would make the campaign
and flow paths disagree about the same text, and adding them is always lawful; the preview's warning says
what is added, and the segment counts are of the completed text (what is sent).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from smsflows.domain.compliance import quiet_hours
from smsflows.domain.compliance.locations import country_time_zones
from smsflows.domain.flows import templates
from smsflows.domain.messages import stable_id
from smsflows.domain.shops import MAX_SMART_SENDING_HOURS, ShopConfig
from smsflows.runtime.errors import BadRequest

CampaignState = Literal["draft", "scheduled", "sending", "completed", "cancelled", "paused"]

# The state machine (issue 15 part 1). A recurring campaign goes back from sending to scheduled for its
# next occurrence; a one-off one completes. Completed and cancelled are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"scheduled", "cancelled"}),
    "scheduled": frozenset({"sending", "paused", "cancelled"}),
    "sending": frozenset({"completed", "paused", "cancelled", "scheduled"}),
    "paused": frozenset({"scheduled", "sending", "cancelled"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
}
HOLDOUT = "holdout"  # the assignment of a held-out recipient; no variant may take the name
MAX_HOLDOUT = 0.5
MAX_VARIANTS = 10
MAX_BODY = 1600  # Twilio's body limit (RULES.md B)
# What a campaign's text may name: a broadcast has no order, checkout, product or tracking to fill the rest.
CAMPAIGN_PLACEHOLDERS = ("first_name", "shop_name", "shop_url")

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_VARIANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$")
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_UTM = re.compile(r"^[A-Za-z0-9._~-]{1,100}$")
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")

ID_FORM = "lowercase letters, digits, - and _, at most 64 (e.g. cmp_3f2a9c1e0b7d4a55)"
VARIANT_FORM = "a name of letters, digits, - and _, at most 20 (e.g. A, B, short_copy)"
SEGMENT_FORM = "a segment name of letters, digits, '.', '-' and '_', at most 64 (e.g. vip_customers)"
SPLIT_FORM = "whole percentages above 0 that add up to 100, one per variant (e.g. A=50,B=50)"
UTM_FORM = "letters, digits and . _ ~ -, at most 100 (e.g. black_friday_2026)"
CRON_FORM = (
    "an EventBridge Scheduler cron: cron(minutes hours day-of-month month day-of-week year) with fixed "
    "minutes and hours and '?' in day-of-month or day-of-week (e.g. cron(0 10 ? * MON *))"
)


class CampaignError(ValueError, BadRequest):
    """A campaign input that cannot be accepted: `field` names it, the message says the accepted form.
    A BadRequest too, so that handlers map it to 400 in their one place."""

    code = "invalid_campaign"

    def __init__(self, field: str, problem: str, form: str = "") -> None:
        self.field = field
        super().__init__(f"{field}: {problem}" + (f"; {form}" if form else ""))


class IllegalTransition(CampaignError):
    pass


# Values ----------------------------------------------------------------------------------------------


class SendAt(BaseModel):
    """When the campaign goes: at once, at one instant, or at a wall-clock time on a date in each recipient's
    own time (each time-zone group is released when that time comes in the latest of its zones)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["now", "at", "local"]
    instant: datetime | None = None  # kind "at": aware
    local_time: time | None = None  # kind "local"
    on_date: date | None = None  # kind "local"

    @classmethod
    def now(cls) -> SendAt:
        return cls(kind="now")

    @classmethod
    def at(cls, instant: datetime) -> SendAt:
        return cls(kind="at", instant=instant)

    @classmethod
    def local(cls, local_time: time, on_date: date) -> SendAt:
        return cls(kind="local", local_time=local_time, on_date=on_date)

    @model_validator(mode="after")
    def _fields_of_the_kind(self) -> SendAt:
        if self.kind == "at":
            if self.instant is None or self.instant.tzinfo is None:
                raise ValueError("send_at: an instant needs a time zone (e.g. 2026-11-27T15:00:00Z)")
            if self.local_time is not None or self.on_date is not None:
                raise ValueError("send_at: an instant takes no local time or date")
        elif self.kind == "local":
            if self.local_time is None or self.on_date is None or self.instant is not None:
                raise ValueError("send_at: a local send time needs a time and a date, and no instant")
            if self.local_time.tzinfo is not None:
                raise ValueError("send_at: a local time is a wall-clock time, without a zone (e.g. 10:00)")
        elif self.instant is not None or self.local_time is not None or self.on_date is not None:
            raise ValueError("send_at: 'now' takes no instant, time or date")
        return self

    def release_in(self, zone: str, start: datetime) -> datetime:
        """When recipients in `zone` are released, for a run that starts at `start` (never before it)."""
        if self.kind == "at":
            assert self.instant is not None
            return max(self.instant, start)
        if self.kind == "local":
            return max(self.local_instant(zone), start)
        return start

    def local_instant(self, zone: str) -> datetime:
        assert self.local_time is not None and self.on_date is not None
        return datetime.combine(self.on_date, self.local_time, tzinfo=ZoneInfo(zone))

    def describe(self) -> str:
        if self.kind == "at":
            assert self.instant is not None
            return self.instant.isoformat()
        if self.kind == "local":
            return f"{self.local_time:%H:%M} on {self.on_date} in each recipient's local time"
        return "now"


class Utm(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    campaign: str
    source: str = "smsflows"
    medium: str = "sms"

    @field_validator("campaign", "source", "medium")
    @classmethod
    def _form(cls, value: str, info: Any) -> str:
        if not _UTM.fullmatch(value):
            raise ValueError(f"utm.{info.field_name}: {value!r} is not a UTM value; use {UTM_FORM}")
        return value


class Recurrence(BaseModel):
    """An EventBridge Scheduler schedule: `cron(...)` evaluated in `time_zone`. Each occurrence sends at once
    (at the occurrence); the holdout and variants stay the same person's across occurrences."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cron: str  # normalised: "cron(0 10 ? * MON *)"
    time_zone: str

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        check_zone(value)
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        return parse_cron(value)[0]

    @property
    def hours(self) -> tuple[int, ...]:
        return parse_cron(self.cron)[1]


class Transition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    from_state: CampaignState
    to_state: CampaignState
    by: str
    at: datetime
    reason: str | None = Field(None, max_length=300)  # why, when the system moved it (the guard's pause)


class VariantPreview(BaseModel):
    """A variant as it is sent (brand and opt-out completed, placeholders at their fallbacks)."""

    model_config = ConfigDict(frozen=True)

    text: str
    encoding: str  # GSM-7 | UCS-2
    segments: int
    characters: int
    warnings: tuple[str, ...] = ()


# The campaign ----------------------------------------------------------------------------------------


class Campaign(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    shop: str
    name: str = Field(min_length=1, max_length=100)
    brand: str  # the shop's brand when created: the prefix the texts carry
    shop_url: str | None = None
    segment: str | None = None  # a stored segment, by name
    segment_doc: dict[str, Any] | None = None  # or a segment document (validated by segments.py)
    variants: dict[str, str]  # name -> text (a template: {first_name}, {shop_name}, {shop_url})
    weights: dict[str, int]  # name -> percent; they add up to 100
    holdout: float = Field(0.0, ge=0.0, le=MAX_HOLDOUT)  # share of the audience recorded, never texted
    send_at: SendAt
    not_after: datetime | None = None
    utm: Utm
    smart_sending_hours: float | None = None  # skip who got marketing in the last N hours; None: off
    # The discount code its texts carry (issue 16): an order using it is attributed to the text, without a click
    discount_code: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,49}$")
    recurrence: Recurrence | None = None
    state: CampaignState = "draft"
    created_at: datetime
    created_by: str
    history: tuple[Transition, ...] = ()
    # The preview's estimate when it was scheduled ({"audience", "texts", "first_text", "finish"}): `campaign
    # show` puts the actual finish beside it.
    estimate: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Campaign:
        """What holds of every campaign, stored ones too (the clock-dependent checks are `create`'s)."""
        if (self.segment is None) == (self.segment_doc is None):
            raise ValueError("segment: give a segment name or a segment document, not both and not neither")
        if not self.variants or set(self.variants) != set(self.weights):
            raise ValueError("weights: one weight per variant")
        if sum(self.weights.values()) != 100 or min(self.weights.values()) < 1:
            raise ValueError(f"weights: {SPLIT_FORM}")
        if self.created_at.tzinfo is None:
            raise ValueError("created_at: needs a time zone")
        return self

    @property
    def tracked_url(self) -> str | None:
        """The shop's link as the texts carry it ({shop_url}): with the campaign's UTM parameters."""
        if not self.shop_url:
            return None
        utm = urlencode({"utm_source": self.utm.source, "utm_medium": self.utm.medium,
                         "utm_campaign": self.utm.campaign})  # fmt: skip
        return f"{self.shop_url}{'&' if '?' in self.shop_url else '?'}{utm}"

    @property
    def previews(self) -> dict[str, VariantPreview]:
        """Each variant's encoding and segment count, on the text as it is sent (RULES.md B)."""
        return self.previews_for(None)

    def previews_for(self, link_base: str | None) -> dict[str, VariantPreview]:
        """`previews` with each URL as the shop's short link on `link_base` (RULES.md B2.3)."""
        return {
            name: preview_text(text, self.brand, self.tracked_url, link_base)
            for name, text in self.variants.items()
        }

    @property
    def shares(self) -> dict[str, float]:
        """Each variant's share of the whole audience (the holdout takes its share first)."""
        return {name: (1.0 - self.holdout) * w / 100.0 for name, w in self.weights.items()}

    @property
    def recurring(self) -> bool:
        return self.recurrence is not None

    def transition(self, to: CampaignState, by: str, at: datetime, reason: str | None = None) -> Campaign:
        """The campaign in state `to`, the change appended to its history; IllegalTransition otherwise."""
        if not by.strip():
            raise CampaignError("by", "a transition needs who made it", "an operator or a handler name")
        if at.tzinfo is None:
            raise CampaignError("at", "a transition needs an aware instant", "e.g. 2026-11-23T15:00:00Z")
        allowed = TRANSITIONS[self.state]
        if self.state == "sending" and not self.recurring:
            allowed = allowed - {"scheduled"}  # only a recurring campaign waits for its next occurrence
        if to not in allowed:
            can = ", ".join(sorted(allowed)) if allowed else "nothing: it is final"
            raise IllegalTransition(
                "state", f"a {self.state} campaign cannot become {to}", f"it can become {can}"
            )
        step = Transition(from_state=self.state, to_state=to, by=by.strip(), at=at, reason=reason)
        return self.model_copy(update={"state": to, "history": (*self.history, step)})

    @property
    def paused_because(self) -> str | None:
        """Why a paused campaign is paused, when the system paused it (the deliverability guard)."""
        if self.state != "paused" or not self.history:
            return None
        return self.history[-1].reason

    def resumes_to(self) -> CampaignState:
        """Where `resume` takes a paused campaign: back to the state it was paused from."""
        if self.state != "paused":
            raise IllegalTransition("state", f"a {self.state} campaign is not paused", "pause it first")
        for step in reversed(self.history):
            if step.to_state == "paused":
                return step.from_state
        return "scheduled"


# Use cases -------------------------------------------------------------------------------------------


def create(
    config: ShopConfig,
    *,
    name: str,
    variants: Mapping[str, str],
    now: datetime,
    by: str,
    weights: Mapping[str, int] | None = None,
    segment: str | None = None,
    segment_doc: Mapping[str, Any] | None = None,
    check_segment: Callable[[Mapping[str, Any]], object] | None = None,
    send_at: SendAt | None = None,
    holdout: float = 0.0,
    not_after: datetime | None = None,
    utm_campaign: str | None = None,
    utm_source: str = "smsflows",
    utm_medium: str = "sms",
    smart_sending_hours: float | None = None,
    recurrence: Recurrence | tuple[str, str] | None = None,
    campaign_id: str | None = None,
    discount_code: str | None = None,
) -> tuple[Campaign, tuple[str, ...]]:
    """A draft campaign and the warnings to show, or CampaignError naming the first bad field.

    `check_segment` validates a segment document (segments.py's parser; it raises ValueError). `now` is
    the clock's aware instant; `weights` default to an equal split (the remainder to the first variants).
    """
    if now.tzinfo is None:
        raise CampaignError("now", "the clock must give an aware instant")
    warnings: list[str] = []
    name = " ".join(name.split())
    if not 1 <= len(name) <= 100:
        raise CampaignError(
            "name", f"{name!r} is not a campaign name", "1 to 100 characters (e.g. Black Friday)"
        )
    cid = campaign_id or "cmp_" + stable_id(config.shop, name, now.isoformat())
    if not _ID.fullmatch(cid):
        raise CampaignError("id", f"{cid!r} is not a campaign id", ID_FORM)
    _check_segment(segment, segment_doc, check_segment)
    texts = _check_variants(variants, config, warnings)
    split = _check_weights(weights, texts, warnings)
    if not (isinstance(holdout, int | float) and math.isfinite(holdout) and 0.0 <= holdout <= MAX_HOLDOUT):
        raise CampaignError(
            "holdout", f"{holdout!r} is not a holdout share", "a share from 0 to 0.5 (0 % to 50 %)"
        )
    when = send_at or SendAt.now()
    rec = _check_recurrence(recurrence, when, warnings)
    zones = country_time_zones(config.default_country) or ("UTC",)
    override = quiet_hours.override_week(config)
    if when.kind == "local":
        warnings += local_time_warnings(when, override)
    check_send_time(when, not_after, now, zones, warnings)
    hours = _check_smart_sending(smart_sending_hours)
    code = _check_code(discount_code, texts, warnings)
    try:
        utm = Utm(campaign=utm_campaign or _slug(name), source=utm_source, medium=utm_medium)
        campaign = Campaign(
            id=cid,
            shop=config.shop,
            name=name,
            brand=config.brand,
            shop_url=config.storefront(),
            segment=segment,
            segment_doc=dict(segment_doc) if segment_doc is not None else None,
            variants=texts,
            weights=split,
            holdout=float(holdout),
            send_at=when,
            not_after=not_after,
            utm=utm,
            smart_sending_hours=hours,
            discount_code=code,
            recurrence=rec,
            created_at=now,
            created_by=by,
        )
    except ValidationError as exc:
        raise _from_validation(exc) from None
    return campaign, tuple(warnings)


def _check_code(code: str | None, texts: Mapping[str, str], warnings: list[str]) -> str | None:
    if code is None:
        return None
    text = code.strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,49}", text):
        raise CampaignError("discount_code", f"{code!r} is not a discount code",
                            "letters, digits, - and _, at most 50 (e.g. WINTER20)")  # fmt: skip
    missing = [name for name, body in texts.items() if text.upper() not in body.upper()]
    if missing:
        warnings.append(f"discount_code: {text} is not in the text of variant {', '.join(missing)}: an order "
                        "using it is still attributed to the text the customer received")  # fmt: skip
    return text


def schedule(campaign: Campaign, *, by: str, now: datetime, audience: int, country: str = "US") -> Campaign:
    """draft (or paused) → scheduled, after the checks a draft may have come to fail since it was created:
    the send time must still be ahead, the expiry too, and the audience must not be empty."""
    if audience <= 0:
        raise CampaignError(
            "segment",
            f"{campaign.segment or 'the segment document'} matches no subscriber now",
            "choose a segment that holds subscribers (smsflows segment count NAME)",
        )
    zones = country_time_zones(country) or ("UTC",)
    check_send_time(campaign.send_at, campaign.not_after, now, zones, [])
    return campaign.transition("scheduled", by, now)


def check_send_time(
    send_at: SendAt, not_after: datetime | None, now: datetime, zones: tuple[str, ...], warnings: list[str]
) -> None:
    """Refuse a send time already past (for a local time: past in any of the shop's country's zones, as its
    recipients there would get it late) and an expiry that leaves nobody time to receive it."""
    if not_after is not None and not_after.tzinfo is None:
        raise CampaignError("not_after", "an expiry needs a time zone", "e.g. 2026-11-30T23:59:00-05:00")
    if send_at.kind == "at":
        assert send_at.instant is not None
        if send_at.instant <= now:
            raise CampaignError(
                "send_at",
                f"{send_at.instant.isoformat()} is in the past",
                "give a later instant, or send now",
            )
        first = last = send_at.instant
    elif send_at.kind == "local":
        instants = sorted((send_at.local_instant(z), z) for z in zones)
        first, last = instants[0][0], instants[-1][0]
        if first <= now:
            zone = instants[0][1]
            local = now.astimezone(ZoneInfo(zone))
            raise CampaignError(
                "send_at",
                f"{send_at.describe()} has already passed in {zone} (it is {local:%Y-%m-%d %H:%M} there)",
                "choose a later date or time",
            )
    else:
        first = last = now
    if not_after is not None:
        if not_after <= first:
            raise CampaignError(
                "not_after",
                f"{not_after.isoformat()} is not after the send time ({first.isoformat()})",
                "give an expiry after the send time",
            )
        if not_after <= last:
            warnings.append(
                f"not_after: {not_after.isoformat()} comes before the send time in some zones "
                f"(the last is {last.isoformat()}): recipients there get nothing"
            )


def local_time_warnings(send_at: SendAt, override: quiet_hours.Week | None = None) -> list[str]:
    """CampaignError when the local time is outside the federal window (RULES.md A1.1: the law forbids it
    everywhere); else one warning per narrower window that excludes it, saying who waits and until when."""
    assert send_at.local_time is not None and send_at.on_date is not None
    at, day = send_at.local_time, send_at.on_date
    weekday = day.weekday()
    federal = quiet_hours.FEDERAL[weekday]
    if federal is None or not federal.start <= at < federal.end:
        raise CampaignError(
            "send_at",
            f"{at:%H:%M} local is outside the federal window 08:00-21:00 (RULES.md A1.1): "
            "no recipient may be texted then",
            "choose a local time from 08:00 to 20:59, ideally within 09:00-20:00",
        )
    warnings: list[str] = []
    house = quiet_hours.intersect(quiet_hours.HOUSE_DEFAULT, quiet_hours.FEDERAL)
    if override is not None:
        house = quiet_hours.intersect(house, override)
    _window_warning(warnings, "everyone (house window, RULES.md A2.1" + (", narrowed by the shop)" if override else ")"),
                    house[weekday], at, day)  # fmt: skip
    by_window: dict[quiet_hours.Window | None, list[str]] = {}
    for state, rule in quiet_hours.STATE_RULES.items():
        window = quiet_hours.intersect(house, rule)[weekday]
        if window != house[weekday]:
            by_window.setdefault(window, []).append(state)
    for window, states in by_window.items():
        _window_warning(warnings, f"recipients in {', '.join(sorted(states))} (RULES.md A2)", window, at, day)
    return warnings


def _window_warning(out: list[str], who: str, window: quiet_hours.Window | None, at: time, day: date) -> None:
    if window is not None and window.start <= at < window.end:
        return
    if window is None:
        out.append(f"send_at: {day:%A} is closed for {who}: they wait for the next allowed day")
    elif at < window.start:
        out.append(
            f"send_at: {at:%H:%M} is before the {window.start:%H:%M}-{window.end:%H:%M} window of {who}: "
            f"they wait until {window.start:%H:%M} local"
        )
    else:
        out.append(
            f"send_at: {at:%H:%M} is after the {window.start:%H:%M}-{window.end:%H:%M} window of {who}: "
            "they wait for the next allowed day"
        )


def preview_text(
    text: str, brand: str, shop_url: str | None = None, link_base: str | None = None
) -> VariantPreview:
    values = {"shop_name": brand, "shop_url": shop_url}
    p = templates.preview(text, values, brand=brand, marketing=True, link_base=link_base)
    return VariantPreview(text=p.text, encoding=p.encoding, segments=p.segments, characters=p.characters,
                          warnings=p.warnings)  # fmt: skip


# Parsing the CLI's forms (so the CLI adds no rule of its own) ------------------------------------------


def parse_split(text: str) -> dict[str, int]:
    """ "A=50,B=50" -> {"A": 50, "B": 50}."""
    out: dict[str, int] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not _VARIANT.fullmatch(key) or not re.fullmatch(r"\d{1,3}", value) or key in out:
            raise CampaignError("weights", f"{text!r} is not a split", SPLIT_FORM)
        out[key] = int(value)
    return out


def parse_variant(text: str) -> tuple[str, str]:
    """ "B=Last day: 20% off" -> ("B", "Last day: 20% off")."""
    key, sep, body = text.partition("=")
    if not sep or not _VARIANT.fullmatch(key.strip()) or not body.strip():
        raise CampaignError("variants", f"{text!r} is not a variant", f"NAME=TEXT, the name {VARIANT_FORM}")
    return key.strip(), body.strip()


def parse_local_time(text: str) -> time:
    match = _HHMM.fullmatch(text.strip())
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise CampaignError(
            "send_at", f"{text!r} is not a time of day", "HH:MM on a 24-hour clock (e.g. 10:00)"
        )
    return time(int(match[1]), int(match[2]))


def check_zone(value: str) -> ZoneInfo:
    try:
        if not value or value != value.strip() or value.startswith("/"):
            raise ValueError(value)
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise CampaignError(
            "recurrence.time_zone", f"{value!r} is not an IANA time zone", "e.g. America/New_York"
        ) from None


_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}
_DAYS = {d: i for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split(), 1)}
_CRON_FIELDS: tuple[
    tuple[str, int, int, Mapping[str, int], tuple[str, ...]], ...
] = (  # name, low, high, names, extra item forms
    ("minutes", 0, 59, {}, ()),
    ("hours", 0, 23, {}, ()),
    ("day-of-month", 1, 31, {}, (r"\?", r"L", r"LW", r"\d{1,2}W", r"L-\d{1,2}")),
    ("month", 1, 12, _MONTHS, ()),
    ("day-of-week", 1, 7, _DAYS, (r"\?", r"L", r"\w{1,3}L", r"\w{1,3}#[1-5]")),
    ("year", 1970, 2199, {}, ()),
)


def parse_cron(text: str) -> tuple[str, tuple[int, ...]]:
    """EventBridge Scheduler's cron, with or without the `cron(...)` wrapper: (normalised, the hours).

    Minutes and hours must be fixed values (a number, or a comma list): a campaign recurs at set times of day,
    never every minute or hour, and its hours can then be checked against the quiet hours."""
    body = text.strip()
    if body.startswith("cron(") and body.endswith(")"):
        body = body[5:-1]
    fields = body.upper().split()
    if len(fields) != 6:
        raise CampaignError("recurrence.cron", f"{text!r} does not have 6 fields", CRON_FORM)
    for value, (name, low, high, names, extra) in zip(fields, _CRON_FIELDS, strict=True):
        if name in ("minutes", "hours"):
            if not re.fullmatch(r"\d{1,2}(,\d{1,2})*", value) or any(
                not low <= int(v) <= high for v in value.split(",")
            ):
                raise CampaignError(
                    "recurrence.cron", f"{name} {value!r} is not a fixed {name} list", CRON_FORM
                )
            continue
        for item in value.split(","):
            if any(re.fullmatch(form, item) for form in extra):
                _check_cron_numbers(item, name, low, high, names, text)
                continue
            base, _, step = item.partition("/")
            if step and not re.fullmatch(r"\d{1,4}", step):
                raise CampaignError("recurrence.cron", f"{name} {item!r} has no valid step", CRON_FORM)
            if base != "*":
                bounds = base.split("-")
                if len(bounds) > 2:
                    raise CampaignError("recurrence.cron", f"{name} {item!r} is not a range", CRON_FORM)
                _check_cron_numbers(base, name, low, high, names, text)
    dom, dow = fields[2], fields[4]
    if (dom == "?") == (dow == "?"):
        raise CampaignError(
            "recurrence.cron", "exactly one of day-of-month and day-of-week must be '?'", CRON_FORM
        )
    return f"cron({' '.join(fields)})", tuple(int(h) for h in fields[1].split(","))


def _check_cron_numbers(
    item: str, name: str, low: int, high: int, names: Mapping[str, int], text: str
) -> None:
    if item in ("?", "L", "LW"):
        return
    if item.startswith("L-"):  # days before the month's last
        if not 1 <= int(item[2:]) <= 30:
            raise CampaignError("recurrence.cron", f"{name} {item!r} is outside L-1 to L-30", CRON_FORM)
        return
    core = re.sub(r"(#[1-5]|L|W)$", "", item) if name.startswith("day-") else item
    for token in core.split("-"):
        if token.isdigit():
            number = int(token)
        elif token in names:
            number = names[token]
        else:
            raise CampaignError("recurrence.cron", f"{name} {item!r} names no {name}", CRON_FORM)
        if not low <= number <= high:
            raise CampaignError("recurrence.cron", f"{name} {item!r} is outside {low}-{high}", CRON_FORM)


# Checks ----------------------------------------------------------------------------------------------


def _check_segment(
    segment: str | None, doc: Mapping[str, Any] | None, check: Callable[[Mapping[str, Any]], object] | None
) -> None:
    if (segment is None) == (doc is None):
        raise CampaignError("segment", "give a segment name or a segment document, not both and not neither",
                            "--segment NAME or --segment-file F.json")  # fmt: skip
    if segment is not None and not _SEGMENT.fullmatch(segment):
        raise CampaignError("segment", f"{segment!r} is not a segment name", SEGMENT_FORM)
    if doc is not None:
        if not isinstance(doc, Mapping) or not doc:
            raise CampaignError(
                "segment_doc", "the segment document is empty", "a JSON object with all/any/not"
            )
        if check is not None:
            try:
                check(doc)
            except (ValueError, BadRequest) as exc:  # segments.SegmentError is a BadRequest
                raise CampaignError("segment_doc", str(exc)) from None


def _check_variants(variants: Mapping[str, str], config: ShopConfig, warnings: list[str]) -> dict[str, str]:
    if not variants:
        raise CampaignError(
            "variants", "a campaign needs a text", "--text TEXT, and --variant NAME=TEXT for more"
        )
    if len(variants) > MAX_VARIANTS:
        raise CampaignError("variants", f"{len(variants)} variants", f"at most {MAX_VARIANTS}")
    out: dict[str, str] = {}
    brand = " ".join(templates.transliterate(config.brand).split())
    for name, text in variants.items():
        where = f"variants.{name}"
        if not _VARIANT.fullmatch(name) or name.lower() == HOLDOUT:
            raise CampaignError(
                "variants", f"{name!r} is not a variant name", VARIANT_FORM + f", not {HOLDOUT!r}"
            )
        if not text or not text.strip():
            raise CampaignError(where, "the text is empty", "give the message text")
        try:
            templates.validate(text)
        except templates.TemplateError as exc:
            raise CampaignError(where, str(exc)) from None
        foreign = templates.placeholders_in(text) - set(CAMPAIGN_PLACEHOLDERS)
        if foreign:
            raise CampaignError(
                where,
                f"{', '.join('{' + p + '}' for p in sorted(foreign))} has no value in a campaign",
                "use " + ", ".join("{" + p + "}" for p in CAMPAIGN_PLACEHOLDERS),
            )
        sent = preview_text(text, config.brand, config.storefront())
        if sent.characters > MAX_BODY:
            raise CampaignError(where, f"{sent.characters} characters as sent", f"at most {MAX_BODY}")
        # what the copy says once its placeholders are filled: "{shop_name}: …" already names the brand
        filled = text.replace("{shop_name}", brand).replace("{shop_url}", config.storefront())
        plain = " ".join(templates.transliterate(filled).split())
        if not plain.lower().startswith(brand.lower()):
            warnings.append(f"{where}: no brand prefix: {brand + ': '!r} is added (RULES.md A3, as in flows)")
        if "STOP" not in plain.upper():
            warnings.append(f"{where}: no opt-out text: ' Reply STOP to opt out.' is added (RULES.md A3)")
        warnings += [f"{where}: {w}" for w in sent.warnings]
        out[name] = text.strip()
    return out


def _check_weights(
    weights: Mapping[str, int] | None, texts: Mapping[str, str], warnings: list[str]
) -> dict[str, int]:
    names = list(texts)
    if weights is None:
        base, rest = divmod(100, len(names))
        split = {n: base + (1 if i < rest else 0) for i, n in enumerate(names)}
        if rest:
            warnings.append(f"weights: no split given: {','.join(f'{n}={w}' for n, w in split.items())}")
        return split
    if set(weights) != set(names):
        missing, extra = set(names) - set(weights), set(weights) - set(names)
        problem = (f"no weight for {', '.join(sorted(missing))}" if missing else "") + (
            ("; " if missing and extra else "") + (f"no variant {', '.join(sorted(extra))}" if extra else "")
        )
        raise CampaignError("weights", problem, SPLIT_FORM)
    for n, w in weights.items():
        if isinstance(w, bool) or not isinstance(w, int) or w < 1:
            raise CampaignError("weights", f"{n}={w!r} is not a whole percentage above 0", SPLIT_FORM)
    total = sum(weights.values())
    if total != 100:
        raise CampaignError("weights", f"the weights add up to {total}, not 100", SPLIT_FORM)
    return {n: weights[n] for n in names}


def _check_smart_sending(hours: float | None) -> float | None:
    if hours is None or (isinstance(hours, int | float) and not isinstance(hours, bool) and hours == 0):
        return None
    if (
        isinstance(hours, bool)
        or not isinstance(hours, int | float)
        or not math.isfinite(hours)
        or not (0 < hours <= MAX_SMART_SENDING_HOURS)
    ):
        raise CampaignError(
            "smart_sending_hours",
            f"{hours!r} is not a number of hours",
            f"hours above 0 and at most {MAX_SMART_SENDING_HOURS:g} (e.g. 16), or 0 for off",
        )
    return float(hours)


def _check_recurrence(
    recurrence: Recurrence | tuple[str, str] | None, when: SendAt, warnings: list[str]
) -> Recurrence | None:
    if recurrence is None:
        return None
    if when.kind != "now":
        raise CampaignError(
            "recurrence",
            "a recurring campaign sends at each occurrence",
            "give --every and --tz without --at or --local-time",
        )
    if isinstance(recurrence, tuple):
        cron, zone = recurrence
        check_zone(zone)
        normal, _ = parse_cron(cron)
        recurrence = Recurrence(cron=normal, time_zone=zone)
    for hour in recurrence.hours:
        if not 8 <= hour < 21:
            raise CampaignError(
                "recurrence.cron",
                f"hour {hour} in {recurrence.time_zone} is outside the federal window 08:00-21:00 (RULES.md A1.1)",
                "choose hours from 8 to 20, ideally 9 to 19",
            )
        if not 9 <= hour < 20:
            warnings.append(
                f"recurrence.cron: hour {hour} in {recurrence.time_zone} is outside the house window 09:00-20:00 "
                "(RULES.md A2.1): recipients wait for it to open"
            )
    return recurrence


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:100]
    return slug or "campaign"


def _from_validation(exc: ValidationError) -> CampaignError:
    error = exc.errors()[0]
    field = ".".join(str(p) for p in error["loc"]) or "campaign"
    message = str(error["msg"]).removeprefix("Value error, ")
    prefix = field.split(".")[0]
    if message.startswith((prefix + ":", "utm.", "send_at:", "recurrence")):
        field, _, message = message.partition(": ")
    return CampaignError(field, message)
