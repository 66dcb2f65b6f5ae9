"""Synthesis for the infra tests: the `Smsflows-dev` stack built by infra/app.py, cdk-nag included."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

REPO_ROOT = Path(__file__).resolve().parents[2]
for entry in (REPO_ROOT, REPO_ROOT / "layers" / "core" / "python"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import aws_cdk as cdk  # noqa: E402
from aws_cdk import aws_sqs as sqs  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from infra.app import build  # noqa: E402
from infra.stacks.smsflows_stack import SmsflowsStack  # noqa: E402

# A stack that breaks AwsSolutions rules on purpose, in the same app: its findings prove cdk-nag really ran.
CANARY_STACK = "NagCanary"


@dataclass(frozen=True)
class NagFinding:
    rule: str
    path: str
    description: str


@dataclass(frozen=True)
class Synthesized:
    stack: SmsflowsStack
    template: Template
    findings: list[NagFinding]

    @property
    def json(self) -> dict[str, Any]:
        return self.template.to_json()


def _findings(outdir: Path) -> list[NagFinding]:
    report = json.loads((outdir / "validation-report.json").read_text())
    return [
        NagFinding(violation["ruleName"], construct["constructPath"], violation["description"])
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    ]


def logical_id(synthesized: Synthesized, construct: Any) -> str:
    return synthesized.stack.get_logical_id(construct.node.default_child)


def role_statements(resources: dict[str, dict[str, Any]], role_id: str) -> list[dict[str, Any]]:
    """Every statement of the inline/default policies attached to the role `role_id`."""
    statements = []
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def actions_of(statements: list[dict[str, Any]]) -> set[str]:
    actions: set[str] = set()
    for statement in statements:
        actions |= statement_actions(statement)
    return actions


def statement_actions(statement: dict[str, Any]) -> set[str]:
    value = statement["Action"]
    return {value} if isinstance(value, str) else set(value)


def of_type(resources: dict[str, dict[str, Any]], type_: str) -> dict[str, dict[str, Any]]:
    return {key: value for key, value in resources.items() if value["Type"] == type_}


# What each stage is synthesized with in the tests: prod as an operator deploys it (an alarm subscriber is
# required), with every optional part turned on (custom domain with its DNS alias, the account's API
# Gateway logging role, two shops' link domains given as on the command line: a JSON list, the Shopify
# partner event source) so that both branches of each option are synthesized and checked by cdk-nag.
LINK_DOMAINS = [
    {
        "domain": "sms.shop-one.example",
        "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555",
    },
    {
        "domain": "go.shop-two.example",
        "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/66666666-7777-8888-9999-000000000000",
    },
]
STAGE_CONTEXT: dict[str, dict[str, str]] = {
    "dev": {},
    "prod": {
        "alarm_email": "ops@example.com",
        "account": "123456789012",
        "region": "us-east-1",
        "create_api_logging_role": "true",
        "domain_name": "sms.example.com",
        "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100",
        "hosted_zone_id": "Z0123456789ABCDEFGHIJ",
        "hosted_zone_name": "example.com",
        "link_domains": json.dumps(LINK_DOMAINS),
        "shopify_event_source": "aws.partner/shopify.com/1830279/smsflows-prod",  # webhooks by EventBridge
    },
}


def synthesize(outdir: Path, deps_dir: Path, stage: str = "dev") -> Synthesized:
    """Synthesize one stage's stack (and the canary) once; cdk-nag findings come from the validation report."""
    app = cdk.App(
        outdir=str(outdir),
        context={
            "stage": stage,
            "deps_layer_dir": str(deps_dir),
            "aws:cdk:disable-asset-staging": True,
            **STAGE_CONTEXT[stage],
        },
    )
    stack = build(app)
    sqs.Queue(cdk.Stack(app, CANARY_STACK), "QueueWithoutDlqOrTls")
    try:
        app.synth()
    except RuntimeError as error:  # cdk-nag failing validation surfaces as a jsii RuntimeError
        if "ValidationFailed" not in str(error):
            raise
    # Template.from_stack would synthesize (and fail validation) again: read what this synth wrote.
    template = Template.from_json(json.loads((outdir / f"{stack.stack_name}.template.json").read_text()))
    return Synthesized(stack=stack, template=template, findings=_findings(outdir))
