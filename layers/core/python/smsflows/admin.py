"""Operator commands behind the CLI: shop settings, consent look-ups and opt-outs, imports, privacy exports.

They talk to the deployment's AWS resources through the same adapters as the functions. For a deployed
stage set TABLE_NAME (stack output) and AWS credentials; for the local cloud pass --local URL.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from datetime import time
from pathlib import Path
from typing import Any, TextIO

from smsflows.runtime import deps as deps_module


def use_local_cloud(url: str) -> None:
    """Point this process at a running `smsflows local` (its moto endpoint and resource names)."""
    from smsflows.local import client

    result = client.request("GET", url.rstrip("/") + "/_local/env", timeout=5)
    if result.status != 200:
        raise SystemExit(f"no local cloud answers at {url} (HTTP {result.status})")
    os.environ.update(result.json())
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "local")
    deps_module.reset()


def _deps() -> Any:
    deps = deps_module.get_deps()
    if not deps.settings.table_name:
        raise SystemExit("TABLE_NAME is not set: export it from the stack outputs, or pass --local URL")
    return deps


def parse_window(text: str) -> tuple[time, time]:
    start, _, end = text.partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def shop_set(shop: str, changes: dict[str, Any]) -> dict[str, Any]:
    from smsflows.domain.shops import DayWindow, ShopConfig

    deps = _deps()
    current = deps.shop_configs.get(shop) or ShopConfig(shop=shop)
    update = {k: v for k, v in changes.items() if v is not None}
    if "quiet_hours" in update:
        start, end = parse_window(update.pop("quiet_hours"))
        update["quiet_hours_override"] = tuple([DayWindow(start=start, end=end)] * 7)
    config = ShopConfig.model_validate({**current.model_dump(), **update})
    deps.shop_configs.put(config)
    return config.model_dump(mode="json")


def shop_show(shop: str) -> dict[str, Any] | None:
    config = _deps().shop_configs.get(shop)
    return config.model_dump(mode="json") if config else None


def consent_show(shop: str, phone: str) -> dict[str, Any]:
    from smsflows.domain.phones import normalize_phone

    result = normalize_phone(phone, "US")
    if not result.usable or result.e164 is None:
        raise SystemExit(f"{phone!r} is not a valid phone number")
    store = _deps().consent_store
    state = store.state(shop, result.e164)
    return {
        "phone": result.e164,
        "state": state.model_dump(mode="json") if state else None,
        "suppressed": store.is_suppressed(shop, result.e164),
        "events": [e.model_dump(mode="json", exclude_none=True) for e in store.events(shop, result.e164)],
    }


def consent_opt_out(shop: str, phone: str, note: str) -> dict[str, Any]:
    from smsflows.domain.subscriptions import manual_opt_out

    recorded = manual_opt_out(shop, phone, note, _deps().consent)
    return {"phone": recorded.after.phone, "status": recorded.after.status, "was": recorded.before.status}


def import_csv(path: Path, shop: str, dry_run: bool, out: TextIO = sys.stderr) -> dict[str, Any]:
    from smsflows.domain.imports import read_rows
    from smsflows.domain.subscriptions import record

    deps = _deps()
    config = deps.shop_configs.get(shop)
    if config is None:
        raise SystemExit(
            f"shop {shop} is not set up: run `smsflows shop set --shop {shop} --brand ...` first"
        )
    total = max(0, sum(1 for _ in path.open(encoding="utf-8-sig")) - 1)
    counts = {"imported": 0, "already_subscribed": 0, "skipped": 0, "errors": 0}
    errors: list[str] = []
    now = deps.clock()
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for done, row in enumerate(read_rows(handle, shop, now, config.default_country), start=1):
            if row.error or row.event is None:
                counts["errors"] += 1
                errors.append(f"row {row.row}: {row.error}")
            else:
                event = row.event
                store = deps.consent_store
                current = store.state(shop, event.phone)
                if store.is_suppressed(shop, event.phone) or (
                    current
                    and current.status == "unsubscribed"
                    and current.since
                    and current.since > event.at
                ):
                    counts["skipped"] += 1
                    errors.append(f"row {row.row}: skipped, the number opted out after that consent")
                elif current and current.subscribed:
                    counts["already_subscribed"] += 1
                elif not dry_run:
                    record(store, event)
                    counts["imported"] += 1
                else:
                    counts["imported"] += 1
            _progress(out, done, total)
    print(file=out)
    return {"dry_run": dry_run, **counts, "problems": errors}


def _progress(out: TextIO, done: int, total: int) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} rows")
    out.flush()


def privacy_export(shop: str, request_id: str) -> dict[str, Any]:
    from smsflows.adapters.dynamo import from_item, to_item
    from smsflows.domain import keys

    deps = _deps()
    out = deps.client("dynamodb").get_item(
        TableName=deps.settings.table_name, Key=to_item(keys.export(shop, request_id))
    )
    item = from_item(out.get("Item"))
    if item is None:
        raise SystemExit(f"no export {request_id} for {shop} (has customers/data_request arrived?)")
    return dict(json.loads(gzip.decompress(bytes(item["export_gz"]))))
