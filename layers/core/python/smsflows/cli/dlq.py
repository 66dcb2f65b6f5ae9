"""`smsflows dlq list|replay`: the dead letters of the three queues, why they are there, and their replay."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import typer
from rich.console import Console

from smsflows import admin
from smsflows.cli._core import NONE, confirm, epilog, fields, progress, show, table
from smsflows.cli._target import JsonOpt, LocalOpt, ProfileOpt, Target, YesOpt

app = typer.Typer(
    help="Dead-lettered messages of the shop-events, send and transactional queues: list them, replay them.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

QueueName = Literal["shop_events_queue", "send_queue", "transactional_queue", "campaign_queue"]
QueueOpt = Annotated[
    QueueName | None, typer.Option("--queue", help="Only this queue's DLQ.", show_default="all four")
]


def _reason(row: dict[str, Any]) -> str:
    if row["kind"] == "unreadable":
        return f"not JSON: {row['unreadable_body']}"
    if row["reason"]:
        return str(row["reason"])
    times = "once" if row["receives"] == 1 else f"{row['receives']} times"
    return f"no reason recorded (received {times})"


def _what(row: dict[str, Any]) -> str:
    if row["kind"] == "text":
        return f"text {row['message_id']}"
    if row["kind"] == "shop_event":
        parts = [row["topic"] or "event", row["shop"], row["webhook_id"] and f"webhook {row['webhook_id']}"]
        return " ".join(p for p in parts if p)
    if row["kind"] == "campaign_step":
        return f"campaign {row['campaign']} ({row['shop']})"
    return "?"


@app.command(
    "list",
    epilog=epilog(
        ["smsflows dlq list", "smsflows dlq list --queue send_queue --limit 200", "smsflows dlq list --json"],
        "Pages past SQS's ten messages per receive (each listed message is hidden while the listing goes on,\n"
        "then made visible again at once): nothing is removed. --json prints a list of {"
        + ", ".join(admin.ROW_KEYS)
        + "};\nkind is text, shop_event, campaign_step or unreadable; reason is the message log's for a text, the\n"
        "error attribute or the stored webhook's for a shop event (null when none was recorded). A campaign step\n"
        "replayed resumes its run where it stopped.",
    ),
)
def list_(
    queue: QueueOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many per queue.")] = 50,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """List dead-lettered messages with the reason recorded for each (they stay in the DLQ)."""
    Target(local, profile).connect()

    def render(console: Console, rows: list[dict[str, Any]]) -> None:
        if not rows:
            console.print("no dead letters" + (f" in {queue}'s DLQ" if queue else " in the three DLQs"))
            return
        lines = [
            (r["queue"], (r["sent_at"] or "")[:19].replace("T", " "), _what(r), r["state"] or NONE, r["receives"],
             _reason(r))
            for r in rows
        ]  # fmt: skip
        console.print(
            table(
                ("queue", "sent (UTC)", "what", "state", "receives", "reason"),
                lines,
                title=f"{len(rows)} dead letter(s)",
            )
        )

    show(admin.dlq_list(limit, queue), as_json, render)


@app.command(
    "replay",
    epilog=epilog(
        ["smsflows dlq replay --queue send_queue", "smsflows dlq replay --yes --json"],
        "After fixing the cause: each message goes back to its queue; a text's message log record goes back to\n"
        "queued first. Message ids keep it exactly once. --json prints {replayed: {QUEUE: N}, total}.",
    ),
)
def replay(
    queue: QueueOpt = None,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Move dead-lettered messages back to their queue, with a progress bar."""
    Target(local, profile).connect()
    counts = admin.dlq_counts(queue)
    total = sum(counts.values())
    where = ", ".join(f"{n} in {q}" for q, n in counts.items())
    if total:
        confirm(f"Replay {total} dead-lettered message(s) ({where})?", yes)
    if total:
        with progress("replaying", total, "messages") as advance:
            moved = admin.dlq_replay(queue, progress=lambda _key: advance(1))
    else:  # nothing to ask about or to show progress of (one that arrives meanwhile is still moved)
        moved = admin.dlq_replay(queue)
    result = {"replayed": moved, "total": sum(moved.values())}

    def render(console: Console, found: dict[str, Any]) -> None:
        console.print(fields({**found["replayed"], "total": found["total"]}, title="replayed"))

    show(result, as_json, render)
