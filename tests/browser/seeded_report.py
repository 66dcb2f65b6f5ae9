"""A realistic report dict (the data model of `smsflows report --json`), built the way the report adds up:
the flow steps and campaign variants are the leaves, flows and campaigns their sums, the totals the sum of
those, and the 14 days the totals spread over the fortnight (a quiet Sunday with no orders). The browser
tests, the unit tests and `make_screenshot.py` all draw this one."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

SHOP = "demo-shop.myshopify.com"
CAMPAIGN_NAME = "<b>Black</b> Friday"  # a name that is markup: the page must show it as text
ERROR_MEANING = "Unknown error (carrier said <none>)"
LIFT_CI_TEXT = "+0.4 to +5.6 pp"  # how the page prints lift_ci95 = [0.004, 0.056]
SINCE = date(2026, 11, 17)
DAYS = 14
NO_ORDER_DAY = 5  # Sunday 2026-11-22: a few texts, no orders, so no revenue bar that day
COUNTS = (
    "sent",
    "delivered",
    "failed",
    "segments",
    "clicks",
    "unique_clicks",
    "replies",
    "opt_outs",
    "conversions",
)
PRICE = 0.0079  # configured price per segment, so every cost here is an estimate


def rate(num: float, den: float) -> float | None:
    return num / den if den else None


def metrics(**values: Any) -> dict[str, Any]:
    """One metrics dict, every key present; the rates computed from the counts as the report does."""
    m: dict[str, Any] = {k: int(values.get(k, 0)) for k in COUNTS}
    m["revenue"] = round(float(values.get("revenue", 0.0)), 2)
    m["cost"] = round(m["segments"] * PRICE, 2)
    m["cost_estimated"] = m["segments"] > 0
    m["delivery_rate"] = rate(m["delivered"], m["sent"])
    m["ctr"] = rate(m["unique_clicks"], m["delivered"])
    m["opt_out_rate"] = rate(m["opt_outs"], m["delivered"])
    m["revenue_per_message"] = rate(m["revenue"], m["sent"])
    return m


def leaf(
    sent: int, delivered: int, unique_clicks: int, conversions: int, revenue: float, opt_outs: int
) -> dict[str, Any]:
    return metrics(
        sent=sent, delivered=delivered, failed=sent - delivered, segments=round(sent * 1.3),
        clicks=round(unique_clicks * 1.4), unique_clicks=unique_clicks, replies=round(delivered * 0.01),
        opt_outs=opt_outs, conversions=conversions, revenue=revenue,
    )  # fmt: skip


def total(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return metrics(**{k: sum(r[k] for r in rows) for k in (*COUNTS, "revenue")})


def spread(value: float, weights: list[float], whole: bool) -> list[float]:
    """`value` split in proportion to `weights` (largest remainder, so integers still add up)."""
    shares = [value * w / sum(weights) for w in weights]
    if not whole:
        return [round(s, 2) for s in shares]
    out = [int(s) for s in shares]
    for i in sorted(range(len(shares)), key=lambda i: out[i] - shares[i])[: round(value) - sum(out)]:
        out[i] += 1
    return [float(v) for v in out]


def seeded_report() -> dict[str, Any]:
    flows = [
        ("welcome", [leaf(1840, 1801, 412, 61, 3904.50, 9), leaf(1620, 1590, 251, 33, 2011.80, 12)]),
        ("winback", [leaf(960, 934, 118, 14, 1175.25, 7), leaf(780, 761, 64, 6, 402.00, 5)]),
    ]
    campaigns = [
        ("black-friday", CAMPAIGN_NAME, [leaf(4520, 4430, 702, 95, 8120.40, 31), leaf(4480, 4385, 655, 88, 7410.90, 28)]),
        ("cyber-monday", "Cyber Monday", [leaf(3010, 2941, 388, 41, 3320.00, 19), leaf(2990, 2930, 402, 44, 3512.75, 17)]),
    ]  # fmt: skip
    flow_rows = [
        {"flow": f, **total(steps), "steps": [{"step": i, **s} for i, s in enumerate(steps)]}
        for f, steps in flows
    ]
    campaign_rows = [
        {
            "campaign": c,
            "name": name,
            **total(vs),
            "variants": [{"variant": "AB"[i], **v} for i, v in enumerate(vs)],
        }
        for c, name, vs in campaigns
    ]
    totals = total(flow_rows + campaign_rows)
    send_w = [3, 4, 3, 4, 3, 1, 4, 5, 6, 4, 16, 9, 6, 12]  # Black Friday (27th) and Cyber Monday (30th)
    order_w = [w if i != NO_ORDER_DAY else 0 for i, w in enumerate(send_w)]
    columns = {k: spread(totals[k], order_w if k == "conversions" else send_w, True) for k in COUNTS}
    columns["revenue"] = spread(totals["revenue"], order_w, False)
    days = [
        {"day": (SINCE + timedelta(days=i)).isoformat(), **metrics(**{k: v[i] for k, v in columns.items()})}
        for i in range(DAYS)
    ]
    return {
        "shop": SHOP,
        "currency": "USD",
        "since": SINCE.isoformat(),
        "until": (SINCE + timedelta(days=DAYS - 1)).isoformat(),
        "scope": {"flow": None, "campaign": None},
        "generated_at": "2026-12-01T10:00:00+00:00",
        "totals": totals,
        "days": days,
        "flows": flow_rows,
        "campaigns": campaign_rows,
        "lift": [
            {
                "scope": "campaign:black-friday",
                "label": CAMPAIGN_NAME,
                "sent": {"recipients": 900, "conversions": 45, "revenue": 2250.0},
                "holdout": {"recipients": 100, "conversions": 2, "revenue": 90.0},
                "conversion_sent": 0.05,
                "conversion_holdout": 0.02,
                "lift": 0.03,
                "lift_ci95": [0.004, 0.056],
                "rpr_sent": 2.5,
                "rpr_holdout": 0.9,
                "rpr_lift": 1.6,
                "rpr_ci95": [0.2, 3.0],
                "significant": True,
            }
        ],
        "errors": [
            {"code": 30007, "count": 212, "meaning": "Message filtered by the carrier"},
            {"code": 30006, "count": 97, "meaning": "Landline or unreachable carrier"},
            {"code": 30008, "count": 23, "meaning": ERROR_MEANING},
        ],
        "unreachable": [
            {"phone": "+1******4567", "code": 30006, "at": "2026-11-20T15:04:00+00:00"},
            {"phone": "+1******0192", "code": 30003, "at": "2026-11-28T09:41:00+00:00"},
        ],
        "attribution": {
            "click_window_h": 24,
            "view_window_h": None,
            "rules": {"click": 280, "discount_code": 102, "view": 0},
        },
    }


def empty_report() -> dict[str, Any]:
    """The same fortnight with nothing sent: every day zero, no flows, campaigns, holdout or errors."""
    zero = metrics()
    days = [{"day": (SINCE + timedelta(days=i)).isoformat(), **zero} for i in range(DAYS)]
    return {
        "shop": SHOP, "currency": "USD", "since": days[0]["day"], "until": days[-1]["day"],
        "scope": {"flow": "welcome", "campaign": None}, "generated_at": "2026-12-01T10:00:00+00:00",
        "totals": zero, "days": days, "flows": [], "campaigns": [], "lift": [], "errors": [], "unreachable": [],
        "attribution": {"click_window_h": 24, "view_window_h": None, "rules": {}},
    }  # fmt: skip
