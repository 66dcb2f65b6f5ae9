"""Use case: send one queued message, exactly once, and only if it may be sent right now.

The sender is the last line of defence (DESIGN.md): right before the provider call it re-reads consent,
the suppression list and the frequency history, checks quiet hours in every candidate location, and
claims the message id in one atomic write that fails if consent changed since the read.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import quote

from smsflows.domain.analytics import counters, links
from smsflows.domain.analytics.attribution import Touchpoint
from smsflows.domain.compliance import frequency, quiet_hours
from smsflows.domain.compliance.locations import Address, Location, candidate_locations
from smsflows.domain.messages import OutboundMessage, stable_id
from smsflows.domain.sending import provider_errors
from smsflows.domain.sending.encoding import segment_info
from smsflows.domain.sending.pacing import Decision, Fold, Pacer, next_pacific_midnight
from smsflows.domain.sending.tally import Tally
from smsflows.domain.shops import NOT_ONBOARDED, ShopConfig, not_texting
from smsflows.ports import (
    Deferrals,
    MessageLog,
    ProviderReceipt,
    Queue,
    RecipientSnapshot,
    SendConditions,
    Sender,
    ShopConfigs,
    SmsProvider,
)
from smsflows.runtime.clock import Clock
from smsflows.runtime.errors import ProviderError, TransientError

MAX_SQS_DELAY_S = 900
# A 'sending' claim older than this (real seconds) with no answer recorded belongs to an attempt that
# died (function timeout, crash) rather than one still running: it is settled with the provider.
STALE_CLAIM_S = 120.0


@dataclass(frozen=True)
class SendOutcome:
    outcome: str  # sent | duplicate | failed | expired | suppressed | deferred | skipped | cancelled
    sid: str | None = None
    segments: int | None = None
    detail: str = ""
    until: datetime | None = None


@dataclass
class SendDeps:
    log: MessageLog
    provider: SmsProvider
    sender: Sender
    clock: Clock
    shops: ShopConfigs | None = None
    requeue: Queue | None = None  # the send queue, for deferrals
    on_provider_opt_out: Callable[[str, str, str], Any] | None = None  # (shop, phone, message_id)
    status_callback_url: str | None = None  # the API's public base URL; /sms/status?mid=… is added
    delay_scale: float = 1.0  # the local cloud's time scale: virtual seconds per real second
    pacer: Pacer | None = None  # per-sender token buckets; None sends unpaced (tests of other rules)
    deferrals: Deferrals | None = None  # one-time schedules for deferrals beyond SQS's 15 minutes
    sleep: Callable[[float], None] = time.sleep
    wall: Callable[[], float] = time.time
    # Wait until a `wall` instant; None: sleep the span left. The local cloud's virtual clock moves at once,
    # so a batch's concurrent waits must end at the latest slot, not add their lengths up.
    sleep_until: Callable[[float], None] | None = None
    # (shop, campaign id) -> the campaign's state, or None if it no longer exists (issue 15 part 7): a text
    # of a cancelled (or deleted) campaign is dropped, one of a paused campaign waits. Cached for seconds.
    campaign_state: Callable[[str, str], str | None] | None = None
    # Issue 16: short links, counters and the touch record (adapters/measurement.py); None measures nothing
    # and leaves URLs as written. `link_api_base` is the API's public URL, for shops without a link domain.
    measurement: Measurement | None = None
    link_api_base: str | None = None
    on_measure_error: Callable[[Exception], Any] | None = None  # a counter that failed (logged by the caller)


class Measurement(Protocol):
    def put_links(self, links: Sequence[links.Link]) -> None: ...

    def count(self, shop: str, at: datetime, scope: str, values: Mapping[str, float | int]) -> None: ...

    def note_sent(self, shop: str, phone: str, sent: Touchpoint, discount_code: str | None) -> None: ...


# A paused campaign's texts already on the queue come back this often (virtual seconds) until it resumes,
# is cancelled, or their not_after passes.
PAUSED_RECHECK_S = 300


def _defer(
    message: OutboundMessage,
    until: datetime,
    reason: str,
    now: datetime,
    deps: SendDeps,
    ticket: bool = False,
) -> SendOutcome:
    """Put the message back for `until`: an SQS delay up to 15 minutes, a one-time schedule beyond."""
    if deps.requeue is None:
        raise TransientError(f"deferral needed ({reason}) but no queue to defer to")
    if message.not_after is not None and until > message.not_after:
        deps.log.fail(
            message.message_id, None, f"expired: {reason} until {until.isoformat()} after not_after", now
        )
        return SendOutcome("expired", detail=reason)
    body = message.model_copy(
        update={"deferred": message.deferred + 1, "ticketed": message.ticketed or ticket}
    ).model_dump(mode="json")
    real = max(0, math.ceil((until - now).total_seconds() / deps.delay_scale))
    if real > MAX_SQS_DELAY_S and deps.deferrals is not None:
        deps.deferrals.schedule(
            body, until, f"smsflows-defer-{stable_id(message.message_id, until.isoformat())}"
        )
        deps.log.defer(message.message_id, reason, until, now)
        return SendOutcome("deferred", detail=f"{reason}: scheduled", until=until)
    # Without a scheduler (or within 15 minutes): an SQS delay, in hops of at most 15 minutes.
    deps.requeue.send(body, delay_seconds=min(MAX_SQS_DELAY_S, real))
    # Recorded after the hand-off: a failure in between retries the message, which defers it again.
    deps.log.defer(message.message_id, reason, until, now)
    return SendOutcome("deferred", detail=reason, until=until)


def sender_for(config: ShopConfig, default: Sender) -> Sender:
    """The shop's own number or Messaging Service if it has one, else the deployment's."""
    return Sender.parse(config.senders[0]) if config.senders else default


def _quiet_hours_block(
    message: OutboundMessage,
    now: datetime,
    locations: tuple[Location, ...],
    config: ShopConfig,
    deps: SendDeps,
) -> SendOutcome | None:
    if quiet_hours.is_allowed(now, locations, quiet_hours.override_week(config)):
        return None
    try:
        until = quiet_hours.next_allowed(now, locations, quiet_hours.override_week(config))
    except quiet_hours.NoAllowedWindow:
        deps.log.fail(message.message_id, None, "no lawful sending window for the recipient's locations", now)
        return SendOutcome("suppressed", detail="no lawful window")
    return _defer(message, until, "quiet_hours", now, deps)


@dataclass(frozen=True)
class Prepared:
    """A message that passed every check and holds a paced slot: `finish` sends it at `send_at`."""

    message: OutboundMessage
    config: ShopConfig
    sender: Sender
    conditions: SendConditions
    extra: dict[str, Any]
    locations: tuple[Location, ...]
    send_at: float | None  # wall-clock seconds; None: unpaced
    fold: Fold | None = None  # a lone text's slot, booked by the claim's own transaction
    links: tuple[links.Link, ...] = field(default=())  # its short links, stored before it is claimed
    # The text as sent (each URL the recipient's short link); "" when that is the queued text. A deferral
    # puts back the queued `message`, never this: its links would then be stored by no one.
    body: str = ""
    paced: bool = True  # False: checked, its slot not booked yet (`pace`, or `finish` books it)

    @property
    def sent(self) -> OutboundMessage:
        """The message as it goes to the provider (and as its claim and an in-doubt search know it)."""
        return self.message.model_copy(update={"body": self.body}) if self.body else self.message


def send_one(
    message: OutboundMessage, deps: SendDeps, snapshot: RecipientSnapshot | None = None
) -> SendOutcome:
    """Send `message` if and when it may be sent. `snapshot` is the recipient's state if the caller
    read it already (one read for a whole batch); the claim re-checks consent atomically either way."""
    ready = prepare(message, deps, snapshot, want=segment_info(message.body).segments)
    return ready if isinstance(ready, SendOutcome) else finish(ready, deps)


def prepare(
    message: OutboundMessage,
    deps: SendDeps,
    snapshot: RecipientSnapshot | None = None,
    want: int | None = None,
    claimed: str | None = None,
    book: bool = True,
) -> SendOutcome | Prepared:
    """Every check that needs no claim, and (`book`) the paced slot. A batch checks all its messages, then
    books its sender's slots (or backlog places) for them at once (`pace`), so it never sleeps through one
    shop's slots while another shop's texts wait behind them in the same batch, and its first slot is not
    spent on the checks of the messages after it."""
    now = deps.clock()
    if claimed in ("sent", "failed"):
        # read with the batch: a redelivery of a message already done costs no slot and no more calls
        return SendOutcome("duplicate", detail=f"already {claimed}")
    if message.not_after is not None and now > message.not_after:
        deps.log.fail(message.message_id, None, "expired before it could be sent", now)
        return SendOutcome("expired", detail="not_after passed")
    # A shop that is not onboarded (or was deactivated, uninstalled, redacted) texts nobody, not even a
    # compliance reply: no config is ever made up for it (issue 14). A paused one sends compliance only.
    config = deps.shops.get(message.shop) if deps.shops else None
    stopped = not_texting(config)
    if stopped is None and config is not None and not config.may_send(message.category):
        stopped = f"shop_{config.status}"
    if stopped is not None or config is None:
        deps.log.fail(message.message_id, None, stopped or NOT_ONBOARDED, now)
        return SendOutcome("suppressed", detail=stopped or NOT_ONBOARDED)

    body, made = shortened(message, config, deps, now)

    if message.campaign is not None and deps.campaign_state is not None:
        campaign_state = deps.campaign_state(message.shop, message.campaign)
        if campaign_state is None or campaign_state == "cancelled":
            deps.log.fail(message.message_id, None, "cancelled: the campaign was cancelled", now)
            return SendOutcome("cancelled", detail="campaign cancelled")
        if campaign_state == "paused":
            until = now + timedelta(seconds=PAUSED_RECHECK_S)
            return _defer(message, until, "campaign_paused", now, deps)

    snap = snapshot or deps.log.snapshot(message.shop, message.to)
    if snap.unreachable:
        deps.log.fail(message.message_id, None, "number unreachable (suppressed after a carrier error)", now)
        return SendOutcome("suppressed", detail="number unreachable")
    state = snap.state
    opted_out = snap.suppressed or (state is not None and state.status == "unsubscribed")
    conditions = SendConditions()
    extra: dict[str, Any] = {}
    locations: tuple[Location, ...] = ()
    if message.category == "marketing":
        if opted_out or state is None or not state.subscribed:
            reason = "opted out" if opted_out else "no marketing consent"
            deps.log.fail(message.message_id, None, reason, now)
            return SendOutcome("suppressed", detail=reason)
        addresses = [Address(country, region) for country, region, _ in state.addresses]
        default = addresses[0] if addresses else None
        shipping = addresses[1] if len(addresses) > 1 else None
        locations = candidate_locations(message.to, default, shipping, shop_country=config.default_country)
        blocked = _quiet_hours_block(message, now, locations, config, deps)
        if blocked is not None:
            return blocked
        smart = config.smart_sending_hours
        if message.smart_sending_hours is not None and message.flow:
            smart = {**smart, message.flow: message.smart_sending_hours}  # the campaign's own setting
        cap = frequency.check(snap.history, now, message.flow, config.max_marketing_per_30_days, smart)
        if not cap.allowed:
            if cap.retry_at is None:
                deps.log.fail(message.message_id, None, f"skipped: {cap.reason}", now)
                return SendOutcome("skipped", detail=cap.reason)
            return _defer(message, cap.retry_at, cap.reason, now, deps)
        conditions = SendConditions(
            state_version=state.version,
            require_subscribed=True,
            frequency=(snap.history_version, frequency.record(snap.history, now, message.flow)),
        )
        extra = {
            "quiet_hours_rules": quiet_hours.RULES_VERSION,
            "locations": ",".join(sorted({loc.time_zone for loc in locations})),
        }
    elif message.category == "transactional":
        if opted_out:
            deps.log.fail(message.message_id, None, "opted out", now)
            return SendOutcome("suppressed", detail="opted out")
        conditions = SendConditions(forbid_unsubscribed=True)
    # compliance replies (opt-in requests) go out whatever the state: the recipient just asked for them

    sender = sender_for(config, deps.sender)
    ready = Prepared(message, config, sender, conditions, extra, locations, None, links=tuple(made),
                     body=body if made else "")  # fmt: skip
    return _pace(ready, now, deps, want) if book else replace(ready, paced=False)


def pace(ready: Prepared, deps: SendDeps, want: int | None = None) -> SendOutcome | Prepared:
    """Book the slot of a message `prepare` checked without booking one (or defer it)."""
    return _pace(replace(ready, paced=True), deps.clock(), deps, want)


def shortened(
    message: OutboundMessage, config: ShopConfig, deps: SendDeps, now: datetime
) -> tuple[str, list[links.Link]]:
    """The text with each URL a short link of this recipient's (domain/analytics/links.py), and the links
    to store. Compliance replies keep their URLs (Terms, Privacy: nothing to measure there)."""
    if deps.measurement is None or message.category == "compliance":
        return message.body, []
    base = links.base_url(config.measurement.link_domain, deps.link_api_base)
    if base is None:
        return message.body, []
    # A config stored before short links has no key until its next `shop set` gives it one: its
    # codes are then keyed on the shop (still unique per message, but guessable from a message id).
    key = config.link_key or f"smsflows-links:{config.shop}"
    body, found = links.shorten(message.body, base, lambda i: links.code_for(key, message.message_id, i))
    if not found or len(body) > 1600:
        return message.body, []
    scope = counters.message_scope(message)
    made = links.links_for(found, shop=message.shop, phone=message.to, message_id=message.message_id,
                           scope=scope, utm=counters.utm_for(scope), now=now,
                           expiry_days=config.measurement.link_expiry_days)  # fmt: skip
    return body, made


def _pace(ready: Prepared, now: datetime, deps: SendDeps, want: int | None = None) -> SendOutcome | Prepared:
    """Book the message's slot with its sender's bucket, or defer it (throughput, daily cap)."""
    if deps.pacer is None:
        return ready
    decision = _book(ready, now, deps, ready.message.ticketed, want)
    if decision.send_at is None:
        return _deferred(ready.message, decision, now, deps)
    return replace(ready, send_at=decision.send_at, fold=decision.fold)


def _book(
    ready: Prepared, now: datetime, deps: SendDeps, has_ticket: bool, want: int | None = None
) -> Decision:
    """Ask the pacer when the message's segments may go out on its sender."""
    assert deps.pacer is not None
    config, segments = ready.config, segment_info(ready.body or ready.message.body).segments
    return deps.pacer.acquire(bucket=ready.sender.key, brand=config.throughput.brand_id or config.shop,
                              throughput=config.throughput, segments=segments, category=ready.message.category,
                              now=now, has_ticket=has_ticket, want=want)  # fmt: skip


def _deferred(message: OutboundMessage, decision: Decision, now: datetime, deps: SendDeps) -> SendOutcome:
    """A pacing decision without a slot, carried out: the daily cap's wait, or a real-seconds delay."""
    if decision.defer_until is not None:
        return _defer(message, decision.defer_until, decision.reason, now, deps)
    assert decision.defer_s is not None
    until = now + timedelta(seconds=decision.defer_s * deps.delay_scale)
    return _defer(message, until, decision.reason, now, deps, ticket=decision.ticket)


def wait_until(at: float, deps: SendDeps) -> bool:
    """Wait for the `wall` instant `at`; whether there was anything to wait for."""
    if at <= deps.wall():
        return False
    if deps.sleep_until is not None:
        deps.sleep_until(at)
    else:
        deps.sleep(at - deps.wall())
    return True


def finish(ready: Prepared, deps: SendDeps, tally: Tally | None = None) -> SendOutcome:
    """Wait for the slot, claim the message id (re-checking consent atomically), call the provider. With a
    `tally` (the batch's), the text's counts are added to it, to be written once for the batch."""
    message, sender, conditions, extra = ready.message, ready.sender, ready.conditions, ready.extra
    outgoing = ready.sent  # what the provider gets; `message` (as queued) is what a deferral puts back
    now = deps.clock()
    if not ready.paced:
        booked = pace(ready, deps, segment_info(outgoing.body).segments)
        if isinstance(booked, SendOutcome):
            return booked
        ready = booked
    lead = deps.pacer.lead() if deps.pacer is not None else 0.0
    if ready.send_at is not None and deps.pacer is not None:
        if not deps.pacer.on_time(ready.send_at, deps.wall() + lead, ready.config.throughput):
            # The batch fell behind its slots (a slow call before this one): sent after its claim, this
            # text could bunch up with the next slots' holders, so it books a new slot.
            again = _pace(ready, now, deps, segment_info(outgoing.body).segments)
            if isinstance(again, SendOutcome):
                return again
            ready = again
        # The claim starts `lead` before the slot (the time a claim takes), so the text leaves at it.
        if wait_until((ready.send_at or 0.0) - lead, deps):
            now = deps.clock()
            if ready.locations:  # the wait may have crossed into quiet hours (seconds, but still)
                blocked = _quiet_hours_block(message, now, ready.locations, ready.config, deps)
                if blocked is not None:
                    return blocked

    if ready.fold is not None:
        conditions = replace(conditions, pace=ready.fold)
    if ready.links and deps.measurement is not None:
        deps.measurement.put_links(ready.links)  # before the claim: a text never goes out with a dead link
    began = deps.wall()
    found = deps.log.begin(outgoing, now, conditions)
    if deps.pacer is not None:
        deps.pacer.note_claim(deps.wall() - began)
    if found == "pacing_busy" and deps.pacer is not None and ready.fold is not None:
        # The sender was busy after all (another container booked it): book a slot the usual way.
        deps.pacer.buckets.note_busy(ready.fold.bucket)
        again = _pace(replace(ready, fold=None), now, deps, segment_info(outgoing.body).segments)
        return again if isinstance(again, SendOutcome) else finish(again, deps, tally)
    if found == "daily_cap" and ready.fold is not None:
        if message.category == "marketing":
            return _defer(message, next_pacific_midnight(now), "daily_cap", now, deps)
        # transactional texts still go (the counter counts every carrier; T-Mobile's only its own)
        return finish(replace(ready, fold=replace(ready.fold, daily=None)), deps, tally)
    if found == "consent_changed":
        deps.log.fail(message.message_id, None, "consent changed just before sending", now)
        return SendOutcome("suppressed", detail="consent changed")
    if found == "frequency_conflict":
        raise TransientError("another send reserved the frequency slot first; retry")
    if found == "sending":
        settled = _settle_in_doubt(outgoing, deps, now)
        if settled is not None:
            return settled
    elif found is not None:
        return SendOutcome("duplicate", detail=f"already {found}")  # sent, or failed for good

    try:
        callback = (
            f"{deps.status_callback_url.rstrip('/')}/sms/status?mid={quote(message.message_id, safe='')}"
            if deps.status_callback_url
            else None
        )
        if ready.send_at is not None and deps.pacer is not None:
            held = _keep_to_slot(ready, deps)
            if isinstance(held, SendOutcome):
                return held
            extra = {**extra, **held}
        receipt = deps.provider.send(
            to=outgoing.to, body=outgoing.body, sender=sender, status_callback=callback
        )
    except ProviderError as exc:
        if exc.in_doubt:
            # The request may have reached the provider: keep the claim, settle it on the next attempt.
            deps.log.mark_in_doubt(message.message_id, str(exc)[:300])
            raise TransientError(str(exc)) from exc
        if exc.retryable:
            deps.log.release(message.message_id, f"provider {exc.provider_code or exc.http_status}: retry")
            raise TransientError(str(exc)) from exc
        deps.log.fail(message.message_id, exc.provider_code, str(exc)[:300], deps.clock())
        _measure(deps, message, {"failed": 1, f"{counters.ERR}{exc.provider_code or 0}": 1},
                 tally=tally)  # fmt: skip
        action = provider_errors.action_for(exc.provider_code)
        if action == "mark_opted_out" and deps.on_provider_opt_out is not None:
            deps.on_provider_opt_out(message.shop, message.to, message.message_id)
            return SendOutcome("suppressed", detail="provider says opted out (21610)")
        if action == "suppress_number":
            deps.log.mark_unreachable(message.shop, message.to, f"twilio {exc.provider_code}", deps.clock())
            return SendOutcome("suppressed", detail=f"number unreachable ({exc.provider_code}): suppressed")
        if action in ("config_error", "content_error"):
            return SendOutcome(
                "failed", detail=f"{action} {exc.provider_code}: needs an operator, not a retry"
            )
        return SendOutcome("failed", detail=f"provider refused: {exc.provider_code}")

    segments = receipt.segments if receipt.segments is not None else segment_info(outgoing.body).segments
    price = ready.config.measurement.price_per_segment
    cost = {"cost_est": f"{segments * price:.6f}"}
    deps.log.complete(message.message_id, receipt, deps.clock(), {**extra, **cost})
    _measure(deps, message, {"sent": 1, "segments": segments, "cost_est": segments * price},
             touch=True, tally=tally)  # fmt: skip
    return SendOutcome("sent", sid=receipt.sid, segments=segments)


def _keep_to_slot(ready: Prepared, deps: SendDeps) -> SendOutcome | dict[str, str]:
    """Right before the provider call, with the claim held: wait for the slot, and send only within the
    late limit of one (`pacing.late_limit`: later, this text and the next slots' holders could put more than
    the registered rate into one second). A claim slower than its lead books a new slot while it holds the
    claim; after that wait consent and quiet hours are checked again. With no slot near, the claim is
    released and the text goes back to the queue. When every AWS call is slow (an incident: the new slots
    pass while they are booked), the text goes late rather than never, and its record says how late.
    Send now, with these fields for its record; or the outcome instead."""
    assert ready.send_at is not None and deps.pacer is not None
    send_at, late = ready.send_at, False
    for attempt in range(REBOOKS + 1):
        wait_until(send_at, deps)
        late = not deps.pacer.on_time(send_at, deps.wall(), ready.config.throughput)
        if not late or attempt == REBOOKS:
            break
        decision = _book(ready, deps.clock(), deps, has_ticket=True)
        if decision.send_at is None:  # booked ahead (or the brand's daily cap): back to the queue
            deps.log.release(ready.message.message_id, "late for its slot")
            return _deferred(ready.message, decision, deps.clock(), deps)
        send_at = decision.send_at
    if attempt:  # it booked a new slot and waited for it, its claim held
        stopped = _still_lawful(ready, deps)
        if stopped is not None:
            return stopped
    return {"sent_late_ms": str(round((deps.wall() - send_at) * 1000))} if late else {}


REBOOKS = 3  # new slots a claimed text may book before it goes late


def _still_lawful(ready: Prepared, deps: SendDeps) -> SendOutcome | None:
    """After a claimed text waited for a new slot (seconds): None if it may still go; else its outcome."""
    message, now = ready.message, deps.clock()
    if not _consent_holds(ready, deps):
        deps.log.fail(message.message_id, None, "consent changed just before sending", now)
        return SendOutcome("suppressed", detail="consent changed")
    if ready.locations and not quiet_hours.is_allowed(
        now, ready.locations, quiet_hours.override_week(ready.config)
    ):
        deps.log.release(message.message_id, "quiet hours began while it waited for its slot")
        return _quiet_hours_block(message, now, ready.locations, ready.config, deps)
    return None


def _consent_holds(ready: Prepared, deps: SendDeps) -> bool:
    """After a wait with the claim held: the recipient's consent is still what the claim checked."""
    c = ready.conditions
    if not (c.require_subscribed or c.forbid_unsubscribed):
        return True
    snap = deps.log.snapshot(ready.message.shop, ready.message.to)  # a consistent read
    state = snap.state
    if snap.suppressed:
        return False
    if c.require_subscribed:
        return state is not None and state.status == "subscribed" and state.version == (c.state_version or 0)
    return state is None or state.status != "unsubscribed"


def _measure(
    deps: SendDeps,
    message: OutboundMessage,
    values: dict[str, float],
    touch: bool = False,
    tally: Tally | None = None,
) -> None:
    """Count the outcome (and note a marketing text, or one carrying a code, on the touch record): best
    effort, after the fact is recorded in the message log, so a counter's failure never resends a text.
    Compliance replies count too (under system#compliance): they are texts the shop pays for. With a
    `tally`, the counts are added to the batch's (written at its end); the touch record is the person's own."""
    if deps.measurement is None:
        return
    now = deps.clock()
    scope = counters.message_scope(message)
    try:
        (tally or deps.measurement).count(message.shop, now, scope, values)
        if touch and (message.category == "marketing" or message.discount_code):
            deps.measurement.note_sent(message.shop, message.to, Touchpoint(now, scope, message.message_id),
                                       message.discount_code)  # fmt: skip
    except Exception as exc:
        if deps.on_measure_error is not None:
            deps.on_measure_error(exc)


def _settle_in_doubt(message: OutboundMessage, deps: SendDeps, now: datetime) -> SendOutcome | None:
    """A claim is 'sending' with no answer recorded. Either another attempt is sending it right now (SQS
    delivered it twice: retry later), or an attempt ended without knowing whether the provider accepted
    it (a read timeout, or the function died mid-call). Then ask the provider: if it has the message, record
    it as sent; if not, take the claim over and send. None means: go on and send."""
    claim = deps.log.claim(message.message_id) or {}
    claimed_at = datetime.fromisoformat(str(claim.get("claimed_at") or now.isoformat()))
    age_s = (now - claimed_at).total_seconds() / deps.delay_scale
    if claim.get("state") != "sending":
        return SendOutcome("duplicate", detail=f"already {claim.get('state')}")
    if not claim.get("in_doubt") and age_s < STALE_CLAIM_S:
        raise TransientError("another attempt is sending this message right now")
    found: ProviderReceipt | None = deps.provider.find(
        to=message.to, body=message.body, since=claimed_at - timedelta(minutes=5)
    )
    if found is not None:
        deps.log.complete(message.message_id, found, now, {"settled": "provider had it"})
        return SendOutcome(
            "duplicate", sid=found.sid, detail="the provider had accepted it: recorded as sent"
        )
    if not deps.log.take_over(message.message_id, str(claim.get("claimed_at")), now):
        raise TransientError("another attempt took this message over")
    return None
