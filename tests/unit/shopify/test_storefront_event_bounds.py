"""POST /storefront/events' use case (domain/shopify/storefront_events.py): the event model, and the bounds
on what an unsigned request can do, each against the in-memory store and the DynamoDB adapter (moto)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smsflows.domain.consent.ledger import SubscriberState
from smsflows.domain.consent.subscriptions import ConsentDeps
from smsflows.domain.flows import definitions
from smsflows.domain.shopify import storefront_events as se
from smsflows.domain.shopify.events import ShopEventDeps, ShopEventEnvelope, process_shop_event
from smsflows.domain.shops import FlowSettings
from smsflows.local import samples
from smsflows.runtime.errors import BadRequest, PayloadTooLarge, TooManyRequests
from tests.contracts.conftest import TABLE, dynamodb, table_spec  # noqa: F401 - moto fixtures
from tests.fakes import (
    FakeConsentStore,
    FakeConversations,
    FakeFlows,
    FakeInbox,
    FakeQueue,
    FakeShopConfigs,
    FakeShopData,
    onboarded_shop,
)

SHOP = "demo-shop.myshopify.com"
CUSTOMER = "7000000001001"  # samples.order(42, 1001, ...)'s customer
PHONE = "+15125550123"
NOW = datetime(2026, 11, 23, 15, 0, 10, tzinfo=UTC)
IP = "203.0.113.7"


def event(**changes: Any) -> dict[str, Any]:
    """A product_viewed as the pixel posts it (Contract 2), with `changes`."""
    body: dict[str, Any] = {
        "v": 1,
        "shop": SHOP,
        "name": "product_viewed",
        "id": "sh-88c0a1b2-0f4e-4f3c-9d2b-3c1a0e9f7b21",
        "client_id": "c7b9e6f2-3d4a-4b8e-9f01-2a3b4c5d6e7f",
        "timestamp": "2026-11-23T15:00:00.000Z",
        "customer_id": f"gid://shopify/Customer/{CUSTOMER}",
        "product": {
            "id": "gid://shopify/Product/8123456789012",
            "variant_id": "44563297927412",
            "title": "Linen Shirt",
            "url": "/products/linen-shirt",
        },
        "checkout": None,
    }
    body.update(changes)
    return body


def parsed(**changes: Any) -> se.StorefrontEvent:
    return se.parse(json.dumps(event(**changes)).encode(), "text/plain;charset=UTF-8")


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class MemoryStore:
    """StorefrontEventStore in memory, with the DynamoDB adapter's semantics (the same tests run on both)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, int], int] = {}
        self.days: dict[tuple[str, str, str], dict[str, Any]] = {}

    def count(self, scope: str, subject: str, window_start: datetime, window: timedelta, limit: int) -> bool:
        key = (scope, subject, int(window_start.timestamp()))
        if self.counts.get(key, 0) >= limit:
            return False
        self.counts[key] = self.counts.get(key, 0) + 1
        return True

    def note_view(self, shop: str, customer_id: str, day: str, product_id: str, expires: datetime, most: int):
        item = self.days.get((shop, customer_id, day), {"viewed": set()})
        if "checkout_at" in item or product_id in item["viewed"] or len(item["viewed"]) >= most:
            return False
        item["viewed"].add(product_id)
        self.days[(shop, customer_id, day)] = item
        return True

    def forget_view(self, shop: str, customer_id: str, day: str, product_id: str) -> None:
        if (shop, customer_id, day) in self.days:
            self.days[(shop, customer_id, day)]["viewed"].discard(product_id)

    def note_checkout(self, shop: str, customer_id: str, day: str, at: datetime, expires: datetime):
        item = self.days.setdefault((shop, customer_id, day), {"viewed": set()})
        if "checkout_at" in item:
            return None
        item["checkout_at"] = at
        return sorted(item["viewed"])


@pytest.fixture(params=["fake", "real"])
def store(request):
    if request.param == "fake":
        return MemoryStore()
    from smsflows.adapters.storefront_events import DynamoStorefrontEvents

    return DynamoStorefrontEvents(request.getfixturevalue("dynamodb"), TABLE)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def deps(store, clock) -> se.StorefrontDeps:
    return se.StorefrontDeps(store=store, shops=FakeShopConfigs(onboarded_shop(SHOP)), events=FakeQueue(),
                             clock=clock)  # fmt: skip


def shop_deps(clock) -> ShopEventDeps:
    """process_shop_event's dependencies, every port a fake: the consumer of what the endpoint queues."""
    consent_store, shops, send_queue = FakeConsentStore(), FakeShopConfigs(onboarded_shop(SHOP)), FakeQueue()
    consent = ConsentDeps(store=consent_store, shops=shops, send_queue=send_queue,
                          conversations=FakeConversations(), clock=clock)  # fmt: skip
    return ShopEventDeps(inbox=FakeInbox(), data=FakeShopData(consent_store), send_queue=send_queue,
                         flows=FakeFlows(), clock=clock, consent=consent, shops=shops)  # fmt: skip


def order_and_maybe_subscribe(target: ShopEventDeps, subscribed: bool) -> None:
    order = ShopEventEnvelope(shop=SHOP, topic="orders/create", webhook_id="wh-o", received_at=NOW.isoformat(),
                              body=json.dumps(samples.order(42, 1001, PHONE, "Ada")))  # fmt: skip
    process_shop_event(order, target)
    if subscribed:
        target.consent.store.states[(SHOP, PHONE)] = SubscriberState(  # type: ignore[union-attr]
            shop=SHOP, phone=PHONE, status="subscribed", version=1
        )


def consume(deps: se.StorefrontDeps, target: ShopEventDeps) -> list[str]:
    """Every shop event the endpoint queued, through process_shop_event: the outcomes' details."""
    out = [process_shop_event(ShopEventEnvelope.model_validate(m), target).detail for m in deps.events.sent]
    deps.events.sent.clear()
    return out


# The model ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain;charset=UTF-8", "application/json", "TEXT/PLAIN"])
def test_the_pixels_event_is_read_from_text_plain_or_json_and_its_ids_normalised(content_type):
    got = se.parse(json.dumps(event()).encode(), content_type)
    assert (got.customer_id, got.product.id, got.product.variant_id) == (CUSTOMER, "8123456789012",
                                                                       "44563297927412")  # fmt: skip
    numeric = se.parse(json.dumps(event(customer_id=CUSTOMER, product={"id": "8123456789012", "title": "T",
                                  "variant_id": "gid://shopify/ProductVariant/4"})).encode(), content_type)  # fmt: skip
    assert (numeric.customer_id, numeric.product.id, numeric.product.variant_id) == (
        CUSTOMER,
        "8123456789012",
        "4",
    )


def test_an_anonymous_visitor_and_a_checkout_without_a_product_are_valid():
    assert parsed(customer_id=None).customer_id is None
    checkout = parsed(name="checkout_started", product=None, checkout={"token": "tok-1"})
    assert checkout.checkout.token == "tok-1" and checkout.product is None


def test_a_body_over_8_kb_is_413_and_one_of_8_kb_is_read():
    body = json.dumps(event()).encode()
    exact = body + b" " * (se.MAX_BODY - len(body))  # whitespace after the object: still one event
    assert len(exact) == se.MAX_BODY and se.parse(exact, "text/plain").shop == SHOP
    with pytest.raises(PayloadTooLarge):
        se.parse(exact + b" ", "text/plain")


@pytest.mark.parametrize(
    ("body", "content_type", "says"),
    [
        (json.dumps(event()).encode(), "application/x-www-form-urlencoded", "text/plain or application/json"),
        (json.dumps(event()).encode(), "", "text/plain or application/json"),
        (b"{not json", "text/plain", "not usable JSON"),
        (b'{"v": 1, "v": 1}', "text/plain", "duplicate key"),
        (b"[1, 2]", "text/plain", "not a JSON object"),
        (json.dumps(event(extra=1)).encode(), "text/plain", "extra"),
        (json.dumps(event(v="1")).encode(), "text/plain", "v:"),
        (json.dumps(event(v=True)).encode(), "text/plain", "v:"),
        (json.dumps(event(v=2)).encode(), "text/plain", "v:"),
        (json.dumps(event(name="page_viewed")).encode(), "text/plain", "name:"),
        (json.dumps(event(shop="evil.example.com")).encode(), "text/plain", "shop:"),
        (json.dumps(event(customer_id="gid://shopify/Order/1")).encode(), "text/plain", "customer_id:"),
        (json.dumps(event(customer_id=7)).encode(), "text/plain", "customer_id:"),
        (json.dumps(event(customer_id="")).encode(), "text/plain", "customer_id:"),
        (json.dumps(event(product=None)).encode(), "text/plain", "names its product"),
        (json.dumps(event(product={"id": "abc", "title": "T"})).encode(), "text/plain", "product.id:"),
        (json.dumps(event(product={"id": "1", "title": "A\nB"})).encode(), "text/plain", "product.title:"),
        (json.dumps(event(product={"id": "1", "title": "  "})).encode(), "text/plain", "product.title:"),
        (json.dumps(event(timestamp="2026-11-23T15:00:00")).encode(), "text/plain", "timestamp:"),
        (json.dumps(event(client_id="")).encode(), "text/plain", "client_id:"),
    ],
)
def test_a_body_that_is_not_one_event_is_a_400_that_says_what_is_wrong(body, content_type, says):
    with pytest.raises(BadRequest, match=says.replace("(", r"\(")):
        se.parse(body, content_type)


@pytest.mark.parametrize(
    "title",
    ["Free gift at evil.com", "Visit https://x.example now", "www.deals.example", "win@prize.example",
     "Call 512 555 0123", "+1 (512) 555-0123 deal", "bit.ly/abc", "sms:+15125550123", "javascript:alert(1)",
     "Grab it at t.co"],
)  # fmt: skip
def test_a_title_that_looks_like_a_link_an_address_or_a_phone_is_never_put_in_a_text(title):
    assert se.text_title(title) is None


def test_a_plain_title_is_kept_and_a_long_one_shortened():
    for plain in ("Linen Shirt", "Dr.Martens 1460 Boots", "2024-2025 Planner", "Chanel No.5", "3.5mm Cable"):
        assert se.text_title(plain) == plain
    long = se.text_title("Extra " * 30)
    assert long is not None and len(long) <= se.TITLE_MAX and long.endswith("...")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/products/linen-shirt", "https://demo-shop.example/products/linen-shirt?variant=9"),
        ("https://demo-shop.example/products/linen-shirt?x=1", "https://demo-shop.example/products/linen-shirt?variant=9"),
        (f"https://{SHOP}/en-ca/products/linen-shirt", "https://demo-shop.example/en-ca/products/linen-shirt?variant=9"),
        ("https://evil.example/products/linen-shirt", "https://demo-shop.example"),
        ("//evil.example/products/linen-shirt", "https://demo-shop.example"),
        ("javascript:alert(1)", "https://demo-shop.example"),
        ("/pages/about", "https://demo-shop.example"),
        (None, "https://demo-shop.example"),
    ],
)  # fmt: skip
def test_the_product_url_is_always_on_the_shops_own_storefront(url, expected):
    assert se.product_url("https://demo-shop.example/", SHOP, url, "9") == expected


# The bounds -----------------------------------------------------------------------------------------------


def test_an_anonymous_visitor_is_only_counted(deps, store):
    assert se.receive(parsed(customer_id=None), IP, deps) == "anonymous"
    assert deps.events.sent == []
    if isinstance(store, MemoryStore):
        assert store.days == {} and len(store.counts) == 2  # the source's and the client's counter


@pytest.mark.parametrize(
    "config",
    [None, onboarded_shop(SHOP, status="paused"), onboarded_shop(SHOP, status="uninstalled"),
     onboarded_shop(SHOP, flows={"browse_abandonment": FlowSettings(enabled=False)})],
    ids=["unknown", "paused", "uninstalled", "browse-off"],
)  # fmt: skip
def test_a_shop_that_does_not_nudge_gets_the_204_and_nothing_queued(deps, config):
    deps.shops = FakeShopConfigs(*([config] if config else []))
    assert se.receive(parsed(), IP, deps) == "not_texting"
    assert se.receive(parsed(name="checkout_started", product=None), IP, deps) == "not_texting"
    assert deps.events.sent == []


def test_a_subscribers_view_queues_one_shop_event_that_starts_the_browse_flow(deps, clock):
    target = shop_deps(clock)
    order_and_maybe_subscribe(target, subscribed=True)
    assert se.receive(parsed(), IP, deps) == "queued"
    [message] = deps.events.sent
    envelope = ShopEventEnvelope.model_validate(message)
    assert (envelope.shop, envelope.topic) == (SHOP, "storefront/product_viewed")
    assert json.loads(envelope.body or "") == {
        "customer_id": CUSTOMER, "product": "Linen Shirt", "product_id": "8123456789012", "day": "20261123",
        "product_url": "https://demo-shop.myshopify.com/products/linen-shirt?variant=44563297927412",
    }  # fmt: skip
    assert consume(deps, target) == ["browse flow started"]
    [(name, (flow, payload))] = target.flows.started.items()
    assert flow == "browse_abandonment" and payload["context"]["product"] == "Linen Shirt"
    assert "20261123-8123456789012" in name and payload["due"]["s0"] == "2026-11-23T16:30:10Z"  # +90 min


def test_a_customer_without_consent_or_profile_is_never_texted(deps, clock):
    target = shop_deps(clock)
    order_and_maybe_subscribe(target, subscribed=False)
    se.receive(parsed(), IP, deps)
    se.receive(parsed(customer_id="gid://shopify/Customer/999"), IP, deps)
    assert consume(deps, target) == ["no marketing consent", "no profile with a phone for this customer"]
    assert target.flows.started == {}


def test_a_second_view_of_the_product_the_same_day_queues_nothing_and_the_next_day_again(deps, clock):
    assert se.receive(parsed(), IP, deps) == "queued"
    assert se.receive(parsed(id="other-event", client_id="other-client"), "198.51.100.9", deps) == "repeat"
    assert len(deps.events.sent) == 1
    clock.at = NOW + timedelta(days=1)
    assert se.receive(parsed(), IP, deps) == "queued"


def test_a_customers_views_queue_at_most_three_products_a_day(deps):
    outcomes = [se.receive(parsed(product={"id": str(n), "title": f"P{n}"}), IP, deps) for n in range(1, 6)]
    assert outcomes == ["queued"] * se.PRODUCTS_PER_CUSTOMER_DAY + ["repeat"] * 2


def test_a_view_whose_title_is_a_link_queues_nothing(deps):
    assert se.receive(parsed(product={"id": "1", "title": "Claim at evil.com"}), IP, deps) == "unusable"
    assert deps.events.sent == []


def test_a_view_that_could_not_be_queued_is_forgotten_so_the_next_one_is_queued(deps):
    deps.events = FakeQueue(fail=RuntimeError("SQS down"))
    with pytest.raises(RuntimeError):
        se.receive(parsed(), IP, deps)
    deps.events = FakeQueue()
    assert se.receive(parsed(), IP, deps) == "queued"


def test_one_client_is_limited_per_minute_with_retry_after_the_window(deps, clock):
    for _ in range(se.PER_CLIENT_PER_MINUTE):
        se.receive(parsed(customer_id=None), IP, deps)
    with pytest.raises(TooManyRequests) as refused:
        se.receive(parsed(customer_id=None), IP, deps)
    assert refused.value.retry_after_s == 50  # 15:00:10 -> the window ends at 15:01:00
    assert se.receive(parsed(customer_id=None, client_id="another-browser"), IP, deps) == "anonymous"
    clock.at = NOW + timedelta(seconds=50)
    assert se.receive(parsed(customer_id=None), IP, deps) == "anonymous"


def test_one_address_is_limited_across_clients_and_shops(deps, monkeypatch):
    monkeypatch.setattr(se, "PER_SOURCE_PER_MINUTE", 4)
    for n in range(4):
        se.receive(parsed(customer_id=None, client_id=f"c{n}", shop=f"shop-{n}.myshopify.com"), IP, deps)
    with pytest.raises(TooManyRequests, match="per source"):
        se.receive(parsed(customer_id=None, client_id="c9"), IP, deps)
    ipv6 = ["2001:db8::1", "2001:db8::2"]  # one /64: one source
    monkeypatch.setattr(se, "PER_SOURCE_PER_MINUTE", 1)
    se.receive(parsed(customer_id=None, client_id="v6"), ipv6[0], deps)
    with pytest.raises(TooManyRequests, match="per source"):
        se.receive(parsed(customer_id=None, client_id="v6b"), ipv6[1], deps)


def test_a_shop_is_limited_on_identified_events_only(deps, monkeypatch):
    monkeypatch.setattr(se, "PER_SHOP_PER_MINUTE", 2)
    for n in range(5):  # anonymous visitors cost no queue message: not counted against the shop
        se.receive(parsed(customer_id=None, client_id=f"a{n}"), f"198.51.100.{n}", deps)
    for n in range(2):
        se.receive(parsed(customer_id=str(100 + n), client_id=f"i{n}"), f"192.0.2.{n}", deps)
    with pytest.raises(TooManyRequests, match="per shop"):
        se.receive(parsed(customer_id="200", client_id="i9"), "192.0.2.9", deps)
    # an unknown shop is counted the same way: the 429 says nothing about whether a shop texts
    deps.shops = FakeShopConfigs()
    other = "nobody.myshopify.com"
    for n in range(2):
        se.receive(parsed(shop=other, customer_id=str(100 + n), client_id=f"o{n}"), f"192.0.2.{20 + n}", deps)
    with pytest.raises(TooManyRequests, match="per shop"):
        se.receive(parsed(shop=other, customer_id="300", client_id="o9"), "192.0.2.29", deps)


def test_a_checkout_stops_the_days_browse_flows_and_suppresses_later_views(deps, clock):
    target = shop_deps(clock)
    order_and_maybe_subscribe(target, subscribed=True)
    se.receive(parsed(), IP, deps)
    se.receive(parsed(product={"id": "42", "title": "Brass Compass"}), IP, deps)
    assert consume(deps, target) == ["browse flow started", "browse flow started"]
    checkout = parsed(name="checkout_started", product=None, checkout={"token": "tok-1"})
    assert se.receive(checkout, IP, deps) == "queued"
    [message] = deps.events.sent
    assert message["topic"] == "storefront/checkout_started"
    assert json.loads(message["body"])["product_ids"] == ["42", "8123456789012"]
    assert consume(deps, target) == ["2 browse flows stopped"]
    assert sorted(target.flows.stopped) == sorted(target.flows.started)
    assert se.receive(parsed(product={"id": "43", "title": "Sextant"}), IP, deps) == "repeat"
    assert se.receive(checkout, IP, deps) == "repeat"
    assert deps.events.sent == []


def test_a_checkout_before_any_view_is_noted_and_queues_nothing(deps):
    assert se.receive(parsed(name="checkout_started", product=None), IP, deps) == "checkout_noted"
    assert deps.events.sent == []
    assert se.receive(parsed(), IP, deps) == "repeat"


def test_the_browse_flows_execution_name_keeps_the_day_whatever_the_product_id():
    from smsflows.domain.shopify.events import browse_subject

    long_id = "81234567890123456"
    names = {definitions.execution_name(definitions.BROWSE_ABANDONMENT, SHOP, browse_subject(PHONE, long_id, day))
             for day in ("20261121", "20261122")}  # fmt: skip
    assert len(names) == 2 and all(len(n) <= 80 for n in names)


# What the DynamoDB adapter writes ---------------------------------------------------------------------


def test_every_item_written_expires_within_its_window_or_a_day(request):
    ddb = request.getfixturevalue("dynamodb")
    from boto3.dynamodb.types import TypeDeserializer

    from smsflows.adapters.storefront_events import DynamoStorefrontEvents

    deps = se.StorefrontDeps(store=DynamoStorefrontEvents(ddb, TABLE), events=FakeQueue(),
                             shops=FakeShopConfigs(onboarded_shop(SHOP)), clock=Clock(NOW))  # fmt: skip
    se.receive(parsed(customer_id=None), IP, deps)
    se.receive(parsed(), IP, deps)
    se.receive(parsed(name="checkout_started", product=None), IP, deps)
    plain = TypeDeserializer().deserialize
    items = [{k: plain(v) for k, v in i.items()} for i in ddb.scan(TableName=TABLE)["Items"]]
    counters = [i for i in items if i["pk"].startswith("PIXELRATE#")]
    [day] = [i for i in items if i["pk"].startswith("PIXELDAY#")]
    assert len(items) == len(counters) + 1 and len(counters) == 3  # source, client, shop
    assert {int(i["expires_at"]) for i in counters} == {
        int(datetime(2026, 11, 23, 15, 1, tzinfo=UTC).timestamp())
    }
    assert int(day["expires_at"]) == int(datetime(2026, 11, 24, 1, 0, tzinfo=UTC).timestamp())
    assert day["viewed"] == {"8123456789012"} and day["gsi1pk"] == f"CUSTOMER#{SHOP}#{CUSTOMER}"
    assert IP not in json.dumps(items, default=str) and "c7b9e6f2" not in json.dumps(items, default=str)


def test_a_customer_redaction_erases_their_day_item(request):
    from smsflows.adapters.privacy_store import DynamoPrivacyStore
    from smsflows.adapters.storefront_events import DynamoStorefrontEvents

    ddb = request.getfixturevalue("dynamodb")
    store = DynamoStorefrontEvents(ddb, TABLE)
    assert store.note_view(SHOP, CUSTOMER, "20261123", "1", NOW + timedelta(hours=10), 3)
    assert store.note_view(SHOP, "42", "20261123", "1", NOW + timedelta(hours=10), 3)
    assert DynamoPrivacyStore(ddb, TABLE).erase_subject(SHOP, CUSTOMER, [], []) == 1
    left = [i["pk"]["S"] for i in ddb.scan(TableName=TABLE)["Items"]]
    assert left == [f"PIXELDAY#{SHOP}#42"]
