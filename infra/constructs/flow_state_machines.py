"""FlowStateMachines: one Step Functions Standard state machine per flow, from the compiled ASL."""

from __future__ import annotations

import json

from aws_cdk import Arn, ArnFormat, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.nag import acknowledge, acknowledge_wildcard_resource
from infra.constructs.service_function import construct_id
from smsflows.domain.flows.asl import PLACEHOLDERS, compile_flow
from smsflows.domain.flows.definitions import STATE_MACHINE_FLOWS as FLOWS


class FlowStateMachines(Construct):
    """Deploys the very ASL the local cloud runs; deployment names arrive as DefinitionSubstitutions."""

    def __init__(
        self,
        scope: Construct,
        construct_id_: str,
        *,
        config: StageConfig,
        table: dynamodb.ITableV2,
        send_queue: sqs.IQueue,
        flow_step: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id_)
        substitutions = {
            "TableName": table.table_name,
            "SendQueueUrl": send_queue.queue_url,
            "FlowStepFunctionArn": flow_step.function_arn,
        }
        assert set(substitutions) == set(PLACEHOLDERS), "flows.PLACEHOLDERS changed: update the substitutions"
        self.log_group = logs.LogGroup(
            self, "Logs", retention=config.retention_days, removal_policy=config.removal_policy
        )
        self.state_machines: dict[str, sfn.StateMachine] = {}
        for name, flow in FLOWS.items():
            machine = sfn.StateMachine(
                self,
                construct_id(name),
                comment=f"{flow.name} v{flow.version}",
                state_machine_type=sfn.StateMachineType.STANDARD,
                definition_body=sfn.DefinitionBody.from_string(json.dumps(compile_flow(flow))),
                definition_substitutions=substitutions,
                tracing_enabled=True,
                # Execution data holds order references and rendered texts (PII): log events, never data.
                logs=sfn.LogOptions(
                    destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False
                ),
                removal_policy=config.removal_policy,
            )
            # Exactly what the ASL calls: dynamodb:getItem, lambda:invoke, sqs:sendMessage.
            # GetItem on the table itself only (table.grant would add its indexes too: not needed here).
            machine.add_to_role_policy(
                iam.PolicyStatement(actions=["dynamodb:GetItem"], resources=[table.table_arn])
            )
            flow_step.grant_invoke(machine)
            send_queue.grant_send_messages(machine)
            self._acknowledge(machine, flow_step)
            self.state_machines[name] = machine

    def arns_json(self) -> str:
        """FLOW_STATE_MACHINES: a JSON object {flow name: state machine ARN}."""
        return Stack.of(self).to_json_string(
            {name: machine.state_machine_arn for name, machine in self.state_machines.items()}
        )

    def grant_read(self, grantee: iam.IGrantable) -> None:
        for machine in self.state_machines.values():
            machine.grant_read(grantee)

    def grant_write(self, grantee: iam.IGrantable) -> None:
        """Start executions (idempotent by name) and stop them on exit events."""
        for machine in self.state_machines.values():
            machine.grant_start_execution(grantee)
            machine.grant_execution(grantee, "states:StopExecution", "states:DescribeExecution")
            # Uninstall and redaction stop every running execution of a shop: they list them first.
            machine.grant(grantee, "states:ListExecutions")
            principal = grantee.grant_principal
            if isinstance(principal, Construct):
                acknowledge_wildcard_resource(
                    principal,
                    f"{_execution_arn(machine)}:*",
                    "Stop/DescribeExecution act on executions, whose ARNs exist only at run time: the grant "
                    "is scoped to executions of this one state machine.",
                )

    @staticmethod
    def _acknowledge(machine: sfn.StateMachine, flow_step: lambda_.IFunction) -> None:
        acknowledge_wildcard_resource(
            machine.role,
            f"{flow_step.function_arn}:*",
            "lambda:InvokeFunction on flow_step and its versions/aliases (CDK grant_invoke adds ':*').",
        )
        acknowledge(
            machine.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray tracing and CloudWatch Logs delivery (logs:CreateLogDelivery, ListLogDeliveries …) "
            "support no resource-level permissions, so Step Functions requires '*'.",
        )


def _execution_arn(machine: sfn.StateMachine) -> str:
    """The execution ARN prefix exactly as StateMachine.grant_execution builds it."""
    return Stack.of(machine).format_arn(
        service="states",
        resource="execution",
        resource_name=Arn.split(machine.state_machine_arn, ArnFormat.COLON_RESOURCE_NAME).resource_name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
