"""Flows as versioned Python data, compiled to Amazon States Language.

One definition compiles to one ASL document. CDK deploys it (placeholders become
DefinitionSubstitutions) and the local cloud runs the very same document in moto.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from smsflows.domain import keys
from smsflows.domain.messages import stable_id

# Placeholders the deployment fills in: CDK DefinitionSubstitutions, or the local cloud.
PLACEHOLDERS = ("TableName", "SendQueueUrl", "FlowStepFunctionArn")


@dataclass(frozen=True)
class Wait:
    seconds: int
    label: str


@dataclass(frozen=True)
class Send:
    """Re-check the order, let the flow_step function render the text, enqueue it."""

    template: str
    label: str


Step = Wait | Send


@dataclass(frozen=True)
class FlowDefinition:
    name: str
    version: int
    description: str
    steps: tuple[Step, ...]


# The walking skeleton's flow: the order is thanked at once (order confirmation), then after a
# wait the customer hears that it is being prepared, unless the order was cancelled meanwhile.
ORDER_FOLLOWUP = FlowDefinition(
    name="order_followup",
    version=1,
    description="Thank-you, wait, follow-up: 'your order is being prepared' two hours after the order.",
    steps=(
        Wait(seconds=2 * 3600, label="Wait 2 hours"),
        Send(template="order_followup", label="Order being prepared"),
    ),
)

FLOWS: dict[str, FlowDefinition] = {ORDER_FOLLOWUP.name: ORDER_FOLLOWUP}

_NAME_OK = re.compile(r"[^A-Za-z0-9_-]")


def shop_tag(shop: str) -> str:
    """The shop's part of execution names (lets an uninstall find and stop all of a shop's flows)."""
    return stable_id(shop)[:10]


def execution_name(flow: FlowDefinition, shop: str, subject_id: str) -> str:
    """Deterministic (so a redelivered trigger starts nothing twice) and within the 80-char limit."""
    subject = _NAME_OK.sub("-", subject_id)[:40]
    return f"{flow.name}-v{flow.version}-{shop_tag(shop)}-{subject}"[:80]


def order_flow_input(shop: str, order_id: str) -> dict[str, Any]:
    """Execution input: references only, no phone numbers or names (the console shows execution input)."""
    return {"context": {"shop": shop, "order_id": order_id, "order_key": keys.order(shop, order_id)}}


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


def compile_flow(flow: FlowDefinition) -> dict[str, Any]:
    """ASL for `flow`, with ${Placeholder} strings for the deployment-specific names."""
    states: dict[str, Any] = {}
    names: list[str] = []
    for index, step in enumerate(flow.steps):
        names.append(f"{index + 1:02d} {step.label}"[:80])

    def next_of(index: int) -> dict[str, Any]:
        return {"Next": names[index + 1]} if index + 1 < len(names) else {"Next": "Done"}

    for index, step in enumerate(flow.steps):
        name = names[index]
        if isinstance(step, Wait):
            states[name] = {
                "Type": "Wait",
                "Seconds": int(step.seconds),
                "Comment": "planned wait",
                **next_of(index),
            }
            continue
        check, render, decide, enqueue = (
            f"{name} · {part}"[:80] for part in ("load order", "render", "send?", "enqueue")
        )
        states[name] = {"Type": "Pass", "Comment": f"send step '{step.template}'", "Next": check}
        states[check] = {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:getItem",
            "Parameters": {
                "TableName": "${TableName}",
                "Key": {"pk": {"S.$": "$.context.order_key.pk"}, "sk": {"S.$": "$.context.order_key.sk"}},
                "ConsistentRead": True,
            },
            "ResultSelector": {"item.$": "$"},
            "ResultPath": "$.order",
            "Next": render,
        }
        states[render] = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {
                "FunctionName": "${FlowStepFunctionArn}",
                "Payload": {
                    "action": "render",
                    "flow": flow.name,
                    "version": flow.version,
                    "step": index,
                    "template": step.template,
                    "execution.$": "$$.Execution.Name",
                    "context.$": "$.context",
                    "order.$": "$.order.item",
                },
            },
            "ResultSelector": {
                "send.$": "$.Payload.send",
                "reason.$": "$.Payload.reason",
                "message.$": "$.Payload.message",
            },
            "ResultPath": "$.rendered",
            "Retry": _retry_lambda(),
            "Next": decide,
        }
        states[decide] = {
            "Type": "Choice",
            "Choices": [{"Variable": "$.rendered.send", "BooleanEquals": True, "Next": enqueue}],
            "Default": "Exited",
        }
        states[enqueue] = {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl": "${SendQueueUrl}", "MessageBody.$": "$.rendered.message"},
            "ResultPath": None,
            **next_of(index),
        }
    states["Exited"] = {"Type": "Succeed", "Comment": "an exit condition held (see $.rendered.reason)"}
    states["Done"] = {"Type": "Succeed"}
    return {
        "Comment": f"{flow.name} v{flow.version}: {flow.description}",
        "StartAt": names[0],
        "States": states,
    }


def substitute(asl: dict[str, Any], values: dict[str, str]) -> str:
    """The ASL as JSON with placeholders filled, as Step Functions does with DefinitionSubstitutions."""
    import json

    text = json.dumps(asl)
    missing = [p for p in PLACEHOLDERS if f"${{{p}}}" in text and p not in values]
    if missing:
        raise KeyError(f"no value for placeholders {missing}")
    for key, value in values.items():
        text = text.replace(f"${{{key}}}", value)
    return text
