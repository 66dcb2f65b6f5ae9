"""The daily job at scale: 100 shops x 10,000 profiles (1,000,000 profiles) in DynamoDB under moto,
in-process, against the old single-invocation loop on the same data, in the same run.

What runs: the table, queues and state machines `smsflows.local.provision` creates, under moto. Profiles
are seeded with BatchWriteItem (25 per request), shaped as the shop-data adapter writes them: last orders
spread over the past year, birthdays over the year (so ~1/365 of them are win-back candidates and ~1/365
have their birthday on the run's day). The job is the real process_shop_event handler (powertools' batch
processor, the composition root's adapters) invoked as the event source mapping would: up to 10 messages
received from the shop-events queue per invocation, until the queue is empty. It prints the messages fanned
out, the pages, the DynamoDB calls per page, the slowest invocation and message, and the total.

Baseline (`old_daily` below, labelled OLD): the loop the fan-out replaced, reimplemented here because it is
gone: `shops.all()` as a filtered Scan of the whole table, twice, and every shop's profiles read twice
(win-back, then birthdays: a by_shop Query and BatchGetItem of 100), all in one invocation. It runs on the
same data with the same adapters; Step Functions executions and the send queue are emptied between the two.

Emulator notes (what the figures are not):
- moto answers a Query by reading and sorting the whole table (its `all_items`), so a page of one shop
  would cost ~15 s here at 1,000,000 items; DynamoDB reads only the partition. The bench restricts moto's
  Query to the partition asked for (the by_shop items of that shop, grouped once after seeding; the job
  writes none: its page marks have no `shop`, which the bench checks), and lets moto's Scan start at its
  ExclusiveStartKey instead of walking the table up to it. Both still return what moto returns. The
  figure of one unpatched by_shop Query is printed, for scale.
- The emulated table is ~1,000,000 items of Python objects in this process (a Lambda holds none of it),
  and moto keeps every model instance it makes (its reset tracker, `instances_tracked`): for DynamoDB
  every Item, the copies each read returns included, two per profile read. Left alone, memory grows by
  gigabytes and the garbage collector stalls a message for 10-20 s at a time (two earlier runs: slowest
  message 20.6 s and 10.8 s, median 0.64 s). So the seeded items are frozen out of the collector
  (`gc.freeze()`) and moto's DynamoDB trackers are emptied, as its own reset does, between invocations
  (not timed) and between the baseline's shops (microseconds). The longest collection is printed.
- Times are moto's in-process emulation of every call (~0.5 ms per item read by BatchGetItem here), an
  upper bound of nothing in particular: AWS's round trips are ~5-20 ms each, the counted calls are exact.
- Step Functions under moto starts executions but does not run them (flow_step is not measured); the
  birthday texts are queued, not sent.
- Both read the whole table with the old Scan, in 1 MB pages before its filter, as DynamoDB does.

Scale: DAILY_BENCH_SHOPS and DAILY_BENCH_PROFILES (per shop) change it; DAILY_BENCH_SEED_BUDGET_S (default
900) bounds the seeding: if the first shop's rate says the whole would not fit, the profiles per shop are
cut to fit (printed) and the per-page figures are extrapolated to the full size. DAILY_BENCH_BASELINE_BUDGET_S
(default 3000) bounds the baseline the same way: if the measured first shops say the whole loop would not
fit, it stops and the rest is extrapolated from the measured per-shop time (printed as such).
"""

from __future__ import annotations

import os

os.environ.update(POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true", TZ="UTC")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import bisect
import gc
import json
import random
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

REGION = "us-east-1"
SHOPS = int(os.environ.get("DAILY_BENCH_SHOPS", "100"))
PROFILES = int(os.environ.get("DAILY_BENCH_PROFILES", "10000"))
SEED_BUDGET_S = float(os.environ.get("DAILY_BENCH_SEED_BUDGET_S", "900"))
BASELINE_BUDGET_S = float(os.environ.get("DAILY_BENCH_BASELINE_BUDGET_S", "3000"))
RUN_AT = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # the schedule's time (cron(0 15 * * ? *))
TIMEOUT_S = 30  # process_shop_event's timeout (topology)


def shop_name(n: int) -> str:
    return f"bench-{n:03d}.myshopify.com"


# The emulator's partitions -------------------------------------------------------------------------


class Partitions:
    """Make moto's Query read the partition it is asked for, and its Scan start at its start key, as
    DynamoDB does (see the module docstring). `group_by_shop()` after seeding; `check()` after a run."""

    def __init__(self) -> None:
        from moto.dynamodb.models.table import Table

        self.table_cls = Table
        self.real_query, self.real_scan = Table.query, Table.scan
        self.by_shop: dict[Any, list[Any]] = {}
        self.sorted_items: list[Any] | None = None  # the table in key order, for Scans (frozen tables only)
        self.grouped = 0
        self.enabled = True
        partitions = self

        def query(table: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
            index = args[6] if len(args) > 6 else kwargs.get("index_name")
            conditions = kwargs.get("hash_key_conditions") or []
            if not partitions.enabled:
                return partitions.real_query(table, hash_key, *args, **kwargs)
            if index is None and hash_key is not None:
                candidates = list(table.items.get(hash_key, {}).values())
            elif index == "by_shop" and len(conditions) == 1 and conditions[0][0] == "shop":
                candidates = partitions.by_shop.get(conditions[0][1], [])
            else:
                return partitions.real_query(table, hash_key, *args, **kwargs)
            table.all_items = lambda: candidates  # an instance attribute: moto's query reads it
            try:
                return partitions.real_query(table, hash_key, *args, **kwargs)
            finally:
                del table.all_items

        def scan(
            table: Any, filters: Any, limit: Any, exclusive_start_key: Any, *args: Any, **kwargs: Any
        ) -> Any:
            index = args[1] if len(args) > 1 else kwargs.get("index_name")
            items = partitions.sorted_items
            if not partitions.enabled or items is None or index is not None:
                return partitions.real_scan(table, filters, limit, exclusive_start_key, *args, **kwargs)
            start = 0
            if exclusive_start_key:
                from moto.dynamodb.models.dynamo_type import DynamoType

                key = (DynamoType(exclusive_start_key["pk"]), DynamoType(exclusive_start_key["sk"]))
                start = bisect.bisect_right(items, key, key=lambda i: (i.hash_key, i.range_key))
            table.all_items = lambda: items[start:]
            try:
                return partitions.real_scan(table, filters, limit, exclusive_start_key, *args, **kwargs)
            finally:
                del table.all_items

        Table.query, Table.scan = query, scan  # type: ignore[method-assign]

    def _table(self) -> Any:
        from moto.dynamodb.models import dynamodb_backends

        [table] = dynamodb_backends["123456789012"][REGION].tables.values()
        return table

    def group_by_shop(self) -> None:
        self.by_shop = {}
        for item in self._table().all_items():
            shop = item.attrs.get("shop")
            if shop is not None:
                self.by_shop.setdefault(shop, []).append(item)
        self.grouped = sum(len(v) for v in self.by_shop.values())

    def check(self) -> None:
        """The grouping is still the table's: no item with a `shop` was written or removed since."""
        now = sum(1 for i in self._table().all_items() if "shop" in i.attrs)
        assert now == self.grouped, f"by_shop items changed during the run: {self.grouped} -> {now}"

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """A run that writes nothing to the table: Scans may use one sorted copy of it."""
        table = self._table()
        count = sum(len(v) for v in table.items.values())
        self.sorted_items = table.all_items()
        try:
            yield
        finally:
            self.sorted_items = None
            assert sum(len(v) for v in table.items.values()) == count, "the table changed under a frozen run"

    def table_bytes(self) -> int:
        return sum(i.size() for i in self._table().all_items())


# Calls and collections -----------------------------------------------------------------------------
def forget_moto_items() -> None:
    """Empty moto's DynamoDB instance trackers (what its reset does): the Items a read copied go."""
    from moto.core.base_backend import model_data

    for model in model_data["dynamodb"].values():
        model.instances_tracked = []


class GcPauses:
    """The longest garbage collection (any generation) while it is installed."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.count = 0
        self._t = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t = time.perf_counter()
        else:
            self.longest = max(self.longest, time.perf_counter() - self._t)
            self.count += 1


class Calls:
    """Every AWS call of every client of the composition root's session (botocore before-call)."""

    def __init__(self, session: Any) -> None:
        self.counts: Counter[str] = Counter()
        session.events.register("before-call", self)

    def __call__(self, event_name: str, **_: object) -> None:
        _, service, operation = event_name.split(".", 2)
        self.counts[f"{service}.{operation}"] += 1

    def take(self) -> Counter[str]:
        out, self.counts = self.counts, Counter()
        return out


# Seeding ---------------------------------------------------------------------------------------------


def profile_items(shop: str, start: int, stop: int) -> Iterator[dict[str, Any]]:
    """Profiles start..stop-1 of the shop, each the same in every run."""
    from smsflows.adapters._dynamo import to_item
    from smsflows.domain import keys

    year = date(2026, 1, 1)
    for i in range(start, stop):
        rng = random.Random(f"{shop}#{i}")
        customer_id = f"{7_000_000_000_000 + i}"
        phone = f"+1512{rng.randrange(10**7):07d}"
        last = RUN_AT - timedelta(seconds=rng.uniform(0, 365 * 86400))
        item = {
            **keys.profile(shop, f"customer:{customer_id}"), "type": "profile", "shop": shop,
            "customer_key": f"customer:{customer_id}", "customer_id": customer_id, "phone": phone,
            "phone_status": "usable", "first_name": "Ada", "country_code": "US",
            "last_order_at": last.isoformat(), "updated_at": last.isoformat(),
            "birthday": f"{year + timedelta(days=rng.randrange(365)):%m-%d}",
            "gsi1pk": keys.customer_subject(shop, customer_id),
        }  # fmt: skip
        yield to_item(item)


def seed(ddb: Any, table: str, shop: str, start: int, stop: int) -> None:
    """BatchWriteItem, 25 per request."""
    batch: list[dict[str, Any]] = []
    for item in profile_items(shop, start, stop):
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == 25:
            _write(ddb, table, batch)
            batch = []
    if batch:
        _write(ddb, table, batch)


def _write(ddb: Any, table: str, batch: list[dict[str, Any]]) -> None:
    request = {table: batch}
    while request:
        request = ddb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


# The old loop (the baseline) ---------------------------------------------------------------------------


def old_all(ddb: Any, table: str) -> list[Any]:
    """OLD `DynamoShopConfigs.all()`: a filtered Scan of the whole table."""
    from smsflows.adapters._dynamo import from_item
    from smsflows.domain.shops import ShopConfig

    items, pages = [], 0
    kwargs: dict[str, Any] = {"TableName": table, "FilterExpression": "#t = :t",
                              "ExpressionAttributeNames": {"#t": "type"},
                              "ExpressionAttributeValues": {":t": {"S": "shop_config"}}}  # fmt: skip
    while True:
        out = ddb.scan(**kwargs)
        pages += 1
        items += out.get("Items", [])
        if "LastEvaluatedKey" not in out:
            break
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]
    # (the old filter matched the list-of-shops entries too, which did not exist then: skip them here)
    return [
        ShopConfig.model_validate_json((from_item(i) or {})["config"])
        for i in items
        if i["sk"]["S"] == "CONFIG"
    ]


def old_profiles(ddb: Any, table: str, shop: str) -> list[Any]:
    """OLD `DynamoShopData.profiles()`: every key from the by_shop index, then BatchGetItem of 100."""
    from smsflows.adapters._dynamo import from_item, query_all
    from smsflows.domain import keys
    from smsflows.domain.profiles import ProfileRecord

    found = query_all(ddb, TableName=table, IndexName=keys.BY_SHOP,
                      KeyConditionExpression="shop = :s AND begins_with(pk, :p)",
                      ExpressionAttributeValues={":s": {"S": shop}, ":p": {"S": "PROFILE#"}})  # fmt: skip
    out = []
    for i in range(0, len(found), 100):
        request = {table: {"Keys": [{"pk": f["pk"], "sk": f["sk"]} for f in found[i : i + 100]]}}
        while request:
            got = ddb.batch_get_item(RequestItems=request)
            for item in got["Responses"].get(table, []):
                plain = from_item(item) or {}
                out.append(
                    ProfileRecord.model_validate(
                        {k: v for k, v in plain.items() if k in ProfileRecord.model_fields}
                    )
                )
            request = got.get("UnprocessedKeys") or {}
    return out


def old_daily(ddb: Any, table: str, deps: Any, now: datetime, budget_s: float) -> dict[str, Any]:
    """OLD `_daily`: win-back for every active shop, then birthdays for every active shop, one invocation.
    Stops early (to extrapolate) when the shops measured so far say the whole would not fit `budget_s`."""
    from smsflows.domain.flows import definitions, steps
    from smsflows.domain.shopify.events import stable_phone

    flow_deps = deps.flow_deps
    started_at = time.perf_counter()
    started = birthdays = shops = 0
    done = {"winback": 0, "birthday": 0}
    seconds = {"scan": 0.0, "winback": 0.0, "birthday": 0.0}
    for phase in ("winback", "birthday"):
        t0 = time.perf_counter()
        configs = [c for c in old_all(ddb, table) if c.active]  # the old code listed the shops in each loop
        seconds["scan"] += time.perf_counter() - t0
        shops = len(configs)
        t1 = time.perf_counter()
        for config in configs:
            for profile in old_profiles(ddb, table, config.shop):
                if phase == "winback":
                    last = profile.last_order_at
                    if (not profile.phone or last is None
                            or not (now - timedelta(days=31) < last <= now - timedelta(days=30))):  # fmt: skip
                        continue
                    context = {"phone": profile.phone, "customer_key": profile.customer_key,
                               "first_name": profile.first_name}  # fmt: skip
                    subject = f"{stable_phone(profile.phone)}-{last:%Y%m%d}"
                    if steps.start(definitions.WINBACK, config.shop, subject, context, flow_deps):
                        started += 1
                elif profile.phone and profile.birthday == now.strftime("%m-%d"):
                    birthdays += steps.send_direct(
                        definitions.BIRTHDAY, config.shop, profile.phone,
                        f"birthday:{config.shop}:{stable_phone(profile.phone)}:{now:%Y}",
                        {"first_name": profile.first_name}, flow_deps,
                    )  # fmt: skip
            done[phase] += 1
            forget_moto_items()
            per_shop = (time.perf_counter() - t1) / done[phase]
            left = (shops - done[phase] + (shops if phase == "winback" else 0)) * per_shop
            if time.perf_counter() - started_at + left > budget_s:
                break
        seconds[phase] = time.perf_counter() - t1
    whole = done["winback"] == shops and done["birthday"] == shops
    estimate = seconds["scan"] + sum(seconds[p] / max(1, done[p]) * shops for p in ("winback", "birthday"))
    wall = time.perf_counter() - started_at
    return {"started": started, "birthdays": birthdays, "shops": shops, "done": done, "whole": whole,
            "wall_s": wall if whole else estimate, "measured_s": wall, "scan_s": seconds["scan"]}  # fmt: skip


# The job -----------------------------------------------------------------------------------------------


def reset_flows_and_texts(res: Any, sqs: Any) -> None:
    """Forget the executions moto started and the texts queued, so the next run starts them anew."""
    from moto.stepfunctions.models import stepfunctions_backends

    for machine in stepfunctions_backends["123456789012"][REGION].state_machines:
        machine.executions.clear()
    for key in ("send_queue", "transactional_queue"):
        url = res.queue_urls[key]
        while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                            for i, m in enumerate(got)])  # fmt: skip


def queued_texts(res: Any, sqs: Any) -> int:
    total = 0
    for key in ("send_queue", "transactional_queue"):
        attrs = sqs.get_queue_attributes(
            QueueUrl=res.queue_urls[key], AttributeNames=["ApproximateNumberOfMessages"]
        )
        total += int(attrs["Attributes"]["ApproximateNumberOfMessages"])
    return total


def executions() -> int:
    from moto.stepfunctions.models import stepfunctions_backends

    return sum(len(m.executions) for m in stepfunctions_backends["123456789012"][REGION].state_machines)


def run_fan_out(res: Any, sqs: Any, calls: Calls) -> dict[str, Any]:
    """The daily event, then every message on the shop-events queue, 10 per invocation, until it is empty."""
    from smsflows.local.lambda_runtime import LocalLambdas
    from smsflows.local.pollers import sqs_event

    url = res.queue_urls["shop_events_queue"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lambdas = LocalLambdas()
    module = lambdas.module("process_shop_event")
    real = module.process_shop_event
    per_message: list[tuple[float, str, str, Counter[str]]] = []  # (seconds, topic, detail, calls)

    def timed(envelope: Any, deps: Any) -> Any:
        calls.take()
        t0 = time.perf_counter()
        outcome = real(envelope, deps)
        per_message.append((time.perf_counter() - t0, envelope.topic, outcome.detail, calls.take()))
        return outcome

    module.process_shop_event = timed
    daily = {"shop": "*", "topic": "smsflows/daily", "webhook_id": f"daily-{RUN_AT:%Y-%m-%dT%H:%M:%SZ}",
             "received_at": RUN_AT.isoformat(), "body": "{}"}  # fmt: skip
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(daily))
    invocations: list[tuple[float, int]] = []
    started = time.perf_counter()
    try:
        while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
            "Messages", []
        ):
            forget_moto_items()
            t0 = time.perf_counter()
            result = lambdas.invoke("process_shop_event", sqs_event(got, arn, REGION))
            invocations.append((time.perf_counter() - t0, len(got)))
            assert result == {"batchItemFailures": []}, module.processor.exceptions
            sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                            for i, m in enumerate(got)])  # fmt: skip
    finally:
        module.process_shop_event = real
    return {"wall_s": time.perf_counter() - started, "messages": per_message, "invocations": invocations}


def main() -> None:
    import boto3
    from moto import mock_aws

    from smsflows.domain.shopify import events
    from smsflows.domain.shopify.shop_settings import onboard
    from smsflows.local.provision import provision
    from smsflows.runtime import deps as deps_module

    partitions = Partitions()
    with mock_aws():
        os.environ.pop("SMSFLOWS_AWS_ENDPOINT_URL", None)
        res = provision(lambda s: boto3.client(s, region_name=REGION), prefix="daily", shopify_secret="s",
                        twilio_token="t")  # fmt: skip
        os.environ.update(res.env)
        deps_module.reset()
        calls = Calls(deps_module._session())
        deps = deps_module.get_deps()
        ddb, sqs, table = deps.client("dynamodb"), deps.client("sqs"), deps.settings.table_name
        configs = deps.shop_configs
        for config in configs.all():  # provision's demo shop: listed, but inactive (skipped at the fan-out)
            configs.put(config.model_copy(update={"status": "uninstalled"}))
        shops = [shop_name(n) for n in range(SHOPS)]
        for n, shop in enumerate(shops):  # onboarded as `smsflows shop add` does: only those get daily texts
            configs.put(onboard(shop, {"brand_name": f"Shop {shop[6:9]}", "support_contact": "help@bench.example",
                                       "terms_url": "https://bench.example/terms",
                                       "privacy_url": "https://bench.example/privacy",
                                       "senders": (f"MG{n:032x}",), "throughput": {"sender_type": "10dlc"}}))  # fmt: skip

        # Seed: the first 5,000 profiles tell the rate; fewer per shop if the whole would not fit the budget.
        t0 = time.perf_counter()
        probe = min(PROFILES, 5000)
        seed(ddb, table, shops[0], 0, probe)
        rate = probe / (time.perf_counter() - t0)
        per_shop = PROFILES
        if SHOPS * PROFILES / rate > SEED_BUDGET_S:
            per_shop = max(probe, int(SEED_BUDGET_S * rate / SHOPS) // 1000 * 1000)
            print(f"seeding {SHOPS} x {PROFILES:,} would take ~{SHOPS * PROFILES / rate:,.0f} s at {rate:,.0f} "
                  f"items/s (budget {SEED_BUDGET_S:,.0f} s): scaled to {SHOPS} x {per_shop:,}")  # fmt: skip
        seed(ddb, table, shops[0], probe, per_shop)
        for shop in shops[1:]:
            seed(ddb, table, shop, 0, per_shop)
        seeded_s = time.perf_counter() - t0
        total_profiles = SHOPS * per_shop
        print(f"{SHOPS} shops x {per_shop:,} profiles = {total_profiles:,} profiles, seeded with BatchWriteItem "
              f"(25/request) in {seeded_s:,.0f} s ({total_profiles / seeded_s:,.0f} items/s)")  # fmt: skip
        partitions.group_by_shop()
        table_mb = partitions.table_bytes() / 1e6
        forget_moto_items()
        gc.collect()
        gc.freeze()  # the emulated table is not the job's memory: out of the collector's way
        pauses = GcPauses()
        print(f"table: {partitions.grouped:,} items in the by_shop index, ~{table_mb:,.0f} MB of items")

        # One by_shop Query of a page as moto answers it unpatched (for scale).
        partitions.enabled = False
        t0 = time.perf_counter()
        deps.shop_data.profiles_page(shops[0], None, events.DAILY_PAGE_SIZE)
        unpatched = time.perf_counter() - t0
        partitions.enabled = True
        t0 = time.perf_counter()
        deps.shop_data.profiles_page(shops[0], None, events.DAILY_PAGE_SIZE)
        patched = time.perf_counter() - t0
        print(f"one page ({events.DAILY_PAGE_SIZE} profiles: Query + BatchGetItem) as moto answers it: "
              f"{unpatched:.2f} s unpatched (it reads and sorts the whole table), {patched:.2f} s restricted "
              f"to the shop's partition (as DynamoDB reads it; used below)")  # fmt: skip
        calls.take()

        # The fan-out.
        print()
        print(f"NEW: fan-out, {events.DAILY_PAGE_SIZE} profiles and at most {events.DAILY_MAX_CALLS} flow starts "
              f"and texts per message, 10 messages per invocation")  # fmt: skip
        run = run_fan_out(res, sqs, calls)
        partitions.check()
        messages = run["messages"]
        fan = [m for m in messages if m[1] == "smsflows/daily"]
        pages = [m for m in messages if m[1] == events.DAILY_SHOP_TOPIC]
        page_calls: Counter[str] = sum((m[3] for m in pages), Counter())
        fan_calls = fan[0][3]
        first_pages = sum(1 for m in pages if m[2].startswith("page 1,"))
        # messages that handed the rest of their page on (the calls' cap) rather than a full page read
        splits = sum(1 for m in pages if "next page queued" in m[2]
                     and f", {events.DAILY_PAGE_SIZE} profiles, next" not in m[2])  # fmt: skip
        started, texts = executions(), queued_texts(res, sqs)
        ddb_page = {k: v / len(pages) for k, v in page_calls.items() if k.startswith("dynamodb.")}
        other_page = {k: v / len(pages) for k, v in page_calls.items() if not k.startswith("dynamodb.")}
        slowest_inv = max(run["invocations"])
        slowest_msg = max(messages, key=lambda m: m[0])
        print(f"  fan-out: 1 daily event -> {first_pages} messages (one per active shop; "
              f"{len(configs.all()) - first_pages} inactive shop skipped), "
              f"{sum(v for k, v in fan_calls.items() if k == 'sqs.SendMessageBatch')} SendMessageBatch; its calls: "
              f"{dict(sorted(fan_calls.items()))}")  # fmt: skip
        print(f"  pages: {len(pages):,} messages ({len(pages) - first_pages:,} chained), "
              f"{len(run['invocations']):,} invocations; {splits} handed on early by the calls' cap")  # fmt: skip
        print(f"  DynamoDB calls per page: {sum(ddb_page.values()):.2f} "
              f"({', '.join(f'{k[9:]} {v:.2f}' for k, v in sorted(ddb_page.items()))}; GetItem: the page's "
              "mark, and the shop's config when its 60 s cache expired, here nearly always: a shop's next "
              "page comes after the other shops' pages)")  # fmt: skip
        print(f"  other calls per page: {', '.join(f'{k} {v:.2f}' for k, v in sorted(other_page.items()))}")
        page_times = [m[0] for m in pages]
        print(f"  per message: median {statistics.median(page_times) * 1000:.0f} ms, "
              f"p99 {sorted(page_times)[int(len(page_times) * 0.99)] * 1000:.0f} ms, slowest {slowest_msg[0] * 1000:.0f} ms "
              f"({slowest_msg[1]}: {slowest_msg[2]})")  # fmt: skip
        print(
            f"  slowest invocation: {slowest_inv[0]:.2f} s ({slowest_inv[1]} messages) of the {TIMEOUT_S} s timeout"
        )
        print(f"  total: {run['wall_s']:,.0f} s for {len(run['invocations']):,} invocations, one after another "
              "(Lambda runs them concurrently)")  # fmt: skip
        print(f"  {started:,} win-back flows started, {texts:,} birthday texts queued; "
              f"longest garbage collection {pauses.longest * 1000:.0f} ms")  # fmt: skip

        # The baseline.
        reset_flows_and_texts(res, sqs)
        print()
        print(
            "OLD (baseline, reimplemented in this file): one invocation, Scan for the shops twice, every "
            "profile read twice"
        )
        with partitions.frozen():
            calls.take()
            old = old_daily(ddb, table, deps, RUN_AT, BASELINE_BUDGET_S)
            old_calls = calls.take()
        if old["whole"]:
            how = "measured"
        else:
            how = (f"extrapolated: {old['done']['winback']} + {old['done']['birthday']} of {old['shops']} shops "
                   f"measured in {old['measured_s']:,.0f} s, Scans {old['scan_s']:.0f} s")  # fmt: skip
        wall = old["wall_s"]
        scan_pages_aws = max(1, round(table_mb))  # DynamoDB pages a Scan at 1 MB read (before its filter)
        print(f"  wall time: {wall:,.0f} s ({how}), in one invocation of a {TIMEOUT_S} s function")
        print(f"  its calls: {dict(sorted(old_calls.items()))}")
        print(f"  longest garbage collection so far: {pauses.longest * 1000:.0f} ms")
        if old["whole"]:
            print(
                f"  {old['started']:,} win-back flows started, {queued_texts(res, sqs):,} birthday texts queued"
            )
        print(f"  NEW's invocations, summed: {run['wall_s'] / wall:.2f} x OLD's time (each profile read once, "
              f"not twice); NEW's slowest invocation: {slowest_inv[0] / wall:.4f} x OLD's one invocation")  # fmt: skip
        print(f"  the two Scans read the whole table: {old_calls.get('dynamodb.Scan', 0):,} Scan calls of up to "
              f"1 MB (~{2 * scan_pages_aws:,} expected for ~{table_mb:,.0f} MB), {old['scan_s']:.0f} s here")  # fmt: skip
        if per_shop != PROFILES:
            print(f"  at {PROFILES:,} profiles per shop: x{PROFILES / per_shop:g} pages and time")
        deps_module.reset()


if __name__ == "__main__":
    main()
