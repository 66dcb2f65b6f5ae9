"""One contract, two implementations: the in-memory fakes used by unit tests and the DynamoDB adapters."""

from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from smsflows.adapters.message_log import DynamoMessageLog
from smsflows.adapters.shop_data import DynamoShopData
from smsflows.adapters.webhook_inbox import DynamoWebhookInbox
from smsflows.domain.messages import OutboundMessage
from smsflows.domain.profiles import ProfileRecord
from smsflows.domain.shopify.records import InboxRecord, OrderRecord
from smsflows.ports import ProviderReceipt
from tests.fakes import FakeInbox, FakeMessageLog, FakeShopData

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SHOP = "demo-shop.myshopify.com"


@pytest.fixture(params=["fake", "dynamodb"])
def repos(request):
    if request.param == "fake":
        yield FakeInbox(), FakeMessageLog(), FakeShopData()
        return
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(
            TableName="t",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield DynamoWebhookInbox(ddb, "t"), DynamoMessageLog(ddb, "t"), DynamoShopData(ddb, "t")


def record(webhook_id="wh-1", body=b'{"id": 1}', state="received"):
    return InboxRecord(
        shop=SHOP, webhook_id=webhook_id, topic="orders/create", received_at=NOW, body=body, state=state
    )


def test_inbox_records_once_per_webhook_id(repos):
    inbox, _, _ = repos
    assert inbox.record(record()) is True
    assert inbox.record(record(body=b"{}")) is False
    assert inbox.get(SHOP, "wh-1").body == b'{"id": 1}'
    assert inbox.get(SHOP, "other") is None


def test_inbox_forget_allows_the_retry(repos):
    inbox, _, _ = repos
    inbox.record(record())
    inbox.forget(SHOP, "wh-1")
    assert inbox.get(SHOP, "wh-1") is None
    assert inbox.record(record()) is True


def test_inbox_mark_changes_state_and_ignores_missing_records(repos):
    inbox, _, _ = repos
    inbox.record(record())
    inbox.mark(SHOP, "wh-1", "unparseable", "name: missing")
    got = inbox.get(SHOP, "wh-1")
    assert (got.state, got.reason) == ("unparseable", "name: missing")
    inbox.mark(SHOP, "nope", "ignored")  # no error, nothing created
    assert inbox.get(SHOP, "nope") is None


def msg(mid="m-1"):
    return OutboundMessage(
        message_id=mid, shop=SHOP, to="+15125550123", body="x", category="transactional", created_at=NOW
    )


def test_message_claim_is_exclusive_until_released(repos):
    _, log, _ = repos
    assert log.begin(msg(), NOW) is None
    assert log.begin(msg(), NOW) == "sending"
    log.release("m-1", "provider 500")
    assert log.begin(msg(), NOW) is None
    log.complete("m-1", ProviderReceipt(sid="SM1", status="queued", segments=2), NOW)
    assert log.begin(msg(), NOW) == "sent"


def test_failed_message_stays_failed(repos):
    _, log, _ = repos
    log.begin(msg(), NOW)
    log.fail("m-1", 21211, "invalid number", NOW)
    assert log.begin(msg(), NOW) == "failed"


def profile(**kw):
    base = dict(
        shop=SHOP,
        customer_key="customer:1",
        customer_id="1",
        phone="+15125550123",
        phone_status="usable",
        updated_at=NOW,
    )
    base.update(kw)
    return ProfileRecord(**base)


def order(order_id="42", **kw):
    base = dict(
        shop=SHOP,
        order_id=order_id,
        name="#1001",
        customer_key="customer:1",
        phone="+15125550123",
        created_at=NOW,
    )
    base.update(kw)
    return OrderRecord(**base)


def test_orders_are_stored_and_read_back(repos):
    _, _, data = repos
    data.save_order(order(), profile())
    assert data.get_order(SHOP, "42") == order()
    assert data.get_order(SHOP, "43") is None
