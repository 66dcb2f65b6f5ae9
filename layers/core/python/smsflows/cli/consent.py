"""`smsflows consent show|optout`: a number's consent and its proof; an opt-out by hand."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from smsflows import admin
from smsflows.cli._core import confirm, epilog, fields, show, table
from smsflows.cli._target import JsonOpt, LocalOpt, ProfileOpt, ShopOpt, Target, YesOpt

app = typer.Typer(
    help="Look up a number's consent and its proof, or opt it out by hand.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

Phone = Annotated[
    str,
    typer.Option(
        "--phone",
        metavar="PHONE",
        help="The number, E.164 (+15125550123) or national to the shop's country.",
        show_default=False,
    ),
]


@app.command(
    "show",
    epilog=epilog(
        ["smsflows consent show --phone +15125550123", "smsflows consent show --phone +15125550123 --json"],
        "--json prints {shop, phone, state, suppressed, events}: state is the subscriber state (status, since,\n"
        "...) or null; events the consent ledger, oldest first, each with its proof.",
    ),
)
def show_(
    phone: Phone,
    shop: ShopOpt = None,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Show a number's consent state, whether it is suppressed, and the ledger with its proof."""
    target = Target(local, profile)
    target.connect()

    def render(console: Console, found: dict[str, Any]) -> None:
        state = found["state"] or {}
        console.print(
            fields(
                {
                    "shop": found["shop"],
                    "phone": found["phone"],
                    "status": state.get("status"),
                    "since": state.get("since"),
                    "suppressed": found["suppressed"],
                },
                title="consent",
            )
        )
        rows = [
            (e.get("at"), e.get("kind"), e.get("source"), e.get("note") or e.get("message_body"))
            for e in found["events"]
        ]
        console.print(table(("at", "event", "source", "note / message"), rows, title="ledger"))

    show(admin.consent_show(target.shop(shop), phone), as_json, render)


@app.command(
    "optout",
    epilog=epilog(
        [
            'smsflows consent optout --phone +15125550123 --note "asked by e-mail"',
            'smsflows consent optout --phone +15125550123 --note "asked by phone" --yes --json',
        ],
        "Records an opt-out in the ledger (with the note) and suppresses the number, as a STOP would; the\n"
        "running flows of the number stop. --json prints {phone, status, was}.",
    ),
)
def optout(
    phone: Phone,
    note: Annotated[
        str, typer.Option("--note", metavar="TEXT", help="Why, kept in the ledger (at most 500 characters).")
    ] = "manual opt-out",
    shop: ShopOpt = None,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Opt a number out by hand (e.g. asked by e-mail)."""
    target = Target(local, profile)
    target.connect()
    named = target.shop(shop)
    e164 = admin.consent_phone(named, phone)
    confirm(f"Opt {e164} out of {named}'s texts?", yes)

    def render(console: Console, found: dict[str, Any]) -> None:
        console.print(fields(found, title="opted out"))

    show(admin.consent_opt_out(named, e164, note), as_json, render)
