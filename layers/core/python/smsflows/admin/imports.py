"""Existing subscribers from a CSV file, each row with its consent proof."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from smsflows.admin.errors import BadValue, one_line
from smsflows.admin.shops import current
from smsflows.admin.target import deps

Progress = Callable[[int, int], None]  # (rows done, rows in all)


def count_rows(path: Path) -> int:
    """Data rows in the file (lines after the header; a quoted line break may make it an estimate);
    BadValue if it cannot be read as UTF-8 text."""
    try:
        with path.open(encoding="utf-8-sig") as handle:
            return max(0, sum(1 for _ in handle) - 1)
    except (OSError, UnicodeDecodeError) as exc:
        raise BadValue(f"FILE: cannot read {path} as UTF-8 text: {one_line(exc)}") from None


def import_csv(path: Path, shop: str, dry_run: bool, progress: Progress | None = None) -> dict[str, Any]:
    """Check every row and (unless `dry_run`) record the good ones; `problems` has one line per bad or
    skipped row. A number that opted out after the row's consent date is skipped."""
    from smsflows.domain.consent.imports import read_rows
    from smsflows.domain.consent.subscriptions import record

    found = deps()
    config = current(shop)
    total = count_rows(path)
    counts = {"imported": 0, "already_subscribed": 0, "skipped": 0, "errors": 0}
    problems: list[str] = []
    now = found.clock()
    store = found.consent_store
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = read_rows(handle, shop, now, config.default_country)
        done = 0
        while True:
            try:
                row = next(rows)
            except StopIteration:
                break
            except UnicodeDecodeError as exc:
                raise BadValue(
                    f"FILE: {path} is not UTF-8 text ({one_line(exc)}); rows before it were kept"
                ) from None
            except ValueError as exc:  # the header lacks a required column, or names an unknown one
                raise BadValue(f"FILE: {one_line(exc)}") from None
            done += 1
            if row.error or row.event is None:
                counts["errors"] += 1
                problems.append(f"row {row.row}: {row.error}")
            else:
                event = row.event
                state = store.state(shop, event.phone)
                if store.is_suppressed(shop, event.phone) or (
                    state and state.status == "unsubscribed" and state.since and state.since > event.at
                ):
                    counts["skipped"] += 1
                    problems.append(f"row {row.row}: skipped, the number opted out after that consent")
                elif state and state.subscribed:
                    counts["already_subscribed"] += 1
                else:
                    if not dry_run:
                        record(store, event)
                    counts["imported"] += 1
            if progress is not None:
                progress(done, max(total, done))
    return {"dry_run": dry_run, "shop": shop, "rows": sum(counts.values()), **counts, "problems": problems}
