"""`smsflows privacy export`: what `customers/data_request` stored for a shop's customer."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from smsflows import admin
from smsflows.cli._core import epilog, print_json, show
from smsflows.cli._target import JsonOpt, LocalOpt, ProfileOpt, ShopOpt, Target

app = typer.Typer(
    help="Privacy requests (Shopify's mandatory webhooks).", no_args_is_help=True, rich_markup_mode="rich"
)


@app.command(
    "export",
    epilog=epilog(
        ["smsflows privacy export --request-id 9999 > export.json"],
        "Prints the export as JSON either way (it is the document to hand over); --json is accepted for scripts.",
    ),
)
def export(
    request_id: Annotated[
        str,
        typer.Option("--request-id", metavar="ID", help="The data request's id (Shopify's data_request.id)."),
    ],
    shop: ShopOpt = None,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Print the export stored for a customers/data_request."""
    target = Target(local, profile)
    target.connect()

    def render(console: Console, found: dict[str, Any]) -> None:
        print_json(found)

    show(admin.privacy_export(target.shop(shop), request_id), as_json, render)
