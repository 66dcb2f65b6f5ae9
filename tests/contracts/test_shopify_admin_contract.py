"""The real Admin API adapter (adapters/shopify_admin.py) against the fake Shopify (local/fake_shopify.py) over
HTTP on loopback, with the shop's token in (moto's) Secrets Manager: what the typed operations send and read
back, the token check and its one re-read on a 401, throttling waited out a bounded number of times then left
to the queue, ACCESS_DENIED never retried, Shopify down or silent, and no token in any log line."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from smsflows.adapters.secrets import SecretsStore
from smsflows.adapters.shopify_admin import ShopifyAdminClient, throttle_wait, token_secret_id
from smsflows.domain.shopify import admin_api
from smsflows.domain.shopify.webhooks import Order
from smsflows.local.fake_shopify import THROTTLED_BODY, FakeShopify
from smsflows.runtime.errors import TransientError

SHOP = "demo-shop.myshopify.com"
OTHER = "other-shop.myshopify.com"
PREFIX = "contract/shopify-admin"
TOKEN = "shpat_contract-token-0123456789abcdef"
EVENTS = Path(__file__).resolve().parents[1] / "events"


@pytest.fixture
def fake() -> Iterator[FakeShopify]:
    shopify = FakeShopify(clock=lambda: datetime(2026, 11, 23, 15, 0, tzinfo=UTC)).start()
    shopify.add_token(SHOP, TOKEN)
    yield shopify
    shopify.stop()


@pytest.fixture
def secrets_client() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        client.create_secret(
            Name=token_secret_id(PREFIX, SHOP), SecretString=json.dumps({"access_token": TOKEN})
        )
        yield client


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def admin(fake: FakeShopify, secrets_client: Any, sleeps: Sleeps) -> ShopifyAdminClient:
    store = SecretsStore(lambda: secrets_client, min_refresh_s=0)
    return ShopifyAdminClient(store, PREFIX, api_base=fake.base_url, timeout_s=2, sleep=sleeps)


def test_a_consent_write_reaches_shopify_and_reads_back_in_the_2026_10_model(admin, fake):
    customer = fake.add_customer(SHOP, phone="+15125550123", first_name="Ada")
    given = datetime(2026, 11, 23, 14, 59, 30, 500000, tzinfo=UTC)
    written = admin_api.update_sms_consent(admin, SHOP, customer, "SUBSCRIBED", "CONFIRMED_OPT_IN", given)
    assert (written.state, written.opt_in_level, written.collected_from) == (
        "SUBSCRIBED",
        "CONFIRMED_OPT_IN",
        "OTHER",
    )
    assert fake.consent_writes() == [
        {"shop": SHOP, "customer_id": customer, "phone": "+15125550123", "state": "SUBSCRIBED",
         "opt_in_level": "CONFIRMED_OPT_IN", "consent_updated_at": "2026-11-23T14:59:30Z",
         "written_at": "2026-11-23T15:00:00+00:00"}
    ]  # fmt: skip
    read = admin_api.read_sms_consent(admin, SHOP, customer)
    assert read == admin_api.SmsConsent(customer, "+15125550123", "SUBSCRIBED", "CONFIRMED_OPT_IN", "OTHER",
                                        datetime(2026, 11, 23, 14, 59, 30, tzinfo=UTC))  # fmt: skip


def test_a_customer_without_a_phone_is_refused_with_user_errors_and_nothing_is_written(admin, fake):
    customer = fake.add_customer(SHOP, email="grace@example.com")
    with pytest.raises(admin_api.ShopifyUserErrors) as raised:
        admin_api.update_sms_consent(
            admin, SHOP, customer, "UNSUBSCRIBED", None, datetime(2026, 11, 1, tzinfo=UTC)
        )
    assert raised.value.errors[0]["code"] == "INVALID"
    assert fake.consent_writes() == []
    assert admin_api.read_sms_consent(admin, SHOP, customer) is None


def test_customers_are_found_by_phone(admin, fake):
    ada = fake.add_customer(SHOP, phone="+15125550123")
    fake.add_customer(OTHER, phone="+15125550199")
    assert admin_api.find_customer_by_phone(admin, SHOP, "+15125550123") == ada
    assert admin_api.find_customer_by_phone(admin, SHOP, "+15125550199") is None  # another shop's


def test_segment_members_are_paged_with_cursors_honouring_the_page_size(admin, fake):
    phones = ["+15125550101", "+15125550102", None, "+15125550104", "+15125550105"]
    members = [fake.add_customer(SHOP, phone=p, email=f"c{i}@example.com") for i, p in enumerate(phones)]
    segment = fake.add_segment(SHOP, "VIP", members)
    pages = list(admin_api.segment_members(admin, SHOP, segment, page_size=2))
    assert [len(p.members) for p in pages] == [2, 2, 1]
    assert {p.total_count for p in pages} == {5}
    assert [m.phone for p in pages for m in p.members] == phones
    assert [m.marketing_state for p in pages for m in p.members][:2] == ["NOT_SUBSCRIBED", "NOT_SUBSCRIBED"]
    assert [c["field"] for c in fake.calls] == ["customerSegmentMembers"] * 3
    (listed,) = admin_api.list_segments(admin, SHOP)
    assert (listed.segment_id, listed.name) == (segment, "VIP")


def test_an_unknown_segment_is_a_shopify_error_not_a_retry(admin):
    with pytest.raises(admin_api.ShopifyError) as raised:
        list(admin_api.segment_members(admin, SHOP, "gid://shopify/Segment/1"))
    assert not isinstance(raised.value, admin_api.ShopifyUnavailable)


def test_an_order_round_trips_to_the_webhook_shape(admin, fake):
    webhook = json.loads((EVENTS / "shopify" / "orders_create.json").read_text())
    gid = fake.add_order(SHOP, webhook)
    fetched = admin_api.fetch_order(admin, SHOP, webhook["id"])
    assert fetched is not None and gid == fetched["admin_graphql_api_id"]
    ours, theirs = Order.model_validate(fetched), Order.model_validate(webhook)
    for field in ("id", "name", "phone", "total_price", "currency", "created_at", "cancelled_at"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert ours.phone_candidates() == theirs.phone_candidates()
    assert ours.first_name() == theirs.first_name() and ours.product() == theirs.product()
    assert ours.product_ids() == theirs.product_ids() and ours.variant_ids() == theirs.variant_ids()
    assert admin_api.fetch_order(admin, SHOP, 1) is None


def test_webhook_subscriptions_are_read(admin, fake):
    fake.add_webhook_subscription(SHOP, "orders/create", "https://api.example.com/v1/webhooks/shopify")
    (found,) = admin_api.webhook_subscriptions(admin, SHOP)
    assert (found.topic, found.uri) == ("ORDERS_CREATE", "https://api.example.com/v1/webhooks/shopify")


def test_a_shop_with_no_token_stored_is_not_connected(admin, fake):
    with pytest.raises(admin_api.ShopifyNotConnected, match="shop connect"):
        admin_api.list_segments(admin, OTHER)
    assert fake.calls == [] and fake.unauthorized == 0


def test_a_shop_found_without_a_token_is_not_read_again_for_a_minute_then_is(fake, secrets_client):
    """A consent change of a shop that never connected costs no Secrets Manager read each time; a token
    stored meanwhile is found once the minute is over."""
    reads: list[str] = []
    secrets_client.meta.events.register(
        "before-call.secrets-manager.GetSecretValue", lambda **_: reads.append("x")
    )
    now = [1000.0]
    store = SecretsStore(lambda: secrets_client, min_refresh_s=0, monotonic=lambda: now[0])
    admin = ShopifyAdminClient(store, PREFIX, api_base=fake.base_url, timeout_s=2, monotonic=lambda: now[0])
    for _ in range(3):
        with pytest.raises(admin_api.ShopifyNotConnected, match="shop connect"):
            admin_api.list_segments(admin, OTHER)
    assert len(reads) == 1
    fake.add_token(OTHER, TOKEN)
    secrets_client.create_secret(
        Name=token_secret_id(PREFIX, OTHER), SecretString=json.dumps({"access_token": TOKEN})
    )
    now[0] += 59
    with pytest.raises(admin_api.ShopifyNotConnected):
        admin_api.list_segments(admin, OTHER)
    now[0] += 2
    assert admin_api.list_segments(admin, OTHER) == [] and len(reads) == 2


def test_a_refused_token_is_re_read_once_and_the_new_one_used(admin, fake, secrets_client):
    admin_api.list_segments(admin, SHOP)  # the token is read and cached
    rotated = "shpat_rotated-token-abcdef0123456789"
    fake.add_token(SHOP, rotated)  # Shopify now takes only the new token, which the secret holds
    secrets_client.put_secret_value(
        SecretId=token_secret_id(PREFIX, SHOP), SecretString=json.dumps({"access_token": rotated})
    )
    assert admin_api.list_segments(admin, SHOP) == []
    assert fake.unauthorized == 1  # the cached token once, then the re-read one


def test_a_token_refused_after_its_re_read_is_access_denied(admin, fake):
    fake.add_token(SHOP, "shpat_some-other-token-0123456789")
    with pytest.raises(admin_api.ShopifyAccessDenied, match="401"):
        admin_api.list_segments(admin, SHOP)
    assert fake.unauthorized == 1  # the re-read gave the same token: it is not sent again
    with pytest.raises(admin_api.ShopifyAccessDenied):
        admin_api.list_segments(admin, SHOP)
    assert fake.unauthorized == 2  # one request per call, never a loop


@pytest.mark.parametrize("status", [200, 429])
def test_a_throttled_call_waits_as_long_as_the_bucket_says_then_succeeds(admin, fake, sleeps, status):
    fake.throttle_next(1, status=status)
    assert admin_api.list_segments(admin, SHOP) == []
    assert sleeps == [pytest.approx((752 - 666) / 50.0)]  # requested cost - available, at restoreRate/s
    assert [c["status"] for c in fake.calls] == ["THROTTLED", "ok"]


def test_throttling_beyond_the_in_call_budget_is_left_to_the_queue(admin, fake, sleeps):
    fake.throttle_next(10)
    with pytest.raises(admin_api.ShopifyThrottled) as raised:
        admin_api.list_segments(admin, SHOP)
    assert isinstance(raised.value, TransientError)  # the shop-events queue retries it
    assert sum(sleeps) <= 3.0 and len(fake.calls) == len(sleeps) + 1 <= 3
    assert raised.value.retry_after_s == pytest.approx(1.72)


def test_throttle_wait_without_throttle_status_is_a_default():
    assert throttle_wait({"errors": THROTTLED_BODY["errors"]}) == 1.0
    assert throttle_wait({**THROTTLED_BODY, "extensions": {"cost": {"requestedQueryCost": 10, "throttleStatus": {
        "currentlyAvailable": 500, "restoreRate": 50}}}}) == 0.1  # fmt: skip


def test_access_denied_is_never_retried(admin, fake, sleeps):
    denied = json.loads((EVENTS / "shopify_app" / "admin_graphql.json").read_text())[
        "top_level_errors_examples"
    ]
    fake.answer_next(200, denied["access_denied_constructed"])
    customer = fake.add_customer(SHOP, phone="+15125550123")
    with pytest.raises(admin_api.ShopifyAccessDenied):
        admin_api.update_sms_consent(
            admin, SHOP, customer, "SUBSCRIBED", None, datetime(2026, 11, 1, tzinfo=UTC)
        )
    assert len(fake.calls) == 1 and sleeps == [] and fake.consent_writes() == []


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_failing_shopify_is_unavailable_a_transient_error(admin, fake, status):
    fake.answer_next(status, {"errors": "Internal Server Error"})
    with pytest.raises(admin_api.ShopifyUnavailable):
        admin_api.list_segments(admin, SHOP)


def test_a_silent_shopify_times_out_as_unavailable(secrets_client):
    with socket.socket() as silent:  # accepts connections (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        base = f"http://127.0.0.1:{silent.getsockname()[1]}"
        admin = ShopifyAdminClient(SecretsStore(lambda: secrets_client), PREFIX, api_base=base, timeout_s=0.3)
        with pytest.raises(admin_api.ShopifyUnavailable, match="did not answer"):
            admin_api.list_segments(admin, SHOP)


def test_a_shop_that_is_not_a_shop_domain_is_never_requested(admin, fake):
    with pytest.raises(admin_api.ShopifyError, match="not a shop domain"):
        admin.graphql("evil.example.com/x?", admin_api.SEGMENTS, {"first": 1})
    assert fake.calls == []


def test_the_token_is_in_no_log_line(admin, fake, capsys, caplog):
    # as in a function (a CLI test in this process may have raised it)
    caplog.set_level("WARNING", logger="smsflows")
    fake.throttle_next(10)
    with pytest.raises(admin_api.ShopifyThrottled):
        admin_api.list_segments(admin, SHOP)
    fake.add_token(SHOP, "shpat_another-token-0123456789")
    with pytest.raises(admin_api.ShopifyAccessDenied):
        admin_api.list_segments(admin, SHOP)
    said = capsys.readouterr()
    logged = said.out + said.err + caplog.text
    assert "shopify throttled" in logged and "refused the access token" in logged  # it did log
    assert TOKEN not in logged and "shpat_" not in logged
