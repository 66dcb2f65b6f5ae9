"""`smsflows simulate inbound|status`: test events as Twilio sends them, signed, to the local cloud or a stage."""

from __future__ import annotations

import os
import re
from typing import Annotated, Any, Literal

import typer
from rich.console import Console

from smsflows import admin
from smsflows.admin.errors import BadValue, Failed, NoTarget
from smsflows.cli._core import epilog, fields, show
from smsflows.cli._target import JsonOpt, LocalOpt, ProfileOpt, Target

app = typer.Typer(
    help="Send test events as Twilio does (signed): an inbound text, a delivery status callback.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

_FROM = re.compile(r"^(\+[1-9]\d{6,14}|\d{3,8})$")
_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")
LOCAL_SENDER = "MG" + "0" * 31 + "1"  # the local cloud's Messaging Service (smsflows.local.provision)

NOTE = """Posts to the local cloud (--local, SMSFLOWS_LOCAL_URL, the profile's local_url) or to a stage's public
base URL (--url, PUBLIC_BASE_URL, the profile's public_base_url; a status callback: its callback API's,
--url, STATUS_CALLBACK_BASE_URL, the profile's status_callback_base_url), signed with X-Twilio-Signature
over that URL: with $TWILIO_AUTH_TOKEN, or locally the local cloud's default token local-twilio-token."""

UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url",
        metavar="URL",
        help="A stage's public base URL, e.g. https://abc123.execute-api.us-east-1.amazonaws.com/v1.",
        show_default="none",
        rich_help_panel="Target",
    ),
]


def _where(target: Target, url: str | None, callbacks: bool = False) -> tuple[str, bool, str]:
    """(base URL, local?, auth token)."""
    base, local = target.public_url(url, callbacks)
    token = os.environ.get("TWILIO_AUTH_TOKEN") or (admin.LOCAL_TWILIO_TOKEN if local else "")
    if not token:
        raise NoTarget(
            "TWILIO_AUTH_TOKEN is not set: a stage's requests are signed with its Twilio auth token"
        )
    return base, local, token


def _phone(value: str, option: str) -> str:
    if not _FROM.fullmatch(value.strip()):
        raise BadValue(
            f"{option}: {value!r} is not a number as Twilio sends it: give E.164 (+15125550123) "
            "or a short code (3-8 digits)"
        )
    return value.strip()


@app.command(
    "inbound",
    epilog=epilog(
        [
            'smsflows simulate inbound --from +15125550123 --body "STOP" --local http://127.0.0.1:8787',
            'smsflows simulate inbound --from +15125550123 --body "HELP" --json',
            "TWILIO_AUTH_TOKEN=… smsflows simulate inbound --from +15125550123 --body JOIN --to +18445550100 \\",
            "    --url https://abc123.execute-api.us-east-1.amazonaws.com/v1",
        ],
        NOTE + "\nPrints the TwiML reply's text. --json prints {url, http_status, sid, from, to, body, reply}"
        " (reply: null when none).",
    ),
)
def inbound(
    from_: Annotated[
        str, typer.Option("--from", metavar="PHONE", help="Who texts: E.164, e.g. +15125550123.")
    ],
    body: Annotated[str, typer.Option("--body", metavar="TEXT", help='What they text, e.g. "STOP".')],
    to: Annotated[
        str, typer.Option("--to", metavar="PHONE", help="The shop's number the text is sent to.")
    ] = "+15125550000",
    sid: Annotated[
        str | None,
        typer.Option("--sid", metavar="SID", help="The MessageSid (SM + 32 hex).", show_default="a new one"),
    ] = None,
    messaging_service: Annotated[
        str | None,
        typer.Option(
            "--messaging-service",
            metavar="MG…",
            help="The MessagingServiceSid the shop's number is in.",
            show_default="the local cloud's locally, none on a stage",
        ),
    ] = None,
    url: UrlOpt = None,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Post an inbound text as Twilio would, and print the reply."""
    sender, recipient = _phone(from_, "--from"), _phone(to, "--to")
    if sid is not None and not _SID.fullmatch(sid):
        raise BadValue(f"--sid: {sid!r} is not a message SID: give SM and 32 hex digits")
    base, is_local, token = _where(Target(local, profile), url)
    service = messaging_service or (LOCAL_SENDER if is_local else None)
    result = admin.simulate_inbound(
        base, token, from_=sender, body=body, to=recipient, sid=sid, messaging_service=service
    )

    def render(console: Console, found: dict[str, Any]) -> None:
        console.print(
            fields({"reply": found["reply"] or "(no reply)", "sid": found["sid"], "url": found["url"]})
        )

    show(result, as_json, render)


@app.command(
    "status",
    epilog=epilog(
        [
            "smsflows simulate status --sid SM0123456789abcdef0123456789abcdef --status delivered",
            "smsflows simulate status --sid SM… --status undelivered --error-code 30003 --json",
            'smsflows simulate status --sid SM… --message-id flow:… --status failed --url "$(output StatusCallbackBaseUrl)"',
        ],
        NOTE + "\nLocally the message id comes from the outbox (the text's StatusCallback); on a stage pass\n"
        "--message-id. --json prints {url, http_status, sid, message_id, status, error_code, state, delivery_status}\n"
        "(the message log's state and delivery status after the callback, locally; null on a stage).",
    ),
)
def status(
    sid: Annotated[str, typer.Option("--sid", metavar="SID", help="The text's MessageSid (SM + 32 hex).")],
    state: Annotated[
        Literal["queued", "sending", "sent", "delivered", "undelivered", "failed"],
        typer.Option("--status", help="The MessageStatus Twilio reports."),
    ],
    error_code: Annotated[
        int | None,
        typer.Option(
            "--error-code",
            min=0,
            metavar="N",
            help="Twilio's ErrorCode, e.g. 30003 (unreachable).",
            show_default="none",
        ),
    ] = None,
    message_id: Annotated[
        str | None,
        typer.Option(
            "--message-id",
            metavar="ID",
            help="The sender's message id (the mid of the StatusCallback).",
            show_default="from the local outbox",
        ),
    ] = None,
    url: UrlOpt = None,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Post a delivery status callback as Twilio would."""
    if not _SID.fullmatch(sid):
        raise BadValue(f"--sid: {sid!r} is not a message SID: give SM and 32 hex digits")
    base, is_local, token = _where(Target(local, profile), url, callbacks=True)
    if message_id is None:
        if not is_local:
            raise BadValue("--message-id: needed on a stage (the mid of the text's StatusCallback URL)")
        message_id = admin.message_id_for(base, sid)
        if message_id is None:
            raise Failed(f"no text with sid {sid} in the local outbox at {base}: pass --message-id")
    result = admin.simulate_status(
        base, token, sid=sid, status=state, message_id=message_id, error_code=error_code
    )
    logged, delivery = _local_state(base, message_id) if is_local else (None, None)
    result.update(state=logged, delivery_status=delivery)

    def render(console: Console, found: dict[str, Any]) -> None:
        keys = ("status", "message_id", "sid", "state", "delivery_status", "http_status")
        console.print(fields({k: found[k] for k in keys}))

    show(result, as_json, render)


def _local_state(base: str, message_id: str) -> tuple[str | None, str | None]:
    """(the message log's state, its delivery status) after the callback, from the local cloud."""
    from urllib.parse import quote

    from smsflows.local import client

    try:
        entry = client.request("GET", f"{base}/_local/message?id={quote(message_id, safe='')}").json()
    except (OSError, ValueError):
        return None, None
    if not isinstance(entry, dict):
        return None, None
    return entry.get("state"), entry.get("delivery_status")
