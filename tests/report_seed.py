"""A measured shop for the report's tests: two weeks of counters written through the real adapter (moto),
a campaign with a holdout, its run's counts and the lift groups. Numbers are chosen so that each total
can be checked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

SHOP = "demo-shop.myshopify.com"
FIRST = datetime(2026, 11, 17, 15, 0, tzinfo=UTC)
DAYS = 14
CAMPAIGN = "black-friday"


def seed(deps: Any) -> dict[str, Any]:
    """Write the data set; what the report must then say, as plain numbers."""
    from smsflows.domain.campaigns.fanout import Progress

    m = deps.measurement
    for n in range(DAYS):
        at = FIRST + timedelta(days=n)
        m.count(SHOP, at, "flow#welcome#0", {"sent": 100, "delivered": 98, "failed": 2, "err#30007": 2,
                                             "segments": 100, "cost_est": 0.83, "unique_clicks": 10, "clicks": 12,
                                             "conversions": 2, "revenue": 120.0, "conv_click": 2})  # fmt: skip
        m.count(SHOP, at, "flow#welcome#1", {"sent": 50, "delivered": 50, "segments": 100, "cost_est": 0.83,
                                             "opt_outs": 1, "replies": 1})  # fmt: skip
    bf = FIRST + timedelta(days=10)
    m.count(SHOP, bf, f"campaign#{CAMPAIGN}#A", {"sent": 900, "delivered": 880, "failed": 20, "err#30003": 20,
                                                 "segments": 900, "cost_est": 7.47, "cost_actual": 7.0,
                                                 "cost_replaced": 7.47, "priced": 900, "unique_clicks": 90,
                                                 "clicks": 100, "conversions": 45, "revenue": 2250.0,
                                                 "conv_click": 40, "conv_discount_code": 5})  # fmt: skip
    import tempfile
    from pathlib import Path

    from smsflows.admin import campaigns

    with tempfile.TemporaryDirectory() as folder:
        everyone = Path(folder) / "everyone.json"
        everyone.write_text('{"subscribed": true}')
        campaigns.campaign_create(SHOP, name="Black <b>Friday</b>", text="Demo Shop: 20% off today",
                                  segment_file=str(everyone), holdout_pct=10, by="ops", campaign_id=CAMPAIGN)  # fmt: skip
    deps.campaign_runs.advance(SHOP, CAMPAIGN, "once", 0, Progress(step=1, started_at=bf, targeted=1000, held_out=100,
                                                                     enqueued=900, done=True, finished_at=bf))  # fmt: skip
    for n in range(45):
        m.convert(SHOP, f"campaign:{CAMPAIGN}", "sent", f"+1512555{1000 + n:04d}", 50.0)
    for n in range(2):
        m.convert(SHOP, f"campaign:{CAMPAIGN}", "holdout", f"+1512555{2000 + n:04d}", 45.0)
    return {
        "sent": DAYS * 150 + 900, "delivered": DAYS * 148 + 880, "failed": DAYS * 2 + 20,
        "conversions": DAYS * 2 + 45, "revenue": DAYS * 120.0 + 2250.0, "opt_outs": DAYS, "replies": DAYS,
        "cost": round(DAYS * 1.66 + 7.0, 4), "errors": {30003: 20, 30007: DAYS * 2},
        "since": FIRST.date().isoformat(), "until": (FIRST + timedelta(days=DAYS - 1)).date().isoformat(),
    }  # fmt: skip
