"""Fault injection: the fake Twilio fails 20 % of calls with 500, 429 or a timeout, over 500 messages.
Every message is delivered exactly once or dead-lettered (with the failures recorded on it).

Half the timeouts happen after Twilio accepted the message (the answer is lost): a blind retry would
text those people twice; the sender settles them with Twilio's message list instead."""

import json
import random
import time

from smsflows import topology
from smsflows.local.fake_twilio import Fault
from smsflows.local.inprocess import InProcessCloud
from smsflows.local.pollers import QueuePoller
from tests.integration.conftest import SHOPIFY_SECRET, TWILIO_TOKEN

MESSAGES = 500


def test_provider_faults_lose_nothing_and_send_nothing_twice(monkeypatch):
    # The client gives up after 0.5 s; injected hangs last 0.8 s. (Much shorter, and a busy CI machine
    # can starve the fake's own threads past the timeout: Twilio then lists the message only after the
    # retry looked for it, the remaining window the README describes, here made wide by the test.)
    monkeypatch.setenv("SMSFLOWS_PROVIDER_TIMEOUT_S", "0.5")
    # visibility 360 s / 720 => 1 s: a failed message is back a second later, as Lambda would see it
    with InProcessCloud(SHOPIFY_SECRET, TWILIO_TOKEN, queue_visibility_scale=720) as cloud:
        rng = random.Random(20261123)
        kinds = [Fault(status=500, code=20500, message="Internal Server Error"),
                 Fault(status=429, code=20429, message="Too Many Requests"),
                 Fault(status=504, code=20504, message="timeout", delay_s=0.8),
                 Fault(status=201, delay_s=0.8, accept=True)]  # accepted, then the answer times out  # fmt: skip
        cloud.twilio.fault_rule = lambda form: rng.choice(kinds) if rng.random() < 0.2 else None

        sqs, url = cloud.client("sqs"), cloud.res.queue_urls[topology.TRANSACTIONAL_QUEUE]
        ids = [f"fi-{i}" for i in range(MESSAGES)]
        for start in range(0, MESSAGES, 10):
            sqs.send_message_batch(QueueUrl=url, Entries=[
                {"Id": str(j), "MessageBody": json.dumps({
                    "message_id": mid, "shop": "demo-shop.myshopify.com", "to": f"+1512555{1000 + int(mid[3:]):04d}",
                    "body": "Demo Shop: your order shipped", "category": "transactional",
                    "created_at": "2026-11-23T17:00:00+00:00"})}
                for j, mid in enumerate(ids[start : start + 10])])  # fmt: skip

        poller = QueuePoller(sqs, url, topology.function("send_message"), cloud.invoke, "us-east-1")
        dlq = cloud.res.dlq_urls[topology.TRANSACTIONAL_QUEUE]
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if poller.poll_once() == 0:
                attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
                if (
                    attrs["ApproximateNumberOfMessages"] == "0"
                    and attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
                    and attrs["ApproximateNumberOfMessagesDelayed"] == "0"  # deferred, not gone
                ):
                    break
                time.sleep(0.2)

        dead = []
        while got := sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", []):
            dead += [json.loads(m["Body"])["message_id"] for m in got]
            sqs.delete_message_batch(QueueUrl=dlq, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                            for i, m in enumerate(got)])  # fmt: skip
        sent = {m["to"]: m for m in cloud.twilio.outbox()}
        delivered = {mid for mid in ids if f"+1512555{1000 + int(mid[3:]):04d}" in sent}
        assert len(cloud.twilio.outbox()) == len(sent)  # nobody got a text twice
        assert delivered | set(dead) == set(ids)  # nothing lost
        assert not delivered & set(dead)
        assert cloud.twilio.requests > MESSAGES  # faults really happened and were retried
        log = {i["pk"][4:]: i for i in cloud.items("MSG#")}
        for mid in dead:  # a dead-lettered message says why
            assert log[mid]["state"] == "retry" and log[mid]["reason"].startswith("provider")
