"""`smsflows report`: what a shop's texts did and earned (issue 16 part 5): rich tables for a person,
--json and --csv for scripts, --html FILE for a self-contained page with charts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from smsflows.cli._core import epilog, fields, out, print_json, table
from smsflows.cli._target import JsonOpt, LocalOpt, ProfileOpt, ShopOpt, connect_shop

NOTE = (
    "Counted per day (UTC), flow and step, campaign and variant: texts sent, delivered, failed (by error code), "
    "clicks (people, not link previews or bots), replies, opt-outs, attributed orders and revenue, and cost "
    "(Twilio's price where a status callback gave one, else segments x the shop's --price-per-segment, marked "
    "as an estimate). Lift compares each campaign's texted recipients with its holdout. A bad date, a reversed "
    "range, an unknown shop, flow or campaign: one line, exit 2. --json prints the report (docs/measurement.md "
    "lists its keys); --csv one row per day, flow, step, campaign and variant."
)


def _money(value: float, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _cost(m: dict[str, Any], currency: str) -> str:
    return _money(m["cost"], currency) + (" (est.)" if m["cost_estimated"] else "")


def _row(label: str, m: dict[str, Any], currency: str) -> tuple[Any, ...]:
    return (label, m["sent"], m["delivered"], _rate(m["delivery_rate"]), m["unique_clicks"], _rate(m["ctr"]),
            m["opt_outs"], m["conversions"], _money(m["revenue"], currency), _cost(m, currency))  # fmt: skip


COLUMNS = ("", "sent", "delivered", "delivery", "clicks", "CTR", "opt-outs", "orders", "revenue", "cost")


def render(console: Console, report: dict[str, Any]) -> None:
    cur = report["currency"]
    t = report["totals"]
    scope = report["scope"]["flow"] or report["scope"]["campaign"] or "all flows and campaigns"
    console.print(fields({
        "shop": report["shop"], "range": f"{report['since']} to {report['until']} (UTC days)", "scope": scope,
        "sent": t["sent"], "delivered": f"{t['delivered']} ({_rate(t['delivery_rate'])})",
        "failed": t["failed"], "unique clicks": f"{t['unique_clicks']} (CTR {_rate(t['ctr'])})",
        "replies": t["replies"], "opt-outs": f"{t['opt_outs']} ({_rate(t['opt_out_rate'])})",
        "attributed orders": t["conversions"], "revenue": _money(t["revenue"], cur),
        "revenue per text": "—" if t["revenue_per_message"] is None else _money(t["revenue_per_message"], cur),
        "cost": _cost(t, cur),
    }, title="report"))  # fmt: skip
    flows = [row for f in report["flows"] for row in
             [_row(f["flow"], f, cur), *(_row(f"  step {s['step']}", s, cur) for s in f["steps"])]]  # fmt: skip
    if flows:
        console.print(table(COLUMNS, flows, "flows"))
    campaigns = [row for c in report["campaigns"] for row in
                 [_row(c["name"], c, cur), *(_row(f"  variant {v['variant']}", v, cur) for v in c["variants"])]]  # fmt: skip
    if campaigns:
        console.print(table(COLUMNS, campaigns, "campaigns"))
    if report["lift"]:
        rows = []
        for x in report["lift"]:
            ci = x["lift_ci95"]
            rows.append((x["label"], f"{x['sent']['recipients']} / {x['holdout']['recipients']}",
                         f"{_rate(x['conversion_sent'])} / {_rate(x['conversion_holdout'])}",
                         "—" if x["lift"] is None else f"{x['lift'] * 100:+.1f} pp",
                         "—" if ci is None else f"{ci[0] * 100:+.1f} to {ci[1] * 100:+.1f} pp",
                         "yes" if x["significant"] else "no"))  # fmt: skip
        console.print(table(("campaign", "recipients sent / held out", "conversion", "lift", "95% interval",
                             "significant"), rows, "lift against the holdout"))  # fmt: skip
    else:
        console.print("lift: no campaign with a holdout has sent in this range")
    if report["errors"]:
        console.print(table(("code", "texts", "meaning"),
                            [(e["code"], e["count"], e["meaning"]) for e in report["errors"]], "error codes"))  # fmt: skip
    if report["unreachable"]:
        numbers = [(u["phone"], u["code"], u["at"]) for u in report["unreachable"]]
        console.print(table(("number", "code", "since"), numbers, "unreachable numbers (suppressed)"))
    rules, windows = report["attribution"]["rules"], report["attribution"]
    view = "off" if windows["view_window_h"] is None else f"{windows['view_window_h']:g} h"
    console.print(
        f"attribution: last click within {windows['click_window_h']:g} h, then a discount code a text carried, "
        f"then a text received (view-through: {view}); orders by rule: click {rules['click']}, "
        f"discount code {rules['discount_code']}, view {rules['view']}"
    )


def register(app: typer.Typer) -> None:
    app.command(
        "report",
        epilog=epilog(
            [
                "smsflows report --shop your-shop.myshopify.com",
                "smsflows report --shop S --since 2026-11-01 --until 2026-11-30 --campaign black-friday",
                "smsflows report --shop S --flow welcome --json",
                "smsflows report --shop S --csv > november.csv",
                "smsflows report --shop S --html report.html",
            ],
            NOTE,
        ),
    )(report)


def report(
    shop: ShopOpt = None,
    since: Annotated[str | None, typer.Option("--since", metavar="YYYY-MM-DD",
                                              help="First day (default: 29 days before --until).")] = None,
    until: Annotated[str | None, typer.Option("--until", metavar="YYYY-MM-DD",
                                              help="Last day (default: today).")] = None,
    flow: Annotated[str | None, typer.Option("--flow", metavar="FLOW", help="Only this flow.")] = None,
    campaign: Annotated[str | None, typer.Option("--campaign", metavar="ID", help="Only this campaign.")] = None,
    as_json: JsonOpt = False,
    as_csv: Annotated[bool, typer.Option("--csv",
                                         help="Print CSV (one row per day, flow, step, campaign, variant).")] = False,
    html: Annotated[Path | None, typer.Option("--html", metavar="FILE",
                                              help="Write a self-contained HTML page with charts.")] = None,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:  # fmt: skip
    """What a shop's texts did and earned: delivery, clicks, replies, opt-outs, attributed revenue, cost, lift."""
    from smsflows.admin import report as use_case
    from smsflows.admin.errors import BadValue

    if as_json and as_csv:
        raise BadValue("--json and --csv: give one of them")
    named = connect_shop(local, profile, shop)
    built = use_case.build(named, since, until, flow, campaign)
    if html is not None:
        from smsflows.admin.report_html import render_html

        try:
            html.write_text(render_html(built), encoding="utf-8")
        except OSError as exc:
            raise BadValue(f"--html: cannot write {html}: {exc.strerror or exc}") from None
    if as_json:
        print_json(built)
    elif as_csv:
        out().file.write(use_case.to_csv(built))
    elif html is None:
        render(out(), built)
    else:
        out().print(f"wrote {html} ({html.stat().st_size:,} bytes)")
