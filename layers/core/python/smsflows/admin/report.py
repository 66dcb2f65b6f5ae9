"""`smsflows report`: what a shop's texts did and earned, from the counters, the campaign runs and the
holdout groups (issue 16 part 5). The dict it builds is the one `--json` prints, `--csv` flattens and
`--html` draws (admin/report_html.py; its shape is written down in docs/measurement.md)."""

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, timedelta
from typing import Any

from smsflows.admin.errors import BadValue
from smsflows.admin.target import deps
from smsflows.domain.analytics import counters
from smsflows.domain.analytics.counters import Metrics, Row, roll_up
from smsflows.domain.analytics.lift import Group, Lift
from smsflows.domain.flows import definitions

MAX_DAYS = 366
DEFAULT_DAYS = 30
# What the error codes the report lists mean (Twilio's error dictionary; RULES.md D).
ERROR_MEANINGS = {
    0: "Failed with no error code",
    21211: "Invalid 'To' number",
    21408: "Region not enabled for the account",
    21610: "Recipient had opted out (STOP) at Twilio",
    21614: "Not a mobile number",
    21635: "Landline",
    30003: "Unreachable handset",
    30004: "Message blocked",
    30005: "Unknown handset",
    30006: "Landline or unreachable carrier",
    30007: "Filtered by the carrier",
    30008: "Unknown error",
    30024: "Sender not registered (numbers of an unregistered sender)",
    30032: "Toll-free number not verified",
    30034: "Unregistered 10DLC number",
    30035: "Toll-free verification pending",
}


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadValue(f"{field}: {text!r} is not a date; use YYYY-MM-DD (e.g. 2026-11-01)") from None


def date_range(since: str | None, until: str | None, today: date) -> tuple[date, date]:
    """The inclusive range asked for: --until defaults to today, --since to 29 days before --until."""
    end = _day(until, "--until") if until else today
    start = _day(since, "--since") if since else end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise BadValue(f"--since {start} is after --until {end}: give the earlier date first")
    if (end - start).days + 1 > MAX_DAYS:
        raise BadValue(
            f"--since {start} to --until {end} is {(end - start).days + 1} days: at most {MAX_DAYS}"
        )
    return start, end


def build(
    shop: str, since: str | None = None, until: str | None = None, flow: str | None = None,
    campaign: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The report of `shop` from `since` to `until`; BadValue (exit 2) for an unknown shop, flow or campaign,
    or a date range that is not one."""
    d = deps()
    config = d.shop_configs.get(shop)
    if config is None:
        raise BadValue(f"--shop: {shop!r} is not a shop of this deployment (`smsflows shop list`)")
    if flow and campaign:
        raise BadValue("--flow and --campaign: give one of them (or neither, for the whole shop)")
    if flow and flow not in definitions.FLOWS:
        raise BadValue(f"--flow: {flow!r} is not a flow; use one of {', '.join(sorted(definitions.FLOWS))}")
    known = {c.id: c for c in d.campaigns.list(shop)}
    if campaign and campaign not in known:
        raise BadValue(f"--campaign: {campaign!r} is not a campaign of {shop} (`smsflows campaign list`)")
    start, end = date_range(since, until, d.clock().date())
    rows = _rows(d.measurement, shop, start, end)
    rolled = roll_up(rows, flow=flow, campaign=campaign)
    days = [
        {"day": day, **rolled.days.get(day, Metrics()).as_dict()} for day in counters.days_between(start, end)
    ]
    flows = [
        {"flow": name, **m.as_dict(),
         "steps": [{"step": int(step) if step.isdigit() else step, **sm.as_dict()}
                   for (f, step), sm in sorted(rolled.steps.items(), key=lambda kv: _order(kv[0][1])) if f == name]}
        for name, m in sorted(rolled.flows.items())
    ]  # fmt: skip
    campaigns = [
        {"campaign": cid, "name": known[cid].name if cid in known else cid, **m.as_dict(),
         "variants": [{"variant": v, **vm.as_dict()} for (c, v), vm in sorted(rolled.variants.items()) if c == cid]}
        for cid, m in sorted(rolled.campaigns.items())
    ]  # fmt: skip
    held = [c for cid, c in known.items() if c.holdout > 0 and campaign in (None, cid)]
    lift = [] if flow else _lift(d, shop, held)
    if campaign is None:  # and each marketing flow whose holdout has had entrants
        names = [flow] if flow else [f.name for f in definitions.FLOWS.values() if f.category == "marketing"]
        lift += _flow_lift(d, shop, names)
    totals = rolled.total
    return {
        "shop": shop,
        "currency": config.measurement.currency,
        "since": start.isoformat(),
        "until": end.isoformat(),
        "scope": {"flow": flow, "campaign": campaign},
        "generated_at": d.clock().astimezone(UTC).isoformat(timespec="seconds"),
        "totals": totals.as_dict(),
        "days": days,
        "flows": flows,
        "campaigns": campaigns,
        "lift": lift,
        "errors": [
            {"code": code, "count": n, "meaning": ERROR_MEANINGS.get(code, "See Twilio's error dictionary")}
            for code, n in sorted(totals.errors().items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "unreachable": _unreachable(d, shop),
        "attribution": {
            "click_window_h": config.measurement.click_window_h,
            "view_window_h": config.measurement.view_window_h,
            "rules": {
                rule: int(totals.values.get(f"conv_{rule}", 0)) for rule in ("click", "discount_code", "view")
            },
        },
    }


def _order(step: str) -> tuple[int, str]:
    return (int(step), "") if step.isdigit() else (10**6, step)


def _rows(measurement: Any, shop: str, start: date, end: date) -> list[Row]:
    """Every counter row of the range; days read in parallel (one Query per day and shard)."""
    spans = [(d, d) for d in (start + timedelta(days=i) for i in range((end - start).days + 1))]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parts = list(pool.map(lambda span: measurement.rows(shop, span[0], span[1]), spans))
    return [row for part in parts for row in part]


def _lift(d: Any, shop: str, campaigns: list[Any]) -> list[dict[str, Any]]:
    out = []
    for c in campaigns:
        targeted = held_out = 0
        for _, progress, _counters in d.campaign_runs.runs(shop, c.id):
            targeted += progress.targeted
            held_out += progress.held_out
        if targeted == 0:
            continue
        groups = d.measurement.lift_groups(shop, f"campaign:{c.id}")
        sent, hold = groups["sent"], groups["holdout"]
        lift = Lift(
            Group(targeted - held_out, sent.conversions, sent.revenue, sent.revenue_sq),
            Group(held_out, hold.conversions, hold.revenue, hold.revenue_sq),
        )
        out.append(
            {"scope": f"campaign:{c.id}", "label": c.name, "holdout_share": c.holdout, **lift.as_dict()}
        )
    return out


def _flow_lift(d: Any, shop: str, flows: list[str]) -> list[dict[str, Any]]:
    """Each flow whose holdout has had entrants: sent vs held out (`flow set --holdout PCT`)."""
    out = []
    for name in flows:
        groups = d.measurement.lift_groups(shop, f"flow:{name}")
        if groups["holdout"].recipients == 0:
            continue
        lift = Lift(groups["sent"], groups["holdout"])
        out.append({"scope": f"flow:{name}", "label": f"{name} (flow)", **lift.as_dict()})
    return out


def _unreachable(d: Any, shop: str, limit: int = 200) -> list[dict[str, Any]]:
    from smsflows.runtime.observability import mask_phone

    return [
        {"phone": mask_phone(row["phone"]), "code": row.get("code"), "at": row.get("since")}
        for row in d.measurement.unreachable(shop, limit)
    ]


CSV_FIELDS = ("section", "key", "sent", "delivered", "failed", "delivery_rate", "clicks", "unique_clicks", "ctr",
              "replies", "opt_outs", "opt_out_rate", "conversions", "revenue", "revenue_per_message", "cost",
              "cost_estimated", "segments")  # fmt: skip


def to_csv(report: dict[str, Any]) -> str:
    """One row per day, flow, flow step, campaign and variant, and the total: the columns of CSV_FIELDS."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerow({"section": "total", "key": "all", **report["totals"]})
    for day in report["days"]:
        writer.writerow({"section": "day", "key": day["day"], **day})
    for flow in report["flows"]:
        writer.writerow({"section": "flow", "key": flow["flow"], **flow})
        for step in flow["steps"]:
            writer.writerow({"section": "flow_step", "key": f"{flow['flow']}#{step['step']}", **step})
    for campaign in report["campaigns"]:
        writer.writerow({"section": "campaign", "key": campaign["campaign"], **campaign})
        for variant in campaign["variants"]:
            writer.writerow({"section": "campaign_variant", "key": f"{campaign['campaign']}#{variant['variant']}",
                             **variant})  # fmt: skip
    return buffer.getvalue()
