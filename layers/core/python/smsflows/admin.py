"""Operator commands behind the CLI: shop settings, consent look-ups and opt-outs, imports, privacy exports.

They talk to the deployment's AWS resources through the same adapters as the functions. For a deployed
stage set TABLE_NAME (stack output) and AWS credentials; for the local cloud pass --local URL.
"""

from __future__ import annotations

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
    from pydantic import ValidationError

    from smsflows.domain.shops import DayWindow, ShopConfig

    deps = _deps()
    current = deps.shop_configs.get(shop) or ShopConfig(shop=shop)
    update = {k: v for k, v in changes.items() if v is not None}
    if "quiet_hours" in update:
        start, end = parse_window(update.pop("quiet_hours"))
        update["quiet_hours_override"] = tuple([DayWindow(start=start, end=end)] * 7)
    if "throughput" in update:  # merged: `--mps 25` keeps the sender type set before
        update["throughput"] = {**current.throughput.model_dump(), **update["throughput"]}
    try:
        config = ShopConfig.model_validate({**current.model_dump(), **update})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise SystemExit(f"invalid shop settings, nothing changed: {problems}") from None
    deps.shop_configs.put(config)
    return config.model_dump(mode="json")


def shop_show(shop: str) -> dict[str, Any] | None:
    config = _deps().shop_configs.get(shop)
    return config.model_dump(mode="json") if config else None


def shops_reindex() -> dict[str, int]:
    """One-off, after deploying the list of shops: give every shop config written before it its entry (the
    daily job reads the list; a shop missing from it gets no win-back or birthday texts). Idempotent."""
    from smsflows.adapters.shop_configs import reindex

    deps = _deps()
    return reindex(deps.client("dynamodb"), deps.settings.table_name)


def consent_show(shop: str, phone: str) -> dict[str, Any]:
    from smsflows.domain.phones import inbound_sender

    sender = inbound_sender(phone, "US")  # any possible number: one that revoked may be one we never text
    if sender.kind != "phone" or sender.address is None:
        raise SystemExit(f"{phone!r} is not a phone number")
    e164 = sender.address
    store = _deps().consent_store
    state = store.state(shop, e164)
    return {
        "phone": e164,
        "state": state.model_dump(mode="json") if state else None,
        "suppressed": store.is_suppressed(shop, e164),
        "events": [e.model_dump(mode="json", exclude_none=True) for e in store.events(shop, e164)],
    }


def consent_opt_out(shop: str, phone: str, note: str) -> dict[str, Any]:
    from smsflows.domain.consent.subscriptions import manual_opt_out

    recorded = manual_opt_out(shop, phone, note, _deps().consent)
    return {"phone": recorded.after.phone, "status": recorded.after.status, "was": recorded.before.status}


def import_csv(path: Path, shop: str, dry_run: bool, out: TextIO = sys.stderr) -> dict[str, Any]:
    from smsflows.domain.consent.imports import read_rows
    from smsflows.domain.consent.subscriptions import record

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
    export = _deps().privacy.store.load_export(shop, request_id)
    if export is None:
        raise SystemExit(f"no export {request_id} for {shop} (has customers/data_request arrived?)")
    return dict(export)


def flow_set(shop: str, flow: str, enabled: bool | None, offsets: list[int] | None, templates_: dict[int, str],
             codes: dict[int, str]) -> dict[str, Any]:  # fmt: skip
    """Enable/disable, retime (seconds after the trigger, one per step) or re-copy one flow of one shop."""
    from smsflows.domain.flows import definitions, templates
    from smsflows.domain.shops import FlowSettings, ShopConfig

    definition = definitions.FLOWS.get(flow)
    if definition is None:
        raise SystemExit(f"unknown flow {flow!r}; flows: {', '.join(definitions.FLOWS)}")
    if offsets is not None and len(offsets) != len(definition.steps):
        raise SystemExit(f"{flow} has {len(definition.steps)} steps: give {len(definition.steps)} offsets")
    for index, text in templates_.items():
        if not 0 <= index < len(definition.steps):
            raise SystemExit(f"{flow} has no step {index}")
        try:
            templates.validate(text)
        except templates.TemplateError as exc:
            raise SystemExit(f"step {index}: {exc}") from None
    deps = _deps()
    config = deps.shop_configs.get(shop) or ShopConfig(shop=shop)
    current = config.flow(flow)
    updated = FlowSettings(
        enabled=current.enabled if enabled is None else enabled,
        offsets_s=tuple(offsets) if offsets is not None else current.offsets_s,
        templates={**current.templates, **templates_},
        discount_codes={**current.discount_codes, **codes},
    )
    deps.shop_configs.put(config.model_copy(update={"flows": {**config.flows, flow: updated}}))
    return {"shop": shop, "flow": flow, **updated.model_dump(mode="json")}


def template_preview(shop: str, flow: str, step: int, text: str | None) -> dict[str, Any]:
    """The rendered text of a step with sample values, its encoding and segment count."""
    from smsflows.domain.flows import definitions, steps, templates
    from smsflows.domain.shops import ShopConfig

    definition = definitions.FLOWS.get(flow)
    if definition is None or not 0 <= step < len(definition.steps):
        raise SystemExit(f"unknown flow/step {flow}/{step}")
    config = (_deps().shop_configs.get(shop) if os.environ.get("TABLE_NAME") else None) or ShopConfig(
        shop=shop
    )
    sample = {"first_name": "Ada", "order_name": "#1001", "product": "Brass Compass",
              "product_url": f"{config.storefront()}/products/brass-compass",
              "checkout_url": f"{config.storefront()}/checkouts/abc123/recover",
              "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784", "tracking_company": "UPS"}  # fmt: skip
    values = steps.values_for(config, definition, step, sample)
    try:
        preview = templates.preview(text or definitions.template(config, definition, step), values, brand=config.brand,
                                    marketing=definition.category == "marketing")  # fmt: skip
    except templates.TemplateError as exc:
        raise SystemExit(str(exc)) from None
    return {"flow": flow, "step": step, "text": preview.text, "encoding": preview.encoding,
            "segments": preview.segments, "characters": preview.characters, "warnings": list(preview.warnings)}  # fmt: skip


def _dlq_urls() -> dict[str, tuple[str, str]]:
    """{queue key: (queue url, its DLQ url)} from the settings and the queues' redrive policies."""
    from smsflows import topology

    deps = _deps()
    sqs = deps.client("sqs")
    urls = {
        topology.SEND_QUEUE: deps.settings.send_queue_url,
        topology.TRANSACTIONAL_QUEUE: deps.settings.transactional_queue_url,
        topology.SHOP_EVENTS_QUEUE: deps.settings.shop_events_queue_url,
    }
    out = {}
    for key, url in urls.items():
        if not url:
            continue
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]
        target = json.loads(attrs.get("RedrivePolicy", "{}")).get("deadLetterTargetArn")
        if target:
            out[key] = (url, sqs.get_queue_url(QueueName=target.rsplit(":", 1)[1])["QueueUrl"])
    return out


def _message_id(body: str) -> str | None:
    """The message id of a dead-lettered text (None for a shop event, or a body that is not JSON)."""
    try:
        value = json.loads(body)
    except ValueError:
        return None
    message_id = value.get("message_id") if isinstance(value, dict) else None
    return message_id if isinstance(message_id, str) else None


def dlq_list(limit: int = 50) -> list[dict[str, Any]]:
    """Dead-lettered messages with the reason recorded for them (peeked: they stay in the DLQ)."""
    deps = _deps()
    sqs = deps.client("sqs")
    rows: list[dict[str, Any]] = []
    for key, (_, dlq) in _dlq_urls().items():
        got = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=0,
                                  AttributeNames=["All"]).get("Messages", [])  # fmt: skip
        for m in got[:limit]:
            try:
                body = json.loads(m["Body"])
            except ValueError:
                body = None
            row = {"queue": key, "receives": m["Attributes"].get("ApproximateReceiveCount")}
            if not isinstance(body, dict):  # not one of ours: shown, with what it starts with
                rows.append({**row, "unreadable_body": m["Body"][:80]})
                continue
            if "message_id" in body:
                item = deps.message_log.claim(body["message_id"]) or {}
                row.update(message_id=body["message_id"], state=item.get("state"), reason=item.get("reason"))
            else:
                row.update(topic=body.get("topic"), webhook_id=body.get("webhook_id"))
            rows.append(row)
    return rows


def dlq_replay(queue: str | None = None) -> dict[str, int]:
    """Move dead-lettered messages back to their queue (after the cause is fixed); idempotency makes it safe.
    A text's message log record goes back from 'dead_lettered' to 'queued' first (to 'sending' if its last
    claim is in doubt: the sender then asks the provider before sending it again), so that the sender
    claims it as soon as it arrives."""
    deps = _deps()
    sqs = deps.client("sqs")
    moved: dict[str, int] = {}
    for key, (url, dlq) in _dlq_urls().items():
        if queue and key != queue:
            continue
        moved[key] = 0
        while got := sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=30).get(
            "Messages", []
        ):
            for m in got:
                message_id = _message_id(m["Body"])
                if message_id is not None:
                    deps.message_log.replay(message_id, deps.clock())
                sqs.send_message(QueueUrl=url, MessageBody=m["Body"])
                sqs.delete_message(QueueUrl=dlq, ReceiptHandle=m["ReceiptHandle"])
                moved[key] += 1
    return moved


def webhooks_list(shop: str, state: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The shop's stored webhooks (newest first), optionally only those in `state` ('unparseable': kept for
    replay, with the reason it could not be read)."""
    from boto3.dynamodb.types import TypeDeserializer

    from smsflows.domain import keys

    deps = _deps()
    ddb, plain = deps.client("dynamodb"), TypeDeserializer().deserialize
    query: dict[str, Any] = {
        "TableName": deps.settings.table_name,
        "IndexName": keys.BY_SHOP,
        "KeyConditionExpression": "shop = :s AND begins_with(pk, :w)",
        "ExpressionAttributeValues": {":s": {"S": shop}, ":w": {"S": "WEBHOOK#"}},
    }
    rows = []
    while True:
        page = ddb.query(**query)
        for raw in page.get("Items", []):  # the index holds the keys; the record is read whole
            key = {k: plain(v) for k, v in raw.items()}
            if key.get("sk") != "WEBHOOK":
                continue
            record = deps.webhook_inbox.get(shop, str(key["pk"]).split("#", 2)[2])
            if record is None or (state and record.state != state):
                continue
            rows.append({"webhook_id": record.webhook_id, "topic": record.topic, "state": record.state,
                         "reason": record.reason, "received_at": record.received_at.isoformat()})  # fmt: skip
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sorted(rows, key=lambda r: str(r["received_at"]), reverse=True)[:limit]


def webhooks_replay(
    shop: str, webhook_id: str | None = None, all_unparseable: bool = False
) -> dict[str, Any]:
    """Hand stored webhooks to the consumer again, exactly as they were received (after fixing what made them
    unreadable): one by id, or every one the shop has in 'unparseable'. Processing is idempotent, so a replay
    of one that was processed already changes nothing; one that still cannot be read is marked again, with
    its reason."""
    from smsflows.domain.shopify.ingest import envelope

    if not webhook_id and not all_unparseable:
        raise SystemExit("name a webhook (--id) or pass --all-unparseable")
    deps = _deps()
    ids = (
        [webhook_id] if webhook_id else [r["webhook_id"] for r in webhooks_list(shop, "unparseable", 10_000)]
    )
    replayed = []
    for wid in ids:
        record = deps.webhook_inbox.get(shop, wid)
        if record is None:
            raise SystemExit(f"no webhook {wid!r} is stored for {shop}")
        if record.state == "redacted":
            raise SystemExit(f"webhook {wid!r} was erased by a customer redaction: nothing to replay")
        deps.webhook_inbox.mark(shop, wid, "received", "replayed")
        deps.shop_events_queue.send(envelope(record))  # as it was received: the body is not rewritten
        replayed.append(wid)
    return {"replayed": len(replayed), "webhook_ids": replayed}
