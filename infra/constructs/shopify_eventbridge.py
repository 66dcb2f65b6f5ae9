"""ShopifyEventBridge: Shopify webhooks delivered by Amazon EventBridge (the high-volume option).

Shopify puts the webhooks of a subscription whose uri is the partner event source's ARN on that source; the
stack associates it with its partner event bus (`events.EventBus(event_source_name=...)`: the bus is named
after the source) and one rule puts every classic webhook on the shopify_eventbridge queue, which the
shopify_eventbridge function consumes like any queue of the topology.

Why a queue between the rule and the function, and not the function as the rule's target: EventBridge
invokes a Lambda target asynchronously, and the target's retry policy only covers getting the event to
Lambda; once Lambda has it, a failing function (the table throttled, the shop-events queue unavailable) is
retried twice within about three minutes and then dropped or dead-lettered. The queue gives an EventBridge
webhook the same retries as every other hand-off of the system (12 receives, 180 s apart: 33 minutes, so
an incident of half an hour loses nothing), partial batch failures, a bounded consumer concurrency under a
Black Friday burst, and one DLQ that is alarmed and listed like the others. What EventBridge itself cannot
put on the queue is retried for 24 hours (185 attempts) and then put in that same DLQ; an event it could not
put even there raises an alarm at once.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.monitoring import Monitoring

DETAIL_TYPE = "shopifyWebhook"  # every classic webhook's (and Events preview deliveries')
EVENT_SOURCE_ENV = "SHOPIFY_EVENT_SOURCE"  # runtime.settings: the only source the function accepts
# EventBridge's most: it keeps trying to put an event on the queue for a day.
TARGET_RETRY_ATTEMPTS = 185
TARGET_MAX_EVENT_AGE = Duration.hours(24)


class ShopifyEventBridge(Construct):
    """The partner event bus, its rule, and the rule's target (the queue, with its DLQ for what cannot be
    delivered); `watch` adds its alarms to Monitoring."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        event_source: str,
        queue: sqs.IQueue,
        dlq: sqs.IQueue,
        function: lambda_.Function,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.event_source = event_source
        # Associating a partner event source creates the bus; deleting the bus dissociates it (Shopify
        # then fails its deliveries, and retries them for a while): it goes with the stack like the API.
        self.bus = events.EventBus(self, "PartnerBus", event_source_name=event_source)
        # Only Shopify can put events on its partner source; the pattern still names the source, so that
        # a rule copied elsewhere does not take another source's events for Shopify's.
        self.rule = events.Rule(
            self,
            "Webhooks",
            event_bus=self.bus,
            description=f"smsflows {config.stage}: Shopify webhooks -> shopify_eventbridge queue",
            event_pattern=events.EventPattern(source=[event_source], detail_type=[DETAIL_TYPE]),
        )
        self.rule.add_target(
            targets.SqsQueue(
                queue,
                dead_letter_queue=dlq,
                retry_attempts=TARGET_RETRY_ATTEMPTS,
                max_event_age=TARGET_MAX_EVENT_AGE,
            )
        )
        function.add_environment(EVENT_SOURCE_ENV, event_source)

    def watch(self, monitoring: Monitoring) -> None:
        """Alarms: an event EventBridge could put neither on the queue nor in the DLQ (lost), and an event
        the function dropped (authentic by its source, but nothing could route it: a person looks). A
        message in the DLQ alarms with the queue's other alarms (Monitoring)."""
        dimensions = {"EventBusName": self.bus.event_bus_name, "RuleName": self.rule.rule_name}
        monitoring.loss(
            "ShopifyEventBridgeLostAlarm",
            cloudwatch.Metric(
                namespace="AWS/Events",
                metric_name="InvocationsFailedToBeSentToDeadLetterQueue",
                dimensions_map=dimensions,
                period=Duration.minutes(5),
                statistic="Sum",
            ),
            "EventBridge could put Shopify webhooks neither on the shopify_eventbridge queue nor in its DLQ "
            "(a queue policy or the queue itself is broken): those webhooks are lost, Shopify does not "
            "redeliver them. The rule's metrics in the EventBridge console say when.",
        )
        monitoring.loss(
            "ShopifyEventBridgeDroppedAlarm",
            cloudwatch.Metric(
                namespace=self.config.metric_namespace,
                metric_name="Webhook_dropped",
                dimensions_map={"service": "smsflows"},
                period=Duration.minutes(5),
                statistic="Sum",
            ),
            "shopify_eventbridge dropped events from the partner bus that it could not route (no shop "
            "domain, topic or webhook id, or another source): its log line 'eventbridge event dropped' "
            "says why.",
        )
