"""Monitoring: alarms that reach a person (SNS topic CloudWatch may publish to), and one dashboard.

Two kinds of alarm. A *loss* — a message in a DLQ, a schedule invocation dropped or not dead-lettered, a
flow execution that failed or timed out, a text Twilio refused for a reason only a person can fix — alarms
on the first one ("> 0" once): nothing retries it, somebody has to look. Everything else — error and
throttle rates, latency, queue age, a spike of sign-ups or delivery failures — alarms when 2 of the last 3
periods breach, so that one transient blip (which the retries absorb) pages nobody. Every alarm also says
when it is OK again.

The business alarms watch what the texts do rather than the machinery: a campaign the deliverability guard
paused (a person decides whether it resumes: at once, like a loss), a delivery rate under the stage's floor
for 3 of 3 periods (only where there were enough reports to make a rate), an hour with a spike of opt-outs.
The dashboard's first row shows the same numbers for a marketer; the technical rows follow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import Aws, Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import StageConfig
from smsflows import topology

_MINUTE = Duration.minutes(1)
_FIVE_MINUTES = Duration.minutes(5)
_FIFTEEN_MINUTES = Duration.minutes(15)
_HOUR = Duration.hours(1)

# Rates, in percent, above which 2 of 3 periods raise an alarm.
FUNCTION_ERROR_RATE_PCT = 2
THROTTLE_RATE_PCT = 1
API_5XX_RATE = 0.01  # API Gateway's 5XXError averages to the fraction of requests that failed
# Shopify gives a webhook 5 s; Twilio 15 s. p99 above 3 s leaves no margin.
API_P99_LATENCY_MS = 3000
SFN_THROTTLED_PER_PERIOD = 0
DDB_THROTTLES_PER_PERIOD = 0
SCHEDULER_TARGET_ERRORS_PER_PERIOD = 0
DELIVERY_FAILURE_RATE_PCT = 10
CALLBACK_4XX_RATE_PCT = 5  # Twilio's callbacks get a 4XX only when throttled or when the signature fails
CALLBACK_MIN_REQUESTS = 100  # fewer callbacks in 5 minutes: a scanner's few 403s are not a rate
DELIVERY_FAILURE_MIN_STATUSES = 20  # fewer delivery reports in 15 minutes than this: no rate to speak of

# The business metrics the functions emit (Powertools EMF), as a marketer would call them.
BUSINESS_METRICS = {
    "Message_sent": "Texts sent",
    "MessagesDelivered": "Delivered",
    "MessagesUndelivered": "Not delivered",
    "LinkClicks": "Link clicks",
    "OptOuts": "Opt-outs (STOP)",
    "AttributedOrders": "Orders from texts",
    "AttributedRevenue": "Revenue from texts",
    "CampaignAutoPaused": "Campaigns paused by the guard",
}


@dataclass(frozen=True)
class ScheduleGroup:
    """A schedule group to watch: its name (a token) and what it is for."""

    name: str
    purpose: str


class Monitoring(Construct):
    """What an operator watches: losses at once, rates and delays when they persist, one dashboard."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        queues: Mapping[str, tuple[sqs.IQueue, sqs.IQueue]],
        functions: Mapping[str, lambda_.IFunction],
        state_machines: Mapping[str, sfn.IStateMachine],
        api: apigw.RestApi,
        callback_api: apigwv2.HttpApi,
        table: dynamodb.ITableV2,
        schedule_groups: Mapping[str, ScheduleGroup],
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        # A customer key: CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key.
        self.key = kms.Key(
            self,
            "AlarmTopicKey",
            description=f"smsflows alarm topic ({config.stage})",
            enable_key_rotation=True,
            removal_policy=config.removal_policy,
        )
        self.key.grant(
            iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*"
        )
        self.topic = sns.Topic(
            self, "AlarmTopic", master_key=self.key, enforce_ssl=True, display_name=f"smsflows {config.stage}"
        )
        # The TLS-only statement CDK adds replaces SNS's default policy: without this one, CloudWatch could
        # not publish and no alarm would ever arrive. Only this account's alarms, in this region.
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{Aws.PARTITION}:cloudwatch:{Aws.REGION}:{Aws.ACCOUNT_ID}:alarm:*"
                    },
                },
            )
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        if config.alarm_https_url:
            self.topic.add_subscription(subscriptions.UrlSubscription(config.alarm_https_url))
        self._action = cw_actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []
        heading = cloudwatch.TextWidget(markdown=f"# smsflows ({config.stage})", width=24, height=1)
        business = self._business()
        widgets: list[cloudwatch.IWidget] = [
            cloudwatch.TextWidget(
                markdown="## Operations: API, queues, functions, flows, table, schedules", width=24, height=1
            )
        ]

        # API: server errors, latency, and the public sign-up route (each request may cost a text)
        api_name = api.rest_api_name
        subscribe_requests = cloudwatch.Metric(
            namespace="AWS/ApiGateway",
            metric_name="Count",
            dimensions_map={
                "ApiName": api_name,
                "Stage": config.api_stage_name,
                "Resource": "/subscribe",
                "Method": "POST",
            },
            period=_FIVE_MINUTES,
            statistic="Sum",
        )
        self.persistent(
            "Api5xxRateAlarm",
            api.metric_server_error(period=_FIVE_MINUTES, statistic="Average"),
            API_5XX_RATE,
            f"More than {API_5XX_RATE:.0%} of API requests failed with a 5XX in 2 of 3 five-minute periods: "
            "Shopify and Twilio retry, but something is broken.",
        )
        self.persistent(
            "ApiLatencyAlarm",
            api.metric_latency(period=_FIVE_MINUTES, statistic="p99"),
            API_P99_LATENCY_MS,
            f"API p99 latency above {API_P99_LATENCY_MS} ms in 2 of 3 five-minute periods: Shopify gives a "
            "webhook 5 s before it counts a failure.",
        )
        self.persistent(
            "SubscribeSpikeAlarm",
            subscribe_requests,
            config.subscribe_alarm_per_5min,
            f"More than {config.subscribe_alarm_per_5min} sign-ups per 5 minutes in 2 of 3 periods: a popular "
            "launch, or somebody pumping paid opt-in texts (see the README: SMS pumping).",
        )
        widgets += self._callback_api(callback_api)
        widgets += [
            cloudwatch.GraphWidget(
                title="API requests and errors",
                left=[api.metric_count(period=_FIVE_MINUTES), subscribe_requests],
                right=[
                    api.metric_client_error(period=_FIVE_MINUTES),
                    api.metric_server_error(period=_FIVE_MINUTES),
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="API latency p99",
                left=[api.metric_latency(period=_FIVE_MINUTES, statistic="p99")],
                width=12,
            ),
        ]

        for key, (queue, dlq) in queues.items():
            title = key.replace("_", " ")
            spec = topology.QUEUES[key]
            self.loss(
                f"{_pascal(key)}DlqAlarm",
                dlq.metric_approximate_number_of_messages_visible(period=_MINUTE, statistic="Maximum"),
                f"Messages in the {title} DLQ: they failed {title} processing repeatedly. "
                "`smsflows dlq list` says why; `smsflows dlq replay` redrives them.",
            )
            self.persistent(
                f"{_pascal(key)}AgeAlarm",
                queue.metric_approximate_age_of_oldest_message(period=_FIVE_MINUTES, statistic="Maximum"),
                spec.age_alarm_s,
                f"The oldest message on the {title} has waited more than {spec.age_alarm_s} s in 2 of 3 "
                "five-minute periods: its consumer is failing, throttled or too slow.",
            )
            widgets.append(
                cloudwatch.GraphWidget(
                    title=f"{title}: backlog, age, DLQ",
                    left=[
                        queue.metric_approximate_number_of_messages_visible(
                            period=_MINUTE, statistic="Maximum"
                        ),
                        dlq.metric_approximate_number_of_messages_visible(
                            period=_MINUTE, statistic="Maximum"
                        ),
                    ],
                    right=[
                        queue.metric_approximate_age_of_oldest_message(period=_MINUTE, statistic="Maximum")
                    ],
                    width=12,
                )
            )

        # Content filtering (30007) or account/registration errors (21408, 21608): retrying cannot help,
        # somebody has to fix the copy or the Twilio account (send_message records ProviderNeedsOperator).
        self.loss(
            "ProviderNeedsOperatorAlarm",
            self._app_metric("ProviderNeedsOperator", _FIVE_MINUTES),
            "Twilio refused messages for content or account configuration reasons: not retried, needs a person.",
        )
        delivered, failed, undelivered = (
            self._app_metric(f"Delivery_{status}", _FIFTEEN_MINUTES)
            for status in ("delivered", "failed", "undelivered")
        )
        delivery_failures = _math(
            f"IF(d + f + u >= {DELIVERY_FAILURE_MIN_STATUSES}, 100 * (f + u) / (d + f + u), 0)",
            "delivery failures (%)",
            _FIFTEEN_MINUTES,
            d=delivered,
            f=failed,
            u=undelivered,
        )
        self.persistent(
            "DeliveryFailureSpikeAlarm",
            delivery_failures,
            DELIVERY_FAILURE_RATE_PCT,
            f"More than {DELIVERY_FAILURE_RATE_PCT} % of delivery reports were failed/undelivered in 2 of 3 "
            "fifteen-minute periods: carrier filtering, a registration problem or a bad list.",
        )
        widgets.append(
            cloudwatch.GraphWidget(title="delivery reports", left=[delivered, failed, undelivered], width=12)
        )

        for name, function in functions.items():
            invocations = function.metric_invocations(period=_FIVE_MINUTES, statistic="Sum")
            errors = function.metric_errors(period=_FIVE_MINUTES, statistic="Sum")
            throttles = function.metric_throttles(period=_FIVE_MINUTES, statistic="Sum")
            self.persistent(
                f"{_pascal(name)}ErrorsAlarm",
                _math("IF(i > 0, 100 * e / i, 0)", f"{name} errors (%)", i=invocations, e=errors),
                FUNCTION_ERROR_RATE_PCT,
                f"More than {FUNCTION_ERROR_RATE_PCT} % of {name} invocations raised errors (unhandled "
                "exceptions or timeouts) in 2 of 3 five-minute periods.",
            )
            self.persistent(
                f"{_pascal(name)}ThrottlesAlarm",
                _math(
                    "IF(i + t > 0, 100 * t / (i + t), 0)", f"{name} throttles (%)", i=invocations, t=throttles
                ),
                THROTTLE_RATE_PCT,
                f"More than {THROTTLE_RATE_PCT} % of {name} invocations were throttled in 2 of 3 five-minute "
                "periods: the account's concurrency quota or the function's reserved concurrency is too low.",
            )
            widgets.append(
                cloudwatch.GraphWidget(
                    title=f"{name}",
                    left=[invocations, errors, throttles],
                    right=[function.metric_duration(period=_FIVE_MINUTES, statistic="p99")],
                    width=12,
                )
            )

        for name, machine in state_machines.items():
            lost = _math(
                "f + t",
                f"{name} failed or timed out",
                f=machine.metric_failed(period=_FIVE_MINUTES, statistic="Sum"),
                t=machine.metric_timed_out(period=_FIVE_MINUTES, statistic="Sum"),
            )
            # A failed execution is a flow that stopped for good (its tasks retried for minutes first):
            # like a dead letter, the first one needs a person.
            self.loss(
                f"{_pascal(name)}FailedAlarm",
                lost,
                f"Executions of the {name} flow failed or timed out after their retries: those customers' "
                "flows stopped. The execution history in the Step Functions console says where.",
            )
            self.persistent(
                f"{_pascal(name)}ThrottledAlarm",
                machine.metric_throttled(period=_FIVE_MINUTES, statistic="Sum"),
                SFN_THROTTLED_PER_PERIOD,
                f"Step Functions throttled the {name} flow in 2 of 3 five-minute periods (state transition "
                "quota): steps run late.",
            )
            widgets.append(
                cloudwatch.GraphWidget(
                    title=f"flow {name}",
                    left=[
                        machine.metric_started(period=_FIVE_MINUTES),
                        machine.metric_succeeded(period=_FIVE_MINUTES),
                        machine.metric_failed(period=_FIVE_MINUTES),
                        machine.metric_throttled(period=_FIVE_MINUTES),
                    ],
                    width=12,
                )
            )

        table_throttles = _math(
            "r + w",
            "table throttle events",
            r=self._table_metric(table, "ReadThrottleEvents"),
            w=self._table_metric(table, "WriteThrottleEvents"),
        )
        self.persistent(
            "TableThrottlesAlarm",
            table_throttles,
            DDB_THROTTLES_PER_PERIOD,
            "DynamoDB throttled reads or writes in 2 of 3 five-minute periods: an on-demand table throttles "
            "only past twice its previous peak or its account limits; the retries absorb blips, not this.",
        )
        widgets.append(cloudwatch.GraphWidget(title="table throttles", left=[table_throttles], width=12))

        for key, group in schedule_groups.items():
            dimensions = {"ScheduleGroup": group.name}
            self.persistent(
                f"{_pascal(key)}TargetErrorsAlarm",
                self._scheduler_metric("TargetErrorCount", dimensions),
                SCHEDULER_TARGET_ERRORS_PER_PERIOD,
                f"EventBridge Scheduler could not deliver {group.purpose} to its target in 2 of 3 five-minute "
                "periods (it retries for up to a day).",
            )
            dropped = _math(
                "d + n",
                f"{key} dropped",
                d=self._scheduler_metric("InvocationDroppedCount", dimensions),
                n=self._scheduler_metric("InvocationsFailedToBeSentToDeadLetterCount", dimensions),
            )
            self.loss(
                f"{_pascal(key)}DroppedAlarm",
                dropped,
                f"EventBridge Scheduler gave up on {group.purpose} and could not put it in a DLQ either: "
                "those invocations are lost.",
            )
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"smsflows-{config.stage}",
            widgets=[[heading], business, widgets],
        )

    def _business(self) -> list[cloudwatch.IWidget]:
        """The business alarms, and the dashboard row a marketer reads: texts, delivery, clicks, opt-outs,
        orders and revenue attributed to texts, campaigns the deliverability guard paused."""
        config = self.config
        paused = self._app_metric("CampaignAutoPaused", _FIVE_MINUTES)
        self.loss(
            "CampaignAutoPausedAlarm",
            paused,
            "The deliverability guard paused a campaign: carriers filtered its texts or its recipients opted "
            "out at a spike, and sending more would hurt the sender's reputation. `smsflows campaign show ID "
            "--shop S` says why (its history); fix the cause, then `smsflows campaign resume ID --shop S`, or "
            "`smsflows campaign cancel ID --shop S`.",
        )
        floor, minimum = config.delivery_rate_floor, config.delivery_rate_min_volume
        # FILL: EMF writes nothing for a count that did not happen (an hour without an undelivered text).
        rate = _math(
            f"IF(FILL(d, 0) + FILL(u, 0) >= {minimum}, FILL(d, 0) / (FILL(d, 0) + FILL(u, 0)), 1)",
            "delivery rate",
            _FIFTEEN_MINUTES,
            d=self._app_metric("MessagesDelivered", _FIFTEEN_MINUTES),
            u=self._app_metric("MessagesUndelivered", _FIFTEEN_MINUTES),
        )
        self.floor(
            "DeliveryRateFloorAlarm",
            rate,
            floor,
            f"Fewer than {100 * floor:g} % of texts were delivered (delivered / (delivered + undelivered)) in 3 of 3 "
            f"fifteen-minute periods with at least {minimum} final delivery reports each: carrier filtering, "
            "an unregistered or blocked sender, or a list of bad numbers. The Twilio console's error codes "
            "say which; hold new sends until they are understood.",
        )
        spike = config.opt_out_spike_per_hour
        opt_outs = self._app_metric("OptOuts", _HOUR)
        self.spike(
            "OptOutSpikeAlarm",
            opt_outs,
            spike,
            f"More than {spike} opt-outs (STOP) in one hour: a text that annoyed its recipients, sent too "
            "often, to the wrong segment or at the wrong time. Check what was sent in that hour before "
            "sending more.",
        )

        def hourly(name: str) -> cloudwatch.Metric:
            return self._app_metric(name, _HOUR).with_(label=BUSINESS_METRICS[name])

        delivered, undelivered = (
            self._app_metric(n, _HOUR) for n in ("MessagesDelivered", "MessagesUndelivered")
        )
        delivery_rate = _math(
            "100 * FILL(d, 0) / (FILL(d, 0) + FILL(u, 0))",
            "Delivery rate (%)",
            _HOUR,
            d=delivered,
            u=undelivered,
        )
        return [
            cloudwatch.TextWidget(
                markdown=(
                    "## Business: what the texts did\n"
                    "Totals over the dashboard's time range. Revenue: the attributed orders' total price, "
                    "summed as Shopify reports it, in each shop's own currency (not converted)."
                ),
                width=24,
                height=2,
            ),
            cloudwatch.SingleValueWidget(
                title="Totals for the selected time range",
                metrics=[hourly(name) for name in BUSINESS_METRICS],
                set_period_to_time_range=True,
                width=24,
                height=4,
            ),
            cloudwatch.GraphWidget(
                title="Texts sent, delivered and not delivered (per hour)",
                left=[hourly("Message_sent"), hourly("MessagesDelivered"), hourly("MessagesUndelivered")],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Delivery rate (%)",
                left=[delivery_rate],
                left_y_axis=cloudwatch.YAxisProps(min=0, max=100, show_units=False),
                left_annotations=[
                    cloudwatch.HorizontalAnnotation(value=100 * floor, label=f"alarm floor {100 * floor:g} %")
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Link clicks and orders from texts (per hour)",
                left=[hourly("LinkClicks"), hourly("AttributedOrders")],
                right=[hourly("AttributedRevenue")],
                right_y_axis=cloudwatch.YAxisProps(label="revenue (shop currency)", show_units=False),
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Opt-outs and campaigns paused by the guard (per hour)",
                left=[hourly("OptOuts")],
                right=[hourly("CampaignAutoPaused")],
                left_annotations=[cloudwatch.HorizontalAnnotation(value=spike, label="opt-out alarm")],
                width=12,
            ),
        ]

    def loss(self, id_: str, metric: cloudwatch.IMetric, description: str) -> cloudwatch.Alarm:
        """Something was lost or needs a person: alarm on the first one."""
        return self._alarm(id_, metric, 0, description, evaluation_periods=1, datapoints=1)

    def persistent(
        self, id_: str, metric: cloudwatch.IMetric, threshold: float, description: str
    ) -> cloudwatch.Alarm:
        """A rate or a delay: alarm when 2 of the last 3 periods are above `threshold`."""
        return self._alarm(id_, metric, threshold, description, evaluation_periods=3, datapoints=2)

    def floor(
        self, id_: str, metric: cloudwatch.IMetric, threshold: float, description: str
    ) -> cloudwatch.Alarm:
        """A rate that must stay up (a delivery rate): alarm when all of the last 3 periods are below
        `threshold`. The metric itself says when there is no rate to judge (it reads as on target then)."""
        return self._alarm(
            id_,
            metric,
            threshold,
            description,
            evaluation_periods=3,
            datapoints=3,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        )

    def spike(
        self, id_: str, metric: cloudwatch.IMetric, threshold: float, description: str
    ) -> cloudwatch.Alarm:
        """A count over one long period (an hour of opt-outs) above `threshold`: alarm at once, the period
        is the smoothing."""
        return self._alarm(id_, metric, threshold, description, evaluation_periods=1, datapoints=1)

    def _alarm(
        self,
        id_: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
        *,
        evaluation_periods: int,
        datapoints: int,
        comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    ) -> cloudwatch.Alarm:
        created = cloudwatch.Alarm(
            self,
            id_,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"[smsflows {self.config.stage}] {description}",
        )
        created.add_alarm_action(self._action)
        created.add_ok_action(self._action)
        self.alarms.append(created)
        return created

    def _app_metric(self, name: str, period: Duration) -> cloudwatch.Metric:
        """A metric the functions emit (Powertools EMF: the stage's namespace, dimension service)."""
        return cloudwatch.Metric(
            namespace=self.config.metric_namespace,
            metric_name=name,
            dimensions_map={"service": "smsflows"},
            period=period,
            statistic="Sum",
        )

    @staticmethod
    def _table_metric(table: dynamodb.ITableV2, name: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/DynamoDB",
            metric_name=name,
            dimensions_map={"TableName": table.table_name},
            period=_FIVE_MINUTES,
            statistic="Sum",
        )

    def _callback_api(self, api: apigwv2.HttpApi) -> list[cloudwatch.IWidget]:
        """The status callbacks' API: its 5XX rate, and its 4XX rate, which for Twilio means a throttled
        callback (429) or a signature that fails (403, a token rotated in one place only): each a delivery
        outcome lost, since Twilio does not retry a status callback."""
        requests = api.metric_count(period=_FIVE_MINUTES, statistic="Sum")
        server = api.metric_server_error(period=_FIVE_MINUTES, statistic="Sum")
        client = api.metric_client_error(period=_FIVE_MINUTES, statistic="Sum")
        self.persistent(
            "CallbackApi5xxRateAlarm",
            _math("IF(n > 0, e / n, 0)", "callback 5XX rate", n=requests, e=server),
            API_5XX_RATE,
            f"More than {API_5XX_RATE:.0%} of Twilio's status callbacks failed with a 5XX in 2 of 3 five-minute "
            "periods: Twilio does not retry them, so those texts' delivery outcomes are lost.",
        )
        self.persistent(
            "CallbackApi4xxRateAlarm",
            _math(
                f"IF(n >= {CALLBACK_MIN_REQUESTS}, 100 * e / n, 0)", "callback 4XX (%)", n=requests, e=client
            ),
            CALLBACK_4XX_RATE_PCT,
            f"More than {CALLBACK_4XX_RATE_PCT} % of Twilio's status callbacks were refused (4XX) in 2 of 3 "
            "five-minute periods: throttled (raise callback_throttle_rate) or failing the signature check "
            "(the Twilio secret's auth_token: see the README, rotating secrets). Their delivery outcomes are lost.",
        )
        return [
            cloudwatch.GraphWidget(
                title="Status callbacks (their own API)",
                left=[requests],
                right=[client, server],
                width=24,
            )
        ]

    @staticmethod
    def _scheduler_metric(name: str, dimensions: dict[str, str]) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/Scheduler", metric_name=name, dimensions_map=dimensions, period=_FIVE_MINUTES,
            statistic="Sum",
        )  # fmt: skip


def _math(
    expression: str, label: str, period: Duration = _FIVE_MINUTES, **using: cloudwatch.IMetric
) -> cloudwatch.MathExpression:
    """A metric math expression over the metrics named by the keywords (`_math("r + w", ..., r=..., w=...)`)."""
    return cloudwatch.MathExpression(expression=expression, using_metrics=using, label=label, period=period)


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
