import json
from datetime import UTC, datetime

import pytest

from smsflows.domain.shopify import webhooks
from smsflows.domain.shopify.ingest import accept_shopify_webhook
from smsflows.runtime.clock import fixed_clock
from smsflows.runtime.errors import BadRequest, TransientError, Unauthorized
from tests.fakes import FakeInbox, FakeQueue

SHOP = "demo-shop.myshopify.com"
SECRET = b"local-shopify-secret"
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def headers(body: bytes, **overrides):
    h = {
        "X-Shopify-Hmac-Sha256": webhooks.sign(SECRET, body),
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Webhook-Id": "wh-1",
    }
    h.update(overrides)
    return {k: v for k, v in h.items() if v is not None}


def accept(body, hdrs, inbox=None, queue=None):
    return accept_shopify_webhook(
        body,
        hdrs,
        secret_for=lambda shop: SECRET if shop == SHOP else None,
        inbox=inbox if inbox is not None else FakeInbox(),
        queue=queue if queue is not None else FakeQueue(),
        clock=fixed_clock(NOW),
    )


def test_authentic_webhook_is_stored_and_queued():
    inbox, queue = FakeInbox(), FakeQueue()
    body = json.dumps({"id": 1, "name": "#1"}).encode()
    result = accept(body, headers(body), inbox, queue)
    assert result.outcome == "queued"
    assert inbox.items[(SHOP, "wh-1")].body == body
    assert queue.sent == [
        {
            "shop": SHOP,
            "topic": "orders/create",
            "webhook_id": "wh-1",
            "api_version": None,
            "received_at": NOW.isoformat(),
            "correlation_id": "shopify:wh-1",
            "body": body.decode(),
        }
    ]
    assert inbox.items[(SHOP, "wh-1")].state == "received"  # "accepting" only until the hand-off


def test_redelivered_webhook_id_is_acknowledged_and_not_queued_again():
    inbox, queue = FakeInbox(), FakeQueue()
    body = b'{"id": 1}'
    assert accept(body, headers(body), inbox, queue).outcome == "queued"
    assert accept(body, headers(body), inbox, queue).outcome == "duplicate"
    assert len(queue.sent) == 1


@pytest.mark.parametrize(
    "override",
    [
        {"X-Shopify-Hmac-Sha256": None},
        {"X-Shopify-Hmac-Sha256": "d3Jvbmc="},
        {"X-Shopify-Shop-Domain": None},
        {"X-Shopify-Shop-Domain": "evil.example.com"},
        {"X-Shopify-Shop-Domain": "other-shop.myshopify.com"},  # no secret for that shop
    ],
)
def test_unauthentic_webhooks_are_401_and_change_nothing(override):
    inbox, queue = FakeInbox(), FakeQueue()
    body = b'{"id": 1}'
    with pytest.raises(Unauthorized):
        accept(body, headers(body, **override), inbox, queue)
    assert inbox.items == {} and queue.sent == []


def test_tampered_body_is_401():
    body = b'{"id": 1}'
    with pytest.raises(Unauthorized):
        accept(b'{"id": 2}', headers(body))


@pytest.mark.parametrize(
    "override", [{"X-Shopify-Topic": None}, {"X-Shopify-Webhook-Id": None}, {"X-Shopify-Topic": "x"}]
)
def test_authentic_but_unroutable_webhook_is_400_and_changes_nothing(override):
    inbox, queue = FakeInbox(), FakeQueue()
    body = b'{"id": 1}'
    with pytest.raises(BadRequest):
        accept(body, headers(body, **override), inbox, queue)
    assert inbox.items == {} and queue.sent == []


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe"])
def test_authentic_unparseable_body_is_kept_for_replay_and_acknowledged(body):
    inbox, queue = FakeInbox(), FakeQueue()
    result = accept(body, headers(body), inbox, queue)
    assert result.outcome == "unparseable"
    assert inbox.items[(SHOP, "wh-1")].state == "unparseable"
    assert inbox.items[(SHOP, "wh-1")].body == body
    assert queue.sent == []


def test_failed_hand_off_forgets_the_record_so_the_retry_is_accepted():
    inbox = FakeInbox()
    body = b'{"id": 1}'
    with pytest.raises(TransientError):
        accept(body, headers(body), inbox, FakeQueue(fail=TransientError("sqs down")))
    assert inbox.items == {}
    queue = FakeQueue()
    assert accept(body, headers(body), inbox, queue).outcome == "queued"
    assert len(queue.sent) == 1


def test_large_body_travels_by_reference():
    inbox, queue = FakeInbox(), FakeQueue()
    body = json.dumps({"id": 1, "note": "x" * 250_000}).encode()
    accept(body, headers(body), inbox, queue)
    assert "body" not in queue.sent[0]
    assert inbox.items[(SHOP, "wh-1")].body == body


@pytest.mark.parametrize(("scale", "taken_over"), [(1.0, True), (3600.0, False)])
def test_an_accepting_record_goes_stale_after_a_minute_of_real_time_whatever_the_clocks_scale(
    scale, taken_over
):
    """At the local cloud's 3600x, two virtual minutes are 1/30 of a real second: a concurrent redelivery
    then is still a request at work (409), not a hand-off that died."""
    from smsflows.domain.shopify.records import STALE_ACCEPTING
    from smsflows.runtime.errors import Conflict

    inbox = FakeInbox()
    inbox.forget = lambda *a: None  # type: ignore[method-assign]  # the clean-up fails too
    body = json.dumps({"id": 1}).encode()
    with pytest.raises(TransientError):  # the hand-off failed: the record is left "accepting"
        accept(body, headers(body), inbox, FakeQueue(fail=TransientError("down")))
    later = NOW + STALE_ACCEPTING * 2
    run = lambda: accept_shopify_webhook(  # noqa: E731
        body, headers(body), secret_for=lambda shop: SECRET, inbox=inbox, queue=FakeQueue(),
        clock=fixed_clock(later), time_scale=scale,
    )  # fmt: skip
    if taken_over:
        assert run().outcome == "queued"
    else:
        with pytest.raises(Conflict):
            run()
