"""Fixtures for the port contracts: each gives a port's in-memory fake (tests/fakes.py) or its real adapter.

The real adapters run under moto (`mock_aws`) against the resources `smsflows.local.provision` creates: the
one DynamoDB table (its keys, indexes and TTL read from a provisioned table, so the schema cannot drift),
the SQS queues and the flow state machines. The Twilio provider runs the real `twilio` client against
the fake Twilio on loopback. Every test of a suite takes one of these fixtures, so it runs once per
implementation: `[fake]` and `[real]` (the pacing buckets also `[unit-memory]`, the MemoryBuckets of
tests/unit/sending/test_pacing.py). A contract an implementation is known to break is marked with
`adapter_finding` (a strict xfail naming the defect), never weakened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from moto import mock_aws

from smsflows.domain import keys
from smsflows.local.provision import LOCAL_TWILIO_SID, Provisioned, provision

REGION = "us-east-1"
TABLE = "contract-data"
SHOP = "demo-shop.myshopify.com"
OTHER_SHOP = "other-shop.myshopify.com"
PHONE = "+15125550123"
OTHER_PHONE = "+15125550199"
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TWILIO_TOKEN = "contract-twilio-token"
IMPLEMENTATIONS = ["fake", "real"]


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


@pytest.fixture(scope="session")
def table_spec() -> dict[str, Any]:
    """CreateTable arguments of the table as `provision` makes it (and CDK deploys it), and its TTL."""
    with mock_aws():
        provision(client, prefix="spec", shopify_secret="s", twilio_token="t")
        table = client("dynamodb").describe_table(TableName="spec-data")["Table"]
        ttl = client("dynamodb").describe_time_to_live(TableName="spec-data")["TimeToLiveDescription"]
    return {
        "ttl_attribute": ttl["AttributeName"],
        "TableName": TABLE,
        "AttributeDefinitions": table["AttributeDefinitions"],
        "KeySchema": table["KeySchema"],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [
            {"IndexName": g["IndexName"], "KeySchema": g["KeySchema"], "Projection": g["Projection"]}
            for g in table.get("GlobalSecondaryIndexes", [])
        ],
    }


@pytest.fixture
def dynamodb(table_spec: dict[str, Any]) -> Iterator[Any]:
    """A fresh, empty copy of the table under moto; the DynamoDB client. moto's DynamoDB is made safe for
    threads first, as DynamoDB is (two conditional writes racing on one item cannot both pass)."""
    from smsflows.local import moto_patches

    moto_patches.serialise_writes()
    spec = dict(table_spec)
    ttl = spec.pop("ttl_attribute")
    with mock_aws():
        ddb = client("dynamodb")
        ddb.create_table(**spec)
        ddb.update_time_to_live(
            TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl}
        )
        yield ddb


@pytest.fixture
def provisioned() -> Iterator[Provisioned]:
    """Everything `provision` creates (queues, state machines, ...) under moto. Step Functions executions
    are not run: they stay RUNNING until stopped, like a flow waiting for its next step."""
    with mock_aws():
        yield provision(client, prefix="ct", shopify_secret="s", twilio_token="t")


def peek(ddb: Any, key: dict[str, str]) -> dict[str, Any] | None:
    """One stored item as plain values (what a flow's getItem task, or an operator, would read)."""
    wire = {k: TypeSerializer().serialize(v) for k, v in key.items()}
    item = ddb.get_item(TableName=TABLE, Key=wire, ConsistentRead=True).get("Item")
    return {k: TypeDeserializer().deserialize(v) for k, v in item.items()} if item else None


class Clock:
    """An application clock the test moves (the fake Twilio stamps messages with it)."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


# Consent store ---------------------------------------------------------------------------------------


@pytest.fixture(params=IMPLEMENTATIONS)
def consent_store(request: pytest.FixtureRequest) -> Any:
    from tests.fakes import FakeConsentStore

    if request.param == "fake":
        return FakeConsentStore()
    from smsflows.adapters.consent_store import DynamoConsentStore

    return DynamoConsentStore(request.getfixturevalue("dynamodb"), TABLE)


# Shop configs ----------------------------------------------------------------------------------------


@pytest.fixture(params=IMPLEMENTATIONS)
def shop_configs(request: pytest.FixtureRequest) -> Any:
    from tests.fakes import FakeShopConfigs

    if request.param == "fake":
        return FakeShopConfigs()
    from smsflows.adapters.shop_configs import DynamoShopConfigs

    return DynamoShopConfigs(request.getfixturevalue("dynamodb"), TABLE)


# Conversations ---------------------------------------------------------------------------------------


@dataclass
class ConversationsUnderTest:
    port: Any
    stored: Callable[[str, str, str], dict[str, Any] | None]  # (shop, phone, sid): what support sees


@pytest.fixture(params=IMPLEMENTATIONS)
def conversations(request: pytest.FixtureRequest) -> ConversationsUnderTest:
    from tests.fakes import FakeConversations

    if request.param == "fake":
        fake = FakeConversations()

        def stored_fake(shop: str, phone: str, sid: str) -> dict[str, Any] | None:
            item = fake.items.get(sid)
            return item if item and (item["shop"], item["phone"]) == (shop, phone) else None

        return ConversationsUnderTest(fake, stored_fake)
    from smsflows.adapters.conversations import DynamoConversations

    ddb = request.getfixturevalue("dynamodb")
    return ConversationsUnderTest(
        DynamoConversations(ddb, TABLE),
        lambda shop, phone, sid: peek(ddb, keys.conversation(shop, phone, sid)),
    )


# Webhook inbox ---------------------------------------------------------------------------------------


@pytest.fixture(params=IMPLEMENTATIONS)
def inbox(request: pytest.FixtureRequest) -> Any:
    from tests.fakes import FakeInbox

    if request.param == "fake":
        return FakeInbox()
    from smsflows.adapters.webhook_inbox import DynamoWebhookInbox

    return DynamoWebhookInbox(request.getfixturevalue("dynamodb"), TABLE)


# Shop data (with the consent store it shares a table with) -----------------------------------------------


@dataclass
class ShopDataUnderTest:
    data: Any
    consent: Any
    checkout: Callable[[str, str], dict[str, Any] | None]  # what the abandoned-checkout flow reads


@pytest.fixture(params=IMPLEMENTATIONS)
def shop_data(request: pytest.FixtureRequest) -> ShopDataUnderTest:
    from tests.fakes import FakeConsentStore, FakeShopData

    if request.param == "fake":
        consent = FakeConsentStore()
        fake = FakeShopData(consent)
        return ShopDataUnderTest(fake, consent, lambda shop, token: fake.checkouts.get((shop, token)))
    from smsflows.adapters.consent_store import DynamoConsentStore
    from smsflows.adapters.shop_data import DynamoShopData

    ddb = request.getfixturevalue("dynamodb")
    return ShopDataUnderTest(
        DynamoShopData(ddb, TABLE),
        DynamoConsentStore(ddb, TABLE),
        lambda shop, token: peek(ddb, keys.checkout(shop, token)),
    )


# Message log (with the consent store and the pacing buckets it shares a table with) ----------------------


@dataclass
class MessageLogUnderTest:
    log: Any
    consent: Any
    buckets: Any


@pytest.fixture(params=IMPLEMENTATIONS)
def message_log(request: pytest.FixtureRequest) -> MessageLogUnderTest:
    from tests.fakes import FakeConsentStore, FakeMessageLog, FakeTokenBuckets

    if request.param == "fake":
        consent, buckets = FakeConsentStore(), FakeTokenBuckets()
        return MessageLogUnderTest(FakeMessageLog(consent, buckets), consent, buckets)
    from smsflows.adapters.consent_store import DynamoConsentStore
    from smsflows.adapters.message_log import DynamoMessageLog
    from smsflows.adapters.pacing_store import DynamoTokenBuckets

    ddb = request.getfixturevalue("dynamodb")
    return MessageLogUnderTest(
        DynamoMessageLog(ddb, TABLE), DynamoConsentStore(ddb, TABLE), DynamoTokenBuckets(ddb, TABLE)
    )


# Pacing buckets ----------------------------------------------------------------------------------------


@dataclass
class BucketsUnderTest:
    buckets: Any
    other_container: Callable[[], Any]  # another Lambda container on the same shared state


@pytest.fixture(params=[*IMPLEMENTATIONS, "unit-memory"])
def token_buckets(request: pytest.FixtureRequest) -> BucketsUnderTest:
    """`unit-memory` is the MemoryBuckets that tests/unit/sending/test_pacing.py drives the Pacer with."""
    from tests.fakes import FakeTokenBuckets

    if request.param == "fake":
        fake = FakeTokenBuckets()
        return BucketsUnderTest(fake, fake.other_container)
    if request.param == "unit-memory":
        from tests.unit.sending.test_pacing import MemoryBuckets

        memory = MemoryBuckets()

        def same_state() -> Any:
            other = MemoryBuckets()
            other.tat, other.backlog, other.daily = memory.tat, memory.backlog, memory.daily
            return other

        return BucketsUnderTest(memory, same_state)
    from smsflows.adapters.pacing_store import DynamoTokenBuckets

    ddb = request.getfixturevalue("dynamodb")
    return BucketsUnderTest(DynamoTokenBuckets(ddb, TABLE), lambda: DynamoTokenBuckets(ddb, TABLE))


# Flow starter ------------------------------------------------------------------------------------------


@pytest.fixture(params=IMPLEMENTATIONS)
def flow_starter(request: pytest.FixtureRequest) -> Any:
    from tests.fakes import FakeFlows

    if request.param == "fake":
        return FakeFlows()
    from smsflows.adapters.flow_starter import StepFunctionsFlowStarter

    res = request.getfixturevalue("provisioned")
    return StepFunctionsFlowStarter(client("stepfunctions"), res.state_machines)


# Queue -------------------------------------------------------------------------------------------------


class QueueUnderTest:
    """A queue and its consumer's view of it: `receive()` takes (and deletes) every message visible now,
    `wait(s)` lets `s` seconds pass (SQS's clock under moto; the fake's recorded delays otherwise)."""

    def __init__(self, port: Any, receive: Callable[[float], list[Any]], clock: list[float]) -> None:
        self.port = port
        self._receive = receive
        self._clock = clock

    def receive(self) -> list[Any]:
        return self._receive(self._clock[0])

    def wait(self, seconds: float) -> None:
        self._clock[0] += seconds


@pytest.fixture(params=IMPLEMENTATIONS)
def queue(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> QueueUnderTest:
    from tests.fakes import FakeQueue

    elapsed = [0.0]
    if request.param == "fake":
        fake = FakeQueue()
        taken: set[int] = set()

        def receive_fake(now: float) -> list[Any]:
            # every send of a test happens at t=0: a message is visible once its delay has passed
            ready = [i for i, d in enumerate(fake.delays) if d <= now and i not in taken]
            taken.update(ready)
            return [fake.sent[i] for i in ready]

        return QueueUnderTest(fake, receive_fake, elapsed)
    import json

    import moto.sqs.models as sqs_models

    from smsflows import topology
    from smsflows.adapters.queues import SqsQueue

    res = request.getfixturevalue("provisioned")
    start_ms = sqs_models.unix_time_millis()
    monkeypatch.setattr(sqs_models, "unix_time_millis", lambda: start_ms + elapsed[0] * 1000)
    sqs, url = client("sqs"), res.queue_urls[topology.SEND_QUEUE]

    def receive_sqs(now: float) -> list[Any]:
        out: list[Any] = []
        while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for m in got:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                out.append(json.loads(m["Body"]))
        return out

    return QueueUnderTest(SqsQueue(sqs, url), receive_sqs, elapsed)


# SMS provider ------------------------------------------------------------------------------------------


@dataclass
class ProviderUnderTest:
    port: Any
    clock: Clock  # the provider's clock: when it accepted a message


@pytest.fixture(params=IMPLEMENTATIONS)
def provider(request: pytest.FixtureRequest) -> Iterator[ProviderUnderTest]:
    from tests.fakes import FakeProvider

    clock = Clock()
    if request.param == "fake":
        yield ProviderUnderTest(FakeProvider(clock=clock), clock)
        return
    from smsflows.adapters.twilio_provider import TwilioProvider
    from smsflows.local.fake_twilio import FakeTwilio

    twilio = FakeTwilio(LOCAL_TWILIO_SID, TWILIO_TOKEN, clock=clock).start()
    try:
        yield ProviderUnderTest(
            TwilioProvider(LOCAL_TWILIO_SID, TWILIO_TOKEN, api_base=twilio.base_url, timeout_s=5), clock
        )
    finally:
        twilio.stop()


def adapter_finding(
    request: pytest.FixtureRequest,
    fixture: str,
    reason: str,
    raises: type[BaseException] | tuple[type[BaseException], ...] = AssertionError,
    implementation: str = "real",
) -> None:
    """Mark a contract that `implementation` is known to break (a finding to fix in that adapter, which
    these tests do not change): a strict xfail, so the test fails again, as a reminder to remove this
    call, the day the adapter is fixed."""
    if request.node.callspec.params.get(fixture) == implementation:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True, raises=raises))
