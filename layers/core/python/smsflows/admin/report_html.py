"""The report (issue 16) as one self-contained HTML page: inline CSS and inline SVG charts drawn here, no
script, font, image or stylesheet fetched from anywhere, so the file can be mailed or opened offline.

`render_html(report)` takes the dict `smsflows report --json` prints (issue 16's report data model) and
returns the page. Every string from the data goes through `html.escape`; numbers are formatted for people
(thousands separators, money with 2 decimals and the currency code, rates as %, a null rate as "—").
Each chart is an `<svg class="chart" data-chart="…">` whose data marks carry `class="mark"`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

DASH = "—"
BLUE, GREEN, AMBER, GREY, RED, INK, MUTED, LINE = (
    "#4f6bed", "#1f9d6b", "#e39a12", "#a3acb9", "#d9485f", "#1f2937", "#6b7280", "#e5e7eb",
)  # fmt: skip
WIDE, HALF = 1096, 532  # chart widths: the page's content box and half of it
CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f5f6f8;color:#1f2937;font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",
Roboto,"Helvetica Neue",Arial,"Noto Sans","Liberation Sans",sans-serif;font-variant-numeric:tabular-nums}
main{max-width:1160px;margin:0 auto;padding:28px 32px 48px}
header{display:flex;justify-content:space-between;align-items:flex-end;gap:24px;margin-bottom:22px}
h1{font-size:24px;margin:0 0 4px;font-weight:650}
h2{font-size:16px;margin:0 0 12px;font-weight:600}
.muted,.meta{color:#6b7280}.meta{text-align:right;font-size:13px}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:14px;margin-bottom:18px}
.card,.panel{background:#fff;border:1px solid #e5e7eb;border-radius:10px}
.card{padding:14px 16px}
.card .label{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:#6b7280}
.card .value{font-size:24px;font-weight:650;margin:2px 0}
.card .sub{font-size:13px;color:#6b7280}
.badge{display:inline-block;font-size:11px;padding:1px 7px;border-radius:9px;background:#fdf1dc;color:#8a5a00;
margin-left:6px;text-transform:none;letter-spacing:0;vertical-align:1px}
.panel{padding:16px 18px;margin-bottom:18px;overflow-x:auto}
.row{display:grid;grid-template-columns:1fr 1fr;gap:18px}
svg.chart{display:block;max-width:100%;height:auto;font-size:12px}
svg.chart text{fill:#4b5563}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:7px 8px;text-align:right;border-bottom:1px solid #eef0f3;white-space:nowrap}
th{font-weight:600;color:#6b7280;font-size:12px;border-bottom:1px solid #d9dde3}
th:first-child,td:first-child{text-align:left;white-space:normal}
table.lift .id{display:block;margin-left:0}
table.text td:last-child,table.text th:last-child{text-align:left;white-space:normal}
tr.sub td{color:#4b5563;background:#fafbfc;font-size:12.5px}
tr.sub td:first-child{padding-left:26px}
.id{color:#9ca3af;font-size:12px;margin-left:6px}
.yes{color:#1f9d6b;font-weight:600}.no{color:#6b7280}
p.empty{color:#6b7280;margin:4px 0}
"""


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def fmt_int(value: float | None) -> str:
    return DASH if value is None else f"{round(value):,}"


def fmt_money(value: float | None, currency: str) -> str:
    return DASH if value is None else f"{value:,.2f} {currency}"


def fmt_rate(value: float | None) -> str:
    """0.0512 → "5.1%"; below 1% two decimals, so that a small opt-out rate does not read as 0."""
    if value is None:
        return DASH
    pct = value * 100
    return f"{pct:.2f}%" if 0 < abs(pct) < 1 else f"{pct:.1f}%"


def fmt_pp(value: float | None) -> str:
    """A difference of two rates, in percentage points: 0.03 → "+3.0 pp"."""
    return DASH if value is None else f"{value * 100:+.1f} pp"


def fmt_ci(ci: Sequence[float] | None, money: str | None = None) -> str:
    if not ci:
        return DASH
    if money is not None:
        return f"{ci[0]:+,.2f} to {ci[1]:+,.2f} {money}"
    return f"{ci[0] * 100:+.1f} to {ci[1] * 100:+.1f} pp"


def fmt_day(day: str, with_year: bool = False) -> str:
    try:
        d = date.fromisoformat(day)
    except ValueError:
        return day
    return d.strftime("%b ") + str(d.day) + (d.strftime(", %Y") if with_year else "")


def fmt_when(stamp: str) -> str:
    try:
        t = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    offset = t.utcoffset()
    zone = "" if offset is None else " UTC" if not offset else t.strftime(" UTC%z")
    return t.strftime("%Y-%m-%d %H:%M") + zone


def _ticks(top: float, integer: bool) -> list[float]:
    """Round axis steps from 0 to at least `top` (3 to 5 of them)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / 5
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    if integer:
        step = max(1.0, math.ceil(step))
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def _axis_label(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}".rstrip("0").rstrip(".")


def _svg(kind: str, width: int, height: int, title: str, body: str) -> str:
    return (
        f'<svg class="chart" data-chart="{kind}" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}">'
        f"<title>{esc(title)}</title>{body}</svg>"
    )


def _text(x: float, y: float, label: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {extra}>{esc(label)}</text>'


def _no_data(x: float, y: float) -> str:
    return _text(x, y, "no data", "middle", f'font-size="14" style="fill:{MUTED}"')


def _legend(x: float, y: float, items: Sequence[tuple[str, str]]) -> str:
    out = []
    for label, color in items:
        out.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="11" height="11" rx="2" fill="{color}"/>')
        out.append(_text(x + 16, y, label))
        x += 28 + 7.2 * len(label)
    return "".join(out)


def _time_chart(
    kind: str,
    title: str,
    days: Sequence[dict[str, Any]],
    series: Sequence[tuple[str, str, str]],
    money: str = "",
) -> str:
    """Days along x, one slot each, with a bar per series side by side (none for a zero); all zero draws the
    axes and "no data". `series` are (legend label, metric key, colour); `money` is the currency of money."""
    width, height, left, right, top, bottom = WIDE, 280, 60, 16, 34 if len(series) > 1 else 14, 34
    pw, ph = width - left - right, height - top - bottom
    values = [[float(d.get(key) or 0) for d in days] for _, key, _ in series]
    peak = max((v for row in values for v in row), default=0.0)
    ticks = _ticks(peak, integer=not money)
    scale = ticks[-1] or 1.0
    slot = pw / max(len(days), 1)
    bw = min(slot * 0.72 / len(series), 40.0)

    def y_of(v: float) -> float:
        return top + ph - ph * v / scale

    out = [_legend(left, 16, [(label, color) for label, _, color in series])] if len(series) > 1 else []
    for t in ticks:
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y_of(t):.1f}" y2="{y_of(t):.1f}" stroke="{LINE}"/>'
        )
        out.append(_text(left - 8, y_of(t) + 4, _axis_label(t), "end"))
    every = max(1, math.ceil(len(days) / 16))
    for i, d in enumerate(days):
        if i % every == 0:
            out.append(_text(left + (i + 0.5) * slot, height - 12, fmt_day(str(d.get("day", ""))), "middle"))
    if peak <= 0:
        out.append(_no_data(left + pw / 2, top + ph / 2))
    for j, ((label, _, color), row) in enumerate(zip(series, values, strict=True)):
        for i, (v, d) in enumerate(zip(row, days, strict=True)):
            if v <= 0:
                continue
            x = left + (i + 0.5) * slot - bw * len(series) / 2 + j * bw
            shown = fmt_money(v, money) if money else fmt_int(v)
            tip = f"{fmt_day(str(d.get('day', '')))} · {label}: {shown}"
            out.append(
                f'<rect class="mark" x="{x + 0.5:.1f}" y="{y_of(v):.1f}" width="{bw - 1:.1f}" '
                f'height="{ph * v / scale:.1f}" rx="2" fill="{color}"><title>{esc(tip)}</title></rect>'
            )
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{top + ph}" y2="{top + ph}" stroke="{GREY}"/>')
    return _svg(kind, width, height, title, "".join(out))


def _hbars(kind: str, rows: Sequence[tuple[str, float, str, str]], title: str, label_w: int = 92) -> str:
    """Horizontal bars: (label, value, text right of the bar, colour); all zero draws the axis and "no data"."""
    width, row_h, top = HALF, 38, 8
    height = top + row_h * max(len(rows), 3) + 8
    x0, pw = label_w, width - label_w - 175
    peak = max((v for _, v, _, _ in rows), default=0.0)
    out = [f'<line x1="{x0}" x2="{x0}" y1="{top}" y2="{height - 8}" stroke="{GREY}"/>']
    if peak <= 0:
        out.append(_no_data(x0 + pw / 2, height / 2))
    for i, (label, value, note, color) in enumerate(rows):
        y = top + i * row_h + 6
        out.append(_text(x0 - 10, y + 17, label, "end"))
        w = pw * value / peak if peak > 0 else 0.0
        if peak > 0:
            out.append(
                f'<rect class="mark" x="{x0}" y="{y}" width="{max(w, 1):.1f}" height="24" rx="3" fill="{color}"/>'
            )
        out.append(_text(x0 + w + 8, y + 17, note, extra=f'style="fill:{INK}"'))
    return _svg(kind, width, height, title, "".join(out))


def _lift_chart(entries: Sequence[dict[str, Any]]) -> str:
    """Per entry: conversion rate sent vs holdout (bars), then the difference with its 95% interval."""
    width, row_h, top = WIDE, 62, 44
    height = top + row_h * len(entries) + 34
    bx0, bw = 230, 300  # the rate bars
    fx0, fw = 640, WIDE - 640 - 180  # the differences; their notes need ~155 px in DejaVu Sans
    rates = [float(e.get(k) or 0) for e in entries for k in ("conversion_sent", "conversion_holdout")]
    rate_top = max(rates, default=0.0) or 1.0
    spans = [0.0] + [float(v) for e in entries for v in (e.get("lift_ci95") or [e.get("lift") or 0])]
    lo, hi = min(spans), max(spans)
    pad = (hi - lo) * 0.08 or 0.01
    lo, hi = lo - pad, hi + pad

    def fx(v: float) -> float:
        return fx0 + fw * (v - lo) / (hi - lo)

    out = [
        _text(bx0, 16, "Conversion rate", extra='font-weight="600"'),
        _legend(bx0 + 130, 16, [("sent", BLUE), ("holdout", GREY)]),
        _text(fx0, 16, "Difference (sent − holdout), 95% interval", extra='font-weight="600"'),
        f'<line x1="{fx(0):.1f}" x2="{fx(0):.1f}" y1="{top - 10}" y2="{height - 30}" stroke="{MUTED}" '
        'stroke-dasharray="4 3"/>',
        _text(fx(0), height - 14, "0 pp", "middle"),
    ]
    for end in (lo, hi):  # the axis' ends, unless they would overlap the zero label
        if abs(fx(end) - fx(0)) > 56:
            out.append(_text(fx(end), height - 14, fmt_pp(end), "middle"))
    for i, e in enumerate(entries):
        y = top + i * row_h
        label = str(e.get("label") or e.get("scope") or "")
        out.append(
            _text(16, y + 22, label[:30] + ("…" if len(label) > 30 else ""), extra='font-weight="600"')
        )
        out.append(_text(16, y + 38, str(e.get("scope", "")), extra=f'style="fill:{MUTED}"'))
        for j, (key, color) in enumerate((("conversion_sent", BLUE), ("conversion_holdout", GREY))):
            v = float(e.get(key) or 0)
            w = max(bw * v / rate_top, 1)
            out.append(
                f'<rect class="mark" x="{bx0}" y="{y + 6 + j * 20}" width="{w:.1f}" height="16" rx="2" fill="{color}"/>'
            )
            group = e.get("sent" if j == 0 else "holdout") or {}
            counts = f"{fmt_int(group.get('conversions'))} of {fmt_int(group.get('recipients'))}"
            out.append(_text(bx0 + w + 6, y + 19 + j * 20, f"{fmt_rate(e.get(key))} · {counts}"))
        cy, ci, lift = y + 24, e.get("lift_ci95"), e.get("lift")
        if ci:
            a, b = fx(float(ci[0])), fx(float(ci[1]))
            path = f"M{a:.1f},{cy}H{b:.1f}M{a:.1f},{cy - 7}V{cy + 7}M{b:.1f},{cy - 7}V{cy + 7}"
            out.append(f'<path class="mark" d="{path}" stroke="{INK}" stroke-width="1.8" fill="none"/>')
        if lift is not None:
            color = GREEN if e.get("significant") else MUTED
            out.append(f'<circle class="mark" cx="{fx(float(lift)):.1f}" cy="{cy}" r="5" fill="{color}"/>')
        note = f"{fmt_pp(lift)}  [{fmt_ci(ci)}]" if ci else fmt_pp(lift)
        out.append(_text(fx0 + fw + 12, cy + 4, note))
    return _svg("lift", width, height, "Conversion lift against the holdout", "".join(out))


def _table(head: Sequence[str], rows: Sequence[tuple[str, Sequence[str]]], empty: str, cls: str = "") -> str:
    """`rows` are (css class of the row, cells); cells are HTML already (each built with `esc`)."""
    if not rows:
        return f'<p class="empty">{esc(empty)}</p>'
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join(
        f'<tr class="{c}">' + "".join(f"<td>{x}</td>" for x in cells) + "</tr>" for c, cells in rows
    )
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


METRIC_HEAD = "Sent|Delivered|Delivery|Unique clicks|CTR|Orders|Revenue|Rev/msg|Cost|Opt-out".split("|")


def _metric_cells(m: dict[str, Any], cur: str) -> list[str]:
    cost = fmt_money(m.get("cost"), cur) + (" (est.)" if m.get("cost_estimated") else "")
    cells = [fmt_int(m.get("sent")), fmt_int(m.get("delivered")), fmt_rate(m.get("delivery_rate"))]
    cells += [fmt_int(m.get("unique_clicks")), fmt_rate(m.get("ctr")), fmt_int(m.get("conversions"))]
    cells += [fmt_money(m.get("revenue"), cur), fmt_money(m.get("revenue_per_message"), cur), cost]
    return [esc(c) for c in [*cells, fmt_rate(m.get("opt_out_rate"))]]


def _card(label: str, value: str, sub: str, badge: str = "") -> str:
    tag = f'<span class="badge">{esc(badge)}</span>' if badge else ""
    return (
        f'<div class="card"><div class="label">{esc(label)}{tag}</div><div class="value">{esc(value)}</div>'
        f'<div class="sub">{esc(sub)}</div></div>'
    )


def _panel(title: str, body: str, extra: str = "") -> str:
    return f'<section class="panel"><h2>{esc(title)}</h2>{body}{extra}</section>'


def render_html(report: dict[str, Any]) -> str:
    """The whole page for one report dict (the data model of `smsflows report --json`)."""
    cur = str(report.get("currency") or "")
    t: dict[str, Any] = report.get("totals") or {}
    days: list[dict[str, Any]] = list(report.get("days") or [])
    scope = report.get("scope") or {}
    scope_text = (
        f"Flow: {scope['flow']}" if scope.get("flow")
        else f"Campaign: {scope['campaign']}" if scope.get("campaign")
        else "All flows and campaigns"
    )  # fmt: skip
    since, until = str(report.get("since", "")), str(report.get("until", ""))
    shop = str(report.get("shop", ""))
    header = (
        f'<header><div><h1>{esc(shop)}</h1><div class="muted">SMS report · {esc(fmt_day(since, True))} – '
        f"{esc(fmt_day(until, True))} · {esc(scope_text)}</div></div>"
        f'<div class="meta">Generated {esc(fmt_when(str(report.get("generated_at", ""))))}<br>'
        f"Currency {esc(cur)}</div></header>"
    )
    estimated = bool(t.get("cost_estimated"))
    cards = "".join([
        _card("Texts sent", fmt_int(t.get("sent")), f"{fmt_int(t.get('segments'))} segments"),
        _card("Delivered", fmt_int(t.get("delivered")), f"{fmt_rate(t.get('delivery_rate'))} delivery rate"),
        _card("Unique clicks", fmt_int(t.get("unique_clicks")), f"{fmt_rate(t.get('ctr'))} CTR"),
        _card("Conversions", fmt_int(t.get("conversions")), "attributed orders"),
        _card("Revenue", fmt_money(t.get("revenue"), cur), "from attributed orders"),
        _card("Revenue per message", fmt_money(t.get("revenue_per_message"), cur), "revenue ÷ texts sent"),
        _card("Cost", fmt_money(t.get("cost"), cur), "segments × configured price" if estimated else
              "as billed by Twilio", "estimate" if estimated else ""),
        _card("Opt-out rate", fmt_rate(t.get("opt_out_rate")), f"{fmt_int(t.get('opt_outs'))} opt-outs"),
    ])  # fmt: skip
    series = [("sent", "sent", BLUE), ("delivered", "delivered", GREEN), ("unique clicks", "unique_clicks", AMBER)]  # fmt: skip
    daily = _time_chart("daily", "Texts per day", days, series)
    revenue = _time_chart("revenue", f"Revenue per day ({cur})", days, [("revenue", "revenue", BLUE)], cur)
    sent = float(t.get("sent") or 0)
    stages = [("Sent", "sent"), ("Delivered", "delivered"), ("Clicked", "unique_clicks"), ("Ordered", "conversions")]  # fmt: skip
    funnel_rows = [
        (label, float(t.get(k) or 0), f"{fmt_int(t.get(k))} · {fmt_rate(t[k] / sent if sent else None)} of sent", color)
        for (label, k), color in zip(stages, (BLUE, GREEN, AMBER, "#7c5cd6"), strict=True)
    ]  # fmt: skip
    if not sent:
        funnel_rows = [(label, 0.0, "", BLUE) for label, _ in stages]
    errors: list[dict[str, Any]] = list(report.get("errors") or [])
    error_chart = _hbars(
        "errors", [(str(e.get("code")), float(e.get("count") or 0), fmt_int(e.get("count")), RED) for e in errors[:8]],
        "Top error codes", label_w=70,
    )  # fmt: skip
    lift: list[dict[str, Any]] = list(report.get("lift") or [])
    lift_body = (
        _lift_chart(lift)
        if lift
        else '<p class="empty">No holdout yet: hold out a share of recipients in a campaign or flow to measure '
        "the lift its texts cause.</p>"
    )
    flow_rows: list[tuple[str, Sequence[str]]] = []
    for f in report.get("flows") or []:
        flow_rows.append(("", [esc(f.get("flow", "")), *_metric_cells(f, cur)]))
        flow_rows += [
            ("sub", [f"step {esc(s.get('step'))}", *_metric_cells(s, cur)]) for s in f.get("steps") or []
        ]
    campaign_rows: list[tuple[str, Sequence[str]]] = []
    for c in report.get("campaigns") or []:
        name = (
            f'{esc(c.get("name") or c.get("campaign"))}<span class="id">{esc(c.get("campaign", ""))}</span>'
        )
        campaign_rows.append(("", [name, *_metric_cells(c, cur)]))
        campaign_rows += [
            ("sub", [f"variant {esc(v.get('variant'))}", *_metric_cells(v, cur)])
            for v in c.get("variants") or []
        ]
    lift_rows: list[tuple[str, Sequence[str]]] = []
    for e in lift:
        s, h = e.get("sent") or {}, e.get("holdout") or {}
        cells = [f'{esc(e.get("label", ""))}<span class="id">{esc(e.get("scope", ""))}</span>']
        cells += [esc(f"{fmt_int(s.get('recipients'))} / {fmt_int(h.get('recipients'))}")]
        cells += [esc(f"{fmt_int(s.get('conversions'))} / {fmt_int(h.get('conversions'))}")]
        cells += [esc(f"{fmt_rate(e.get('conversion_sent'))} / {fmt_rate(e.get('conversion_holdout'))}")]
        cells += [esc(f"{fmt_pp(e.get('lift'))} ({fmt_ci(e.get('lift_ci95'))})")]
        cells += [esc(f"{fmt_money(e.get('rpr_sent'), cur)} / {fmt_money(e.get('rpr_holdout'), cur)}")]
        rpr_ci = f" ({fmt_ci(e['rpr_ci95'], cur)})" if e.get("rpr_ci95") else ""
        cells += [esc(f"{fmt_money(e.get('rpr_lift'), cur)}{rpr_ci}")]
        cells += ['<span class="yes">yes</span>' if e.get("significant") else '<span class="no">no</span>']
        lift_rows.append(("", cells))
    lift_note = (
        '<p class="muted">Pairs are sent / holdout. Lift is the difference in conversion rate in percentage points; '
        "revenue lift is per recipient. Significant: the 95% interval of the lift excludes 0.</p>"
    )
    lift_head = ("Scope", "Recipients (sent / holdout)", "Orders", "Conversion", "Lift (95% CI)", "Revenue/recipient",
                 "Revenue lift (95% CI)", "Significant")  # fmt: skip
    error_rows = [
        ("", [esc(e.get("code")), esc(fmt_int(e.get("count"))), esc(e.get("meaning", ""))]) for e in errors
    ]
    unreachable = [
        ("", [esc(u.get("phone", "")), esc(u.get("code", "")), esc(fmt_when(str(u.get("at", ""))))])
        for u in report.get("unreachable") or []
    ]
    attribution = report.get("attribution") or {}
    click_h, view_h = attribution.get("click_window_h"), attribution.get("view_window_h")
    windows = (
        f"Click window: {fmt_int(click_h) + ' h' if click_h else 'off'}. View-through window: "
        f"{fmt_int(view_h) + ' h' if view_h else 'off'}. Orders attributed by each rule:"
    )
    rules = [
        ("", [esc(str(k).replace("_", " ")), esc(fmt_int(v))])
        for k, v in (attribution.get("rules") or {}).items()
    ]
    sections = [
        header,
        f'<div class="cards">{cards}</div>',
        _panel("Texts per day", daily),
        _panel(f"Revenue per day ({cur})", revenue),
        f'<div class="row">{_panel("Funnel", _hbars("funnel", funnel_rows, "Funnel"))}'
        f"{_panel('Top error codes', error_chart)}</div>",
        _panel("Lift against the holdout", lift_body),
        _panel("Flows", _table(["Flow / step", *METRIC_HEAD], flow_rows, "No flow texts in this period.")),
        _panel(
            "Campaigns",
            _table(["Campaign / variant", *METRIC_HEAD], campaign_rows, "No campaigns in this period."),
        ),
        _panel(
            "Lift",
            _table(lift_head, lift_rows, "No holdout yet: no lift to report.", "lift"),
            lift_note if lift else "",
        ),
        f'<div class="row">{_panel("Error codes", _table(["Code", "Texts", "Meaning"], error_rows, "No errors.", "text"))}'
        f"{_panel('Unreachable numbers', _table(['Number', 'Code', 'At'], unreachable, 'None.'))}</div>",
        _panel(
            "Attribution rules",
            f'<p class="muted">{esc(windows)}</p>',
            _table(["Rule", "Orders attributed"], rules, "No attributed orders."),
        ),
    ]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(f'SMS report · {shop} · {since} – {until}')}</title><style>{CSS}</style></head>"
        f"<body><main>{''.join(sections)}</main></body></html>\n"
    )
