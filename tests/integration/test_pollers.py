"""The local event source mapping: batches, partial batch failures, visibility timeout, DLQ."""

import json

from smsflows import topology
from smsflows.local import samples
from smsflows.local.inprocess import InProcessCloud
from smsflows.local.pollers import QueuePoller
from tests.integration.conftest import SHOPIFY_SECRET, TWILIO_TOKEN
from tests.waiting import wait_until

ARN_REGION = "us-east-1"


def test_poison_message_goes_to_the_dlq_after_max_receives_and_good_ones_are_deleted():
    # visibility 360 s / 1000 => 1 s, so five receives take about five seconds
    with InProcessCloud(SHOPIFY_SECRET, TWILIO_TOKEN, queue_visibility_scale=1000) as cloud:
        sqs = cloud.client("sqs")
        url = cloud.res.queue_urls[topology.SEND_QUEUE]
        good = {
            "message_id": "m-good",
            "shop": "demo-shop.myshopify.com",
            "to": "+15125550123",
            "body": "Demo Shop: hi",
            "category": "transactional",
            "created_at": "2026-11-23T15:00:00+00:00",
        }
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(good))
        sqs.send_message(QueueUrl=url, MessageBody='{"not": "a message"}')
        calls = []

        def invoke(name, event):
            calls.append(len(event["Records"]))
            return cloud.invoke(name, event)

        poller = QueuePoller(sqs, url, topology.function("send_message"), invoke, ARN_REGION)
        dlq = cloud.res.dlq_urls[topology.SEND_QUEUE]

        def dlq_depth():
            poller.poll_once()
            attrs = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
            return int(attrs["Attributes"]["ApproximateNumberOfMessages"])

        wait_until(dlq_depth, lambda depth: depth == 1, what="the poison message in the DLQ", interval=0.2)
        [dead] = sqs.receive_message(QueueUrl=dlq)["Messages"]
        assert json.loads(dead["Body"]) == {"not": "a message"}
        assert calls[0] == 2  # both arrived in one batch
        assert len(calls) == 1 + topology.QUEUES[topology.SEND_QUEUE].max_receive_count - 1
        assert [m["to"] for m in cloud.twilio.outbox()] == ["+15125550123"]  # the good one, once
        assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
        # the poison message has no message id: the log holds the good one alone, sent
        assert [(i["pk"], i["state"]) for i in cloud.items("MSG#")] == [("MSG#m-good", "sent")]


def test_an_invocation_that_raises_returns_the_whole_batch(cloud):
    sqs = cloud.client("sqs")
    url = cloud.res.queue_urls[topology.SHOP_EVENTS_QUEUE]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"order": samples.order(1, 1, None)}))

    def broken(name, event):
        raise RuntimeError("function crashed")

    poller = QueuePoller(sqs, url, topology.function("process_shop_event"), broken, ARN_REGION)
    assert poller.poll_once() == 1
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"


def test_dlq_list_shows_the_reason_and_replay_sends_once(monkeypatch):
    from smsflows import admin
    from smsflows.local.fake_twilio import Fault

    with InProcessCloud(SHOPIFY_SECRET, TWILIO_TOKEN, queue_visibility_scale=1000) as cloud:
        sqs = cloud.client("sqs")
        url = cloud.res.queue_urls[topology.SEND_QUEUE]
        message = {"message_id": "m-dead", "shop": "demo-shop.myshopify.com", "to": "+15125550123",
                   "body": "Demo Shop: hi", "category": "transactional", "created_at": "2026-11-23T15:00:00+00:00"}  # fmt: skip
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(message))
        cloud.twilio.fault_rule = lambda form: Fault(status=503, code=20503, message="Service Unavailable")
        poller = QueuePoller(sqs, url, topology.function("send_message"), cloud.invoke, ARN_REGION)

        def dead_letters():
            poller.poll_once()
            return admin.dlq_list()

        [row] = wait_until(dead_letters, what="m-dead in `smsflows dlq list`", interval=0.2)
        assert row["message_id"] == "m-dead" and row["reason"].startswith("provider 20503")
        # the message log says so too: dead-lettered (not "retry"), with its last attempt's reason
        assert row["state"] == "dead_lettered"
        [item] = cloud.items("MSG#m-dead")
        assert (item["state"], item["reason"]) == ("dead_lettered", "provider 20503: retry")
        assert cloud.twilio.requests == topology.QUEUES[topology.SEND_QUEUE].max_receive_count

        cloud.twilio.fault_rule = None  # the provider is back
        assert admin.dlq_replay("send_queue") == {"send_queue": 1}
        [item] = cloud.items("MSG#m-dead")
        assert item["state"] == "queued"  # back on its queue, claimable again
        poller.poll_once()
        [item] = cloud.items("MSG#m-dead")
        assert item["state"] == "sent"
        admin.dlq_replay("send_queue")  # nothing left: replaying again sends nothing twice
        poller.poll_once()
        assert [m["to"] for m in cloud.twilio.outbox()] == ["+15125550123"]
        assert cloud.items("MSG#m-dead")[0]["state"] == "sent"
        assert admin.dlq_list() == []


def _two_batches(cloud, max_in_flight):
    """Two batches on the send queue, handled by a poller whose function waits (up to 5 s) for a second
    batch to be in flight beside it: how many were seen handled at once."""
    import contextlib
    import threading

    sqs = cloud.client("sqs")
    url = cloud.res.queue_urls[topology.SEND_QUEUE]
    for n in range(20):  # two batches of ten
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": n}))
    lock, in_flight, most, done = threading.Lock(), [0], [0], threading.Event()
    both = threading.Barrier(2, timeout=5)
    handled = []

    def invoke(name, event):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        with contextlib.suppress(threading.BrokenBarrierError):
            both.wait()  # a second batch beside this one, or a BrokenBarrierError after 5 s
        with lock:
            in_flight[0] -= 1
            handled.append(len(event["Records"]))
            if sum(handled) == 20:
                done.set()
        return {"batchItemFailures": []}

    poller = QueuePoller(sqs, url, topology.function("send_message"), invoke, ARN_REGION)
    poller.max_in_flight = max_in_flight
    poller.start()
    try:
        assert done.wait(30), f"only {sum(handled)} of 20 messages handled"
    finally:
        poller.stop()
    return most[0], handled


def test_a_poller_hands_over_the_next_batch_while_one_is_in_flight_when_allowed():
    """Real time: as an event source mapping's concurrent batches (a paced sender's batch sleeps until its
    slots, and the next must be prepared meanwhile); one at a time otherwise (virtual time's default)."""
    with InProcessCloud(SHOPIFY_SECRET, TWILIO_TOKEN) as cloud:
        most, handled = _two_batches(cloud, max_in_flight=2)
        assert most == 2 and sorted(handled) == [10, 10]
        most, handled = _two_batches(cloud, max_in_flight=1)
        assert most == 1 and sorted(handled) == [10, 10]
