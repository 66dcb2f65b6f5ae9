"""A flow definition compiled to Amazon States Language, with placeholders for the deployment's names.

CDK fills the placeholders with DefinitionSubstitutions; the local cloud fills them with `substitute` and
runs the very same document in moto.
"""

from __future__ import annotations

import json
from typing import Any

from smsflows.domain.flows.definitions import FlowDefinition

PLACEHOLDERS = ("TableName", "SendQueueUrl", "FlowStepFunctionArn")


def _retry_lambda() -> list[dict[str, Any]]:
    return [
        {
            "ErrorEquals": [
                "Lambda.ServiceException",
                "Lambda.AWSLambdaException",
                "Lambda.SdkClientException",
                "Lambda.TooManyRequestsException",
            ],
            "IntervalSeconds": 2,
            "MaxAttempts": 6,
            "BackoffRate": 2.0,
            "JitterStrategy": "FULL",
        }
    ]


def _retry_service() -> list[dict[str, Any]]:
    """The table read and the enqueue (optimized integrations) retried through a throttle or an outage of
    a quarter of an hour (2 s doubling to 5 min, 10 attempts, about 25 minutes at most). Their permanent
    errors (a missing permission, a body too large) fail too, after the same retries: the execution then
    fails and raises the flow's failed-executions alarm."""
    return [
        {
            "ErrorEquals": ["States.TaskFailed"],
            "IntervalSeconds": 2,
            "MaxAttempts": 10,
            "BackoffRate": 2.0,
            "MaxDelaySeconds": 300,
            "JitterStrategy": "FULL",
        }
    ]


def compile_flow(flow: FlowDefinition) -> dict[str, Any]:
    """ASL for a state-machine flow, with ${Placeholder} strings for the deployment-specific names."""
    if flow.runner != "state_machine":
        raise ValueError(f"{flow.name} is a direct flow: it has no state machine")
    states: dict[str, Any] = {}
    n = len(flow.steps)

    def name(i: int, part: str) -> str:
        return f"{i + 1} {flow.steps[i].label}: {part}"[:80]

    def first_of(i: int) -> str:
        return name(i, "wait until due") if i < n else "Done"

    for i, step in enumerate(flow.steps):
        check = name(i, "check")
        states[name(i, "wait until due")] = {
            "Type": "Wait",
            "TimestampPath": f"$.due.s{i}",
            "Comment": f"{step.key}: {step.offset_s} s after the trigger unless the shop retimed it",
            "Next": name(i, "read checkout") if "checkout_completed" in flow.exits else check,
        }
        if "checkout_completed" in flow.exits:
            states[name(i, "read checkout")] = {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {
                    "TableName": "${TableName}",
                    "Key": {
                        "pk": {"S.$": "$.context.checkout_key.pk"},
                        "sk": {"S.$": "$.context.checkout_key.sk"},
                    },
                    "ConsistentRead": True,
                },
                "ResultSelector": {"item.$": "$"},
                "ResultPath": "$.subject",
                "Retry": _retry_service(),
                "Next": name(i, "checkout completed?"),
            }
            states[name(i, "checkout completed?")] = {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.subject.item.Item.completed_at", "IsPresent": True, "Next": "Exited"}
                ],
                "Default": check,
            }
            # quiet-hours waits come back to re-read the checkout
            recheck = name(i, "read checkout")
        else:
            recheck = check
        states[check] = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {
                "FunctionName": "${FlowStepFunctionArn}",
                "Payload": {
                    "action": "plan",
                    "flow": flow.name,
                    "version": flow.version,
                    "step": i,
                    "execution.$": "$$.Execution.Name",
                    "context.$": "$.context",
                },
            },
            "ResultSelector": {
                "decision.$": "$.Payload.decision",
                "reason.$": "$.Payload.reason",
                "send_at.$": "$.Payload.send_at",
                "message.$": "$.Payload.message",
            },
            "ResultPath": "$.plan",
            "Retry": _retry_lambda(),
            "Next": name(i, "decide"),
        }
        states[name(i, "decide")] = {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.plan.decision", "StringEquals": "exit", "Next": "Exited"},
                {
                    "Variable": "$.plan.decision",
                    "StringEquals": "wait",
                    "Next": name(i, "wait for quiet hours"),
                },
            ],
            "Default": name(i, "enqueue"),
        }
        states[name(i, "wait for quiet hours")] = {
            "Type": "Wait",
            "TimestampPath": "$.plan.send_at",
            "Comment": "the recipient's next allowed instant ($.plan.reason says why)",
            "Next": recheck,
        }
        states[name(i, "enqueue")] = {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl": "${SendQueueUrl}", "MessageBody.$": "$.plan.message"},
            "ResultPath": None,
            "Retry": _retry_service(),
            "Next": first_of(i + 1),
        }
    states["Exited"] = {"Type": "Succeed", "Comment": "an exit condition held ($.plan.reason)"}
    states["Done"] = {"Type": "Succeed"}
    return {
        "Comment": f"{flow.name} v{flow.version}: {flow.description}",
        "StartAt": first_of(0),
        "States": states,
    }


def substitute(asl: dict[str, Any], values: dict[str, str]) -> str:
    """The ASL as JSON with placeholders filled, as Step Functions does with DefinitionSubstitutions."""
    text = json.dumps(asl)
    missing = [p for p in PLACEHOLDERS if f"${{{p}}}" in text and p not in values]
    if missing:
        raise KeyError(f"no value for placeholders {missing}")
    for key, value in values.items():
        text = text.replace(f"${{{key}}}", value)
    return text
