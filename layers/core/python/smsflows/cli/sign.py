"""`smsflows sign-webhook`: a Shopify webhook body signed as Shopify signs it (and posted, with --url)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from smsflows import admin
from smsflows.admin.errors import BadValue, Failed
from smsflows.admin.target import unreachable_reason
from smsflows.cli._core import epilog

NOTE = """Without --url it prints the headers (to test a deployed stage with your own client). The local cloud's
secret is $SHOPIFY_API_SECRET, default local-shopify-secret."""


def register(app: typer.Typer) -> None:
    app.command(
        "sign-webhook",
        epilog=epilog(
            [
                "smsflows sign-webhook order.json --topic orders/create --secret local-shopify-secret \\",
                "    --url http://127.0.0.1:8787/webhooks/shopify",
                'cat order.json | smsflows sign-webhook - --topic orders/create --secret "$SHOPIFY_API_SECRET"',
            ],
            NOTE,
            target=False,
        ),
    )(sign_webhook)


def sign_webhook(
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="The JSON body, or - for stdin.", show_default=False)
    ],
    topic: Annotated[
        str, typer.Option("--topic", metavar="TOPIC", help="X-Shopify-Topic, e.g. orders/create.")
    ],
    shop: Annotated[
        str, typer.Option("--shop", metavar="SHOP", help="X-Shopify-Shop-Domain.")
    ] = "demo-shop.myshopify.com",
    secret: Annotated[
        str | None,
        typer.Option(
            "--secret",
            metavar="SECRET",
            envvar="SHOPIFY_API_SECRET",
            show_envvar=True,
            help="The app's API secret key that signs the body.",
            show_default="$SHOPIFY_API_SECRET",
        ),
    ] = None,
    webhook_id: Annotated[
        str | None,
        typer.Option("--webhook-id", metavar="ID", help="X-Shopify-Webhook-Id.", show_default="a new UUID"),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            metavar="URL",
            help="POST it here, e.g. http://127.0.0.1:8787/webhooks/shopify.",
            show_default="print the headers",
        ),
    ] = None,
    allow_invalid: Annotated[
        bool,
        typer.Option("--allow-invalid", help="Sign and send a body that is not JSON (to test that path)."),
    ] = False,
) -> int:
    """Sign a Shopify webhook body (and POST it with --url)."""
    from smsflows.local import client

    if url is not None:
        url = admin.check_url(url, "--url")
    if not secret:
        raise BadValue("--secret: pass --secret SECRET or set SHOPIFY_API_SECRET (the app's API secret key)")
    if file == "-":
        body = sys.stdin.buffer.read()
    else:
        path = Path(file)
        if not path.is_file():
            raise BadValue(f"FILE: {file!r} is not a file (give a JSON file, or - for stdin)")
        body = path.read_bytes()
    try:
        json.loads(body)
    except ValueError:
        if not allow_invalid:
            raise BadValue(
                "FILE: the body is not JSON (pass --allow-invalid to sign and send it anyway)"
            ) from None
    headers = client.shopify_headers(body, secret=secret, topic=topic, shop=shop, webhook_id=webhook_id)
    if url is None:
        for key, value in headers.items():
            sys.stdout.write(f"{key}: {value}\n")
        return 0
    try:
        result = client.request("POST", url, body, headers)
    except OSError as exc:
        raise Failed(f"nothing answers at {url}: {unreachable_reason(exc)}") from None
    sys.stdout.write(f"HTTP {result.status} {result.body.decode(errors='replace')}\n")
    return 0 if result.status < 400 else 1
