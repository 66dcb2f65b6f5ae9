"""What the time keeper reads from the local cloud's queues (moto's backend, in this process)."""

from __future__ import annotations

import boto3
from moto import mock_aws

from smsflows.local import moto_patches


@mock_aws
def test_a_visible_message_is_ready_work_unless_its_poller_is_already_full():
    """A poller that handles all the batches it may (one waiting for a pacing slot) cannot receive what is
    visible: that is not work ready to run, or the keeper would never move time to the batch's slot."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="send-marketing")["QueueUrl"]
    sqs.create_queue(QueueName="other")
    busy: set[str] = set()
    ready, _ = moto_patches.queue_sources(["send-marketing"], lambda: busy)
    assert not ready(0.0)
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    assert ready(0.0)
    busy.add("send-marketing")
    assert not ready(0.0)
    busy.discard("send-marketing")
    busy.add("other")
    assert ready(0.0)


@mock_aws
def test_a_poller_is_full_while_it_handles_a_batch():
    from smsflows import topology
    from smsflows.local.pollers import QueuePoller

    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="send-marketing")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    seen: list[bool] = []
    poller: QueuePoller

    def invoke(name, event):
        seen.append(poller.full())
        return {"batchItemFailures": []}

    poller = QueuePoller(sqs, url, topology.function("send_message"), invoke, "us-east-1")
    assert poller.queue_name == "send-marketing" and not poller.full()
    assert poller.poll_once() == 1
    assert seen == [True] and not poller.full()
