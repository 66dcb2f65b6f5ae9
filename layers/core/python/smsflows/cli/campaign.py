"""`smsflows campaign create|preview|show|list|schedule|pause|resume|cancel`: a shop's campaigns (issue 15).

`schedule` starts the run (at once, or on EventBridge Scheduler); the fan-out (functions/release_campaign)
releases it at the sender's pace, and the sender texts only whoever may be texted then."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from smsflows import admin
from smsflows.admin import campaigns as use_cases
from smsflows.cli._core import confirm, epilog, fields, show, table
from smsflows.cli._target import JsonOpt, LocalOpt, ProfileOpt, ShopOpt, YesOpt, connect_shop

app = typer.Typer(
    help="A shop's campaigns: create a draft, preview it, schedule, pause, resume, cancel, show, list.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

IdArg = Annotated[str, typer.Argument(metavar="ID", help="The campaign id (`smsflows campaign list`).")]
ByOpt = Annotated[
    str | None,
    typer.Option("--by", metavar="NAME", help="Who makes the change, for the history.", show_default="$USER"),
]
RECORD_NOTE = (
    "--json prints {" + ", ".join(use_cases.RECORD_KEYS) + "}; variants: [{name, weight, text, sent_text, "
    "encoding, segments, characters}], send_at: {kind, instant, local_time, date, describe}, history: "
    "[{from, to, by, at}]."
)


def _opt(flag: str, help_: str, metavar: str = "TEXT") -> Any:
    return typer.Option(flag, metavar=metavar, help=help_, show_default=False)


def _render_record(console: Console, found: dict[str, Any]) -> None:
    send = found["send_at"]["describe"]
    summary = {
        "id": found["id"], "name": found["name"], "state": found["state"], "send at": send,
        "not after": found["not_after"], "segment": found["segment"] or "(document)",
        "holdout": f"{found['holdout_pct']:g} %", "utm_campaign": found["utm"]["campaign"],
        "smart sending": f"{found['smart_sending_hours']:g} h" if found["smart_sending_hours"] else None,
        "recurrence": (f"{found['recurrence']['cron']} in {found['recurrence']['time_zone']}"
                       if found["recurrence"] else None),
        "created": f"{found['created_at']} by {found['created_by']}", "version": found["version"],
    }  # fmt: skip
    if found.get("paused_because"):
        summary = {"paused because": f"{found['paused_because']} (the deliverability guard; `campaign resume` or "
                                     "`campaign cancel`)", **summary}  # fmt: skip
    console.print(fields(summary, title=f"campaign {found['id']} of {found['shop']}"))
    rows = [(v["name"], f"{v['weight']} %", v["encoding"], v["segments"], v["characters"], v["sent_text"])
            for v in found["variants"]]  # fmt: skip
    console.print(
        table(("variant", "split", "encoding", "segments", "chars", "text as sent"), rows, "variants")
    )
    steps = [(h["at"], h["from"], h["to"], h["by"], h.get("reason")) for h in found["history"]]
    console.print(
        table(("when", "from", "to", "by", "why"), steps, "history") if steps else "history: none yet"
    )
    if "counts" in found:
        console.print(fields({k.replace("_", " "): v for k, v in found["counts"].items()}, title="counts"))
        estimate = found.get("estimate") or {}
        runs = [(r["run"], "done" if r["done"] else "sending", r["counts"]["enqueued"], r["counts"]["sent"],
                 estimate.get("finish"), r["actual_finish"]) for r in found["runs"]]  # fmt: skip
        if runs:
            console.print(table(("run", "state", "enqueued", "sent", "estimated finish", "actual finish"), runs,
                                "runs"))  # fmt: skip


@app.command(
    "create",
    epilog=epilog(
        [
            'smsflows campaign create --shop S --name "Black Friday" --text "Demo Shop: 20% off today" '
            "--segment vip --at 2026-11-27T15:00:00Z",
            'smsflows campaign create --name Weekly --text "..." --variant "B=Other copy" --split A=70,B=30 '
            '--segment-file vip.json --every "cron(0 10 ? * MON *)" --tz America/New_York',
            'smsflows campaign create --name Local --text "..." --segment all --local-time 10:00 --date 2026-11-27',
        ],
        "Stores a draft (nothing is sent; `campaign schedule` moves it on). Without --at or --local-time it "
        "sends when scheduled. A bad value is one line naming the field (exit 2), and nothing is stored. "
        "--json prints {" + ", ".join(use_cases.CREATE_KEYS) + "}; campaign is what `campaign show --json` "
        "prints.",
    ),
)
def create(
    name: Annotated[
        str, typer.Option("--name", metavar="NAME", help="The campaign's name (1 to 100 characters).")
    ],
    text: Annotated[str, typer.Option("--text", metavar="TEXT", help="The text (variant A).")],
    variant: Annotated[
        list[str] | None, _opt("--variant", "Another variant, NAME=TEXT (repeatable).", "NAME=TEXT")
    ] = None,
    split: Annotated[
        str | None, _opt("--split", "The split, e.g. A=50,B=50 (default: equal).", "SPLIT")
    ] = None,
    segment: Annotated[str | None, _opt("--segment", "A segment, by name.", "NAME")] = None,
    segment_file: Annotated[str | None, _opt("--segment-file", "A segment document (JSON).", "FILE")] = None,
    at: Annotated[str | None, _opt("--at", "Send at this instant (ISO 8601 with offset).", "ISO")] = None,
    local_time: Annotated[
        str | None, _opt("--local-time", "Send at this time in each recipient's zone (with --date).", "HH:MM")
    ] = None,
    on_date: Annotated[str | None, _opt("--date", "The date of --local-time.", "YYYY-MM-DD")] = None,
    holdout: Annotated[
        float,
        typer.Option("--holdout", metavar="PCT", help="Percent held out (recorded, never texted), 0 to 50."),
    ] = 0.0,
    not_after: Annotated[
        str | None, _opt("--not-after", "Send nothing after this instant (ISO 8601).", "ISO")
    ] = None,
    utm_campaign: Annotated[
        str | None, _opt("--utm-campaign", "utm_campaign of the links (default: from the name).", "X")
    ] = None,
    smart_sending: Annotated[
        float | None, _opt("--smart-sending", "Skip who got marketing in the last HOURS (0: off).", "HOURS")
    ] = None,
    every: Annotated[
        str | None,
        _opt("--every", "Recur on an EventBridge cron, e.g. cron(0 10 ? * MON *) (with --tz).", "CRON"),
    ] = None,
    tz: Annotated[
        str | None, _opt("--tz", "The IANA zone of --every, e.g. America/New_York.", "ZONE")
    ] = None,
    campaign_id: Annotated[
        str | None, _opt("--id", "An id of your own (default: generated), e.g. winter-sale.", "ID")
    ] = None,
    code: Annotated[
        str | None,
        _opt(
            "--code",
            "The discount code the texts carry: an order using it is attributed to "
            "the text (without a click).",
            "CODE",
        ),
    ] = None,
    by: ByOpt = None,
    shop: ShopOpt = None,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Create a draft campaign: its id and every warning (brand or opt-out added, quiet hours, encoding)."""
    named = connect_shop(local, profile, shop)
    made = use_cases.campaign_create(
        named, name=name, text=text, variants=variant or (), split=split, segment=segment,
        segment_file=segment_file, at=at, local_time=local_time, on_date=on_date, holdout_pct=holdout,
        not_after=not_after, utm_campaign=utm_campaign, smart_sending_hours=smart_sending, every=every,
        tz=tz, by=by, campaign_id=campaign_id, discount_code=code,
    )  # fmt: skip

    def render(console: Console, found: dict[str, Any]) -> None:
        console.print(fields({"id": found["id"], "name": found["name"], "state": found["state"]},
                             title=f"campaign created in {found['shop']}"))  # fmt: skip
        console.print(table(("warning",), [(w,) for w in found["warnings"]], "warnings")
                      if found["warnings"] else "warnings: none")  # fmt: skip

    show(made, as_json, render)


SHOW_NOTE = (
    RECORD_NOTE[:-1] + "; and runs: [{run, done, expired, read, started_at, released_until, actual_finish, "
    "variants, counts}], counts: {" + ", ".join(use_cases.COUNT_KEYS) + "} over every run. estimate is "
    "the preview's when it was scheduled: {audience, texts, first_text, finish}."
)


@app.command(
    "show", epilog=epilog(["smsflows campaign show cmp_3f2a9c1e0b7d4a55 --shop S --json"], SHOW_NOTE)
)
def show_(campaign_id: IdArg, shop: ShopOpt = None, as_json: JsonOpt = False, local: LocalOpt = None,
          profile: ProfileOpt = None) -> None:  # fmt: skip
    """Show a campaign: state, variants, send time, history, and its counts (targeted, held out, enqueued,
    sent, delivered, failed, suppressed, skipped, deferred) with the estimated and the actual finish."""
    named = connect_shop(local, profile, shop)
    show(use_cases.campaign_show(named, campaign_id), as_json, _render_record)


@app.command(
    "list",
    epilog=epilog(
        ["smsflows campaign list --shop S --json | jq -r '.[].id'"],
        "Newest first. --json prints a list of {" + ", ".join(use_cases.LIST_KEYS) + "}.",
    ),
)
def list_(
    shop: ShopOpt = None, as_json: JsonOpt = False, local: LocalOpt = None, profile: ProfileOpt = None
) -> None:
    """List the shop's campaigns, newest first."""
    named = connect_shop(local, profile, shop)

    def render(console: Console, rows: list[dict[str, Any]]) -> None:
        lines = [(r["id"], r["name"], r["state"], r["send_at"], r["variants"], r["created_at"]) for r in rows]
        console.print(
            table(("id", "name", "state", "send at", "variants", "created"), lines, f"campaigns of {named}")
        )

    show(use_cases.campaign_list(named), as_json, render)


def _move(action: use_cases.Action, campaign_id: str, shop: str | None, by: str | None, as_json: bool,
          local: str | None, profile: str | None, yes: bool = True) -> None:  # fmt: skip
    named = connect_shop(local, profile, shop)
    if not yes:
        use_cases.campaign_show(named, campaign_id)  # an unknown id is said before the question
        confirm(f"cancel campaign {campaign_id} of {named}? A cancelled campaign is final", yes)
    moved = use_cases.campaign_transition(named, campaign_id, action, by=by)

    def render(console: Console, found: dict[str, Any]) -> None:
        _render_record(console, found)
        if found["warnings"]:
            console.print(table(("warning",), [(w,) for w in found["warnings"]], "warnings"))

    show(moved, as_json, render)


MOVE_NOTE = (
    "Recorded in the history with who (--by, else $USER) and when. --json prints {"
    + ", ".join(use_cases.MOVE_KEYS)
    + "}: the record as `campaign show` prints it, and warnings (a resume after the send time passed starts the "
    "run now). A campaign past its --not-after is not resumed."
)


@app.command(
    "preview",
    epilog=epilog(
        ["smsflows campaign preview cmp_3f2a9c1e0b7d4a55 --shop S", "smsflows campaign preview ID --json"],
        "Counts the segment now (subscribers only) by time-zone group and estimates the run: when it starts "
        "and finishes, what waits for quiet hours or the daily cap, the segments and the cost. Sends nothing. "
        "--json prints {" + ", ".join(use_cases.PREVIEW_KEYS) + "}; eta is {start, first_text, finish, "
        "recipients, held_out, texts, segments, cost_usd, rate, daily_cap, cap_reached, deferred, "
        "expired_texts, unsendable, unfinished_texts, groups, lines}.",
    ),
)
def preview(campaign_id: IdArg, shop: ShopOpt = None, as_json: JsonOpt = False, local: LocalOpt = None,
            profile: ProfileOpt = None) -> None:  # fmt: skip
    """Preview a campaign: audience, holdout, variants, segments, cost, ETA and every warning."""
    named = connect_shop(local, profile, shop)

    def render(console: Console, found: dict[str, Any]) -> None:
        console.print(fields({"audience": found["audience"], "held out": found["held_out"],
                              "texts": found["texts"], "segments": found["segments"],
                              "cost": f"≈ ${found['cost_usd']:,.2f}", "first release": found["first_release"]},
                             title=f"campaign {found['id']} ({found['state']})"))  # fmt: skip
        rows = [
            (v["name"], f"{v['weight']} %", v["count"], v["encoding"], v["segments"])
            for v in found["variants"]
        ]
        console.print(table(("variant", "split", "recipients", "encoding", "segments"), rows, "variants"))
        zones = [(" + ".join(z["zones"]), z["count"]) for z in found["by_zone"]]
        console.print(table(("zones", "subscribers"), zones, "audience by time zone") if zones
                      else "audience: nobody")  # fmt: skip
        for line in found["eta"]["lines"]:
            console.print(line)
        console.print(table(("warning",), [(w,) for w in found["warnings"]], "warnings")
                      if found["warnings"] else "warnings: none")  # fmt: skip

    show(use_cases.campaign_preview(named, campaign_id), as_json, render)


@app.command(
    "schedule",
    epilog=epilog(
        ["smsflows campaign schedule cmp_3f2a9c1e0b7d4a55 --shop S"],
        "draft (or paused) → scheduled, after checking again that the send time and the expiry are ahead and "
        "that the segment holds subscribers now (`campaign preview` shows who). It starts the run: at once "
        "for a campaign without a send time, else at the first group's release (an EventBridge Scheduler "
        "schedule; a cron one for --every). The preview's estimate is stored for `campaign show`. "
        + MOVE_NOTE,
    ),
)
def schedule(campaign_id: IdArg, by: ByOpt = None, shop: ShopOpt = None, as_json: JsonOpt = False,
             local: LocalOpt = None, profile: ProfileOpt = None) -> None:  # fmt: skip
    """Schedule a draft (or paused) campaign: it goes out at its send time."""
    _move("schedule", campaign_id, shop, by, as_json, local, profile)


@app.command("pause", epilog=epilog(["smsflows campaign pause cmp_3f2a9c1e0b7d4a55 --shop S"], MOVE_NOTE))
def pause(campaign_id: IdArg, by: ByOpt = None, shop: ShopOpt = None, as_json: JsonOpt = False,
          local: LocalOpt = None, profile: ProfileOpt = None) -> None:  # fmt: skip
    """Pause a scheduled (or sending) campaign."""
    _move("pause", campaign_id, shop, by, as_json, local, profile)


@app.command("resume", epilog=epilog(["smsflows campaign resume cmp_3f2a9c1e0b7d4a55 --shop S"], MOVE_NOTE))
def resume(campaign_id: IdArg, by: ByOpt = None, shop: ShopOpt = None, as_json: JsonOpt = False,
           local: LocalOpt = None, profile: ProfileOpt = None) -> None:  # fmt: skip
    """Resume a paused campaign: back to the state it was paused from."""
    _move("resume", campaign_id, shop, by, as_json, local, profile)


@app.command(
    "cancel", epilog=epilog(["smsflows campaign cancel cmp_3f2a9c1e0b7d4a55 --shop S --yes"], MOVE_NOTE)
)
def cancel(campaign_id: IdArg, yes: YesOpt = False, by: ByOpt = None, shop: ShopOpt = None,
           as_json: JsonOpt = False, local: LocalOpt = None, profile: ProfileOpt = None) -> None:  # fmt: skip
    """Cancel a campaign (final): asks first unless --yes."""
    _move("cancel", campaign_id, shop, by, as_json, local, profile, yes=yes)


__all__ = ["admin", "app"]
