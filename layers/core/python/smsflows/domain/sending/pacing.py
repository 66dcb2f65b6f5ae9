"""Pacing: send no faster than the sender is registered for (RULES.md C, rule C1).

Carriers, not AWS, set the limits. Each sender (a number or Messaging Service) has a token bucket in
DynamoDB counting *segments* per second; each brand has a daily segment counter for T-Mobile-style caps
(reset at midnight Pacific). The bucket is a GCRA "theoretical arrival time" (`tat`): reserving n
segments moves it n/rate seconds forward, and the reserver may send them at evenly spaced slots from the
old value. A sender Lambda reserves a *block* of segments per write (up to a second's worth, at most
`MAX_BLOCK`), so one bucket item takes a few writes per second even at 225 MPS: far below
DynamoDB's 1,000 writes/s per item.

An empty bucket delays, it never fails: a marketing message that would wait longer than a Lambda should
sleep takes a *ticket* (a second pointer, `backlog`, advanced at the same rate) and is deferred to it, so
a broadcast of 100,000 is spread over the hours it needs and each message comes back about when a slot
is free. Transactional messages never take tickets: they reserve directly and wait at most the short
horizon marketing may fill, so a broadcast cannot delay an order confirmation by more than that.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from smsflows.domain.registration import Throughput

PACIFIC = ZoneInfo("America/Los_Angeles")  # T-Mobile's daily counters reset at midnight Pacific

MAX_BLOCK = 10  # segments reserved per bucket write
BLOCK_SECONDS = 1.0  # ... or this many seconds' worth, whichever is smaller
# Marketing reserves at most this far ahead (then it takes a ticket). Longer would hold another shop's texts
# behind one shop's broadcast in an invocation that sleeps through its slots.
MARKETING_HORIZON_S = 2.0
TRANSACTIONAL_HORIZON_S = 10.0  # transactional reserves up to this far ahead, else it is re-queued
# How late a slot may still be used, as a share of the slack the headroom leaves (`late_limit`); the rest
# of the slack is left for the jitter between the provider call and the carrier's clock.
LATE_SHARE = 0.75
MIN_LATE_S = 0.005
# A text's claim (the transaction that re-checks consent) starts this long before its slot, so that the
# text leaves at the slot rather than a claim later: the 90th percentile of the container's recent claims,
# at most MAX_LEAD_S (consent is then re-checked at most that long before the text goes).
LEAD_SAMPLES = 32
MAX_LEAD_S = 0.15


def late_limit(throughput: Throughput) -> float:
    """How late a slot may still be used without risking more than the registered rate.

    Slots are 1/r apart (r the paced rate, `headroom` of the registered R). Let k = floor(R), at least 1. If
    every text goes out within [slot, slot + d] of a slot of its own, any k + 1 texts span at least
    k/r - d seconds; so with d ≤ k/r - k/R no k/R seconds ever hold more than k texts, whichever container
    sends them and in whatever order. For a whole rate that is: no second holds more than R texts. (At a
    rate like 3.75/s, four texts often fall within one second at any pacing near it; the bound is then the
    carrier's own: no 0.8 s holds more than three.) At a 0.96 headroom the slack is 42 ms for a whole rate,
    whatever the rate; a share of it is the limit."""
    registered, rate = throughput.registered()[0], throughput.rate
    k = max(1, math.floor(registered))
    return max(LATE_SHARE * (k / rate - k / registered), MIN_LATE_S)


def pacific_day(now: datetime) -> str:
    return now.astimezone(PACIFIC).date().isoformat()


def next_pacific_midnight(now: datetime) -> datetime:
    local = now.astimezone(PACIFIC)
    tomorrow = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=PACIFIC)
    return tomorrow.astimezone(UTC)


class TokenBuckets(Protocol):
    """Shared pacing state (DynamoDB in production)."""

    def reserve(self, bucket: str, seconds: float, now: float, horizon: float) -> float | None:
        """Move the bucket's tat `seconds` forward if the span then ends at most `horizon` after `now`
        (or restart it at `now` if it is idle); the span's start, or None when booked further ahead."""

    def ticket(self, bucket: str, seconds: float, floor: float) -> float:
        """Take the next `seconds` of the backlog line (never before `floor`); the start of the span."""

    def count_daily(self, brand: str, day: str, segments: int, cap: int) -> bool:
        """Add `segments` to the brand's counter for `day` unless that would pass `cap`."""

    def give_back(self, bucket: str, start: float, end: float) -> None:
        """Undo a reservation [start, end) if nobody booked after it (best effort)."""

    def looks_idle(self, bucket: str) -> bool:
        """Whether the bucket was idle (not booked ahead) when this container last touched it."""

    def note_busy(self, bucket: str) -> None:
        """The bucket was found booked ahead (a folded reservation failed)."""


@dataclass(frozen=True)
class Fold:
    """A lone text's reservation made inside its claim transaction (no write of its own): the bucket's
    idle case (`tat` before `start`: set it to `end`) and the brand's daily count."""

    bucket: str
    start: float
    end: float
    daily: tuple[str, str, int, int] | None  # (brand, Pacific day, segments, cap)


@dataclass
class Lease:
    """A reserved block: `count` slots, one every `1/rate` s from `start` (epoch seconds)."""

    start: float
    rate: float
    count: int
    late: float  # how far in the past a slot may still be used: late_limit of the sender's throughput
    used: int = 0

    def slot(self, i: int) -> float:
        return self.start + i / self.rate

    def take(self, segments: int, now: float) -> float | None:
        """Use `segments` consecutive slots; the send time, or None if the lease cannot serve them.
        Slots already too far in the past are given up: using them late would bunch sends together."""
        while self.used < self.count and self.slot(self.used) < now - self.late:
            self.used += 1
        if self.count - self.used < segments:
            return None
        at = self.slot(self.used)
        self.used += segments
        return at


@dataclass(frozen=True)
class Decision:
    send_at: float | None = None  # wall-clock epoch seconds: sleep until then, then send
    defer_s: float | None = None  # or re-queue this many real seconds (throughput is real time)
    defer_until: datetime | None = None  # or re-queue until this application-clock instant (daily cap)
    reason: str = ""
    ticket: bool = False  # the deferral is a place in the backlog line
    fold: Fold | None = None  # send now if the claim's transaction can also book the (idle) bucket


@dataclass
class Pacer:
    """Per container: hands out slots from leased blocks, leasing a new block when needed."""

    buckets: TokenBuckets
    wall: Callable[[], float] = time.time  # real seconds: carriers meter real throughput
    leases: dict[str, Lease] = field(default_factory=dict)
    claims: deque[float] = field(default_factory=lambda: deque(maxlen=LEAD_SAMPLES))
    # One Lambda container runs one batch at a time (its sends in threads); the local cloud runs
    # consumers in threads too.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _claims_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _lead: float = 0.0

    def note_claim(self, seconds: float) -> None:
        """How long a claim took (from just before it to just after); the lead follows."""
        with self._claims_lock:
            self.claims.append(max(0.0, seconds))
            recent = sorted(self.claims)
            self._lead = min(recent[int(0.9 * (len(recent) - 1))], MAX_LEAD_S)

    def lead(self) -> float:
        """How long before its slot a text's claim starts: the 90th percentile of the container's last
        `LEAD_SAMPLES` claims, at most `MAX_LEAD_S` (none yet: 0)."""
        return self._lead

    @staticmethod
    def on_time(send_at: float, now: float, throughput: Throughput) -> bool:
        """A slot may be used until a little after it (`late_limit`): later, sends could bunch up."""
        return now - send_at <= late_limit(throughput)

    def acquire(
        self,
        bucket: str,
        brand: str,
        throughput: Throughput,
        segments: int,
        category: str,
        now: datetime,
        has_ticket: bool = False,
        want: int | None = None,
    ) -> Decision:
        """When this message's `segments` may go out. `now` is the application clock (for the daily
        cap's Pacific day); slots are wall-clock seconds. `want` is how many segments the caller is about
        to send on this bucket, this message's included (its batch): a new block is no larger, so that
        a lone text books (and counts against the daily cap) one slot, not a block."""
        with self._lock:
            return self._decide(bucket, brand, throughput, segments, category, now, has_ticket, want)

    def _decide(self, bucket: str, brand: str, throughput: Throughput, segments: int, category: str,
                now: datetime, has_ticket: bool, want: int | None) -> Decision:  # fmt: skip
        rate = throughput.rate
        # The earliest the text can leave: its claim comes first (`lead`); slots are booked from there.
        wall = self.wall() + self.lead()
        lease = self.leases.get(bucket)
        if lease is not None and lease.rate == rate:
            at = lease.take(segments, wall)
            if at is not None:
                return Decision(send_at=at)
        booked_ahead = lease is not None and lease.slot(lease.count) > wall  # this container's block runs on
        if want is not None and want <= segments and not booked_ahead and self.buckets.looks_idle(bucket):
            # A lone text on a sender that was idle: book its slot in the claim's own transaction.
            cap = throughput.daily_cap
            daily = (brand, pacific_day(now), segments, cap) if cap is not None else None
            return Decision(send_at=wall, fold=Fold(bucket, wall, wall + segments / rate, daily))
        block = max(segments, min(MAX_BLOCK, math.floor(rate * BLOCK_SECONDS), want or MAX_BLOCK))
        horizon = MARKETING_HORIZON_S if category == "marketing" else TRANSACTIONAL_HORIZON_S
        start = self.buckets.reserve(bucket, block / rate, wall, horizon)
        if start is not None:
            cap = throughput.daily_cap
            if cap is not None and not self.buckets.count_daily(brand, pacific_day(now), block, cap):
                self.buckets.give_back(bucket, start, start + block / rate)  # the slots went unused
                self.leases.pop(bucket, None)
                if category == "marketing":
                    return Decision(defer_until=next_pacific_midnight(now), reason="daily_cap")
                # Transactional texts still go: the counter counts every carrier, T-Mobile's only its own.
            self.leases[bucket] = lease = Lease(
                start=start, rate=rate, count=block, late=late_limit(throughput)
            )
            at = lease.take(segments, max(wall, start))
            if at is not None:
                return Decision(send_at=at)
        # Booked beyond the horizon.
        if category == "marketing" and not has_ticket:
            begins = self.buckets.ticket(bucket, segments / rate, wall + horizon)
            return Decision(defer_s=begins - wall, reason="throughput", ticket=True)
        # A transactional message, or a ticket holder whose slot went to a transactional one: soon again.
        return Decision(defer_s=max(1.0, horizon / 4), reason="throughput")
