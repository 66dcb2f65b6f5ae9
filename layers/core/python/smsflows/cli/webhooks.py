"""`smsflows webhooks list|replay`: the stored Shopify webhooks (e.g. unparseable ones) and their replay."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from smsflows import admin
from smsflows.admin.errors import BadValue
from smsflows.cli._core import epilog, fields, show, table
from smsflows.cli._target import JsonOpt, LocalOpt, ProfileOpt, ShopOpt, Target

app = typer.Typer(
    help="List stored Shopify webhooks (e.g. the unparseable ones) or replay them.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


@app.command(
    "list",
    epilog=epilog(
        ["smsflows webhooks list --state unparseable", "smsflows webhooks list --limit 10 --json"],
        "--json prints a list of {webhook_id, topic, state, reason, received_at}, newest first.",
    ),
)
def list_(
    state: Annotated[
        str | None,
        typer.Option(
            "--state",
            metavar="STATE",
            help="Only webhooks in this state, e.g. unparseable, received.",
            show_default="any",
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 50,
    shop: ShopOpt = None,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """List the shop's stored webhooks, newest first."""
    target = Target(local, profile)
    target.connect()

    def render(console: Console, rows: list[dict[str, Any]]) -> None:
        columns = ("received_at", "webhook_id", "topic", "state", "reason")
        console.print(table(columns, [[r[c] for c in columns] for r in rows]))

    show(admin.webhooks_list(target.shop(shop), state, limit), as_json, render)


@app.command(
    "replay",
    epilog=epilog(
        ["smsflows webhooks replay --all-unparseable", "smsflows webhooks replay --id 2b6f0c3e-…"],
        "Hands the webhooks to the consumer again as received; processing is idempotent.\n"
        "--json prints {shop, replayed, webhook_ids}.",
    ),
)
def replay(
    webhook_id: Annotated[
        str | None,
        typer.Option("--id", metavar="WEBHOOK_ID", help="The webhook to replay.", show_default="none"),
    ] = None,
    all_unparseable: Annotated[
        bool, typer.Option("--all-unparseable", help="Replay every unparseable webhook of the shop.")
    ] = False,
    shop: ShopOpt = None,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Replay one stored webhook, or all the shop's unparseable ones (after the fix)."""
    if bool(webhook_id) == all_unparseable:
        raise BadValue("--id WEBHOOK_ID or --all-unparseable: give one of them")
    target = Target(local, profile)
    target.connect()

    def render(console: Console, found: dict[str, Any]) -> None:
        console.print(fields(found, title="replayed"))

    show(admin.webhooks_replay(target.shop(shop), webhook_id, all_unparseable), as_json, render)
