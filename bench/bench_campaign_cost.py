"""What a campaign costs in AWS per 1,000 texts and per 1,000,000 recipients, from inputs measured on the real
path, against what the provider charges for the same texts. Goal (RULES.md E): AWS <= 0.2 % of the provider.

What runs, in-process (smsflows.local.inprocess: moto, the real handlers, the real twilio client against the
fake Twilio): N subscribers (default 500) imported with the admin CSV import into the provisioned demo shop,
its sender set to 10DLC "low" (11.5 segments/s paced: a rate this harness keeps up with under moto, so the
pacing bucket is booked ahead as in production; at the provisioned 115/s it falls behind and every claim
books its own slot), the shop-config and campaign-state caches at their defaults (the local cloud turns them
off); a campaign to all of them made and scheduled with the admin use cases; then this script drives the
handlers as the event source mappings would: `release_campaign` with each campaign-queue message, `send_message` with
up to ten send-queue messages at a time, until every text is sent; then Twilio's two signed status callbacks
per text ("sent", "delivered") through `twilio_status`, shaped as the callback API (an HTTP API, payload 1.0)
hands them over and signed over the callback URL each text asked for; and one `orders/create` webhook per 10 texts (the real
tests/events/shopify/orders_create.json, compact) through `shopify_webhook` and `process_shop_event`.

Measured:
- every AWS call, by service.operation and by component (botocore `before-call`/`after-call` hooks on the
  session every client is made from), the harness's receives and deletes included: they stand in for the
  mappings' (billed the same way). Receives that came back empty are the harness polling and are not billed
  here; the mappings' idle long polls are priced with the fixed costs (an assumption, stated there).
- DynamoDB capacity, from the bytes of the items each call touches, by DynamoDB's sizing rules (names +
  values; numbers by significant digits; 3 bytes per list/map + 1 per element), read from moto's table
  before and after each write: a write costs 1 WRU per KB of the larger of the two (a failed conditional
  write too, at least 1), a transaction twice that per item (ConditionCheck included), each GSI entry a
  write is put in, removed from or changed in costs its own WRU per KB of the projected entry (the indexes
  and projections are moto's table's, created by local/provision.py as infra/constructs/data_tables.py
  does); reads cost 1 RRU per 4 KB strongly consistent, 0.5 eventually, GetItem/BatchGetItem per item,
  Query per call on the sum of the items (an index's entry size for an index Query). The request and
  response bytes of every call are printed too (wire bytes, for SQS's 64 KB request chunks).
- each handler's duration (perf_counter around the invocation, billed rounded up to 1 ms) at the memory of
  smsflows.topology.FUNCTIONS (release_campaign 512 MB, the rest 256 MB; arm64). Moto answers in this
  process, so an AWS call costs CPU here instead of a network round trip: durations are not AWS's.
- the bytes every handler logs (stdout and stderr during its invocations, Powertools JSON lines and its EMF
  metric blobs, at the stack's levels: INFO, metrics on), priced at the CloudWatch Logs ingestion price.
- deferrals (the sender's "message deferred" lines), and texts the sender received more than once.
- the fixed monthly costs of the stack as `cdk synth -c stage=prod` creates it (counted from the template:
  alarms and their metrics, dashboards, KMS keys, secrets, WAF web ACL and rules, API methods with detailed
  metrics, event source mappings), amortised over 100,000 and 1,000,000 texts a month.

Not measured (constructed or assumed, and said so where printed): Lambda's platform log records
(platform.start/report, built in the documented JSON shape) and API Gateway's access log line (the stack's
format, filled in); X-Ray traces (active tracing samples 5 % beyond 1 request/s by its default rule; a
function with PassThrough tracing, twilio_status, records none: its API passes no trace);
the per-1,000,000 fan-out, which uses the steps, pages and batches the real `fanout.step` makes over a
synthetic index (bench_campaign_fanout.SyntheticIndex, at the shop's provisioned 115/s) with this run's
per-call costs; the idle long polls of the event source mappings (5 pollers x 20 s each, AWS's description).

Left out: network (data transfer out to Twilio, latency), Lambda cold starts (INIT, billed since Aug 2025;
each function's module is loaded before timing; its first invocation's secret read and client creation are
counted), storage (DynamoDB items and PITR, AWS Backup recovery points, log storage), the free tiers, SNS
alarm notifications, CloudTrail, the daily job, inbound STOP replies, Twilio's failed-message fee, and what
an order may start (the sample order's customer has no SMS consent: its webhooks start no flow and queue no
text, so the ingress line is shopify_webhook + process_shop_event and nothing after).

Figures, never pass/fail. Run: PYTHONPATH=layers/core/python .venv/bin/python bench/bench_campaign_cost.py [N]
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

# The stack's levels (infra/constructs/service_function.py sets neither: Powertools' defaults, INFO, metrics
# on), so that what the handlers log is what Lambda would ingest.
os.environ.update(POWERTOOLS_LOG_LEVEL="INFO", POWERTOOLS_METRICS_DISABLED="false", TZ="UTC")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
BASE = "https://abc123.execute-api.us-east-1.amazonaws.com/v1"
os.environ["PUBLIC_BASE_URL"] = BASE
# the senders ask for status callbacks on the callback API (an HTTP API's $default stage), as the stack sets it
CALLBACK_HOST = "cb7x9k2m1q.execute-api.us-east-1.amazonaws.com"
os.environ["STATUS_CALLBACK_BASE_URL"] = f"https://{CALLBACK_HOST}"

REAL_STDOUT, REAL_STDERR = sys.stdout, sys.stderr


class LogMeter:
    """Stands in for stdout and stderr from the start (the Powertools logger keeps the stream it is made
    with): counts what the handlers write while one is being invoked, and keeps the lines to read them.
    Outside invocations stdout is dropped (the admin use cases' output) and stderr goes through."""

    function: str | None = None
    bytes: dict[str, int] = {}  # shared by the two streams on purpose
    lines: dict[str, list[str]] = {}
    _lock = threading.Lock()

    def __init__(self, passthrough: Any = None) -> None:
        self._through = passthrough

    def write(self, text: str) -> int:
        function = LogMeter.function
        # the fake Twilio's request threads are not the function's
        if function is not None and "process_request" not in threading.current_thread().name:
            with LogMeter._lock:
                LogMeter.bytes[function] = LogMeter.bytes.get(function, 0) + len(text.encode())
                if text.strip():
                    LogMeter.lines.setdefault(function, []).append(text)
        elif self._through is not None:
            self._through.write(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


METER = LogMeter
sys.stdout = LogMeter()  # type: ignore[assignment]
sys.stderr = LogMeter(REAL_STDERR)  # type: ignore[assignment]


def say(text: str = "") -> None:
    REAL_STDOUT.write(text + "\n")
    REAL_STDOUT.flush()


import json  # noqa: E402
import math  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from decimal import Decimal, InvalidOperation  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import parse_qs, urlencode, urlsplit  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHOP = "demo-shop.myshopify.com"
SHOPIFY_SECRET = "bench-shopify-secret"
TWILIO_TOKEN = "bench-twilio-token"
REGION = "us-east-1"
ACCOUNT = "123456789012"
TEXT = "Demo Shop: 20% off everything today with code FALL20. Shop now: https://demo-shop.example/sale"
DISCLOSURE = (
    "Yes, text me offers from Demo Shop: recurring automated marketing texts, up to 6 msgs/mo. Consent is not "
    "a condition of purchase. Msg & data rates may apply. Reply HELP for help, STOP to cancel. "
    "Terms: https://demo-shop.example/terms Privacy: https://demo-shop.example/privacy"
)
ORDERS_PER_TEXT = 0.1  # one orders/create webhook per 10 texts
MONTHLY_VOLUMES = (100_000, 1_000_000)  # texts a month, for the fixed costs
PROJECTED_RECIPIENTS = 1_000_000

# Unit prices, us-east-1. RULES.md E where it has them; the others (marked *) are AWS's list prices.
PRICE = {
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_s_arm": 0.0000133334,
    "ddb_wru": 0.625 / 1e6,
    "ddb_rru": 0.125 / 1e6,
    "sqs_request": 0.40 / 1e6,  # standard queue; per 64 KB chunk
    "scheduler_invocation": 1.00 / 1e6,
    "apigw_rest": 3.50 / 1e6,
    "apigw_http": 1.00 / 1e6,  # * HTTP API, first 300 million a month (the callback API)
    "logs_gb": 0.50,  # ingestion, Standard class (the stack's log groups); GB = 2^30 bytes
    "twilio_segment": 0.0083,
    "carrier_low": 0.0030,  # RULES.md E: the lowest pass-through fee (late-2025 AT&T/T-Mobile)
    "carrier_high": 0.0045,  # RULES.md E: T-Mobile/Verizon 2026
    # not in RULES.md (AWS list prices, us-east-1)
    "waf_request": 0.60 / 1e6,  # *
    "xray_trace": 5.00 / 1e6,  # * traces recorded
    "secrets_api": 0.05 / 10_000,  # *
    "alarm_metric_month": 0.10,  # * standard resolution, per metric an alarm evaluates
    "dashboard_month": 3.00,  # *
    "kms_key_month": 1.00,  # * customer managed key
    "secret_month": 0.40,  # *
    "waf_acl_month": 5.00,  # *
    "waf_rule_month": 1.00,  # * a managed rule group counts as one rule
    "custom_metric_month": 0.30,  # * first 10,000 metrics
}
NOT_IN_RULES = "*: AWS list price, not in RULES.md"
XRAY_SAMPLED = 0.05  # X-Ray's default rule: 1 request/s, then 5 %: the 5 % (the reservoir is left out)
# API Gateway detailed metrics (MetricsEnabled) per method: Count, Latency, IntegrationLatency, 4XX, 5XX
APIGW_DETAILED_METRICS = 5
# Idle event source mapping: AWS documents 5 pollers long-polling (20 s) per SQS mapping: 15 receives/min.
ESM_IDLE_RECEIVES_PER_MONTH = 5 * 3 * 60 * 24 * 30


# DynamoDB sizing ------------------------------------------------------------------------------------------


def _number_size(text: str) -> int:
    try:
        digits = str(Decimal(text).normalize()).lstrip("-")
    except InvalidOperation:
        digits = text
    significant = digits.replace(".", "").replace("E", "").lstrip("0").rstrip("0") or "0"
    significant = "".join(ch for ch in significant if ch.isdigit()) or "0"
    return math.ceil(len(significant) / 2) + 1


def value_size(value: dict[str, Any]) -> int:
    kind, v = next(iter(value.items()))
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        return _number_size(str(v))
    if kind == "B":
        return len(v) if isinstance(v, bytes) else len(v) * 3 // 4
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in v)
    if kind == "NS":
        return sum(_number_size(str(s)) for s in v)
    if kind == "BS":
        return sum(len(b) for b in v)
    if kind == "L":
        return 3 + sum(1 + value_size(e) for e in v)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(e) for k, e in v.items())
    return 0


def item_size(item: dict[str, Any] | None) -> int:
    return sum(len(k.encode()) + value_size(v) for k, v in (item or {}).items())


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]  # its own keys and the table's
    projected: tuple[str, ...] | None  # None: ALL

    def entry(self, item: dict[str, Any] | None) -> dict[str, Any] | None:
        if not item or not all(k in item for k in self.keys):
            return None
        if self.projected is None:
            return item
        return {k: v for k, v in item.items() if k in self.keys or k in self.projected}


class MotoTable:
    """The items as moto holds them (read in this process, no API call): sizes before and after a write."""

    def __init__(self, table_name: str) -> None:
        from moto.dynamodb.models import dynamodb_backends

        self.table = dynamodb_backends[ACCOUNT][REGION].get_table(table_name)
        base = ("pk", "sk")
        self.indexes: list[Index] = []
        for gsi in self.table.global_indexes:
            own = tuple(k["AttributeName"] for k in gsi.schema)
            projection = gsi.projection or {}
            kind = projection.get("ProjectionType", "ALL")
            projected = None if kind == "ALL" else tuple(projection.get("NonKeyAttributes", ()))
            self.indexes.append(Index(gsi.name, tuple(dict.fromkeys(own + base)), projected))

    def get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        try:
            found = self.table.get_item(DynamoType(key["pk"]), DynamoType(key["sk"]))
            return found.to_json()["Attributes"] if found is not None else None
        except Exception:  # concurrently changed, or not a key of this table
            return None


def kind_of(key: dict[str, Any]) -> str:
    """The item kind: its pk's prefix (MSG, PACE, SUB ...)."""
    pk = key.get("pk", {}).get("S", "?")
    return pk.split("#", 1)[0]


# The meter of AWS calls ------------------------------------------------------------------------------------


@dataclass
class CallStats:
    calls: int = 0
    req_bytes: int = 0
    resp_bytes: int = 0
    wru: float = 0.0
    gsi_wru: float = 0.0
    rru: float = 0.0
    sqs_requests: int = 0  # 64 KB chunks
    check_wru: float = 0.0  # of wru: a transaction's ConditionCheck items


@dataclass
class Meter:
    """Every AWS call, by (component, actor, service.operation), with its capacity units."""

    table: MotoTable | None = None
    component: str | None = None
    actor: str | None = None
    calls: dict[tuple[str, str, str], CallStats] = field(default_factory=lambda: defaultdict(CallStats))
    kinds: dict[tuple[str, str], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    item_bytes: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    gsi_writes: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    hook_s: float = 0.0
    empty_receives: int = 0
    _local: threading.local = field(default_factory=threading.local)

    def register(self, session: Any) -> None:
        session.events.register("before-call", self.before)
        session.events.register("after-call", self.after)

    def before(self, event_name: str, params: dict[str, Any], **_: Any) -> None:
        t0 = time.perf_counter()
        _, service, operation = event_name.split(".", 2)
        body = params.get("body") or b""
        if isinstance(body, str):
            body = body.encode()
        state = {"service": service, "op": operation, "req": len(body), "befores": None, "request": None}
        if service == "dynamodb" and self.table is not None:
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                request = {}
            state["request"] = request
            keys = self._write_keys(operation, request)
            if keys:
                state["befores"] = [(k, self.table.get(k)) for k in keys]
        self._local.state = state
        self.hook_s += time.perf_counter() - t0

    def after(self, http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        t0 = time.perf_counter()
        state = getattr(self._local, "state", None)
        self._local.state = None
        if state is None or self.component is None:
            self.hook_s += time.perf_counter() - t0
            return
        service, op = state["service"], state["op"]
        if service == "sqs" and op == "ReceiveMessage" and not parsed.get("Messages"):
            self.empty_receives += 1  # the harness polling: not a billed receive of a mapping
            self.hook_s += time.perf_counter() - t0
            return
        stats = self.calls[(self.component, self.actor or "?", f"{service}.{op}")]
        stats.calls += 1
        stats.req_bytes += state["req"]
        content = getattr(http_response, "content", b"") or b""
        stats.resp_bytes += len(content)
        if service == "sqs":
            payload = len(content) if op == "ReceiveMessage" else state["req"]
            stats.sqs_requests += max(1, math.ceil(payload / 65536))
        if service == "dynamodb" and self.table is not None:
            self._capacity(op, state, parsed, stats)
        self.hook_s += time.perf_counter() - t0

    # DynamoDB ---------------------------------------------------------------------------------------
    @staticmethod
    def _write_keys(op: str, request: dict[str, Any]) -> list[dict[str, Any]]:
        def key(of: dict[str, Any]) -> dict[str, Any]:
            return {"pk": of.get("pk"), "sk": of.get("sk")}

        if op == "PutItem":
            return [key(request.get("Item", {}))]
        if op in ("UpdateItem", "DeleteItem"):
            return [key(request.get("Key", {}))]
        if op == "TransactWriteItems":
            out = []
            for entry in request.get("TransactItems", []):
                (kind, spec), *_ = entry.items()
                out.append(key(spec.get("Item", {}) if kind == "Put" else spec.get("Key", {})))
            return out
        if op == "BatchWriteItem":
            out = []
            for entries in request.get("RequestItems", {}).values():
                for entry in entries:
                    if "PutRequest" in entry:
                        out.append(key(entry["PutRequest"]["Item"]))
                    else:
                        out.append(key(entry["DeleteRequest"]["Key"]))
            return out
        return []

    def _capacity(self, op: str, state: dict[str, Any], parsed: dict[str, Any], stats: CallStats) -> None:
        assert self.table is not None
        request = state["request"] or {}
        if state["befores"] is not None:
            factor = 2 if op == "TransactWriteItems" else 1
            failed = "Error" in parsed
            checks = ["ConditionCheck" in entry for entry in request.get("TransactItems", [])] or [
                False
            ] * len(state["befores"])
            for (key, before), check in zip(state["befores"], checks, strict=False):
                after = self.table.get(key)
                size = max(item_size(before), item_size(after))
                units = factor * max(1, math.ceil(size / 1024))
                stats.wru += units
                if check:
                    stats.check_wru += units
                kind = kind_of(key)
                self.kinds[(state["service"] + "." + op, "write")][kind] += 1
                if after is not None:
                    self.item_bytes[kind].append(item_size(after))
                if failed:
                    continue
                for index in self.table.indexes:
                    old, new = index.entry(before), index.entry(after)
                    if old == new:
                        continue
                    moved = old is not None and new is not None and any(old[k] != new[k] for k in index.keys)
                    writes = [old, new] if moved else [new or old]
                    for entry in writes:
                        units = max(1, math.ceil(item_size(entry) / 1024))
                        stats.gsi_wru += units
                        self.gsi_writes[(index.name, kind)] += 1
            return
        consistent = 1.0 if request.get("ConsistentRead") else 0.5
        if op == "GetItem":
            full = self.table.get(request.get("Key", {}))
            stats.rru += consistent * max(1, math.ceil(item_size(full) / 4096))
            self.kinds[("dynamodb.GetItem", "read")][kind_of(request.get("Key", {}))] += 1
        elif op in ("BatchGetItem", "TransactGetItems"):
            if op == "BatchGetItem":
                wanted = [
                    (k, 1.0 if spec.get("ConsistentRead") else 0.5)
                    for spec in request.get("RequestItems", {}).values()
                    for k in spec.get("Keys", [])
                ]
            else:
                wanted = [(e["Get"]["Key"], 2.0) for e in request.get("TransactItems", [])]
            for k, per in wanted:
                stats.rru += per * max(1, math.ceil(item_size(self.table.get(k)) / 4096))
                self.kinds[("dynamodb." + op, "read")][kind_of(k)] += 1
        elif op in ("Query", "Scan"):
            index = next((i for i in self.table.indexes if i.name == request.get("IndexName")), None)
            total = 0
            for got in parsed.get("Items", []):
                plain = {"pk": got["pk"], "sk": got["sk"]} if "pk" in got and "sk" in got else None
                full = self.table.get(plain) if plain else None
                entry = index.entry(full) if (index and full) else full
                total += item_size(entry) if entry else 0
                self.kinds[("dynamodb." + op + (f"({index.name})" if index else ""), "read")][
                    kind_of(plain or {})
                ] += 1
            scanned, count = parsed.get("ScannedCount", 0), parsed.get("Count", 0)
            if count and scanned > count:
                total = total * scanned // count
            stats.rru += consistent * max(1, math.ceil(total / 4096))


# Driving the handlers --------------------------------------------------------------------------------------


@dataclass
class Invocations:
    count: Counter[str] = field(default_factory=Counter)
    ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    records: Counter[str] = field(default_factory=Counter)


def timed_invoke(cloud: Any, meter: Meter, inv: Invocations, component: str, name: str, event: dict) -> Any:
    meter.component, meter.actor = component, name
    METER.function = name
    t0 = time.perf_counter()
    try:
        return cloud.invoke(name, event)
    finally:
        inv.ms[name].append((time.perf_counter() - t0) * 1000)
        METER.function = None
        meter.component = None
        inv.count[name] += 1
        inv.records[name] += len(event.get("Records", [])) or 1


def queue_arn(cloud: Any, key: str) -> str:
    return cloud.client("sqs").get_queue_attributes(
        QueueUrl=cloud.res.queue_urls[key], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]


def poll(cloud: Any, meter: Meter, component: str, key: str, batch: int) -> list[dict[str, Any]]:
    """One receive, as a mapping makes it (counted to `component`; an empty one is not billed here)."""
    meter.component, meter.actor = component, "event source mapping"
    try:
        return (
            cloud.client("sqs")
            .receive_message(
                QueueUrl=cloud.res.queue_urls[key],
                MaxNumberOfMessages=batch,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            .get("Messages", [])
        )
    finally:
        meter.component = None


def delete(cloud: Any, meter: Meter, component: str, key: str, messages: list[dict], result: Any) -> None:
    failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
    done = [m for m in messages if m["MessageId"] not in failed]
    if not done:
        return
    meter.component, meter.actor = component, "event source mapping"
    try:
        cloud.client("sqs").delete_message_batch(
            QueueUrl=cloud.res.queue_urls[key],
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
        )
    finally:
        meter.component = None


def backlog(cloud: Any, key: str) -> int:
    attrs = cloud.client("sqs").get_queue_attributes(
        QueueUrl=cloud.res.queue_urls[key],
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return sum(int(v) for v in attrs.values())


@dataclass
class CampaignRun:
    steps: list[tuple[float, int]] = field(default_factory=list)  # (ms, texts released) per step
    received_ids: Counter[str] = field(default_factory=Counter)
    batches: list[int] = field(default_factory=list)
    wall_s: float = 0.0


def run_campaign(cloud: Any, meter: Meter, inv: Invocations, n: int) -> tuple[str, CampaignRun]:
    from smsflows.admin import campaigns, imports

    with tempfile.TemporaryDirectory() as folder:
        rows = ["phone,consent_at,source,disclosure_text"]
        rows += [f'+1312555{i:04d},2026-10-01T14:00:00Z,web_form,"{DISCLOSURE}"' for i in range(n)]
        path = Path(folder) / "subscribers.csv"
        path.write_text("\n".join(rows) + "\n")
        imported = imports.import_csv(path, SHOP, dry_run=False)
        segment = Path(folder) / "everyone.json"
        segment.write_text('{"subscribed": true}')
        assert imported["imported"] == n, imported
        # The operator's two commands are part of the campaign's cost (the schedule counts the audience).
        meter.component, meter.actor = "fan-out", "operator (campaign create + schedule)"
        made = campaigns.campaign_create(SHOP, name="Bench", text=TEXT, segment_file=str(segment), by="bench")
        campaigns.campaign_transition(SHOP, made["id"], "schedule", by="bench")
        meter.component = None

    run = CampaignRun()
    arns = {key: queue_arn(cloud, key) for key in ("campaign_queue", "send_queue")}
    from smsflows.local.pollers import sqs_event

    began = time.perf_counter()
    deadline = time.monotonic() + max(120.0, n / 5)
    idle_checks = 0
    while time.monotonic() < deadline:
        worked = False
        cursors = poll(cloud, meter, "fan-out", "campaign_queue", 1)
        if cursors:
            event = sqs_event(cursors, arns["campaign_queue"], REGION)
            result = timed_invoke(cloud, meter, inv, "fan-out", "release_campaign", event)
            delete(cloud, meter, "fan-out", "campaign_queue", cursors, result)
            worked = True
        sends = poll(cloud, meter, "send path", "send_queue", 10)
        if sends:
            for m in sends:
                run.received_ids[json.loads(m["Body"]).get("message_id", "?")] += 1
            run.batches.append(len(sends))
            result = timed_invoke(
                cloud, meter, inv, "send path", "send_message", sqs_event(sends, arns["send_queue"], REGION)
            )
            delete(cloud, meter, "send path", "send_queue", sends, result)
            worked = True
        if worked:
            idle_checks = 0
            continue
        if len(cloud.twilio.outbox()) >= n:
            idle_checks += 1
            if idle_checks > 3 and backlog(cloud, "campaign_queue") + backlog(cloud, "send_queue") == 0:
                break
        time.sleep(0.02)
    run.wall_s = time.perf_counter() - began
    steps = [
        json.loads(line) for line in METER.lines.get("release_campaign", []) if '"campaign step"' in line
    ]
    run.steps = [
        (ms, int(s.get("released") or 0)) for ms, s in zip(inv.ms["release_campaign"], steps, strict=False)
    ]
    return made["id"], run


def status_callbacks(cloud: Any, meter: Meter, inv: Invocations, outbox: list[dict[str, Any]]) -> int:
    from twilio.request_validator import RequestValidator

    from smsflows.local.front_door import proxy_event
    from smsflows.local.provision import LOCAL_TWILIO_SID

    validator = RequestValidator(TWILIO_TOKEN)
    posted = 0
    for status in ("sent", "delivered"):
        for sms in outbox:
            url = sms["status_callback"]
            params = {"MessageSid": sms["sid"], "MessageStatus": status, "AccountSid": LOCAL_TWILIO_SID,
                      "To": sms["to"], "NumSegments": str(sms["segments"])}  # fmt: skip  # as the fake posts them
            split = urlsplit(url)
            assert split.netloc == CALLBACK_HOST, url  # the text asked for the callback API
            headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "TwilioProxy/1.1",
                       "Host": CALLBACK_HOST, "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443",
                       "X-Twilio-Signature": validator.compute_signature(url, params)}  # fmt: skip
            event = proxy_event(
                "POST",
                "/sms/status",
                parse_qs(split.query),
                headers,
                urlencode(params).encode(),
                "54.172.60.1",
            )
            # as the HTTP API (payload 1.0) hands it over: no stage in the path ($default)
            event["version"] = "1.0"
            event["requestContext"].update(
                path="/sms/status", stage="$default", apiId=CALLBACK_HOST.split(".")[0]
            )
            answer = timed_invoke(cloud, meter, inv, "status callbacks", "twilio_status", event)
            assert answer["statusCode"] == 200, answer
            posted += 1
    return posted


def order_webhooks(cloud: Any, meter: Meter, inv: Invocations, count: int) -> tuple[int, int]:
    from smsflows.domain.shopify import webhooks
    from smsflows.local.front_door import proxy_event
    from smsflows.local.pollers import sqs_event

    sample = json.loads((REPO / "tests/events/shopify/orders_create.json").read_text())
    compact = json.dumps(sample, separators=(",", ":"))
    order_id = str(sample["id"])
    for i in range(count):
        body = compact.replace(order_id, f"{order_id[:-5]}{i:05d}").encode()  # a new order, same size
        signature = webhooks.sign(SHOPIFY_SECRET.encode(), body)
        headers = {"Content-Type": "application/json", "X-Shopify-Topic": "orders/create",
                   "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                   "X-Shopify-API-Version": "2026-04", "X-Shopify-Hmac-Sha256": signature}  # fmt: skip
        answer = timed_invoke(
            cloud,
            meter,
            inv,
            "ingress",
            "shopify_webhook",
            proxy_event("POST", "/webhooks/shopify", {}, headers, body, "34.0.0.1"),
        )
        assert answer["statusCode"] == 200, answer
    arn = queue_arn(cloud, "shop_events_queue")
    while True:
        events = poll(cloud, meter, "ingress", "shop_events_queue", 10)
        if not events:
            break
        result = timed_invoke(
            cloud, meter, inv, "ingress", "process_shop_event", sqs_event(events, arn, REGION)
        )
        delete(cloud, meter, "ingress", "shop_events_queue", events, result)
    return len(compact.encode()), len(__import__("gzip").compress(compact.encode()))


# Pricing ------------------------------------------------------------------------------------------------


def lambda_gb_s(name: str, ms: list[float]) -> float:
    from smsflows import topology

    memory = topology.function(name).memory_mb
    return sum(math.ceil(m) for m in ms) / 1000 * memory / 1024


def platform_log_bytes(name: str) -> int:
    """Lambda's own records per invocation, JSON log format with active tracing: platform.start and
    platform.report as documented (constructed here, not measured)."""
    rid, trace = (
        str(uuid.uuid4()),
        "Root=1-67a1b2c3-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=0",
    )
    start = {"time": "2026-11-23T17:00:00.000Z", "type": "platform.start",
             "record": {"requestId": rid, "version": "$LATEST",
                        "tracing": {"spanId": "0123456789abcdef", "type": "X-Amzn-Trace-Id", "value": trace}}}  # fmt: skip
    report = {"time": "2026-11-23T17:00:00.120Z", "type": "platform.report",
              "record": {"requestId": rid, "metrics": {"durationMs": 118.53, "billedDurationMs": 119,
                         "memorySizeMB": 256, "maxMemoryUsedMB": 98}, "status": "success",
                         "tracing": {"spanId": "0123456789abcdef", "type": "X-Amzn-Trace-Id", "value": trace}}}  # fmt: skip
    return sum(len(json.dumps(r, separators=(",", ":"))) + 1 for r in (start, report))


# Typical values of every access log field either API writes (infra/constructs: webhook_api, callback_api).
TYPICAL_ACCESS_LOG = {"requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "ip": "54.172.60.1",
                      "userAgent": "TwilioProxy/1.1", "requestTime": "23/Nov/2026:17:00:00 +0000",
                      "httpMethod": "POST", "resourcePath": "/sms/status", "routeKey": "POST /sms/status",
                      "status": "200", "protocol": "HTTP/1.1", "responseLength": "0", "responseLatency": "45",
                      "errorType": "-", "errorMessage": "-", "integrationStatus": "200", "integrationLatency": "41",
                      "integrationError": "-", "wafStatus": "200",
                      "xrayTraceId": "Root=1-67a1b2c3-0123456789abcdef01234567"}  # fmt: skip


def access_log_bytes(callback_api: bool = False) -> int:
    """One API Gateway access log line with the fields the stack's format has (webhook_api.ACCESS_LOG_FIELDS;
    on the callback API callback_api.ACCESS_LOG_FIELDS), filled in with typical values (constructed, not
    measured)."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    if callback_api:
        from infra.constructs.callback_api import ACCESS_LOG_FIELDS
    else:
        from infra.constructs.webhook_api import ACCESS_LOG_FIELDS
    line = {name: TYPICAL_ACCESS_LOG[name] for name in ACCESS_LOG_FIELDS}
    return len(json.dumps(line)) + 1


@dataclass
class Component:
    name: str
    rows: dict[str, float] = field(default_factory=dict)  # label -> dollars
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.rows.values())


def on_callback_api(path: str) -> bool:
    """Whether the stack serves `path` on the callback API (an HTTP API, no WAF) or the REST API."""
    from smsflows import topology

    return any(route.path == path for route in topology.CALLBACK_ROUTES)


def price_component(
    name: str, meter: Meter, inv: Invocations, functions: list[str], api_requests: int, path: str = ""
) -> Component:
    comp = Component(name)
    calls = {k: s for k, s in meter.calls.items() if k[0] == name}
    invocations = sum(inv.count[f] for f in functions)
    gb_s = sum(lambda_gb_s(f, inv.ms[f]) for f in functions)
    comp.rows["Lambda requests"] = invocations * PRICE["lambda_request"]
    comp.notes["Lambda requests"] = f"{invocations} invocations"
    comp.rows["Lambda duration (arm64)"] = gb_s * PRICE["lambda_gb_s_arm"]
    comp.notes["Lambda duration (arm64)"] = f"{gb_s:.2f} GB-s"
    wru = sum(s.wru for s in calls.values())
    gsi = sum(s.gsi_wru for s in calls.values())
    rru = sum(s.rru for s in calls.values())
    comp.rows["DynamoDB writes"] = wru * PRICE["ddb_wru"]
    comp.notes["DynamoDB writes"] = f"{wru:.0f} WRU"
    comp.rows["DynamoDB GSI writes"] = gsi * PRICE["ddb_wru"]
    comp.notes["DynamoDB GSI writes"] = f"{gsi:.0f} WRU"
    comp.rows["DynamoDB reads"] = rru * PRICE["ddb_rru"]
    comp.notes["DynamoDB reads"] = f"{rru:.1f} RRU"
    sqs = sum(s.sqs_requests for k, s in calls.items() if k[2].startswith("sqs."))
    comp.rows["SQS requests"] = sqs * PRICE["sqs_request"]
    comp.notes["SQS requests"] = f"{sqs} requests (64 KB chunks)"
    other = Counter()
    for (_, _, op), s in calls.items():
        if op.startswith("secrets-manager."):
            other["Secrets Manager API *"] += s.calls
        elif op.startswith("scheduler.") and op.endswith("CreateSchedule"):
            other["EventBridge Scheduler"] += s.calls
    if other["Secrets Manager API *"]:
        comp.rows["Secrets Manager API *"] = other["Secrets Manager API *"] * PRICE["secrets_api"]
        comp.notes["Secrets Manager API *"] = f"{other['Secrets Manager API *']} calls"
    if other["EventBridge Scheduler"]:
        comp.rows["EventBridge Scheduler"] = other["EventBridge Scheduler"] * PRICE["scheduler_invocation"]
        comp.notes["EventBridge Scheduler"] = f"{other['EventBridge Scheduler']} deferral schedules"
    if api_requests and on_callback_api(path):
        comp.rows["API Gateway HTTP API *"] = api_requests * PRICE["apigw_http"]
        comp.notes["API Gateway HTTP API *"] = f"{api_requests} requests"
    elif api_requests:
        comp.rows["API Gateway REST"] = api_requests * PRICE["apigw_rest"]
        comp.notes["API Gateway REST"] = f"{api_requests} requests"
        comp.rows["WAF requests *"] = api_requests * PRICE["waf_request"]
        comp.notes["WAF requests *"] = f"{api_requests} requests"
    from smsflows import topology

    traces = XRAY_SAMPLED * sum(inv.count[f] for f in functions if topology.function(f).traced)
    comp.rows["X-Ray traces * (assumed 5 %)"] = traces * PRICE["xray_trace"]
    comp.notes["X-Ray traces * (assumed 5 %)"] = f"{traces:.1f} traces"
    logged = sum(METER.bytes.get(f, 0) for f in functions)
    platform = sum(inv.count[f] * platform_log_bytes(f) for f in functions)
    access = api_requests * access_log_bytes(callback_api=on_callback_api(path))
    comp.rows["CloudWatch Logs (handlers, measured)"] = logged / 2**30 * PRICE["logs_gb"]
    comp.notes["CloudWatch Logs (handlers, measured)"] = (
        f"{logged / 1024:.1f} KiB, {logged / max(1, invocations):.0f} B/invocation"
    )
    comp.rows["CloudWatch Logs (platform + access, built)"] = (platform + access) / 2**30 * PRICE["logs_gb"]
    comp.notes["CloudWatch Logs (platform + access, built)"] = f"{(platform + access) / 1024:.1f} KiB"
    return comp


# Fixed costs, from the synthesized prod template ---------------------------------------------------------

SYNTH = r"""
import json, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from infra.app import build, cdk
with tempfile.TemporaryDirectory() as out, tempfile.TemporaryDirectory() as deps:
    (Path(deps) / "python").mkdir()
    app = cdk.App(outdir=out, context={"stage": "prod", "alarm_email": "ops@example.com", "deps_layer_dir": deps,
                                       "aws:cdk:disable-asset-staging": True})
    stack = build(app)
    app.synth()
    print(json.dumps(json.loads((Path(out) / f"{stack.stack_name}.template.json").read_text())["Resources"]))
"""


def fixed_costs(emf_metrics: set[str]) -> tuple[list[tuple[str, str, float]], str]:
    """(item, how counted, $ / month) from `cdk synth -c stage=prod`, and a note if it could not run."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", SYNTH, str(REPO)],
            capture_output=True, text=True, timeout=240, cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO / "layers/core/python")},
        )  # fmt: skip
        resources = json.loads(done.stdout.strip().splitlines()[-1])
    except Exception as exc:  # no node, no CDK: say so, price nothing
        return [], f"cdk synth failed ({type(exc).__name__}); fixed costs not priced"
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in resources.values():
        by_type[r["Type"]].append(r.get("Properties", {}))
    alarms = by_type["AWS::CloudWatch::Alarm"]
    alarm_metrics = 0
    for a in alarms:
        metrics = a.get("Metrics")
        alarm_metrics += sum(1 for m in metrics if "MetricStat" in m) if metrics else 1
    rows: list[tuple[str, str, float]] = []
    rows.append(("CloudWatch alarms *", f"{len(alarms)} alarms evaluating {alarm_metrics} metrics",
                 alarm_metrics * PRICE["alarm_metric_month"]))  # fmt: skip
    dashboards = len(by_type["AWS::CloudWatch::Dashboard"])
    rows.append(("CloudWatch dashboards *", f"{dashboards}", dashboards * PRICE["dashboard_month"]))
    keys = len(by_type["AWS::KMS::Key"])
    rows.append(("KMS customer keys *", f"{keys}", keys * PRICE["kms_key_month"]))
    secrets = len(by_type["AWS::SecretsManager::Secret"])
    rows.append(("Secrets Manager secrets *", f"{secrets}", secrets * PRICE["secret_month"]))
    acls = by_type["AWS::WAFv2::WebACL"]
    rules = sum(len(a.get("Rules", [])) for a in acls)
    rows.append(("WAF web ACL + rules *", f"{len(acls)} ACL, {rules} rules",
                 len(acls) * PRICE["waf_acl_month"] + rules * PRICE["waf_rule_month"]))  # fmt: skip
    methods = len(by_type["AWS::ApiGateway::Method"])
    detailed = any(
        s.get("MetricsEnabled")
        for st in by_type["AWS::ApiGateway::Stage"]
        for s in st.get("MethodSettings", [])
    )
    if detailed:
        n = methods * APIGW_DETAILED_METRICS
        rows.append(("API Gateway detailed metrics *", f"{methods} methods x {APIGW_DETAILED_METRICS} metrics",
                     n * PRICE["custom_metric_month"]))  # fmt: skip
    rows.append(("EMF custom metrics *", f"{len(emf_metrics)} metric names this run emitted",
                 len(emf_metrics) * PRICE["custom_metric_month"]))  # fmt: skip
    mappings = len(by_type["AWS::Lambda::EventSourceMapping"])
    idle = mappings * ESM_IDLE_RECEIVES_PER_MONTH
    rows.append(("SQS idle polling (assumed)", f"{mappings} mappings x 5 long polls / 20 s",
                 idle * PRICE["sqs_request"]))  # fmt: skip
    schedules = by_type["AWS::Scheduler::Schedule"]
    rows.append(("EventBridge Scheduler (cron)", f"{len(schedules)} daily schedule(s)",
                 len(schedules) * 30 * PRICE["scheduler_invocation"]))  # fmt: skip
    logs = len(by_type["AWS::Logs::LogGroup"])
    backup = len(by_type["AWS::Backup::BackupPlan"])
    note = f"also in the template, priced by storage (left out): {logs} log groups, {backup} backup plan(s), the table's PITR"
    return rows, note


# Fan-out at 1,000,000 recipients ------------------------------------------------------------------------


def fanout_shape(config: Any, recipients: int) -> dict[str, int]:
    """Steps, Query pages, send batches and assignment batches the real fanout.step makes for `recipients`
    members of the shop `config` at its throughput (bench_campaign_fanout's synthetic index)."""
    from datetime import timedelta

    from bench_campaign_fanout import SHARDS, SyntheticIndex

    from smsflows.domain.campaigns import campaign as C
    from smsflows.domain.campaigns import fanout as F
    from smsflows.domain.campaigns.segments import parse_segment
    from smsflows.local.inprocess import DEFAULT_START

    made, _ = C.create(config, name="Bench", variants={"A": TEXT}, weights=None, holdout=0.0,
                       segment_doc={"subscribed": True}, now=DEFAULT_START - timedelta(days=1), by="bench")  # fmt: skip
    segment = parse_segment({"subscribed": True})
    index = SyntheticIndex(recipients)
    progress, now = F.Progress(), DEFAULT_START
    shape = Counter()
    while not progress.done:
        result = F.step(made, F.ONCE, progress, index.page, SHARDS, config, now, segment=segment)
        shape["steps"] += 1
        shape["texts"] += len(result.releases)
        shape["send_batches"] += math.ceil(len(result.releases) / 10)
        shape["assignment_batches"] += math.ceil(len(result.assignments) / 25)
        progress = result.progress
        if progress.wait_until is not None:
            now = max(now, progress.wait_until)
    shape["queries"] = index.queries
    return dict(shape)


def project_fanout(
    meter: Meter, inv: Invocations, run: CampaignRun, texts: int, shape: dict[str, int]
) -> Component:
    """The fan-out's rows for PROJECTED_RECIPIENTS: per-recipient work (pages read, texts queued, assignments
    written) scaled by recipients, per-step work (the campaign, run and shop reads, the progress and cursor
    writes, the cursor's receive and delete, the invocation) by the steps `shape` says the real fan-out makes."""
    scale = PROJECTED_RECIPIENTS / max(1, texts)
    steps_run = max(1, len(run.steps))
    per_step = shape["steps"] / steps_run
    wru = gsi = rru = sqs = 0.0
    for (comp, actor, op), s in meter.calls.items():
        if comp != "fan-out":
            continue
        if actor.startswith("operator"):  # once per campaign, but its audience count reads every member
            rru += s.rru * (scale if op == "dynamodb.Query" else 1)
            wru, gsi = wru + s.wru, gsi + s.gsi_wru
            sqs += s.sqs_requests
        elif op in ("dynamodb.Query", "sqs.SendMessageBatch", "dynamodb.BatchWriteItem"):
            wru, gsi, rru, sqs = (
                wru + s.wru * scale,
                gsi + s.gsi_wru * scale,
                rru + s.rru * scale,
                sqs + s.sqs_requests * scale,
            )
        else:
            wru, gsi, rru, sqs = (
                wru + s.wru * per_step,
                gsi + s.gsi_wru * per_step,
                rru + s.rru * per_step,
                sqs + s.sqs_requests * per_step,
            )
    # A step's time grows with the texts it releases; with the few steps of this run it cannot be split into
    # a per-step and a per-text part, so all of it is taken as per text (an upper bound at 5,000 per step).
    step_ms = [ms for ms, _ in run.steps] or [0.0]
    per_text_ms = sum(step_ms) / max(1, texts)
    total_ms = per_text_ms * PROJECTED_RECIPIENTS
    from smsflows import topology

    gb_s = total_ms / 1000 * topology.function("release_campaign").memory_mb / 1024
    logged = METER.bytes.get("release_campaign", 0) / steps_run * shape["steps"]
    comp = Component("fan-out")
    comp.rows["Lambda requests"] = shape["steps"] * PRICE["lambda_request"]
    comp.rows["Lambda duration (arm64)"] = gb_s * PRICE["lambda_gb_s_arm"]
    comp.rows["DynamoDB writes"] = wru * PRICE["ddb_wru"]
    comp.rows["DynamoDB GSI writes"] = gsi * PRICE["ddb_wru"]
    comp.rows["DynamoDB reads"] = rru * PRICE["ddb_rru"]
    comp.rows["SQS requests"] = sqs * PRICE["sqs_request"]
    comp.rows["X-Ray traces * (assumed 5 %)"] = XRAY_SAMPLED * shape["steps"] * PRICE["xray_trace"]
    comp.rows["CloudWatch Logs (handlers, measured)"] = logged / 2**30 * PRICE["logs_gb"]
    comp.rows["CloudWatch Logs (platform + access, built)"] = (
        shape["steps"] * platform_log_bytes("release_campaign") / 2**30 * PRICE["logs_gb"]
    )
    comp.notes["model"] = (f"{shape['steps']:,} steps, {shape['queries']:,} pages, {shape['send_batches']:,} send "
                           f"batches, {shape['assignment_batches']:,} assignment batches; {per_text_ms:.2f} ms of "
                           f"release_campaign per text")  # fmt: skip
    return comp


def emf_metric_names() -> set[str]:
    names: set[str] = set()
    for lines in METER.lines.values():
        for line in lines:
            if '"_aws"' not in line:
                continue
            try:
                blob = json.loads(line)
            except ValueError:
                continue
            for directive in blob.get("_aws", {}).get("CloudWatchMetrics", []):
                names.update(m["Name"] for m in directive.get("Metrics", []))
    return names


def outcomes(function: str) -> Counter[str]:
    """The sender's outcomes from its log lines ("message sent", "message deferred" ...)."""
    found: Counter[str] = Counter()
    for line in METER.lines.get(function, []):
        if '"message ' not in line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        message = str(record.get("message", ""))
        if message.startswith("message "):
            found[message.removeprefix("message ")] += 1
    return found


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    from smsflows.domain.sending.encoding import segment_info
    from smsflows.local.inprocess import InProcessCloud
    from smsflows.runtime import deps as deps_module

    meter, inv = Meter(), Invocations()
    started = time.perf_counter()
    with InProcessCloud(SHOPIFY_SECRET, TWILIO_TOKEN, prefix="cost") as cloud:
        # The local cloud turns the shop-config and campaign-state caches off (its functions share one
        # process); a container in AWS keeps them for their default times (60 s, 5 s): back to those.
        for name in ("SMSFLOWS_SHOP_CONFIG_CACHE_S", "SMSFLOWS_CAMPAIGN_STATE_CACHE_S"):
            os.environ.pop(name, None)
        meter.register(deps_module._session())  # a client copies the session's hooks when it is made:
        deps_module.reset()  # the clients are made again, with them
        cloud.twilio.send_status_callbacks = False  # posted below, signed, through the handler
        meter.table = MotoTable(cloud.res.env["TABLE_NAME"])
        for name in (
            "release_campaign",
            "send_message",
            "twilio_status",
            "shopify_webhook",
            "process_shop_event",
        ):
            cloud.lambdas.module(name)  # INIT (imports) outside the timed invocations
        # Paced at 10DLC "low" (12 segments/s, 11.5 paced) for the measured run: under moto every AWS call
        # costs this process milliseconds of CPU, so at the demo shop's provisioned 115/s the harness falls
        # behind, the pacing bucket is idle at every text and each claim books its own slot (2 more items in
        # its transaction): the emulator's cost, not production's (bench_api_calls.py does the same).
        shops = deps_module.get_deps().shop_configs
        provisioned = shops.get(SHOP)
        from smsflows.domain.registration import Throughput

        shops.put(
            provisioned.model_copy(update={"throughput": Throughput(sender_type="10dlc", trust_tier="low")})
        )
        deps_module.reset()
        config = deps_module.get_deps().shop_configs.get(SHOP)
        _, run = run_campaign(cloud, meter, inv, n)
        outbox = [m for m in cloud.twilio.outbox() if m["body"].startswith("Demo Shop: 20% off")]
        posted = status_callbacks(cloud, meter, inv, outbox)
        orders = max(1, round(len(outbox) * ORDERS_PER_TEXT))
        order_bytes, order_gzip = order_webhooks(cloud, meter, inv, orders)
        meter.component = None
        shape_n = 100_000
        shape = {
            k: v * PROJECTED_RECIPIENTS // shape_n for k, v in fanout_shape(provisioned, shape_n).items()
        }
    measured_s = time.perf_counter() - started
    texts = len(outbox)
    segments = sum(m["segments"] for m in outbox)
    ours = sum(segment_info(m["body"]).segments for m in outbox)
    sends = outcomes("send_message")
    rereads = sum(c - 1 for c in run.received_ids.values() if c > 1)

    say(
        f"Campaign cost, measured in-process (moto + the real handlers + the fake Twilio) in {measured_s:.0f} s"
    )
    say(f"  {n} subscribers imported; 1 campaign, copy {len(TEXT)} chars: {texts} texts sent, {segments} segments "
        f"(Twilio's count; the project's counter: {ours}); sender {config.throughput.sender_type} "
        f"{config.throughput.trust_tier}, paced to {config.throughput.rate:g} segments/s")  # fmt: skip
    say(f"  fan-out: {len(run.steps)} step(s), texts released per step {[r for _, r in run.steps]}; send_message: "
        f"{len(run.batches)} invocations, {texts / max(1, len(run.batches)):.1f} texts each (as the harness found "
        f"them visible; a mapping's batches may be smaller); sender outcomes {dict(sends)}")  # fmt: skip
    say(f"  deferrals: {sends.get('deferred', 0)}; texts received more than once: {rereads}; status callbacks: "
        f"{posted}; orders/create webhooks: {orders} (body {order_bytes:,} B, {order_gzip:,} B gzipped)")  # fmt: skip
    say(f"  wall time of the campaign drive: {run.wall_s:.1f} s; hook overhead inside the timings: "
        f"{meter.hook_s * 1000 / max(1, sum(inv.count.values())):.2f} ms/invocation; harness empty polls "
        f"(not billed): {meter.empty_receives}")  # fmt: skip

    per = {"fan-out": texts, "send path": texts, "status callbacks": texts, "ingress": orders}
    say()
    say("AWS calls, per text (ingress: per webhook), measured")
    say(f"  {'component':<17}{'actor':<38}{'call':<34}{'calls':>7}{'req B':>8}{'resp B':>8}{'WRU':>7}{'GSI WRU':>8}"
        f"{'RRU':>7}{'SQS req':>8}")  # fmt: skip
    for (comp, actor, op), s in sorted(meter.calls.items()):
        unit = per[comp]
        say(f"  {comp:<17}{actor[:37]:<38}{op:<34}{s.calls / unit:>7.3f}{s.req_bytes / s.calls:>8.0f}"
            f"{s.resp_bytes / s.calls:>8.0f}{s.wru / unit:>7.3f}{s.gsi_wru / unit:>8.3f}{s.rru / unit:>7.3f}"
            f"{s.sqs_requests / unit:>8.3f}")  # fmt: skip

    say()
    say("DynamoDB items per call, by kind (pk prefix), all components")
    for (op, how), kinds in sorted(meter.kinds.items()):
        say(f"  {how:<6}{op:<34}" + ", ".join(f"{k} {c}" for k, c in kinds.most_common()))
    checks = sum(s.check_wru for s in meter.calls.values())
    say(f"  (of the transactions' WRU, {checks:.0f} are ConditionCheck items, counted as transactional writes of the "
        f"checked item's size)")  # fmt: skip
    say()
    say("DynamoDB items written (kind = pk prefix): writes, mean size after the write; GSI entries written")
    for kind, sizes in sorted(meter.item_bytes.items(), key=lambda kv: -len(kv[1])):
        gsis = (
            ", ".join(f"{idx} {c}" for (idx, k), c in sorted(meter.gsi_writes.items()) if k == kind) or "none"
        )
        say(f"  {kind:<14} {len(sizes):>6} writes  mean {sum(sizes) / len(sizes):>6.0f} B  max {max(sizes):>6} B"
            f"   GSI writes: {gsis}")  # fmt: skip

    def projects(index: Index) -> str:
        if index.projected is None:
            return "ALL"
        return f"{len(index.projected)} attributes" if index.projected else "keys only"

    projections = "; ".join(
        f"{i.name}: keys {'+'.join(i.keys)}, projects {projects(i)}"
        for i in (meter.table.indexes if meter.table else [])
    )
    say(f"  indexes (moto's table, as provisioned): {projections}")

    from smsflows import topology

    say()
    say("Handlers, measured (durations include moto answering in this process)")
    for name in inv.count:
        ms = sorted(inv.ms[name])
        mem = topology.function(name).memory_mb
        logged = METER.bytes.get(name, 0)
        say(f"  {name:<20} {inv.count[name]:>5} invocations  {inv.records[name] / inv.count[name]:>5.1f} records each  "
            f"median {ms[len(ms) // 2]:>7.1f} ms  p90 {ms[int(len(ms) * 0.9)]:>7.1f} ms  {mem} MB  "
            f"{lambda_gb_s(name, inv.ms[name]):>7.2f} GB-s  logs {logged / inv.count[name]:>6.0f} B/invocation")  # fmt: skip

    comps = [
        price_component("fan-out", meter, inv, ["release_campaign"], 0),
        price_component("send path", meter, inv, ["send_message"], 0),
        price_component("status callbacks", meter, inv, ["twilio_status"], posted, "/sms/status"),
        price_component(
            "ingress", meter, inv, ["shopify_webhook", "process_shop_event"], orders, "/webhooks/shopify"
        ),
    ]
    projected = project_fanout(meter, inv, run, texts, shape)
    per_1k = {"fan-out": 1000 / texts, "send path": 1000 / texts, "status callbacks": 1000 / texts,
              "ingress": 1000 * ORDERS_PER_TEXT / orders}  # fmt: skip
    per_1m = {"send path": PROJECTED_RECIPIENTS / texts, "status callbacks": PROJECTED_RECIPIENTS / texts,
              "ingress": PROJECTED_RECIPIENTS * ORDERS_PER_TEXT / orders}  # fmt: skip
    say()
    say(f"Variable AWS cost by component ({NOT_IN_RULES})")
    say(f"  {'component / item':<46}{'measured':>30}{'$ / 1,000 texts':>17}{'$ / 1M recipients':>19}")
    totals_1k = {}
    totals_1m = {}
    for comp in comps:
        say(f"  {comp.name}")
        for label, dollars in comp.rows.items():
            m = projected.rows.get(label, 0.0) if comp.name == "fan-out" else dollars * per_1m[comp.name]
            say(
                f"    {label:<44}{comp.notes.get(label, ''):>30}{dollars * per_1k[comp.name]:>17.6f}{m:>19.4f}"
            )
        totals_1k[comp.name] = comp.total * per_1k[comp.name]
        totals_1m[comp.name] = projected.total if comp.name == "fan-out" else comp.total * per_1m[comp.name]
        say(f"    {'= ' + comp.name:<44}{'':>30}{totals_1k[comp.name]:>17.6f}{totals_1m[comp.name]:>19.4f}")
    say(f"  fan-out at 1M recipients: {projected.notes['model']} (the real fanout.step over {shape_n:,} synthetic "
        f"members at the demo shop's provisioned {provisioned.throughput.sender_type} "
        f"{provisioned.throughput.trust_tier} throughput, {provisioned.throughput.rate:g}/s, scaled "
        f"x{PROJECTED_RECIPIENTS // shape_n})")  # fmt: skip

    fixed, fixed_note = fixed_costs(emf_metric_names())
    monthly = sum(d for _, _, d in fixed)
    say()
    say(f"Fixed monthly cost, counted from `cdk synth -c stage=prod` ({NOT_IN_RULES})")
    say(
        f"  {'item':<34}{'counted':<48}{'$ / month':>13}"
        + "".join(f"{f'/1k @ {v // 1000:,}k/mo':>14}" for v in MONTHLY_VOLUMES)
    )
    for label, how, dollars in fixed:
        cells = "".join(f"{dollars / v * 1000:>14.4f}" for v in MONTHLY_VOLUMES)
        say(f"  {label:<34}{how:<48}{dollars:>13.2f}{cells}")
    say(
        f"  {'= fixed':<34}{'':<48}{monthly:>13.2f}{''.join(f'{monthly / v * 1000:>14.4f}' for v in MONTHLY_VOLUMES)}"
    )
    say(f"  (/1k @ V/mo: $ per 1,000 texts when V texts are sent a month; {fixed_note})")

    variable_1k = sum(totals_1k.values())
    variable_1m = sum(totals_1m.values())
    seg_per_text = segments / texts
    low = seg_per_text * (PRICE["twilio_segment"] + PRICE["carrier_low"])
    high = seg_per_text * (PRICE["twilio_segment"] + PRICE["carrier_high"])
    say()
    say("Per 1,000 texts and per 1,000,000 recipients")
    say(f"  {'':<52}{'$ / 1,000 texts':>17}{'$ / 1M recipients':>19}")
    say(
        f"  {'AWS variable (fan-out + send + callbacks + ingress)':<52}{variable_1k:>17.4f}{variable_1m:>19.2f}"
    )
    for v in MONTHLY_VOLUMES:
        say(f"  {f'AWS fixed, amortised over {v:,} texts/month':<52}{monthly / v * 1000:>17.4f}"
            f"{monthly / v * PROJECTED_RECIPIENTS:>19.2f}")  # fmt: skip
    say(
        f"  {'Twilio: segments x ($0.0083 + carrier $0.0030)':<52}{low * 1000:>17.2f}{low * PROJECTED_RECIPIENTS:>19.2f}"
    )
    say(
        f"  {'Twilio: segments x ($0.0083 + carrier $0.0045)':<52}{high * 1000:>17.2f}{high * PROJECTED_RECIPIENTS:>19.2f}"
    )
    say()
    say("AWS / provider (against the cheaper carrier fee, so the higher share; goal <= 0.2 %)")
    say(f"  variable only:                         {variable_1k / (low * 1000) * 100:.4f} %  "
        f"(per 1M recipients {variable_1m / (low * PROJECTED_RECIPIENTS) * 100:.4f} %)")  # fmt: skip
    for v in MONTHLY_VOLUMES:
        share = (variable_1k + monthly / v * 1000) / (low * 1000) * 100
        say(f"  variable + fixed at {v:>9,} texts/mo:  {share:.4f} %")
    biggest = sorted(
        ((d * per_1k[c.name], f"{c.name}: {label}") for c in comps for label, d in c.rows.items()),
        reverse=True,
    )
    say(
        "  largest variable items per 1,000 texts: "
        + "; ".join(f"{name} ${d:.5f}" for d, name in biggest[:4])
    )


if __name__ == "__main__":
    main()
