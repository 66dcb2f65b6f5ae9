"""A flow's holdout (issue 16 part 2, ★): a share of a marketing flow's entrants is recorded but never
texted, by a hash of flow and phone (the same person's group every time), and orders in the lift window
count for the entrant's group, so the report can say whether the flow caused the sales."""

from __future__ import annotations

import json

from smsflows.domain.analytics.lift import flow_group
from smsflows.local import samples
from tests.integration.conftest import (
    SHOP,
    api_event,
    inbound_params,
    shopify_headers,
    sqs_event,
    twilio_event,
)

PHONES = [f"+1512555{3000 + i:04d}" for i in range(16)]


def _events(cloud, expect: bool = True) -> None:
    bodies = cloud.queue_bodies("shop_events_queue")
    assert bool(bodies) == expect, bodies
    if not bodies:
        return
    assert cloud.invoke("process_shop_event", sqs_event(*bodies)) == {"batchItemFailures": []}


def test_held_out_entrants_are_recorded_never_texted_and_their_orders_feed_the_flows_lift(cloud):
    from smsflows.admin import flows, report

    flows.flow_set(SHOP, "welcome", None, None, {}, {}, [], holdout_pct=50)
    for n, phone in enumerate(PHONES):
        reply = cloud.invoke("twilio_inbound", twilio_event(inbound_params("JOIN", f"SM{n:032d}", frm=phone)))
        assert reply["statusCode"] == 200
    _events(cloud)
    held = [p for p in PHONES if flow_group("welcome", p, 0.5) == "holdout"]
    texted = [p for p in PHONES if p not in held]
    assert held and texted  # 16 phones, half and half by the hash (here: both groups non-empty)
    started = {e["name"] for e in cloud.executions() if "welcome" in e["stateMachineArn"]}
    assert len(started) == len(texted)  # the held out start no execution: no welcome text, ever
    entries = [i for i in cloud.items("LIFT#") if i["sk"].startswith("ENTRY#")]
    assert sorted(e["phone"] for e in entries) == sorted(PHONES)
    assert {e["phone"]: e["group"] for e in entries} == {p: flow_group("welcome", p, 0.5) for p in PHONES}

    for n, phone in enumerate([texted[0], texted[1], held[0]]):
        payload = samples.order(600 + n, 3000 + n, phone)
        payload["created_at"] = "2026-11-23T20:00:00+00:00"
        payload["total_price"] = "30.00"
        body = json.dumps(payload).encode()
        cloud.invoke("shopify_webhook", api_event(body, shopify_headers(body)))
        _events(cloud)
    built = report.build(SHOP, since="2026-11-23", until="2026-11-23")
    [lift] = [x for x in built["lift"] if x["scope"] == "flow:welcome"]
    assert lift["sent"] == {"recipients": len(texted), "conversions": 2, "revenue": 60.0}
    assert lift["holdout"] == {"recipients": len(held), "conversions": 1, "revenue": 30.0}

    again = cloud.invoke("twilio_inbound", twilio_event(inbound_params("JOIN", "SM" + "9" * 32, frm=held[0])))
    assert again["statusCode"] == 200
    _events(cloud, expect=False)  # subscribed already: nothing starts, no new entry, still no text
    assert len([i for i in cloud.items("LIFT#") if i["sk"].startswith("ENTRY#")]) == len(PHONES)
