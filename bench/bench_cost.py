"""AWS cost per 1,000 messages, from the AWS calls counted on the real send path, times the unit prices of
RULES.md E (us-east-1), against the provider's price for the same messages. Target: AWS <= 0.2 %.

Counted: the calls of shopify_webhook + process_shop_event + send_message for 200 order confirmations
(transactional) and 200 campaign texts (marketing) under moto, plus the two Twilio status callbacks per
message (the callback API, an HTTP API, + Lambda + one DynamoDB update each). Capacity units per call are estimated from
the items each call touches (1 KB items): stated below, not measured.
"""

from __future__ import annotations

import os

os.environ.update(POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true", TZ="UTC")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")

import bench_api_calls as calls

# RULES.md E, us-east-1
PRICE = {
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_s_arm": 0.0000133334,
    "ddb_wru": 0.625 / 1e6,
    "ddb_rru": 0.125 / 1e6,
    "sqs_request": 0.40 / 1e6,
    "apigw_rest": 3.50 / 1e6,  # the webhooks' API
    "apigw_http": 1.00 / 1e6,  # the callback API (infra/constructs/callback_api.py); AWS list price
    "sfn_transition": 0.025 / 1000,
    "logs_gb": 0.50,
    "twilio_segment": 0.0083,
    "carrier_fee": 0.0030,  # the low end of the 2026 pass-through fees
}
# Capacity units per call, by what the call touches (1 KB items; transactions cost double).
UNITS = {
    "dynamodb.PutItem": ("wru", 1),
    "dynamodb.UpdateItem": ("wru", 1),
    "dynamodb.GetItem": ("rru", 1),
    "dynamodb.BatchGetItem": ("rru", 4),  # 4 strongly consistent 1 KB reads
    "dynamodb.TransactWriteItems": ("wru", 4),  # 2 items x 2 (transactional writes cost double)
}


def dollars(
    counted: dict[str, float], invocations: float, lambda_ms: float, messages: int, webhooks: int
) -> float:
    cost = webhooks * PRICE["apigw_rest"]  # each webhook a request on the REST API
    for call, n in counted.items():
        if call.startswith("dynamodb."):
            unit, per = UNITS.get(call, ("wru", 1))
            cost += n * per * PRICE["ddb_" + unit]
        elif call.startswith("sqs."):
            cost += n * PRICE["sqs_request"]
        elif call.startswith("sfn."):
            cost += n * 3 * PRICE["sfn_transition"]
    cost += (
        invocations * PRICE["lambda_request"]
        + invocations * (lambda_ms / 1000) * 0.256 * PRICE["lambda_gb_s_arm"]
    )
    # two status callbacks per message: the callback API (HTTP API) + Lambda + one conditional update
    cost += messages * 2 * (PRICE["apigw_http"] + PRICE["lambda_request"] + 0.03 * 0.256 * PRICE["lambda_gb_s_arm"]
                            + PRICE["ddb_wru"])  # fmt: skip
    cost += (invocations + 2 * messages) * 2 / 1e6 * PRICE["logs_gb"]  # ~2 KB of logs per invocation
    return cost


def main() -> None:
    from collections import Counter

    from smsflows.domain.sending.encoding import segment_info
    from smsflows.local.inprocess import InProcessCloud

    counted: Counter[str] = Counter()
    with InProcessCloud(calls.SECRET, "bench-token", prefix="cost") as cloud:
        counter = calls.CallCounter()
        n = 200
        for i in range(n):
            cloud.invoke("shopify_webhook", calls.webhook_event(i))
        arn = "arn:aws:sqs:us-east-1:123456789012:q"
        # the harness's receives and deletes stand in for the event source mappings' (billed the same way)
        events = cloud.receive("shop_events_queue")
        for m in events:
            cloud.invoke("process_shop_event", calls.sqs_event([m], arn, "us-east-1"))
        sends = cloud.receive("transactional_queue") + cloud.receive("send_queue")
        counted.update(counter.take())
        for i in range(0, len(sends), 10):
            cloud.invoke("send_message", calls.sqs_event(sends[i : i + 10], arn, "us-east-1"))
        counted.update(counter.take())
        bodies = [entry["body"] for entry in cloud.twilio.outbox()]
    messages = len(bodies)
    segments = sum(segment_info(body).segments for body in bodies)  # the project's one counter
    invocations = (
        n + n + len(sends) / 10
    )  # webhook, consumer (batch 1 here; 10 in production), sender batches of 10
    aws = dollars(dict(counted), invocations, lambda_ms=60, messages=messages, webhooks=n)
    provider = segments * (PRICE["twilio_segment"] + PRICE["carrier_fee"])  # both are billed per segment
    print(f"{messages} order confirmations, {segments} segments, end to end (webhook -> SMS -> 2 callbacks)")
    print("AWS calls counted (incl. queue polling):", dict(sorted(counted.items())))
    print(f"AWS cost per 1,000 messages:      ${aws / messages * 1000:.4f}")
    print(f"provider cost per 1,000 messages: ${provider / messages * 1000:.2f}")
    print(f"AWS / provider: {aws / provider * 100:.3f} %  (target <= 0.2 %)")


if __name__ == "__main__":
    main()
