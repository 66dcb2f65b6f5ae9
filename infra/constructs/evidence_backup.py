"""EvidenceBackup: AWS Backup of the table, in a locked vault, for as long as the consent evidence must last.

Point-in-time recovery (35 days) is for incidents. The consent ledger and the suppression list are evidence
kept for years (the README's "Data kept"): a monthly recovery point of the whole table is kept for
`backup_retention_days` in a vault whose lock (compliance mode, after a 3-day grace period) lets nobody —
not the account root — delete a recovery point early or shorten its retention.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_backup as backup
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.nag import acknowledge

DAILY_RETENTION_DAYS = 35
# Once this has passed after the first deploy, the vault lock can no longer be changed or removed.
LOCK_GRACE_DAYS = 3


class EvidenceBackup(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, table: dynamodb.ITableV2
    ) -> None:
        super().__init__(scope, construct_id)
        if not config.backup_retention_days:
            raise ValueError("EvidenceBackup needs backup_retention_days")
        retention = config.backup_retention_days
        self.key = kms.Key(
            self,
            "VaultKey",
            description=f"smsflows backup vault ({config.stage})",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.vault = backup.BackupVault(
            self,
            "Vault",
            encryption_key=self.key,
            # Recovery points outlive the stack: deleting it must not delete the evidence.
            removal_policy=RemovalPolicy.RETAIN,
            lock_configuration=(
                backup.LockConfiguration(
                    min_retention=Duration.days(min(DAILY_RETENTION_DAYS, retention)),
                    changeable_for=Duration.days(LOCK_GRACE_DAYS),
                )
                if config.backup_vault_lock
                else None
            ),
        )
        self.plan = backup.BackupPlan(self, "Plan", backup_vault=self.vault)
        self.plan.add_rule(
            backup.BackupPlanRule(
                rule_name="Daily",
                schedule_expression=events.Schedule.cron(hour="4", minute="0"),
                delete_after=Duration.days(DAILY_RETENTION_DAYS),
            )
        )
        self.plan.add_rule(
            backup.BackupPlanRule(
                rule_name="MonthlyEvidence",
                schedule_expression=events.Schedule.cron(day="1", hour="5", minute="0"),
                delete_after=Duration.days(retention),
            )
        )
        selection = self.plan.add_selection(
            "Table", resources=[backup.BackupResource.from_arn(table.table_arn)], allow_restores=False
        )
        acknowledge(
            selection,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSBackupServiceRolePolicyForBackup]",
            "The role AWS Backup assumes to back up the table uses the AWS-managed policy AWS Backup "
            "documents for it; it can create recovery points, not read or change the table's items.",
        )
