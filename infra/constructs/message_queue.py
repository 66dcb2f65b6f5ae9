"""ShopEventsQueue / SendQueue: an SQS queue with its dead-letter queue, shaped by a topology QueueSpec."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from smsflows.topology import QueueSpec


class MessageQueue(Construct):
    """A durable hand-off: SQS-managed SSE, TLS only, redrive to a DLQ after `max_receive_count` receives."""

    def __init__(
        self, scope: Construct, construct_id: str, *, spec: QueueSpec, removal_policy: RemovalPolicy
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        # The DLQ keeps messages the longest SQS allows, so nothing dead-lettered expires before it is seen.
        self.dlq = sqs.Queue(
            self,
            "Dlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            max_message_size_bytes=spec.max_message_bytes,  # whatever the queue takes, its DLQ takes
            removal_policy=removal_policy,
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(spec.visibility_timeout_s),
            retention_period=Duration.days(spec.retention_days),
            max_message_size_bytes=spec.max_message_bytes,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dlq, max_receive_count=spec.max_receive_count),
            # In prod a stack replacement keeps the queues and what is on them (texts not yet sent).
            removal_policy=removal_policy,
        )
