"""`smsflows shops reindex`: maintenance of the list of shops."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console

from smsflows import admin
from smsflows.cli._core import epilog, fields, show
from smsflows.cli._target import JsonOpt, LocalOpt, ProfileOpt, Target

app = typer.Typer(help="Maintenance of the list of shops.", no_args_is_help=True, rich_markup_mode="rich")


@app.command(
    "reindex",
    epilog=epilog(
        ["smsflows shops reindex --json"],
        "Run once after upgrading from a version without the list of shops (the daily job reads it).\n"
        "--json prints {configs, added, updated, unchanged, changed_meanwhile}.",
    ),
)
def reindex(as_json: JsonOpt = False, local: LocalOpt = None, profile: ProfileOpt = None) -> None:
    """Add every shop set up before the list of shops existed to it (idempotent)."""
    Target(local, profile).connect()

    def render(console: Console, counts: dict[str, Any]) -> None:
        console.print(fields(counts, title="shops reindexed"))

    show(admin.shops_reindex(), as_json, render)
