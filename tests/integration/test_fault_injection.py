"""Fault injection: the fake Twilio fails 20 % of calls with 500, 429 or a timeout, over 500 messages.
Every message is delivered exactly once or dead-lettered (with the failures recorded on it).

Half the timeouts happen after Twilio accepted the message (the answer is lost): a blind retry would
text those people twice; the sender settles them with Twilio's message list instead. A few more
messages go to numbers Twilio always refuses: they must end in the DLQ, saying why."""

import json
import random

from smsflows import topology
from smsflows.local.fake_twilio import Fault
from smsflows.local.inprocess import InProcessCloud
from smsflows.local.pollers import QueuePoller
from tests.integration.conftest import SHOPIFY_SECRET, TWILIO_TOKEN
from tests.waiting import wait_until

MESSAGES = 500  # 20 % of their provider calls fail at random
DOOMED = 5  # and these always fail (a retryable 500): five receives, then the DLQ


def phone(mid: str) -> str:
    return f"+1512555{1000 + int(mid[3:]):04d}"


def test_provider_faults_lose_nothing_and_send_nothing_twice(monkeypatch):
    # The client gives up after 0.3 s; injected hangs last 0.8 s. The hangs are most of this test's time
    # (the client waits out each one); a retry asks Twilio a second or more later (the back-off), so the fake
    # has that long to list a message it took. (0.3 s held with both cores of a 2-core machine busy with
    # other work. Much shorter, and a busy CI machine can starve the fake's own threads past the timeout and
    # the back-off: Twilio then lists the message only after the retry looked for it, the remaining window
    # the README describes, here made wide by the test.)
    monkeypatch.setenv("SMSFLOWS_PROVIDER_TIMEOUT_S", "0.3")
    # visibility 360 s / 720 => 1 s: a failed message is back a second later, as Lambda would see it
    with InProcessCloud(SHOPIFY_SECRET, TWILIO_TOKEN, queue_visibility_scale=720) as cloud:
        rng = random.Random(20261123)
        kinds = [Fault(status=500, code=20500, message="Internal Server Error"),
                 Fault(status=429, code=20429, message="Too Many Requests"),
                 Fault(status=504, code=20504, message="timeout", delay_s=0.8),
                 Fault(status=201, delay_s=0.8, accept=True)]  # accepted, then the answer times out  # fmt: skip
        ids = [f"fi-{i}" for i in range(DOOMED + MESSAGES)]
        doomed = set(ids[:DOOMED])  # queued first: their five attempts overlap the others'
        refused = {phone(mid) for mid in doomed}

        def fault_rule(form):
            if form.get("To") in refused:
                return Fault(status=500, code=20500, message="Internal Server Error")
            return rng.choice(kinds) if rng.random() < 0.2 else None

        cloud.twilio.fault_rule = fault_rule

        sqs, url = cloud.client("sqs"), cloud.res.queue_urls[topology.TRANSACTIONAL_QUEUE]
        for start in range(0, len(ids), 10):
            sqs.send_message_batch(QueueUrl=url, Entries=[
                {"Id": str(j), "MessageBody": json.dumps({
                    "message_id": mid, "shop": "demo-shop.myshopify.com", "to": phone(mid),
                    "body": "Demo Shop: your order shipped", "category": "transactional",
                    "created_at": "2026-11-23T17:00:00+00:00"})}
                for j, mid in enumerate(ids[start : start + 10])])  # fmt: skip

        # One poller: the in-process Lambda runs one invocation of a function at a time anyway.
        poller = QueuePoller(sqs, url, topology.function("send_message"), cloud.invoke, "us-east-1")
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                 "ApproximateNumberOfMessagesDelayed"]  # waiting, being handled (or backing off), deferred  # fmt: skip

        def left_on_the_queue():
            while poller.poll_once():
                pass
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
            return {name: int(attrs[name]) for name in names}

        wait_until(left_on_the_queue, lambda left: not any(left.values()), what="the transactional queue to drain",
                   timeout=240, interval=0.2)  # fmt: skip

        dead = []
        dlq = cloud.res.dlq_urls[topology.TRANSACTIONAL_QUEUE]
        while got := sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", []):
            dead += [json.loads(m["Body"])["message_id"] for m in got]
            sqs.delete_message_batch(QueueUrl=dlq, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                            for i, m in enumerate(got)])  # fmt: skip
        sent = {m["to"]: m for m in cloud.twilio.outbox()}
        delivered = {mid for mid in ids if phone(mid) in sent}
        assert len(cloud.twilio.outbox()) == len(sent)  # nobody got a text twice
        assert delivered | set(dead) == set(ids)  # nothing lost
        assert len(dead) == len(set(dead))
        assert doomed <= set(dead) and not doomed & delivered
        assert cloud.twilio.requests > MESSAGES + DOOMED * 5  # faults really happened and were retried
        log = {i["pk"][4:]: i for i in cloud.items("MSG#")}
        assert len(dead) >= DOOMED
        for mid in dead:  # a dead-lettered message says so, and why
            entry = log[mid]
            assert entry["state"] == "dead_lettered", entry
            if entry.get("in_doubt"):
                # its claim is in doubt (an attempt timed out: Twilio may have it, and then it was delivered,
                # once); the last attempt timed out too, or could not look it up. A replay restores the claim
                # ('sending'), so the sender asks Twilio before sending again.
                assert entry["dead_lettered_from"] == "sending", entry
                assert entry["reason"].startswith(("twilio in doubt", "twilio lookup failed")), entry
            else:
                assert entry["dead_lettered_from"] == "retry", entry
                assert entry["reason"].startswith("provider"), entry
                assert mid not in delivered
        for mid in doomed:
            assert log[mid]["reason"] == "provider 20500: retry"
