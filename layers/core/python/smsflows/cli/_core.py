"""What every command shares: the process-wide flags, output (rich tables or JSON), confirmation prompts,
progress bars, help epilogs, and the one-line error for each kind of failure."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from smsflows.admin.errors import BadValue, Failed

NONE = "—"


@dataclass
class Flags:
    """The root options (`smsflows --verbose|--debug COMMAND`)."""

    verbose: bool = False
    debug: bool = False


FLAGS = Flags()


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """A closed stdout (`| head`) ends the command quietly: `main` handles it, not rich's SystemExit."""
        raise BrokenPipeError


def out() -> Console:
    """Where results go (stdout). Created per call: tests swap sys.stdout. Not a terminal (a pipe, a file):
    as wide as $COLUMNS, else 160 columns, so that a table is not folded to rich's default of 80."""
    width = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS") or 160)
    return _Console(file=sys.stdout, highlight=False, soft_wrap=False, width=width)


def err() -> Console:
    return _Console(file=sys.stderr, highlight=False, stderr=True)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when a record is emitted (a test's capture, a redirected stream)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def setup_logging(verbose: bool, debug: bool) -> None:
    """WARNING and above by default; INFO with --verbose; DEBUG (the AWS SDK's too) with --debug. One handler,
    on stderr, so that logs never mix with the results on stdout."""
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    # the CLI's own logger, and the root for libraries; "smsflows" itself is Powertools' (JSON, stdout)
    for logger in (logging.getLogger(), logging.getLogger("smsflows.cli")):
        handler = next((h for h in logger.handlers if isinstance(h, _StderrHandler)), None)
        if handler is None:
            handler = _StderrHandler()
            handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
            logger.addHandler(handler)
        handler.setLevel(level)
        logger.setLevel(level)
    logging.getLogger("smsflows.cli").propagate = False
    for noisy in ("werkzeug", "moto", "botocore", "urllib3", "boto3"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.ERROR)
    # The application's own warnings (e.g. an adapter's "shopify did not answer") become the command's one
    # error line; with --verbose they are shown as they happen.
    logging.getLogger("smsflows").setLevel(level if verbose else logging.ERROR)


# Output -----------------------------------------------------------------------------------------------


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str, ensure_ascii=False) + "\n")


def cell(value: Any) -> str:
    """A value as a table cell (escaped: a `[` in a shop's copy is text, not rich markup)."""
    if value is None or value == "" or value == [] or value == {}:
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return escape(", ".join(str(v) for v in value))
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return escape(", ".join(f"{k}={v}" for k, v in value.items()))
    return escape(str(value))


def _titled(title: str | None, grid: Table) -> RenderableType:
    return Group(Text(title, style="bold"), grid) if title else grid


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> RenderableType:
    grid = Table(show_lines=False, header_style="bold")
    for number, name in enumerate(columns):
        grid.add_column(name, overflow="fold", no_wrap=number == 0)
    for row in rows:
        grid.add_row(*(cell(v) for v in row))
    return _titled(title, grid)


def fields(record: dict[str, Any], title: str | None = None) -> RenderableType:
    """A record as a two-column table (field, value)."""
    grid = Table(show_header=False, box=None, pad_edge=False)
    grid.add_column("field", style="bold")
    grid.add_column("value", overflow="fold")
    for key, value in record.items():
        grid.add_row(escape(key), cell(value))
    return _titled(title, grid)


def show(value: Any, as_json: bool, render: Callable[[Console, Any], None]) -> None:
    """`value` as JSON (`--json`) or drawn by `render` for a person."""
    if as_json:
        print_json(value)
    else:
        render(out(), value)


# Confirmation and progress ----------------------------------------------------------------------------


def confirm(question: str, yes: bool) -> None:
    """Ask before a destructive action (`--yes` skips the question); a no, or no answer, changes nothing."""
    if yes:
        return
    try:
        agreed = typer.confirm(f"{question} (--yes skips this question)", default=False, err=True)
        ended = sys.stdin.isatty()  # a terminal echoed the answer and its Enter
    except typer.Abort:  # no answer (end of input)
        agreed, ended = False, False
    if not ended:  # an answer from a pipe is not echoed: end the question's line before what follows
        sys.stderr.write("\n")
    if not agreed:
        raise Failed("not confirmed: nothing changed (pass --yes to skip the question)")


@contextmanager
def progress(description: str, total: int | None, unit: str) -> Iterator[Callable[[int], None]]:
    """A rich progress bar with its ETA on stderr; yields `advance(n)`."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err(), transient=False) as bar:
        task = bar.add_task(description, total=total)

        def advance(n: int = 1) -> None:
            bar.advance(task, n)

        try:
            yield advance
        except BaseException:
            bar.live.transient = True  # a failure: its one line replaces the bar
            raise
        if total is not None:
            bar.update(task, completed=max(total, int(bar.tasks[0].completed)))


# Help -------------------------------------------------------------------------------------------------

TARGET_HELP = """Where it runs (each setting from the first of: its flag, its environment variable, the profile):
  --local URL / SMSFLOWS_LOCAL_URL / local_url: a running `smsflows local`;
  else a stage: TABLE_NAME, SHOP_EVENTS_QUEUE_URL, SEND_QUEUE_URL, TRANSACTIONAL_QUEUE_URL (stack outputs),
  AWS_REGION and AWS credentials (AWS_PROFILE) from the environment or the profile.
Profiles: --profile NAME / SMSFLOWS_PROFILE, else [profiles.default], in $XDG_CONFIG_HOME/smsflows/config.toml
(default ~/.config/smsflows/config.toml), read with tomllib:

  [profiles.local]
  local_url = "http://127.0.0.1:8787"
  shop = "demo-shop.myshopify.com"

  [profiles.prod]
  table_name = "smsflows-prod-data"
  shop_events_queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/smsflows-prod-events"
  send_queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/smsflows-prod-send"
  transactional_queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/smsflows-prod-tx"
  region = "us-east-1"
  aws_profile = "prod-operator"
  public_base_url = "https://abc123.execute-api.us-east-1.amazonaws.com/v1"

Errors: one line on stderr; exit 2 for a bad value or usage, 1 for a failure."""


def epilog(examples: Sequence[str], notes: str = "", target: bool = True) -> str:
    """A command's help epilog: its examples, notes (e.g. the --json keys) and, for commands that talk to a
    deployment, where it runs and the profile file's format. Shown as written (escaped for rich markup)."""
    parts = ["Examples:\n" + "\n".join(f"  {line}" for line in examples)]
    if notes:  # paragraphs, wrapped to the terminal: a single line break in the source is a space
        parts += [" ".join(p.split("\n")) for p in notes.strip("\n").split("\n\n")]
    if target:
        parts.append(TARGET_HELP)
    return escape("\n\n".join(parts))


# Values the command line parses (a bad one is a usage error, exit 2) ----------------------------------


def pairs(items: Sequence[str] | None, option: str, what: str = "VALUE") -> dict[int, str]:
    """`STEP=VALUE` items as {step: value}."""
    found: dict[int, str] = {}
    for item in items or ():
        index, sep, value = item.partition("=")
        if not sep or not index.strip().isdigit():
            raise BadValue(f"{option}: {item!r} is not STEP={what}: give the step number, e.g. 0={what}")
        found[int(index)] = value
    return found


def csv_list(text: str | None) -> tuple[str, ...] | None:
    """`A, B,C` as ("A", "B", "C"); None stays None."""
    if text is None:
        return None
    return tuple(part.strip() for part in text.split(",") if part.strip())
