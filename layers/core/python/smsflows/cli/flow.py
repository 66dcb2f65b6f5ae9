"""`smsflows flow list|set|preview`: the flows, a shop's changes to one, and a step's text."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import typer
from rich.console import Console

from smsflows import admin
from smsflows.cli._core import epilog, fields, pairs, show, table
from smsflows.cli._target import JsonOpt, LocalOpt, ProfileOpt, ShopOpt, Target

app = typer.Typer(
    help="List the flows; switch, retime, re-copy or clear one per shop; preview a step's text.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

FlowOpt = Annotated[
    str, typer.Option("--flow", metavar="FLOW", help="The flow (`smsflows flow list` names them).")
]


@app.command(
    "list",
    epilog=epilog(
        [
            "smsflows flow list",
            "smsflows flow list --shop your-shop.myshopify.com --local http://127.0.0.1:8787",
            "smsflows flow list --json | jq -r '.[].flow'",
        ],
        "Without a target (no --local, SMSFLOWS_LOCAL_URL, TABLE_NAME or profile) it lists the definitions;\n"
        "with one, the shop's own timing and whether it has each flow on. --json prints a list of {flow,\n"
        "category, runner, trigger, shop, enabled, steps: [{step, key, label, offset_s, offset}]}.",
    ),
)
def list_(
    shop: ShopOpt = None, as_json: JsonOpt = False, local: LocalOpt = None, profile: ProfileOpt = None
) -> None:
    """List the flows with their steps and timing."""
    target = Target(local, profile)
    named = None
    if shop or target.named():
        target.connect()
        named = target.shop_or_none(shop)

    def render(console: Console, rows: list[dict[str, Any]]) -> None:
        lines = [
            (
                r["flow"],
                r["category"],
                r["enabled"],
                "\n".join(f"{s['step']} {s['key']} +{s['offset']}" for s in r["steps"]),
                r["trigger"],
            )
            for r in rows
        ]
        title = f"flows of {named}" if named else "flows"
        console.print(table(("flow", "category", "on", "steps (after the trigger)", "trigger"), lines, title))

    show(admin.flow_list(named), as_json, render)


SET_NOTE = """Offsets are durations after the trigger, one per step, each after the one before: 30m, 1h, 1h30m, 1d, 1w
(0 for at once). Placeholders: {first_name} {shop_name} {shop_url} {order_name} {product} {product_url}
{checkout_url} {tracking_url} {tracking_company} {discount_code}. A bad value changes nothing; a shop must
be onboarded first (`smsflows shop add`). --json prints {shop, flow, enabled, offsets_s, templates,
discount_codes}."""


@app.command(
    "set",
    epilog=epilog(
        [
            "smsflows flow set --flow abandoned_checkout --offsets 1h,1d,3d",
            "smsflows flow set --flow welcome --enabled off",
            'smsflows flow set --flow abandoned_checkout --template "0={shop_name}: your cart: {checkout_url}"',
            "smsflows flow set --flow abandoned_checkout --code 1=SAVE15",
            "smsflows flow set --flow abandoned_checkout --unset offsets --unset templates.0",
        ],
        SET_NOTE,
    ),
)
def set_(
    flow: FlowOpt,
    enabled: Annotated[
        Literal["on", "off"] | None,
        typer.Option("--enabled", help="Switch the flow on or off for the shop.", show_default="unchanged"),
    ] = None,
    offsets: Annotated[
        str | None,
        typer.Option(
            "--offsets",
            metavar="DURATIONS",
            help="When each step goes, after the trigger, e.g. 1h,1d,3d (applies to flows started afterwards).",
            show_default="unchanged",
        ),
    ] = None,
    template: Annotated[
        list[str] | None,
        typer.Option(
            "--template",
            metavar="STEP=TEXT",
            help="New copy for a step (repeatable; placeholders below).",
            show_default=False,
        ),
    ] = None,
    code: Annotated[
        list[str] | None,
        typer.Option(
            "--code",
            metavar="STEP=CODE",
            help="The discount code of a step (repeatable).",
            show_default=False,
        ),
    ] = None,
    holdout: Annotated[
        float | None,
        typer.Option(
            "--holdout",
            metavar="PCT",
            help="Percent of a marketing flow's entrants recorded but never texted, 0-50 (the flow's lift).",
            show_default="unchanged",
        ),
    ] = None,
    unset: Annotated[
        list[str] | None,
        typer.Option(
            "--unset",
            metavar="SETTING",
            help="Back to the flow's default (repeatable): enabled, offsets, templates, templates.STEP, "
            "codes, codes.STEP, holdout.",
            show_default=False,
        ),
    ] = None,
    shop: ShopOpt = None,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Switch, retime, re-copy or clear one flow of one shop; applies without a redeploy."""
    templates_, codes = pairs(template, "--template", "TEXT"), pairs(code, "--code", "CODE")
    aliases = {"template": "templates", "code": "discount_codes", "codes": "discount_codes"}
    clear = []
    for name in unset or ():
        head, dot, rest = name.strip().partition(".")
        clear.append(f"{aliases.get(head, head)}{dot}{rest}")
    from smsflows.admin.errors import BadValue

    if enabled is None and offsets is None and not templates_ and not codes and not clear and holdout is None:
        raise BadValue(
            "nothing to change: give --enabled, --offsets, --template, --code, --holdout or --unset"
        )
    if holdout is not None and not 0 <= holdout <= 50:
        raise BadValue(f"--holdout: {holdout:g} is not a share from 0 to 50 (percent of the flow's entrants)")
    target = Target(local, profile)
    target.connect()
    on = None if enabled is None else enabled == "on"

    def render(console: Console, found: dict[str, Any]) -> None:
        console.print(fields(found, title=f"{found['flow']} of {found['shop']}"))

    show(
        admin.flow_set(target.shop(shop), flow, on, offsets, templates_, codes, clear, holdout),
        as_json,
        render,
    )


@app.command(
    "preview",
    epilog=epilog(
        [
            "smsflows flow preview --flow abandoned_checkout --step 1",
            'smsflows flow preview --flow welcome --text "{shop_name}: It’s here… 😀" --json',
        ],
        "Sample values fill the placeholders. With a target, the shop's own copy and codes; else the defaults.\n"
        "--json prints {shop, flow, step, text, encoding, segments, characters, warnings}.",
    ),
)
def preview(
    flow: Annotated[str, typer.Option("--flow", metavar="FLOW", help="The flow.")] = "welcome",
    step: Annotated[int, typer.Option("--step", min=0, help="The step, from 0.")] = 0,
    text: Annotated[
        str | None,
        typer.Option(
            "--text",
            metavar="TEXT",
            help="Preview this copy instead of the shop's template.",
            show_default="the step's template",
        ),
    ] = None,
    shop: ShopOpt = None,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Show a step's text as it would be sent: encoding, segments, warnings (e.g. an emoji forces UCS-2)."""
    target = Target(local, profile)
    from_target = target.named()
    if from_target:
        target.connect()
    named = target.shop(shop) if from_target else (shop or "demo-shop.myshopify.com")

    def render(console: Console, found: dict[str, Any]) -> None:
        console.print(fields(found, title=f"{found['flow']} step {found['step']}"))

    show(admin.template_preview(named, flow, step, text, from_target), as_json, render)
