"""A customer redaction is complete: every running flow of the customer stops (whatever it is named after),
and after it no item in the table, raw webhook bodies and exports included, holds the customer's phone or
e-mail, except what the README says is kept on purpose: the consent ledger and the hashed suppression.

The kinds of item come from the key layout itself (`smsflows.domain.keys`), not from a list written from
memory: a new kind of item fails this test until it is created here or declared to hold no personal data.
"""

from __future__ import annotations

import gzip
import inspect
import json
import os

import pytest

from smsflows.domain import keys
from smsflows.local import moto_patches, samples
from tests.integration.conftest import (
    SHOP,
    api_event,
    inbound_params,
    shopify_headers,
    sqs_event,
    twilio_event,
)

PHONE = "+15125550123"
NATIONAL = "5125550123"
EMAIL = "ada@example.com"  # samples.order's e-mail for Ada
CUSTOMER_ID = "7000000001001"  # samples.order(…, 1001, …)
# Kinds that never hold a person's data: per shop, per sender, per brand.
NOT_PERSONAL = {
    "shop_config": "the shop's settings",
    "sender": "a number or Messaging Service of the shop",
    "pace_bucket": "a sender's token bucket",
    "daily_counter": "a brand's daily segment count",
    "opt_in_source": "a source address's hourly count of sign-ups: hashed, no phone, gone after the hour",
    "shop_list": "a shop's entry in the list of shops: a copy of its settings",
    "daily_page": "a daily-job page done: the shop, the day and a hash",
    "campaign": "a campaign's copy, audience rule and history (who moved it: operators, not customers)",
    "segment": "a saved segment: conditions on ids, tags, places and dates, and the operator who made it",
    "counter": "a day's counts of one flow step or campaign variant: sums, no phone",
    "lift_group": "a holdout experiment's group totals: sums, no phone",
    "storefront_count": "a pixel event count per hashed address, hashed client or shop: gone in minutes",
    "consent_echo": "a consent write to Shopify, as a hash of shop, phone, state and time: no phone, 2 days",
}
KEPT_ON_PURPOSE = {"consent_event", "suppression"}
# Kinds about a customer that name them by their Shopify id only (no phone, no e-mail).
BY_CUSTOMER_ID = {"storefront_day"}  # RULES A8.2: evidence, and the hashed STOP


def key_kinds() -> dict[str, str]:
    """Every item kind of the key layout, with the prefix of its partition key."""
    kinds = {}
    for name, fn in inspect.getmembers(keys, inspect.isfunction):
        if fn.__module__ != keys.__name__:
            continue
        params = inspect.signature(fn, eval_str=True).parameters
        sample = fn(*[0 if p.annotation is int else "x" for p in params.values()])
        if isinstance(sample, dict) and "pk" in sample:
            kinds[name] = sample["pk"].split("#", 1)[0] + "#"
    return kinds


def webhook(cloud, topic, payload, webhook_id):
    body = json.dumps(payload).encode()
    response = cloud.invoke(
        "shopify_webhook", api_event(body, shopify_headers(body, topic=topic, webhook_id=webhook_id))
    )
    assert response["statusCode"] == 200
    run_shop_events(cloud)


def run_shop_events(cloud):
    bodies = cloud.queue_bodies("shop_events_queue")
    assert bodies, "no shop event to process"
    result = cloud.invoke("process_shop_event", sqs_event(*bodies))
    assert result == {"batchItemFailures": []}, cloud.lambdas.module(
        "process_shop_event"
    ).processor.exceptions


def inbound(cloud, body, sid):
    response = cloud.invoke("twilio_inbound", twilio_event(inbound_params(body, sid)))
    assert response["statusCode"] == 200


def send_all(cloud):
    bodies = cloud.send_bodies()
    assert bodies, "nothing queued to send"
    assert cloud.invoke("send_message", sqs_event(*bodies)) == {"batchItemFailures": []}


def describe(cloud, execution):
    return cloud.client("stepfunctions").describe_execution(executionArn=execution["executionArn"])


def wait_until_stopped(cloud, execution, timeout_s: float = 20.0):
    """moto applies a stop asynchronously; raise if the execution is still running after `timeout_s`."""
    import time

    deadline = time.monotonic() + timeout_s
    while (described := describe(cloud, execution))["status"] == "RUNNING":
        if time.monotonic() > deadline:
            raise AssertionError(f"{execution['name']} still RUNNING after {timeout_s} s")
        time.sleep(0.05)
    return described


def _raw(value) -> bytes:
    return bytes(value.value if hasattr(value, "value") else value)


def plain_text(item: dict, table: list[dict] | None = None) -> str:
    """Everything an item holds, compressed bodies and exports opened, as one string to search. A part of a
    body too large for one item is a fragment of one gzip stream: read with all its siblings from `table`."""
    if str(item.get("sk", "")).startswith("PART#"):
        siblings = sorted((i for i in table or [item] if i["pk"] == item["pk"] and str(i["sk"]).startswith("PART#")),
                          key=lambda i: i["sk"])  # fmt: skip
        joined = b"".join(_raw(i["body_gz"]) for i in siblings if "body_gz" in i)
        return f"body={gzip.decompress(joined).decode(errors='replace')}" if joined else ""
    parts = []
    for name, value in item.items():
        if isinstance(value, bytes | bytearray) or type(value).__name__ == "Binary":
            parts.append(f"{name}={gzip.decompress(_raw(value)).decode(errors='replace')}")
        else:
            parts.append(f"{name}={value}")
    return "\n".join(parts)


def mentions_customer(text: str) -> list[str]:
    return [needle for needle in (PHONE, NATIONAL, EMAIL) if needle in text]


def checkout(token):
    return {"token": token, "abandoned_checkout_url": f"https://demo-shop.example/checkouts/{token}/recover",
            "phone": PHONE, "email": EMAIL, "customer": {"id": int(CUSTOMER_ID), "first_name": "Ada"},
            "line_items": [{"title": "Brass Compass"}]}  # fmt: skip


def a_customer_with_one_of_everything(cloud, *, stop: bool = True) -> None:
    """One item of every personal kind, through the real paths where there is one. The STOP (for the
    suppression) comes last, and its opt-out event stops the marketing flows: `stop=False` leaves them
    running for the test of the redaction's own stopping."""
    from smsflows.runtime.deps import get_deps

    webhook(
        cloud, "orders/create", samples.order(42, 1001, PHONE, "Ada"), "wh-order"
    )  # order, profile, webhook
    send_all(cloud)  # the order confirmation: message
    inbound(cloud, "JOIN", "SM-join")  # subscriber, consent_event: subscribed again
    run_shop_events(cloud)  # "subscribed": the welcome series starts (and waits two days for step 1)
    from tests.integration.test_consent import form, post_subscribe

    assert post_subscribe(cloud, form())["statusCode"] == 200  # opt_in_request (subscribed already: no text)
    inbound(cloud, "Where is my order?", "SM-q")  # conversation
    webhook(cloud, "checkouts/create", checkout("tok-ada"), "wh-checkout")  # checkout, flow_lock, a flow
    large = samples.order(43, 1001, PHONE, "Ada") | {"note": os.urandom(450_000).hex()}  # ~500 KB compressed
    webhook(cloud, "orders/create", large, "wh-large")  # webhook_part: a body too large for one item
    marketing = {"message_id": "campaign:ada", "shop": SHOP, "to": PHONE, "category": "marketing",
                 "body": "Demo Shop: 10% off today https://demo-shop.example/sale Reply STOP to opt out",
                 "flow": "campaign", "created_at": "2026-11-23T17:00:00+00:00"}  # fmt: skip
    cloud._setenv({"PUBLIC_BASE_URL": "https://abc123.execute-api.us-east-1.amazonaws.com/prod"})
    from smsflows.runtime import deps as deps_module

    deps_module.reset()  # with a public URL the sender shortens links: a link and the touch record
    assert cloud.invoke("send_message", sqs_event(json.dumps(marketing))) == {
        "batchItemFailures": []
    }  # frequency, link, touch (and the orders above: their attributions)
    deps = get_deps()
    deps.measurement.convert(SHOP, "campaign:cmp_ada", "sent", PHONE, 42.0)  # lift_conversion
    deps.measurement.enter(SHOP, "winback", "holdout", PHONE, "winback-ada", deps.clock())  # lift_entry
    deps.shop_data.add_restock(SHOP, "v-77", PHONE, "Brass Compass", "https://demo-shop.example/p/compass")
    deps.message_log.mark_unreachable(SHOP, PHONE, "twilio 30003", deps.clock())  # unreachable
    from smsflows.domain.campaigns.fanout import AssignmentRow, Progress

    # a campaign under way: the customer's assignment, and the run's place in the index at their key
    deps.campaign_runs.assign(
        SHOP, "cmp_ada", "once", [AssignmentRow(PHONE, "A", 0.5, deps.clock(), ("America/Chicago",))]
    )
    place = {"seg_pk": f"SEG#{SHOP}#00", **keys.subscriber(SHOP, PHONE)}
    assert deps.campaign_runs.advance(SHOP, "cmp_ada", "once", 0, Progress(step=1, after=place))
    from datetime import timedelta

    from smsflows.adapters.shopify_segment_members import DynamoShopifySegmentMembers
    from smsflows.adapters.storefront_events import DynamoStorefrontEvents

    table = deps.settings.table_name
    # the storefront's pixel: the customer's day of product views (by customer id)
    DynamoStorefrontEvents(deps.client("dynamodb"), table).note_view(
        SHOP, CUSTOMER_ID, "20261123", "p-77", deps.clock() + timedelta(days=2), 3
    )
    # a Shopify segment's member read into a campaign run
    DynamoShopifySegmentMembers(deps.client("dynamodb"), table).write(
        SHOP, "cmp_ada", "once", [PHONE], deps.clock() + timedelta(days=30)
    )
    request = {"shop_domain": SHOP, "customer": {"id": int(CUSTOMER_ID), "email": EMAIL, "phone": PHONE},
               "orders_requested": [42], "data_request": {"id": 9999}}  # fmt: skip
    webhook(cloud, "customers/data_request", request, "wh-export")  # export
    if stop:
        inbound(cloud, "STOP", "SM-stop")  # suppression, consent_event
        run_shop_events(cloud)  # the opt-out ends the marketing flows


@pytest.fixture
def flows_wait_for_real(cloud):
    from smsflows.runtime.deps import get_deps

    # Wait states take their real (days-long) time on the application's clock
    moto_patches.install(cloud.lambdas.invoke, time_scale=1, clock=lambda: get_deps().clock())


def test_the_key_layout_has_no_kind_this_test_does_not_know():
    kinds = key_kinds()
    assert len(kinds) >= 18
    personal = set(kinds) - set(NOT_PERSONAL)
    assert set(NOT_PERSONAL) <= set(kinds)
    assert personal == {
        "webhook", "webhook_part", "profile", "order", "message", "checkout", "flow_lock", "restock", "subscriber",
        "consent_event", "suppression", "unreachable", "conversation", "frequency", "export",
        "opt_in_request", "campaign_assignment", "campaign_run", "link", "touch", "attribution", "lift_conversion",
        "lift_entry", "storefront_day", "shopify_segment_member",
    }  # fmt: skip


REDACT = {"shop_domain": SHOP, "customer": {"id": int(CUSTOMER_ID), "email": EMAIL, "phone": "512-555-0123"},
          "orders_to_redact": [42, 43]}  # fmt: skip


def test_customer_redact_leaves_no_phone_or_email_in_any_item(cloud):
    a_customer_with_one_of_everything(cloud)
    for kind, prefix in key_kinds().items():
        if kind in NOT_PERSONAL:
            continue
        table = cloud.items(prefix)
        found = [i for i in table if mentions_customer(plain_text(i, table)) or kind == "suppression"
                 or (kind in BY_CUSTOMER_ID and CUSTOMER_ID in i["pk"])]  # fmt: skip
        assert len(found) >= 1, f"the setup made no {kind} item about the customer"

    webhook(cloud, "customers/redact", REDACT, "wh-redact")

    everything = cloud.items("")
    assert len(everything) > 10
    left = {
        (item["pk"], item["sk"]): mentions_customer(plain_text(item, everything))
        for item in everything
        if item.get("type") not in KEPT_ON_PURPOSE and mentions_customer(plain_text(item, everything))
    }
    assert left == {}
    by_id = [
        (i["pk"], i["sk"]) for i in everything if i.get("type") in BY_CUSTOMER_ID and CUSTOMER_ID in i["pk"]
    ]
    assert by_id == []
    kept = [i for i in everything if i.get("type") == "consent_event"]
    assert len(kept) >= 2  # JOIN and STOP: the evidence stays
    assert len([i for i in everything if i.get("type") == "suppression"]) == 1
    [inbox_redact] = [i for i in everything if i["pk"] == keys.webhook(SHOP, "wh-redact")["pk"]]
    assert "body_gz" not in inbox_redact and inbox_redact["redacted"] is True  # the request's own body too
    [inbox_order] = [i for i in everything if i["pk"] == keys.webhook(SHOP, "wh-order")["pk"]]
    assert "body_gz" not in inbox_order and inbox_order["topic"] == "orders/create"  # kept as the dedupe key


def test_customer_redact_stops_every_running_flow_of_the_customer(cloud, flows_wait_for_real):
    a_customer_with_one_of_everything(cloud, stop=False)
    running = sorted(e["name"].split("-", 1)[0] for e in cloud.executions() if e["status"] == "RUNNING")
    assert running == ["abandoned_checkout", "welcome"]  # named after a phone hash and a checkout token

    webhook(cloud, "customers/redact", REDACT, "wh-redact")

    # moto applies a stop asynchronously: wait until no execution runs (a flow left running fails the wait)
    for execution in cloud.executions():
        assert wait_until_stopped(cloud, execution)["status"] == "ABORTED", execution["name"]


def test_redaction_spares_other_customers_flows(cloud, flows_wait_for_real):
    other = "+15125550999"
    inbound(cloud, "JOIN", "SM-ada")
    run_shop_events(cloud)
    cloud.invoke("twilio_inbound", twilio_event(inbound_params("JOIN", "SM-bob", frm=other)))
    run_shop_events(cloud)
    running = [e for e in cloud.executions() if e["status"] == "RUNNING"]
    assert len(running) == 2

    redact = {
        "shop_domain": SHOP,
        "customer": {"id": 1, "email": "x@example.com", "phone": PHONE},
        "orders_to_redact": [],
    }
    webhook(cloud, "customers/redact", redact, "wh-redact-ada")

    [ada] = [e for e in running if json.loads(describe(cloud, e)["input"])["context"]["phone"] == PHONE]
    assert wait_until_stopped(cloud, ada)["status"] == "ABORTED"
    [still] = [e for e in cloud.executions() if e["status"] == "RUNNING"]
    assert (
        json.loads(
            cloud.client("stepfunctions").describe_execution(executionArn=still["executionArn"])["input"]
        )["context"]["phone"]
        == other
    )
