"""DataTables: the single-table DynamoDB store (shops, profiles, consent ledger, orders, message log …)."""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.config import StageConfig
from smsflows.domain import keys

TTL_ATTRIBUTE = "expires_at"


class DataTables(Construct):
    """One on-demand table keyed by `pk`/`sk` strings, with PITR, encryption and TTL."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.TableV2(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing=dynamodb.Billing.on_demand(),
            encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            # Idempotency records, rate-limit buckets and expired checkouts age out on their own.
            time_to_live_attribute=TTL_ATTRIBUTE,
            deletion_protection=config.deletion_protection,
            removal_policy=config.removal_policy,
            # Privacy requests: everything about one phone or Shopify customer, and everything of one shop;
            # and the segment members of a shop.
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=keys.BY_SUBJECT,
                    partition_key=dynamodb.Attribute(name="gsi1pk", type=dynamodb.AttributeType.STRING),
                    sort_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
                    projection_type=dynamodb.ProjectionType.KEYS_ONLY,
                ),
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=keys.BY_SHOP,
                    partition_key=dynamodb.Attribute(name="shop", type=dynamodb.AttributeType.STRING),
                    sort_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
                    projection_type=dynamodb.ProjectionType.KEYS_ONLY,
                ),
                # Segments (docs/segments.md): sparse, only subscribed members carry seg_pk; the summaries are
                # projected so that a campaign evaluates each Query page as it arrives (no BatchGetItem).
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=keys.BY_SEGMENT,
                    partition_key=dynamodb.Attribute(name="seg_pk", type=dynamodb.AttributeType.STRING),
                    sort_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
                    projection_type=dynamodb.ProjectionType.INCLUDE,
                    non_key_attributes=list(keys.SEGMENT_PROJECTION),
                ),
            ],
        )
