"""A transactional text its sender cannot take within the horizon goes back on the transactional queue,
delayed: never onto the bulk queue behind a broadcast, never lost (and so the sender's role may send there)."""

from __future__ import annotations

import json
import time

from smsflows import topology
from smsflows.domain.registration import Throughput
from tests.integration.conftest import SHOP_SENDER, sqs_event
from tests.integration.test_sender_at_scale import message, set_throughput


def test_a_transactional_text_behind_a_saturated_sender_is_requeued_on_its_own_queue(cloud):
    from smsflows.runtime.deps import get_deps

    set_throughput("demo-shop.myshopify.com", Throughput(sender_type="toll_free", segments_per_second=1))
    buckets = get_deps().pacer.buckets
    # another sender process booked the next minute of this sender's slots
    assert buckets.reserve(SHOP_SENDER, 60.0, time.time(), 1000.0) is not None
    result = cloud.invoke("send_message", sqs_event(json.dumps(message("tx-late", "+15125550131"))))
    assert result == {"batchItemFailures": []}  # handled: deferred, not failed
    assert cloud.twilio.outbox() == []
    sqs = cloud.client("sqs")

    def delayed(key: str) -> int:
        attrs = sqs.get_queue_attributes(
            QueueUrl=cloud.res.queue_urls[key], AttributeNames=["ApproximateNumberOfMessagesDelayed"]
        )
        return int(attrs["Attributes"]["ApproximateNumberOfMessagesDelayed"])

    assert (delayed(topology.TRANSACTIONAL_QUEUE), delayed(topology.SEND_QUEUE)) == (1, 0)
