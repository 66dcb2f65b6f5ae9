"""The ETA of a campaign before it is scheduled (issue 15 part 5): when each group starts and finishes, what
waits and why, where the brand's daily cap is reached, how many segments and what they cost.

The model, computed by groups (never per recipient, so a million recipients take milliseconds):

- a group is the audience with one set of candidate locations (e.g. Chicago, Illinois); it is released at
  once (send now, or an absolute instant) or when the local send time comes in the latest of its zones;
- one sender drains the released groups at `Throughput.rate` segments/s (registered rate × headroom,
  RULES.md C1), the earliest released first; a group being sent is a fluid of segments (its variants'
  segments in their shares), so times are exact for whole texts of one segment and an expectation otherwise;
- a group outside its recipients' allowed hours (`quiet_hours.is_allowed`: federal, state, house window and
  the shop's narrowing) waits for them to open (`next_allowed`); the sender serves the next group meanwhile,
  and the earlier group again when its hours open. The texts still unsent when a group first has to wait
  are its *deferred* texts (counted once, with the first reason);
- the brand's daily cap (segments per Pacific day, RULES.md C) stops all marketing until Pacific midnight;
  `used_today` is what the brand's flows and other campaigns have taken of today's cap already;
- past `not_after` nothing more is sent: what is left expires.

A group's finish is the end of its last text's slot: for a run that never waits, first text + segments ÷
rate, the physical limit the issue's completion benchmark measures against.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from smsflows.domain.campaigns.campaign import Campaign, SendAt
from smsflows.domain.compliance import quiet_hours
from smsflows.domain.compliance.locations import Location
from smsflows.domain.registration import Throughput
from smsflows.domain.sending.pacing import next_pacific_midnight

# RULES.md E: Twilio's US price per segment, and the highest 10DLC carrier fee (T-Mobile and Verizon), so
# that a 10DLC estimate is never below the bill. Toll-free and short-code carrier fees are not in RULES.md.
TWILIO_US_SEGMENT_USD = 0.0083
TEN_DLC_CARRIER_FEE_USD = 0.0045
MAX_DAYS = 60  # an estimate that does not finish within this says so instead of looping on
_EPS = 1e-6  # segments
_ABBREVIATIONS = {
    "America/New_York": "ET",
    "America/Chicago": "CT",
    "America/Denver": "MT",
    "America/Phoenix": "MST",
    "America/Los_Angeles": "PT",
    "America/Anchorage": "AKT",
    "Pacific/Honolulu": "HT",
}


@dataclass(frozen=True)
class AudienceGroup:
    """Recipients who share one set of candidate locations (the strictest of them governs)."""

    locations: tuple[Location, ...]
    count: int

    def __post_init__(self) -> None:
        if not self.locations:
            raise ValueError("a group needs at least one candidate location")
        if self.count < 0:
            raise ValueError("a group's count cannot be negative")

    @classmethod
    def of(cls, count: int, *zones: str, country: str = "US", state: str | None = None) -> AudienceGroup:
        """A group by zone: `state` None means an unknown US state, i.e. the strictest state rule (A2.2)."""
        return cls(tuple(Location(country, state, zone, "segment") for zone in zones), count)

    @property
    def zones(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(loc.time_zone for loc in self.locations))

    @property
    def label(self) -> str:
        places = dict.fromkeys(
            f"{loc.time_zone}" + (f" ({loc.state})" if loc.state else "") for loc in self.locations
        )
        return " + ".join(places)


@dataclass(frozen=True)
class VariantLoad:
    name: str
    segments: int  # per text, as sent
    share: float  # of the texts sent (the non-held-out audience); the shares add up to 1


@dataclass(frozen=True)
class GroupEta:
    label: str
    zones: tuple[str, ...]
    recipients: int
    held_out: float
    texts: float
    segments: float
    release: datetime | None  # None: the group has no lawful window at all
    first_text: datetime | None
    finish: datetime | None
    deferred_texts: float = 0.0
    deferred_reason: str | None = None  # quiet_hours | daily_cap
    deferred_until: datetime | None = None  # the first text after its first wait
    expired_texts: float = 0.0
    late: bool = False  # the local send time had passed when the run started: released at once


@dataclass(frozen=True)
class Deferral:
    reason: str  # quiet_hours | daily_cap
    texts: float
    share: float  # of all texts
    next_day_texts: float  # those that wait into a later local day than their release


@dataclass(frozen=True)
class Eta:
    start: datetime
    first_text: datetime | None
    finish: datetime | None  # None: nothing is sent, or it does not finish within MAX_DAYS
    recipients: int
    held_out: float
    texts: float
    segments: float
    cost_usd: float
    rate: float  # segments/s paced to
    daily_cap: int | None
    cap_reached: tuple[datetime, ...]  # each time the daily cap stops marketing
    deferred: tuple[Deferral, ...]
    expired_texts: float
    unsendable: int  # recipients whose candidate places share no allowed hour
    unfinished_texts: float  # still unsent after MAX_DAYS
    groups: tuple[GroupEta, ...]
    lines: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        """JSON-ready, stable keys (instants as ISO 8601 UTC)."""

        def plain(value: object) -> object:
            if isinstance(value, datetime):
                return value.astimezone(UTC).isoformat()
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [plain(v) for v in value]
            return value

        result = plain(asdict(self))
        assert isinstance(result, dict)
        return result


def loads_of(campaign: Campaign, link_base: str | None = None) -> tuple[VariantLoad, ...]:
    """The campaign's variants: segments per text (as sent, links shortened on `link_base`) and share."""
    previews = campaign.previews_for(link_base)
    return tuple(VariantLoad(n, previews[n].segments, w / 100.0) for n, w in campaign.weights.items())


def estimate_campaign(
    campaign: Campaign,
    groups: Sequence[AudienceGroup],
    throughput: Throughput,
    start: datetime,
    *,
    override: quiet_hours.Week | None = None,
    price_per_segment: float = TWILIO_US_SEGMENT_USD,
    carrier_fee_per_segment: float | None = None,
    used_today: int = 0,
    display_zone: str = "America/New_York",
    link_base: str | None = None,
) -> Eta:
    """`estimate` with the campaign's variants (as sent), holdout, send time and expiry."""
    return estimate(
        groups,
        loads_of(campaign, link_base),
        throughput,
        override,
        campaign.send_at,
        start,
        holdout=campaign.holdout,
        not_after=campaign.not_after,
        price_per_segment=price_per_segment,
        carrier_fee_per_segment=carrier_fee_per_segment,
        used_today=used_today,
        display_zone=display_zone,
    )


@dataclass
class _Run:
    """One group during the simulation (times are epoch seconds)."""

    index: int
    group: AudienceGroup
    release: float
    late: bool
    texts: float
    seg_per_text: float
    remaining: float  # segments
    interval: tuple[float, float] | None = None
    first: float | None = None
    finish: float | None = None
    waited: float = 0.0  # texts
    wait_reason: str | None = None
    wait_at: float | None = None
    wait_until: float | None = None  # when the cause of the first wait ends
    resumed: float | None = None  # the first text after that wait
    expired: float = 0.0
    unsendable: bool = False


def estimate(
    groups: Sequence[AudienceGroup],
    variants: Sequence[VariantLoad],
    throughput: Throughput,
    override: quiet_hours.Week | None,
    send_at: SendAt,
    start: datetime,
    *,
    holdout: float = 0.0,
    not_after: datetime | None = None,
    price_per_segment: float = TWILIO_US_SEGMENT_USD,
    carrier_fee_per_segment: float | None = None,
    used_today: int = 0,
    display_zone: str = "America/New_York",
) -> Eta:
    """The ETA of sending `variants` to `groups` from `start` (aware), paced to `throughput`."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if not variants:
        raise ValueError("an estimate needs at least one variant")
    shares = sum(v.share for v in variants)
    seg_per_text = sum(v.segments * v.share for v in variants) / shares
    rate = throughput.rate
    cap = throughput.daily_cap
    runs: list[_Run] = []
    for i, g in enumerate(groups):
        release = max(send_at.release_in(z, start) for z in g.zones)
        late = send_at.kind == "local" and max(send_at.local_instant(z) for z in g.zones) < start
        texts = g.count * (1.0 - holdout)
        runs.append(_Run(i, g, release.timestamp(), late, texts, seg_per_text, texts * seg_per_text))
    order = sorted(runs, key=lambda r: (r.release, r.index))
    for run in order:
        _interval(run, run.release, override)
    t0 = start.timestamp()
    t = min((r.release for r in order), default=t0)
    horizon = t + MAX_DAYS * 86400.0
    expiry = not_after.timestamp() if not_after is not None else math.inf
    day_end = next_pacific_midnight(start).timestamp()  # `used_today` is of the start's Pacific day
    used = float(used_today)
    cap_reached: list[float] = []
    # Less than 10 µs of sending is nothing: a smaller step would vanish in an epoch-seconds float.
    tiny = max(_EPS, rate * 1e-5)
    cap_day = 0.0  # the Pacific day (its end) whose cap was last reached
    while True:
        live = [r for r in order if r.remaining > _EPS and not r.unsendable]
        if not live or t >= horizon:
            break
        if t >= expiry:
            for r in live:
                r.expired = r.remaining / r.seg_per_text
                r.remaining = 0.0
            break
        if t >= day_end:
            used, day_end = 0.0, next_pacific_midnight(_at(t)).timestamp()
        released = [r for r in live if r.release <= t]
        cap_left = (cap - used) if cap is not None else math.inf
        if cap_left <= tiny:
            if cap_day != day_end:
                cap_day = day_end
                cap_reached.append(t)
            for r in released:  # and those released while the cap holds, as the loop comes back for them
                _wait(r, t, "daily_cap", day_end)
            t = min([day_end, expiry, *(r.release for r in live if r.release > t)])
            continue
        for r in released:
            _interval(r, t, override)
            if r.interval is not None and not r.interval[0] <= t < r.interval[1]:
                _wait(r, t, "quiet_hours", r.interval[0])
        serving = next((r for r in released if r.interval and r.interval[0] <= t < r.interval[1]), None)
        upcoming = [r.release for r in live if r.release > t]
        if serving is None:
            opens = [r.interval[0] for r in released if r.interval and r.interval[0] > t]
            t = min([*upcoming, *opens, expiry, horizon])
            continue
        assert serving.interval is not None
        bounds = [
            t + serving.remaining / rate,
            serving.interval[1],
            t + cap_left / rate,
            day_end,
            expiry,
            horizon,
            *upcoming,
        ]
        ahead = True  # the groups before `serving` in release order
        for r in released:
            if r is serving:
                ahead = False
                continue
            if r.interval is None:
                continue
            if r.interval[0] > t and ahead:
                bounds.append(r.interval[0])  # an earlier group's hours open: it goes first again
            elif r.interval[0] <= t < r.interval[1] and r.wait_reason is None:
                bounds.append(r.interval[1])  # a waiting group's hours close: its texts are deferred
        # Land exactly on the next event (an opening, a closing, midnight): adding a computed step to an
        # epoch-seconds float could fall a rounding short of it and never get past.
        then = min(bounds)
        if then <= t:  # cannot happen with the bounds above; never loop on it if it does
            then = t + 1e-3
        sent = min(serving.remaining, (then - t) * rate)
        if serving.first is None:
            serving.first = t
        if serving.wait_reason is not None and serving.resumed is None:
            serving.resumed = t
        serving.remaining -= sent
        used += sent
        t = then
        serving.finish = t
        if serving.remaining <= tiny:
            serving.remaining = 0.0
    return _result(order, runs, start, rate, cap, cap_reached, variants, holdout, throughput,
                   price_per_segment, carrier_fee_per_segment, display_zone, send_at)  # fmt: skip


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _interval(run: _Run, ts: float, override: quiet_hours.Week | None) -> None:
    """The group's allowed interval containing `ts`, or the next one (cached until it has passed)."""
    if run.unsendable or (run.interval is not None and ts < run.interval[1]):
        return
    try:
        opens = quiet_hours.next_allowed(_at(ts), run.group.locations, override)
    except quiet_hours.NoAllowedWindow:
        run.unsendable, run.interval = True, None
        return
    closes = min(_window_end(opens, loc, override) for loc in run.group.locations)
    run.interval = (opens.timestamp(), closes.timestamp())


def _window_end(instant: datetime, loc: Location, override: quiet_hours.Week | None) -> datetime:
    zone = ZoneInfo(loc.time_zone)
    local = instant.astimezone(zone)
    window = quiet_hours.week_for(loc.country, loc.state, override)[local.weekday()]
    assert window is not None  # `instant` is allowed there
    return datetime.combine(local.date(), window.end, tzinfo=zone)


def _wait(run: _Run, ts: float, reason: str, until: float) -> None:
    if run.wait_reason is None and run.remaining > _EPS:
        run.wait_reason, run.wait_at, run.wait_until = reason, ts, until
        run.waited = run.remaining / run.seg_per_text


def _round(ts: float | None) -> datetime | None:
    """An instant to the millisecond: float sums of slot lengths carry no more precision than that."""
    return None if ts is None else _at(round(ts * 1000.0) / 1000.0)


def _result(
    order: Sequence[_Run],
    runs: Sequence[_Run],
    start: datetime,
    rate: float,
    cap: int | None,
    cap_reached: Sequence[float],
    variants: Sequence[VariantLoad],
    holdout: float,
    throughput: Throughput,
    price: float,
    fee: float | None,
    display_zone: str,
    send_at: SendAt,
) -> Eta:
    groups = []
    for r in runs:
        sendable = not r.unsendable
        groups.append(
            GroupEta(
                label=r.group.label,
                zones=r.group.zones,
                recipients=r.group.count,
                held_out=r.group.count * holdout,
                texts=r.texts if sendable else 0.0,
                segments=r.texts * r.seg_per_text if sendable else 0.0,
                release=_round(r.release) if sendable else None,
                first_text=_round(r.first),
                finish=_round(r.finish),
                deferred_texts=r.waited,
                deferred_reason=r.wait_reason,
                deferred_until=_round(r.resumed if r.resumed is not None else r.wait_until),
                expired_texts=r.expired,
                late=r.late,
            )
        )
    sent_runs = [r for r in runs if not r.unsendable]
    texts = sum(r.texts for r in sent_runs)
    segments = sum(r.texts * r.seg_per_text for r in sent_runs)
    expired = sum(r.expired for r in sent_runs)
    unfinished = sum(r.remaining / r.seg_per_text for r in sent_runs)
    firsts = [r.first for r in sent_runs if r.first is not None]
    finishes = [r.finish for r in sent_runs if r.finish is not None]
    done = unfinished <= _EPS and bool(finishes)
    deferred = []
    for reason in ("quiet_hours", "daily_cap"):
        mine = [r for r in sent_runs if r.wait_reason == reason]
        if mine:
            waited = sum(r.waited for r in mine)
            later = sum(r.waited for r in mine if _later_day(r))
            deferred.append(Deferral(reason, waited, waited / texts if texts else 0.0, later))
    if fee is None:
        fee = TEN_DLC_CARRIER_FEE_USD if throughput.sender_type == "10dlc" else 0.0
    sent_segments = segments - sum(r.expired * r.seg_per_text for r in sent_runs)
    eta = Eta(
        start=start,
        first_text=_round(min(firsts)) if firsts else None,
        finish=_round(max(finishes)) if done else None,
        recipients=sum(r.group.count for r in runs),
        held_out=sum(g.held_out for g in groups),
        texts=texts,
        segments=segments,
        cost_usd=round(sent_segments * (price + fee), 2),
        rate=rate,
        daily_cap=cap,
        cap_reached=tuple(_at(round(c * 1000.0) / 1000.0) for c in cap_reached),
        deferred=tuple(deferred),
        expired_texts=expired,
        unsendable=sum(r.group.count for r in runs if r.unsendable),
        unfinished_texts=unfinished,
        groups=tuple(groups),
    )
    return _with_lines(eta, send_at, display_zone, order, variants, price + fee)


def _later_day(run: _Run) -> bool:
    until = run.resumed if run.resumed is not None else run.wait_until
    if until is None:
        return False
    zone = ZoneInfo(run.group.zones[0])
    return _at(until).astimezone(zone).date() > _at(run.release).astimezone(zone).date()


def _clock(instant: datetime, zone: str, reference: datetime) -> str:
    local = instant.astimezone(ZoneInfo(zone))
    name = _ABBREVIATIONS.get(zone) or local.tzname() or zone
    day = "" if local.date() == reference.astimezone(ZoneInfo(zone)).date() else f"{local:%a %d %b} "
    return f"{day}{local:%H:%M} {name}"


def _n(value: float) -> str:
    return f"{round(value):,}"


def _with_lines(
    eta: Eta,
    send_at: SendAt,
    zone: str,
    order: Iterable[_Run],
    variants: Sequence[VariantLoad],
    unit_price: float,
) -> Eta:
    lines: list[str] = []
    ref = eta.first_text or eta.start
    if eta.first_text is None:
        lines.append("nothing is sent: " + ("the audience is empty" if not eta.texts else "no text can go"))
    else:
        if send_at.kind == "local":
            begin = f"starts {send_at.local_time:%H:%M} local per zone (first text {_clock(eta.first_text, zone, ref)})"
        else:
            begin = f"starts {_clock(eta.first_text, zone, eta.start)}"
        if eta.finish is not None:
            lines.append(f"{begin}, finishes ≈ {_clock(eta.finish, zone, ref)}")
        else:
            lines.append(f"{begin}; {_n(eta.unfinished_texts)} texts are still unsent after {MAX_DAYS} days")
    for d in eta.deferred:
        why = "fall outside allowed hours" if d.reason == "quiet_hours" else "meet the brand's daily cap"
        when = "wait for tomorrow" if d.next_day_texts >= d.texts - _EPS else (
            "wait for their allowed hours to open" if d.next_day_texts <= _EPS else "wait, most for tomorrow"
            if d.next_day_texts * 2 > d.texts else "wait, some for tomorrow")  # fmt: skip
        lines.append(f"{d.share * 100:.1f} % ({_n(d.texts)} texts) {why} and {when}")
    if eta.cap_reached:
        again = len(eta.cap_reached) - 1
        lines.append(
            f"the brand's T-Mobile daily cap ({eta.daily_cap:,} segments) is reached at "
            f"{_clock(eta.cap_reached[0], zone, ref)}"
            + (f" and on {again} later day{'s' if again > 1 else ''}" if again else "")
            + "; sending resumes after midnight Pacific"
        )
    late = [r for r in order if r.late and not r.unsendable]
    if late:
        lines.append(
            f"{_n(sum(r.texts for r in late))} texts' local send time has passed at the start: they go at once"
        )
    if eta.expired_texts > _EPS:
        lines.append(f"{_n(eta.expired_texts)} texts would still be unsent at not_after and expire")
    if eta.unsendable:
        lines.append(
            f"{eta.unsendable:,} recipients have no lawful window (their places share no allowed hour)"
        )
    mix = ", ".join(f"{v.name}: {v.segments} segment{'s' if v.segments != 1 else ''}" for v in variants)
    lines.append(
        f"{_n(eta.texts)} texts, {_n(eta.segments)} segments ({mix}), ≈ ${eta.cost_usd:,.2f} at ${unit_price:.4f}/segment"
    )
    return replace(eta, lines=tuple(lines))
