"""`smsflows shopify check`: the Shopify app's configuration (shopify/shopify.app.toml) against what the backend
consumes, where it is deployed, and a connected shop's live subscriptions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from smsflows.cli._core import epilog, show, table
from smsflows.cli._target import JsonOpt, LocalOpt, ProfileOpt, ShopOpt, Target

app = typer.Typer(
    help="The Shopify app: check its configuration (shopify/shopify.app.toml) against the deployment.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


@app.command(
    "check",
    epilog=epilog(
        [
            "smsflows shopify check                                  # the file alone",
            "smsflows shopify check --profile prod --shop my-shop.myshopify.com",
            "smsflows shopify check --toml shopify/shopify.app.toml --json",
        ],
        "Exit status 1 when a check fails. --json prints a list of {check, status, detail}.",
        target=False,
    ),
)
def check(
    toml: Annotated[
        Path | None,
        typer.Option(
            "--toml", metavar="PATH", help="The app configuration.", show_default="shopify/shopify.app.toml"
        ),
    ] = None,
    shop: ShopOpt = None,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Check the topics, scopes and URLs of the app configuration; with a stage, that they point at it; with a
    connected shop, its live shop-scoped subscriptions."""
    from smsflows.admin import shopify_app

    path = toml or shopify_app.default_path()
    config = shopify_app.load(path)
    target = Target(local, profile)
    base: str | None = None
    live: list[Any] | None = None
    extra: list[shopify_app.Finding] = []
    if target.named():
        kind = target.connect()
        if kind == "stage":
            base = os.environ.get("PUBLIC_BASE_URL") or target.profile.values.get("public_base_url")
        name = target.shop_or_none(shop)
        if name:
            live, note = _live(name)
            if note:
                extra.append(shopify_app.Finding("live shop-scoped subscriptions", "warn", note))
    findings = shopify_app.check(config, base, live) + extra

    def render(console: Console, rows: list[dict[str, str]]) -> None:
        console.print(table(("check", "status", "detail"), [[r["check"], r["status"], r["detail"]] for r in rows],
                            title=str(path)))  # fmt: skip

    show([f.as_dict() for f in findings], as_json, render)
    if any(f.status == "fail" for f in findings):
        raise typer.Exit(1)


def _live(shop: str) -> tuple[list[Any] | None, str | None]:
    from smsflows import admin
    from smsflows.domain.shopify.admin_api import webhook_subscriptions
    from smsflows.runtime.errors import ShopifyError, TransientError

    try:
        return webhook_subscriptions(admin.deps().shopify_admin, shop), None
    except ShopifyError as exc:  # not connected, access denied: say so, the file's checks still stand
        return None, f"not read from {shop}: {exc}"
    except TransientError as exc:
        return None, f"Shopify did not answer for {shop}: {exc}"


@app.command(
    "pixel",
    epilog=epilog(
        [
            "smsflows shopify pixel --profile prod --shop my-shop.myshopify.com",
            "smsflows shopify pixel --local http://127.0.0.1:8787",
        ],
        "Creates the app's web pixel on the shop (webPixelCreate), or points it at this deployment\n"
        "(webPixelUpdate). Needs the shop connected (`smsflows shop connect`) and the write_pixels scope.",
    ),
)
def pixel(
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            metavar="URL",
            help="Where the pixel posts.",
            show_default="PublicBaseUrl + /storefront/events",
        ),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option("--url", metavar="URL", help="The stage's public base URL.", show_default="profile"),
    ] = None,
    shop: ShopOpt = None,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Activate the web pixel on a shop, posting to this deployment's storefront-events route."""
    from smsflows import admin
    from smsflows.admin import shopify_app
    from smsflows.cli._core import fields

    target = Target(local, profile)
    target.connect()
    name = target.shop(shop)
    where = endpoint or shopify_app.pixel_endpoint(target.public_url(url)[0])
    result = shopify_app.activate_pixel(admin.deps().shopify_admin, name, where)
    show(result, as_json, lambda console, r: console.print(fields(r, title="web pixel")))
