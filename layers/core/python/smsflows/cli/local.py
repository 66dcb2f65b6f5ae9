"""`smsflows local` (the whole system on this machine) and `smsflows demo` (a scripted store day on it)."""

from __future__ import annotations

import math
import signal
import sys
import time
from datetime import datetime
from typing import Annotated, Literal

import typer

from smsflows.admin.errors import BadValue, Failed
from smsflows.cli._core import epilog
from smsflows.local.fake_twilio import DEFAULT_FAULT_SEED
from smsflows.local.lambda_runtime import DEFAULT_CONCURRENCY

START_FORM = "give ISO 8601 with a UTC offset, e.g. 2026-11-23T15:00:00+00:00 or 2026-11-23T09:00-06:00"


def _time_scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise BadValue(
            f"--time-scale: {text!r} is not a time scale: give a number above 0 (1: real time, "
            "3600: an hour a second)"
        )
    return value


def _start(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadValue(f"--start: {text!r} is not a time: {START_FORM}") from None
    if value.tzinfo is None:
        raise BadValue(f"--start: {text!r} has no UTC offset: {START_FORM}")
    return value


def _port(text: str) -> int:
    value = int(text) if str(text).strip().isdigit() else -1
    if not 0 <= value <= 65535:
        raise BadValue(f"--port: {text!r} is not a port: give 0 to 65535 (0: any free port)")
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:  # nan fails both
        raise BadValue(
            f"--provider-faults: {text!r} is not a share: give 0 to 1 (0.2 fails a fifth of the sends)"
        )
    return value


LOCAL_NOTE = """The defaults of the local cloud: shop demo-shop.myshopify.com (brand "Demo Shop", keywords JOIN and VIP),
Shopify webhook secret $SHOPIFY_API_SECRET (default local-shopify-secret), Twilio auth token $TWILIO_AUTH_TOKEN
(default local-twilio-token), public base URL http://HOST:PORT. Point the other commands at it with
--local http://127.0.0.1:8787 or SMSFLOWS_LOCAL_URL. Ctrl-C (or SIGTERM) stops everything. A port already in use
is exit status 2."""


def register(app: typer.Typer) -> None:
    app.command(
        "local",
        epilog=epilog(
            [
                "smsflows local --port 8787",
                "smsflows local --virtual --start 2026-11-23T09:00:00-06:00   # time skips ahead when idle",
                "smsflows local --time-scale 3600                            # an hour a second",
                "smsflows local --provider-faults 0.2 --provider-faults-seed 7",
            ],
            LOCAL_NOTE,
            target=False,
        ),
    )(local)
    app.command(
        "demo",
        epilog=epilog(
            ["smsflows demo", "smsflows demo --port 8799"],
            "Exit status 1 (with what went wrong) if the system's texts are not the expected ones.",
            target=False,
        ),
    )(demo)


def local(
    port: Annotated[
        int,
        typer.Option(
            "--port", parser=_port, metavar="PORT", help="The port of the front door (0: any free one)."
        ),
    ] = 8787,
    host: Annotated[
        str, typer.Option("--host", metavar="HOST", help="The address to listen on.")
    ] = "127.0.0.1",
    time_scale: Annotated[
        float,
        typer.Option(
            "--time-scale",
            parser=_time_scale,
            metavar="N",
            help="Run the clock N times faster (above 0; 86400: a day a second).",
        ),
    ] = 1.0,
    virtual: Annotated[
        bool,
        typer.Option(
            "--virtual",
            help="Virtual time: the clock stands still while work runs and skips to the next "
            "due instant when the system is idle (exact times, the same run every time).",
        ),
    ] = False,
    start: Annotated[
        datetime | None,
        typer.Option(
            "--start",
            parser=_start,
            metavar="ISO-8601",
            help="The virtual start time, with a UTC offset, e.g. 2026-11-23T15:00:00+00:00.",
            show_default="now",
        ),
    ] = None,
    shop: Annotated[
        str, typer.Option("--shop", metavar="SHOP", help="The shop named in the start-up banner.")
    ] = "demo-shop.myshopify.com",
    log_level: Annotated[
        Literal["DEBUG", "INFO", "WARNING", "ERROR"],
        typer.Option("--log-level", case_sensitive=False, help="How much the local cloud logs."),
    ] = "WARNING",
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            min=1,
            metavar="N",
            help="Concurrent invocations per function, each in its own container.",
        ),
    ] = DEFAULT_CONCURRENCY,
    provider_faults: Annotated[
        float,
        typer.Option(
            "--provider-faults",
            parser=_share,
            metavar="SHARE",
            help="Fail this share (0-1) of message creates at the fake Twilio: HTTP 500, 429, 503 or a late answer.",
        ),
    ] = 0.0,
    provider_faults_seed: Annotated[
        int,
        typer.Option(
            "--provider-faults-seed",
            metavar="N",
            help="Seed of the fault draws: the same seed fails the same calls.",
        ),
    ] = DEFAULT_FAULT_SEED,
) -> int:
    """Run the whole system on this machine: moto, the real handlers behind an HTTP front door, a fake Twilio."""
    from smsflows.local.cloud import LocalCloud, LocalConfig, PortInUse

    options = {"virtual_time": True} if virtual else {}
    config = LocalConfig.from_env(
        port=port,
        host=host,
        time_scale=time_scale,
        start_at=start,
        log_level=log_level.upper(),
        concurrency=concurrency,
        provider_faults=provider_faults,
        provider_faults_seed=provider_faults_seed,
        **options,
    )
    cloud = LocalCloud(config)
    # The handler only appends to a list: an Event.set() there could wait forever on the lock that the main
    # thread, interrupted inside Event.wait(), already holds. Installed before the cloud answers its health
    # check: a SIGTERM right after the cloud is up (a supervisor, a test) is a clean shutdown too.
    signals: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda number, _frame: signals.append(number))
    try:
        cloud.start()
    except PortInUse as exc:
        raise BadValue(f"--port: {exc}") from None
    clock = "virtual time" if virtual else f"time scale {config.time_scale:g}"
    say = lambda text: print(text, flush=True)  # noqa: E731
    say(f"smsflows local cloud listening on {cloud.base_url} ({clock})")
    say(f"  POST {cloud.base_url}/webhooks/shopify   shop {shop}")
    say(f"  GET  {cloud.base_url}/_local/outbox")
    say(f"  other commands: --local {cloud.base_url}  (or export SMSFLOWS_LOCAL_URL={cloud.base_url})")
    if config.provider_faults:
        say(
            f"  fake Twilio fails {config.provider_faults:.0%} of message creates"
            f" (seed {config.provider_faults_seed}; GET/POST {cloud.base_url}/_local/faults)"
        )
    try:
        while not signals:
            time.sleep(0.1)
    finally:
        say("shutting down…")
        cloud.stop()
    return 0


def demo(
    port: Annotated[
        int,
        typer.Option("--port", parser=_port, metavar="PORT", help="The local cloud's port (0: a free one)."),
    ] = 0,
) -> int:
    """A scripted store day on the local cloud, printed as one timeline of events and texts."""
    from smsflows.local.demo import DemoFailed, run_demo

    try:
        run_demo(sys.stdout, port=port)
    except DemoFailed as exc:
        raise Failed(f"demo FAILED: {exc}") from None
    return 0
