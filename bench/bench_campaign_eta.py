"""The campaign ETA (issue 15 ★): how long an estimate takes as the audience grows, and what it says.

Audiences of 1,000 to 1,000,000 recipients over 84 time-zone groups (7 US zones × 12 states or no state),
two variants (1 and 2 segments, half each), a 10DLC sender with a high trust score (225 segments/s, 200,000
T-Mobile segments a day), sending at 10:00 in each recipient's local time on Monday 2026-11-23. Baseline in
the same run: the same model stepped one text at a time (what an estimate per recipient would cost), for the
small audiences only. What it leaves out: the audience count itself (segment enumeration, docs/segments.md),
and the real sender's jitter.

Figures, never pass/fail. Run: .venv/bin/python bench/bench_campaign_eta.py
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from smsflows.domain.campaigns import campaign as C
from smsflows.domain.campaigns import eta as E
from smsflows.domain.registration import Throughput

ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Phoenix",
         "Pacific/Honolulu", "America/Anchorage"]  # fmt: skip
STATES = ["NY", "IL", "CO", "CA", "AZ", "HI", "AK", "TX", "FL", "KY", "RI", None]
START = datetime(2026, 11, 23, 4, 0, tzinfo=ZoneInfo("America/New_York"))
THROUGHPUT = Throughput(sender_type="10dlc", trust_tier="high")
LOADS = [E.VariantLoad("A", 1, 0.5), E.VariantLoad("B", 2, 0.5)]


def estimate(audience: int) -> tuple[float, E.Eta]:
    per, rest = divmod(audience, len(ZONES) * len(STATES))
    groups = [E.AudienceGroup.of(per + (1 if i < rest else 0), z, state=s)
              for i, (z, s) in enumerate((z, s) for z in ZONES for s in STATES)]  # fmt: skip
    began = time.perf_counter()
    eta = E.estimate(
        groups, LOADS, THROUGHPUT, None, C.SendAt.local(clock_time(10), date(2026, 11, 23)), START
    )
    return time.perf_counter() - began, eta


def stepped(audience: int) -> float:
    """Baseline: one loop turn per text at the paced rate (no quiet hours, no cap): the least per-recipient
    work an estimate could do."""
    began = time.perf_counter()
    at = START + timedelta(hours=6)
    for n in range(audience):
        at += timedelta(seconds=(1 if n % 2 == 0 else 2) / THROUGHPUT.rate)
    return time.perf_counter() - began


def main() -> None:
    print(__doc__.split("\n\n", 1)[0])
    print(
        f"{'recipients':>11} {'estimate':>10} {'per recipient (baseline)':>25}  first text -> finish (ET), cap"
    )
    for audience in (1_000, 10_000, 100_000, 1_000_000):
        took, eta = estimate(audience)
        base = f"{stepped(audience) * 1000:9.1f} ms" if audience <= 100_000 else "(not run)"
        et = ZoneInfo("America/New_York")
        span = (f"{eta.first_text.astimezone(et):%a %d %b %H:%M} -> {eta.finish.astimezone(et):%a %d %b %H:%M}"
                if eta.first_text and eta.finish else "-")  # fmt: skip
        print(
            f"{audience:>11,} {took * 1000:8.1f} ms {base:>25}  {span}, cap reached {len(eta.cap_reached)}x"
        )
    _, eta = estimate(1_000_000)
    print("the 1,000,000-recipient preview says:")
    for line in eta.lines:
        print(f"  {line}")


if __name__ == "__main__":
    main()
