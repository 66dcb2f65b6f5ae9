"""The DynamoDB and SQS adapters behind the daily job, under moto: the list of shops (written with every
config put, read with Query, backfilled once by `reindex`), profiles read a page at a time with Query, and
messages sent ten per SendMessageBatch. What the contracts (tests/contracts) cannot see: which API calls
are made."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from smsflows.adapters.queues import SqsQueue
from smsflows.adapters.shop_configs import DynamoShopConfigs, reindex
from smsflows.adapters.shop_data import DynamoShopData
from smsflows.domain import keys
from smsflows.domain.shops import ShopConfig
from smsflows.runtime.errors import TransientError
from tests.contracts.conftest import NOW, SHOP, TABLE, peek


class Calls:
    """The operations a client makes, with their API parameters (botocore's before-parameter-build)."""

    def __init__(self, client: Any) -> None:
        self.made: list[tuple[str, dict[str, Any]]] = []
        client.meta.events.register("before-parameter-build.dynamodb", self._hook)

    def _hook(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.made.append((model.name, dict(params)))

    def names(self) -> Counter[str]:
        return Counter(name for name, _ in self.made)

    def clear(self) -> None:
        self.made.clear()


def legacy_put(ddb: Any, config: ShopConfig) -> None:
    """A config as the code before the list of shops wrote it: the config item only."""
    item = {**keys.shop_config(config.shop), "type": "shop_config", "shop": config.shop,
            "config": config.model_dump_json()}  # fmt: skip
    ddb.put_item(TableName=TABLE, Item={k: {"S": v} for k, v in item.items()})


# The list of shops -------------------------------------------------------------------------------------


def test_a_put_writes_the_shops_entry_in_the_same_transaction(dynamodb):
    configs, calls = DynamoShopConfigs(dynamodb, TABLE), Calls(dynamodb)
    configs.put(ShopConfig(shop=SHOP, brand_name="Demo"))
    assert calls.names()["TransactWriteItems"] == 1
    [(_, params)] = [c for c in calls.made if c[0] == "TransactWriteItems"]
    written = [t["Put"]["Item"]["pk"]["S"] for t in params["TransactItems"]]
    assert written == [keys.shop_config(SHOP)["pk"], "SHOPS"]
    entry = peek(dynamodb, keys.shop_list(SHOP))
    assert entry is not None and json.loads(entry["config"])["brand_name"] == "Demo"
    assert "shop" not in entry  # out of the by_shop index: a shop's privacy requests never see it
    by_shop = dynamodb.query(TableName=TABLE, IndexName=keys.BY_SHOP, KeyConditionExpression="shop = :s",
                             ExpressionAttributeValues={":s": {"S": SHOP}})["Items"]  # fmt: skip
    assert [i["pk"]["S"] for i in by_shop] == [keys.shop_config(SHOP)["pk"]]


def test_all_queries_the_list_page_by_page_and_never_scans(dynamodb, monkeypatch):
    configs = DynamoShopConfigs(dynamodb, TABLE)
    shops = [f"shop-{n:02d}.myshopify.com" for n in range(7)]
    for shop in shops:
        configs.put(ShopConfig(shop=shop))
    real_query = dynamodb.query
    monkeypatch.setattr(dynamodb, "query", lambda **kw: real_query(**{**kw, "Limit": 3}))  # small pages
    calls = Calls(dynamodb)
    assert [c.shop for c in configs.all()] == shops
    assert calls.names() == Counter({"Query": 3})
    assert all(p["KeyConditionExpression"] == "pk = :p" and p["ConsistentRead"] for _, p in calls.made)


def test_reindex_backfills_configs_written_before_the_list_and_is_idempotent(dynamodb):
    configs = DynamoShopConfigs(dynamodb, TABLE)
    old = [ShopConfig(shop=f"old-{n}.myshopify.com", brand_name=f"Old {n}") for n in range(3)]
    for config in old:
        legacy_put(dynamodb, config)
    configs.put(ShopConfig(shop="new.myshopify.com"))
    assert [c.shop for c in configs.all()] == ["new.myshopify.com"]  # the old ones are missing
    assert reindex(dynamodb, TABLE) == {"configs": 4, "added": 3, "updated": 0, "unchanged": 1,
                                        "changed_meanwhile": 0}  # fmt: skip
    assert sorted(c.shop for c in configs.all()) == sorted([*(c.shop for c in old), "new.myshopify.com"])
    assert {c.shop: c for c in configs.all()}[old[0].shop] == old[0]
    assert reindex(dynamodb, TABLE)["unchanged"] == 4


def test_reindex_repairs_a_stale_entry_but_never_overwrites_a_config_put_meanwhile(dynamodb):
    configs = DynamoShopConfigs(dynamodb, TABLE)
    configs.put(ShopConfig(shop="a.myshopify.com", brand_name="A1"))
    legacy_put(dynamodb, ShopConfig(shop="a.myshopify.com", brand_name="A2"))  # an old version wrote it
    legacy_put(dynamodb, ShopConfig(shop="b.myshopify.com", brand_name="B1"))

    class PutMeanwhile:
        """The client reindex uses, with a config put (by a function) between its scan and its write."""

        def __init__(self, real: Any) -> None:
            self._real = real

        def __getattr__(self, name: str) -> Any:
            return getattr(self._real, name)

        def get_item(self, **kw: Any) -> Any:
            if kw["Key"]["sk"]["S"] == "b.myshopify.com":
                configs.put(ShopConfig(shop="b.myshopify.com", brand_name="B2"))
            return self._real.get_item(**kw)

    counts = reindex(PutMeanwhile(dynamodb), TABLE)
    assert (counts["updated"], counts["changed_meanwhile"]) == (1, 1)
    assert {c.shop: c.brand_name for c in configs.all()} == {"a.myshopify.com": "A2", "b.myshopify.com": "B2"}


# Profiles in pages -----------------------------------------------------------------------------------


def test_profiles_page_is_one_query_and_batch_reads_of_at_most_100(dynamodb):
    data = DynamoShopData(dynamodb, TABLE)
    for i in range(250):
        data.set_birthday(SHOP, f"customer:{i:04d}", "01-01", NOW)
    calls = Calls(dynamodb)
    page, cursor = data.profiles_page(SHOP, None, 230)
    assert len(page) == 230 and [p.customer_key for p in page] == [f"customer:{i:04d}" for i in range(230)]
    assert calls.names() == Counter({"Query": 1, "BatchGetItem": 3})
    [(_, query)] = [c for c in calls.made if c[0] == "Query"]
    assert (query["IndexName"], query["Limit"]) == (keys.BY_SHOP, 230) and "ExclusiveStartKey" not in query
    assert [len(p["RequestItems"][TABLE]["Keys"]) for n, p in calls.made if n == "BatchGetItem"] == [
        100,
        100,
        30,
    ]
    assert cursor == {"shop": SHOP, "pk": keys.profile(SHOP, "customer:0229")["pk"], "sk": "PROFILE"}
    assert json.loads(json.dumps(cursor)) == cursor
    calls.clear()
    rest, end = data.profiles_page(SHOP, cursor, 230)
    assert len(rest) == 20 and end is None
    [(_, query)] = [c for c in calls.made if c[0] == "Query"]
    assert query["ExclusiveStartKey"] == {k: {"S": v} for k, v in cursor.items()}


def test_a_malformed_cursor_is_refused_before_any_call(dynamodb):
    data, calls = DynamoShopData(dynamodb, TABLE), Calls(dynamodb)
    with pytest.raises(ValueError, match="malformed profiles cursor"):
        data.profiles_page(SHOP, {"shop": SHOP, "pk": "PROFILE#" + "x" * 2000, "sk": "PROFILE"}, 10)
    assert calls.made == []  # no ValidationException from DynamoDB, retried until dead-lettered


def test_a_page_done_mark_expires_two_days_after_its_run_and_names_no_customer(dynamodb):
    data = DynamoShopData(dynamodb, TABLE)
    data.mark_daily_page_done(SHOP, "daily-2026-11-23-first", NOW)
    item = peek(dynamodb, keys.daily_page(SHOP, "daily-2026-11-23-first"))
    assert item is not None and item["type"] == "daily_page" and "shop" not in item
    assert int(item["expires_at"]) == int((NOW + timedelta(days=2)).timestamp())


# Ten per SendMessageBatch --------------------------------------------------------------------------------


class BatchClient:
    """An SQS client that records SendMessageBatch requests; its first `fail_requests` requests report
    the entries with an id in `fail_ids` as failed."""

    def __init__(self, fail_requests: int = 0, fail_ids: tuple[str, ...] = ()) -> None:
        self.requests: list[list[dict[str, str]]] = []
        self.fail_times, self.fail_ids = fail_requests, fail_ids

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        self.requests.append(Entries)
        if self.fail_times:
            self.fail_times -= 1
            failed = [e for e in Entries if e["Id"] in self.fail_ids]
            return {
                "Successful": [],
                "Failed": [{"Id": e["Id"], "SenderFault": False, "Code": "x"} for e in failed],
            }
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}


def test_send_batch_sends_ten_per_request_and_retries_failed_entries_once():
    client = BatchClient(fail_requests=2, fail_ids=("3",))
    SqsQueue(client, "url").send_batch([{"n": n} for n in range(23)])
    assert [len(r) for r in client.requests] == [10, 10, 3, 2]  # the two failed entries sent again
    resent = [json.loads(e["MessageBody"])["n"] for e in client.requests[-1]]
    assert resent == [3, 13]
    client = BatchClient(fail_requests=2, fail_ids=("0",))
    with pytest.raises(TransientError):
        SqsQueue(client, "url").send_batch([{"n": 1}])
    client = BatchClient()
    SqsQueue(client, "url").send_batch([])
    assert client.requests == []


def test_smsflows_shops_reindex_runs_the_backfill_on_the_stage_table(dynamodb, monkeypatch, capsys):
    from smsflows import cli
    from smsflows.runtime import deps as deps_module

    legacy_put(dynamodb, ShopConfig(shop="old.myshopify.com"))
    monkeypatch.setenv("TABLE_NAME", TABLE)
    deps_module.reset()
    try:
        assert cli.main(["shops", "reindex", "--json"]) == 0
    finally:
        deps_module.reset()
    assert json.loads(capsys.readouterr().out)["added"] == 1
    assert [c.shop for c in DynamoShopConfigs(dynamodb, TABLE).all()] == ["old.myshopify.com"]
