"""The `smsflows` command: Typer and rich, one module per command group.

Commands parse the command line, call the operator use cases in `smsflows.admin` (the same domain use cases
the functions call) and print a table, or JSON with `--json`. They add no business rule of their own.
`main()` turns every failure into one line on stderr: exit status 2 for a usage error (a bad option value,
a missing option, no target named), 1 for a failure (nothing answers, the shop is not onboarded, a refusal
to confirm); a traceback only with `--debug`; a closed stdout pipe (`| head`) ends quietly (status 1,
as click ends it).
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Annotated

import typer

from smsflows.cli import _core
from smsflows.cli._core import FLAGS, setup_logging

app = typer.Typer(
    name="smsflows",
    help="Consent-first SMS automation for Shopify: operate a deployment (a stage in AWS or `smsflows local`).",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
    epilog=_core.epilog(
        [
            "smsflows local --port 8787                        # the whole system on this machine",
            "smsflows shop show --local http://127.0.0.1:8787",
            "export SMSFLOWS_LOCAL_URL=http://127.0.0.1:8787     # or a profile: --profile NAME",
            "smsflows flow list | head -3",
            "smsflows --debug dlq list --json",
            "smsflows --install-completion                     # tab completion for your shell",
        ]
    ),
)


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("smsflows")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed: pip install -e .)"


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"smsflows {_version()}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log what is done (INFO) on stderr.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Log everything (DEBUG) and show the traceback of an error.")
    ] = False,
) -> None:
    """Consent-first SMS automation for Shopify: operate a deployment (a stage in AWS or `smsflows local`)."""
    FLAGS.verbose, FLAGS.debug = verbose or debug, debug
    setup_logging(FLAGS.verbose, FLAGS.debug)


def _register() -> None:
    from smsflows.cli import (
        campaign,
        consent,
        dlq,
        flow,
        imports,
        local,
        privacy,
        report,
        segment,
        shop,
        shopify,
        shops,
        sign,
        simulate,
        webhooks,
    )

    app.add_typer(shop.app, name="shop")
    app.add_typer(shops.app, name="shops")
    app.add_typer(consent.app, name="consent")
    app.add_typer(flow.app, name="flow")
    app.add_typer(dlq.app, name="dlq")
    app.add_typer(webhooks.app, name="webhooks")
    app.add_typer(privacy.app, name="privacy")
    app.add_typer(simulate.app, name="simulate")
    app.add_typer(campaign.app, name="campaign")
    app.add_typer(segment.app, name="segment")
    app.add_typer(shopify.app, name="shopify")
    imports.register(app)
    report.register(app)
    local.register(app)
    sign.register(app)


_register()


def _usage_line(exc: typer.TyperException) -> str:
    """A click usage error as one line that names the option: `--port: 70000 is not in the range 0<=x<=65535`."""
    message = " ".join(str(getattr(exc, "message", exc)).split()).removeprefix("Value error, ")
    if type(exc).__name__ == "MissingParameter" and hasattr(exc, "format_message"):
        return " ".join(exc.format_message().split())
    if isinstance(exc, typer.BadParameter):
        hint = exc.param_hint or (exc.param.get_error_hint() if exc.param is not None else None)
        given = _given_value(exc)
        if (
            given is not None
        ):  # typer's own type checks ("Input should be a valid number") omit what was given
            message = f"{given!r} is not accepted: {message[:1].lower()}{message[1:]}"
        if hint is not None:
            hint = hint if isinstance(hint, str) else " / ".join(hint)
            return f"{hint.strip(chr(39))}: {message}"
    text = exc.format_message()
    context = getattr(exc, "ctx", None)
    command = context.command_path if context is not None else "smsflows"
    return f"{' '.join(text.split())} (see `{command} --help`)"


def _given_value(exc: BaseException) -> object | None:
    """The value a type check refused, from the validation error typer raised it from."""
    from pydantic import ValidationError

    cause = exc.__cause__
    if isinstance(cause, ValidationError) and cause.errors():
        value = cause.errors()[0].get("input")
        return value if isinstance(value, str | int | float) else None
    return None


def _quiet_broken_pipe() -> None:
    """Python's own flush at exit would complain about the closed pipe again: point stdout at /dev/null."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file (a test's capture)
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the command line `argv` (default: sys.argv[1:]); returns the exit status."""
    from smsflows.admin.errors import OperatorError

    command = typer.main.get_command(app)
    FLAGS.verbose = FLAGS.debug = False
    try:
        result = command.main(args=argv, prog_name="smsflows", standalone_mode=False)
        sys.stdout.flush()
        return result if isinstance(result, int) else 0
    except typer.TyperException as exc:  # click's usage errors (exit status 2) and other ClickExceptions
        context = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and context is not None:
            sys.stdout.write(context.get_help() + "\n")
            return 2
        code = int(getattr(exc, "exit_code", 1))
        line = _usage_line(exc) if code == 2 else " ".join(exc.format_message().split())
        _core.err().print(f"smsflows: {line}", markup=False, soft_wrap=True)
        return code
    except OperatorError as exc:
        if FLAGS.debug:
            traceback.print_exc()
        _core.err().print(f"smsflows: {exc.message}", markup=False, soft_wrap=True)
        return exc.exit_code
    except BrokenPipeError:
        _quiet_broken_pipe()
        return 1
    except SystemExit as exc:  # typer's own end of a closed pipe (status 1), or a use case's plain SystemExit
        if exc.code is None or isinstance(exc.code, int):
            return int(exc.code or 0)
        _core.err().print(f"smsflows: {' '.join(str(exc.code).split())}", markup=False, soft_wrap=True)
        return 1
    except (typer.Abort, EOFError):
        _core.err().print("smsflows: aborted: nothing changed", markup=False)
        return 1
    except KeyboardInterrupt:
        _core.err().print("smsflows: interrupted", markup=False)
        return 130
    except Exception as exc:
        if FLAGS.debug:
            traceback.print_exc()
        detail = " ".join(str(exc).split()) or type(exc).__name__
        hint = "" if FLAGS.debug else " (run with --debug for the traceback)"
        _core.err().print(f"smsflows: {type(exc).__name__}: {detail}{hint}", markup=False, soft_wrap=True)
        return 1


__all__ = ["app", "main"]
