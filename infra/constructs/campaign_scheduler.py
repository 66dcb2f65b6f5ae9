"""CampaignScheduler: an EventBridge Scheduler group for broadcast campaigns and the role schedules assume."""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig


class CampaignScheduler(Construct):
    """Schedules are created at run time (one per campaign) in this group, targeting the send queue."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, send_queue: sqs.IQueue
    ) -> None:
        super().__init__(scope, construct_id)
        self.group = scheduler.CfnScheduleGroup(self, "Group")
        self.group_name = self.group.ref
        # Confused-deputy guard: only schedules of this account may use the role.
        self.role = iam.Role(
            self,
            "TargetRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            ),
            description=f"EventBridge Scheduler -> smsflows send queue ({config.stage})",
        )
        send_queue.grant_send_messages(self.role)
