"""Monitoring: alarms (every DLQ, function errors, failed flows) to an SNS topic, and one dashboard."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import StageConfig

_MINUTE = Duration.minutes(1)
_FIVE_MINUTES = Duration.minutes(5)


class Monitoring(Construct):
    """What an operator watches: anything dead-lettered, any function error, any failed flow execution."""

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
    ) -> None:
        super().__init__(scope, construct_id)
        # A customer key: CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key.
        self.key = kms.Key(
            self,
            "AlarmTopicKey",
            description="smsflows alarm topic",
            enable_key_rotation=True,
            removal_policy=config.removal_policy,
        )
        self.key.grant(
            iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*"
        )
        self.topic = sns.Topic(self, "AlarmTopic", master_key=self.key, enforce_ssl=True)
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        action = cw_actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []

        def alarm(id_: str, metric: cloudwatch.IMetric, description: str) -> cloudwatch.Alarm:
            created = cloudwatch.Alarm(
                self,
                id_,
                metric=metric,
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=description,
            )
            created.add_alarm_action(action)
            self.alarms.append(created)
            return created

        widgets: list[cloudwatch.IWidget] = [
            cloudwatch.TextWidget(markdown=f"# smsflows ({config.stage})", width=24, height=1),
            cloudwatch.GraphWidget(
                title="API requests and errors",
                left=[api.metric_count(period=_FIVE_MINUTES)],
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
            alarm(
                f"{_pascal(key)}DlqAlarm",
                dlq.metric_approximate_number_of_messages_visible(period=_MINUTE, statistic="Maximum"),
                f"Messages in the {title} DLQ: they failed {title} processing repeatedly. Inspect and "
                f"redrive.",
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
        alarm(
            "ProviderNeedsOperatorAlarm",
            cloudwatch.Metric(
                namespace="smsflows",
                metric_name="ProviderNeedsOperator",
                dimensions_map={"service": "smsflows"},
                period=_FIVE_MINUTES,
                statistic="Sum",
            ),
            "Twilio refused messages for content or account configuration reasons: not retried, needs a person.",
        )
        for name, function in functions.items():
            alarm(
                f"{_pascal(name)}ErrorsAlarm",
                function.metric_errors(period=_FIVE_MINUTES, statistic="Sum"),
                f"{name} raised errors (unhandled exceptions or timeouts).",
            )
            widgets.append(
                cloudwatch.GraphWidget(
                    title=f"{name}",
                    left=[
                        function.metric_invocations(period=_FIVE_MINUTES),
                        function.metric_errors(period=_FIVE_MINUTES),
                        function.metric_throttles(period=_FIVE_MINUTES),
                    ],
                    right=[function.metric_duration(period=_FIVE_MINUTES, statistic="p99")],
                    width=12,
                )
            )
        for name, machine in state_machines.items():
            alarm(
                f"{_pascal(name)}FailedAlarm",
                machine.metric_failed(period=_FIVE_MINUTES, statistic="Sum"),
                f"Executions of the {name} flow failed.",
            )
            widgets.append(
                cloudwatch.GraphWidget(
                    title=f"flow {name}",
                    left=[
                        machine.metric_started(period=_FIVE_MINUTES),
                        machine.metric_succeeded(period=_FIVE_MINUTES),
                        machine.metric_failed(period=_FIVE_MINUTES),
                    ],
                    width=12,
                )
            )
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", widgets=[widgets])


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
