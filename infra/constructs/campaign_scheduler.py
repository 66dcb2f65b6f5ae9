"""CampaignScheduler: an EventBridge Scheduler group for broadcast campaigns and the role schedules assume."""

from __future__ import annotations

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.nag import acknowledge_wildcard_resource


class CampaignScheduler(Construct):
    """Schedules are created at run time (one per campaign) in this group, targeting the send queue."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        send_queue: sqs.IQueue,
        campaign_queue: sqs.IQueue,
        campaign_dlq: sqs.IQueue,
        shop_events_queue: sqs.IQueue,
        transactional_queue: sqs.IQueue,
        dead_letters: dict[str, sqs.IQueue],
        shop_events_dlq: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self.group = scheduler.CfnScheduleGroup(self, "Group")
        self.group.apply_removal_policy(config.removal_policy)
        self.group_name = self.group.ref
        # A campaign's schedule (one-time: its run's start; cron: each occurrence) puts the run's first cursor
        # on the campaign queue; one that cannot deliver for a day lands in that queue's DLQ (alarmed).
        self.role = self._scheduler_role(
            "TargetRole", f"EventBridge Scheduler -> smsflows campaign queue ({config.stage})"
        )
        campaign_queue.grant_send_messages(self.role)
        campaign_dlq.grant_send_messages(self.role)
        self._campaign_target = (campaign_queue.queue_arn, campaign_dlq.queue_arn)

        # Deferrals beyond SQS's 15-minute delay (quiet hours overnight, daily caps, long pacing
        # backlogs): send_message creates one-time schedules here; each deletes itself after it ran.
        self.deferral_group = scheduler.CfnScheduleGroup(self, "DeferralGroup")
        # Retained in prod: deleting the group would delete every pending deferral (texts due tomorrow).
        self.deferral_group.apply_removal_policy(config.removal_policy)
        self.deferral_role = self._scheduler_role(
            "DeferralRole",
            f"EventBridge Scheduler -> smsflows send queues, deferred messages ({config.stage})",
        )
        send_queue.grant_send_messages(self.deferral_role)
        transactional_queue.grant_send_messages(self.deferral_role)
        # A schedule that cannot deliver for a day (its retry limit) puts the message in the queue's DLQ:
        # it shows in `smsflows dlq list` and the DLQ alarm, and replays like any dead letter.
        for dlq in dead_letters.values():
            dlq.grant_send_messages(self.deferral_role)
        self._queues = {
            "send_queue": send_queue.queue_arn,
            "transactional_queue": transactional_queue.queue_arn,
        }
        self._dead_letters = {key: dlq.queue_arn for key, dlq in dead_letters.items()}

        # The daily job (win-back candidates): an event on the shop-events queue, handled by
        # process_shop_event like any Shopify event. Its id is the scheduled time, so a retry is a duplicate.
        daily_role = self._scheduler_role(
            "DailyRole", f"EventBridge Scheduler -> smsflows shop-events queue, daily job ({config.stage})"
        )
        shop_events_queue.grant_send_messages(daily_role)
        # A day whose event cannot be delivered within its retries lands in the shop-events DLQ (alarmed,
        # listed by `smsflows dlq list`, replayable) instead of vanishing.
        shop_events_dlq.grant_send_messages(daily_role)
        payload = (
            '{"shop": "*", "topic": "smsflows/daily", "webhook_id": "daily-<aws.scheduler.scheduled-time>", '
            '"received_at": "<aws.scheduler.scheduled-time>", "body": "{}"}'
        )
        self.daily = scheduler.CfnSchedule(
            self,
            "Daily",
            group_name=self.group.ref,
            schedule_expression="cron(0 15 * * ? *)",
            schedule_expression_timezone="UTC",
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            description="smsflows daily job: win-back candidates",
            target=scheduler.CfnSchedule.TargetProperty(
                arn=shop_events_queue.queue_arn,
                role_arn=daily_role.role_arn,
                input=payload,
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_retry_attempts=185, maximum_event_age_in_seconds=6 * 3600
                ),
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                    arn=shop_events_dlq.queue_arn
                ),
            ),
        )

    def deferral_settings(self) -> str:
        """The DEFERRAL_SCHEDULER value (JSON with tokens) for the functions that defer messages."""
        return Stack.of(self).to_json_string(
            {
                "group": self.deferral_group.ref,
                "role_arn": self.deferral_role.role_arn,
                "targets": self._queues,
                "dead_letters": self._dead_letters,
            }
        )

    def campaign_settings(self) -> str:
        """The SMSFLOWS_CAMPAIGN_SCHEDULER value (JSON with tokens) the operator's CLI creates schedules with."""
        return Stack.of(self).to_json_string(
            {
                "group": self.group.ref,
                "role_arn": self.role.role_arn,
                "target": self._campaign_target[0],
                "dead_letter": self._campaign_target[1],
            }
        )

    def grant_defer(self, grantee: iam.IGrantable) -> None:
        """Create schedules in the deferral group only, and hand them the deferral role only."""
        schedules = Stack.of(self).format_arn(
            service="scheduler", resource="schedule", resource_name=f"{self.deferral_group.ref}/*"
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["scheduler:CreateSchedule"], resources=[schedules])
        )
        self.deferral_role.grant_pass_role(grantee)
        principal = grantee.grant_principal
        if isinstance(principal, iam.Role):
            acknowledge_wildcard_resource(
                principal,
                schedules,
                "One-time deferral schedules are named per message at run time; the wildcard is confined to "
                "the stack's own deferral schedule group.",
            )

    def _scheduler_role(self, construct_id: str, description: str) -> iam.Role:
        """A role EventBridge Scheduler assumes for a target. Confused-deputy guard: only schedules of
        this account may use it."""
        return iam.Role(
            self,
            construct_id,
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            ),
            description=description,
        )
