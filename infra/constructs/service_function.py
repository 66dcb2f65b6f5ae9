"""ServiceFunction: the one place a Lambda function is defined (runtime, arm64, layers, logs, env)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.layers import ARCHITECTURE, RUNTIME, Layers
from infra.constructs.nag import acknowledge
from smsflows import topology
from smsflows.topology import ENV, FunctionSpec

Grant = Callable[[iam.IGrantable], object]

SERVICE_NAME = "smsflows"
READ_ACTIONS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "ConditionCheckItem", "DescribeTable"})


@dataclass(frozen=True)
class Binding:
    """How a topology resource reaches a function: its env value and its read / write grants."""

    value: str
    grant_read: Grant
    grant_write: Grant


def construct_id(name: str) -> str:
    """`shopify_webhook` -> `ShopifyWebhook`."""
    return "".join(part.capitalize() for part in name.split("_"))


class ServiceFunction(Construct):
    """One function of the topology, with its own role, log group and least-privilege grants."""

    def __init__(
        self,
        scope: Construct,
        construct_id_: str,
        *,
        spec: FunctionSpec,
        layers: Layers,
        config: StageConfig,
        repo_root: Path,
    ) -> None:
        super().__init__(scope, construct_id_)
        self.spec = spec
        self.queue_max_concurrency = config.queue_max_concurrency.get(spec.name)
        code_dir = repo_root / "functions" / spec.name
        if not (code_dir / "handler.py").is_file():
            raise FileNotFoundError(f"{code_dir}/handler.py is missing (topology function {spec.name!r})")
        self.log_group = logs.LogGroup(
            self, "Logs", retention=config.retention_days, removal_policy=config.removal_policy
        )
        # Own role, no AWSLambdaBasicExecutionRole managed policy: it may write only its own log group.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"smsflows {spec.name}",
        )
        self.log_group.grant_write(self.role)
        memory = spec.memory_mb if spec.memory_mb != FunctionSpec.memory_mb else config.lambda_memory_mb
        self.function = lambda_.Function(
            self,
            "Function",
            description=spec.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=lambda_.Code.from_asset(str(code_dir), exclude=["**/__pycache__", "**/*.pyc"]),
            handler="handler.handler",
            layers=layers.all,
            memory_size=memory,
            timeout=Duration.seconds(spec.timeout_s),
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE if spec.traced else lambda_.Tracing.PASS_THROUGH,
            reserved_concurrent_executions=config.reserved_concurrency.get(spec.name),
            environment={
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": config.metric_namespace,
                "SMSFLOWS_FUNCTION": spec.name,
                **topology.max_receives_env(spec.consumes),  # a consumer's last receive before the DLQ
            },
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            (
                "Active X-Ray tracing: xray:PutTraceSegments/PutTelemetryRecords support no resource-level "
                "permissions, so CDK grants them on '*'."
            ),
        )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            (
                "Pinned to python3.12 on purpose: the dependencies layer is built from "
                "requirements/runtime.lock for cp312 (pydantic-core and aiohttp are compiled wheels); bump "
                "both together."
            ),
        )

    def bind(self, resource: str, binding: Binding) -> None:
        """Give this function `resource` if its spec uses it: env var (topology.ENV), read or write grant."""
        if resource not in self.spec.uses or resource == topology.TABLE:  # the table: see grant_table
            return
        self.function.add_environment(ENV[resource], binding.value)
        if resource in self.spec.writes:
            binding.grant_write(self.function)
        else:
            binding.grant_read(self.function)

    def grant_table(self, table_arn: str, table_name: str) -> None:
        """TABLE_NAME and exactly the DynamoDB actions the function's code makes (topology `table_actions`),
        on the table itself; Query on the named indexes only where it queries them. Never Scan, DeleteItem or
        BatchWriteItem unless its code calls them (tests/integration/test_least_privilege.py)."""
        spec = self.spec
        if topology.TABLE not in spec.uses:
            if spec.table_actions or spec.table_indexes:
                raise ValueError(f"{spec.name}: table_actions without the table in its uses")
            return
        if not spec.table_actions:
            raise ValueError(f"{spec.name} uses the table: say which calls it makes (table_actions)")
        if topology.TABLE not in spec.writes and spec.table_actions - READ_ACTIONS:
            raise ValueError(f"{spec.name} only reads the table: {sorted(spec.table_actions - READ_ACTIONS)}")
        self.function.add_environment(ENV[topology.TABLE], table_name)
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=[f"dynamodb:{action}" for action in sorted(spec.table_actions)],
                resources=[table_arn],
            )
        )
        if spec.table_indexes:
            self.role.add_to_policy(
                iam.PolicyStatement(
                    actions=["dynamodb:Query"],
                    resources=[f"{table_arn}/index/{name}" for name in sorted(spec.table_indexes)],
                )
            )

    def consume(self, key: str, queue: sqs.IQueue) -> None:
        """Poll `queue` as the local cloud does: partial batch responses, batch size/window from the spec.
        Each queue gets its own event source mapping, with its own concurrency: a backlog on one (a
        broadcast on the bulk send queue) never takes the pollers of another (transactional texts)."""
        window = self.spec.max_batching_window_s
        visibility = topology.QUEUES[key].visibility_timeout_s
        if visibility < self.spec.timeout_s:
            # Lambda refuses the mapping otherwise; AWS recommends 6x the timeout.
            raise ValueError(
                f"{self.spec.name}: queue visibility {visibility}s < function timeout {self.spec.timeout_s}s"
            )
        self.function.add_event_source(
            event_sources.SqsEventSource(
                queue,
                batch_size=self.spec.batch_size,
                report_batch_item_failures=True,
                max_batching_window=Duration.seconds(window) if window else None,
                max_concurrency=self.queue_max_concurrency,
            )
        )
