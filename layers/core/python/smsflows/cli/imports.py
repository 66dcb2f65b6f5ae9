"""`smsflows import FILE.csv`: existing subscribers with their consent proof."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from smsflows import admin
from smsflows.cli._core import epilog, err, fields, progress, show
from smsflows.cli._target import JsonOpt, LocalOpt, ProfileOpt, ShopOpt, Target

NOTE = """Columns: phone, consent_at (ISO 8601 with an offset) and the proof: source (web_form, checkout, keyword,
import), disclosure_text, checkbox_default, ip, user_agent, page_url, message_sid, message_body, customer_id,
country, locale. A row is written whole or not at all; a number that opted out after the row's consent is
skipped. One line per bad row on stderr; exit status 1 if any row was bad. --json prints {dry_run, shop, rows,
imported, already_subscribed, skipped, errors, problems}."""


def register(app: typer.Typer) -> None:
    app.command(
        "import",
        epilog=epilog(
            ["smsflows import subscribers.csv --dry-run", "smsflows import subscribers.csv --json"], NOTE
        ),
    )(import_)


def import_(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE.csv",
            help="The CSV file (UTF-8, a header row).",
            exists=True,
            dir_okay=False,
            readable=True,
            show_default=False,
        ),
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row, write nothing.")] = False,
    shop: ShopOpt = None,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> int:
    """Import existing subscribers with their consent proof, with a progress bar."""
    target = Target(local, profile)
    target.connect()
    named = target.shop(shop)
    admin.shop_show(named)  # not onboarded: said before the progress bar starts
    total = admin.count_rows(file)
    with progress("checking" if dry_run else "importing", total, "rows") as advance:
        result = admin.import_csv(file, named, dry_run, progress=lambda done, _all: advance(1))
    problems = err()
    for problem in result["problems"]:
        problems.print(f"  {problem}", markup=False, soft_wrap=True)

    def render(console: Console, found: dict[str, Any]) -> None:
        console.print(
            fields(
                {k: v for k, v in found.items() if k != "problems"},
                title="dry run: nothing written" if found["dry_run"] else "imported",
            )
        )

    show(result, as_json, render)
    return 1 if result["errors"] else 0
