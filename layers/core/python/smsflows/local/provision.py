"""Creates the deployment's resources in moto from the same topology and ASL that CDK deploys."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from smsflows import topology
from smsflows.domain import keys
from smsflows.domain.flows import asl, definitions

ACCOUNT = "123456789012"
LOCAL_TWILIO_SID = "AC" + "0" * 31 + "1"
LOCAL_MESSAGING_SERVICE = "MG" + "0" * 31 + "1"
# The local demo shop's short-link key: fixed, so that a demo prints the same links every time (a real
# shop's is random, made when it is onboarded).
LOCAL_LINK_KEY = "local-demo-shop-link-key"
# The demo shop's Admin API access token, as the fake Shopify expects it (not a secret: loopback only).
LOCAL_SHOPIFY_ADMIN_TOKEN = "shpat_local-demo-shop-admin-token"  # noqa: S105
# The partner event source the local cloud plays (POST /_local/eventbridge): the only source its
# shopify_eventbridge accepts, as a stage's is its `shopify_event_source`.
LOCAL_SHOPIFY_EVENT_SOURCE = "aws.partner/shopify.com/1830279/smsflows-local"


def admin_token_prefix(prefix: str) -> str:
    """The name prefix of the shops' Admin API token secrets (`<prefix>/shopify-admin/<shop>`)."""
    return f"{prefix}/shopify-admin"


@dataclass(frozen=True)
class Provisioned:
    env: dict[str, str]
    queue_urls: dict[str, str]
    dlq_urls: dict[str, str]
    state_machines: dict[str, str]


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


def provision(
    session_client: Any,
    *,
    prefix: str,
    shopify_secret: str,
    twilio_token: str,
    queue_visibility_scale: float = 1.0,
    shop: str = "demo-shop.myshopify.com",
    brand: str = "Demo Shop",
) -> Provisioned:
    """Create table, queues with DLQs, secrets, Lambda stubs (for ARNs only) and the flow state machines.

    `session_client(service)` returns a boto3 client pointed at moto. The Lambda functions exist so
    that ARNs resolve; their code is never run (moto_patches routes invocations to the real handlers).
    """
    ddb = session_client("dynamodb")
    table = f"{prefix}-data"
    ddb.create_table(
        TableName=table,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "gsi1pk", "AttributeType": "S"},
            {"AttributeName": "shop", "AttributeType": "S"},
            {"AttributeName": "seg_pk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {
                "IndexName": name,
                "KeySchema": [
                    {"AttributeName": part, "KeyType": "HASH"},
                    {"AttributeName": "pk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
            for name, part in ((keys.BY_SUBJECT, "gsi1pk"), (keys.BY_SHOP, "shop"))
        ]
        + [
            {  # sparse (only subscribed members carry seg_pk), with the summaries segments read
                "IndexName": keys.BY_SEGMENT,
                "KeySchema": [
                    {"AttributeName": "seg_pk", "KeyType": "HASH"},
                    {"AttributeName": "pk", "KeyType": "RANGE"},
                ],
                "Projection": {
                    "ProjectionType": "INCLUDE",
                    "NonKeyAttributes": list(keys.SEGMENT_PROJECTION),
                },
            }
        ],
    )
    ddb.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )

    sqs = session_client("sqs")
    queue_urls: dict[str, str] = {}
    dlq_urls: dict[str, str] = {}
    for spec in topology.QUEUES.values():
        dlq_url = sqs.create_queue(QueueName=f"{prefix}-{spec.key}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        visibility = max(1, round(spec.visibility_timeout_s / max(queue_visibility_scale, 1.0)))
        url = sqs.create_queue(
            QueueName=f"{prefix}-{spec.key}",
            Attributes={
                "VisibilityTimeout": str(visibility),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.max_receive_count}
                ),
            },
        )["QueueUrl"]
        queue_urls[spec.key] = url
        dlq_urls[spec.key] = dlq_url

    sm = session_client("secretsmanager")
    shopify_id = sm.create_secret(
        Name=f"{prefix}/shopify", SecretString=json.dumps({"api_secret": shopify_secret})
    )["ARN"]
    twilio_id = sm.create_secret(
        Name=f"{prefix}/twilio",
        SecretString=json.dumps(
            {
                "account_sid": LOCAL_TWILIO_SID,
                "auth_token": twilio_token,
                "messaging_service_sid": LOCAL_MESSAGING_SERVICE,
            }
        ),
    )["ARN"]

    # The demo shop's Admin API token, where `smsflows shop connect` puts a shop's (adapters/shopify_admin.py)
    sm.create_secret(
        Name=f"{admin_token_prefix(prefix)}/{shop}",
        SecretString=json.dumps({"access_token": LOCAL_SHOPIFY_ADMIN_TOKEN}),
    )

    iam = session_client("iam")
    role_doc = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role_arn = iam.create_role(RoleName=f"{prefix}-local", AssumeRolePolicyDocument=json.dumps(role_doc))[
        "Role"
    ]["Arn"]
    lam = session_client("lambda")
    function_arns: dict[str, str] = {}
    for fn in topology.FUNCTIONS:
        function_arns[fn.name] = lam.create_function(
            FunctionName=fn.name,
            Runtime="python3.12",
            Role=role_arn,
            Handler="handler.handler",
            Code={"ZipFile": _zip()},
            Timeout=fn.timeout_s,
            MemorySize=fn.memory_mb,
        )["FunctionArn"]

    sfn = session_client("stepfunctions")
    values = {
        "TableName": table,
        "SendQueueUrl": queue_urls[topology.SEND_QUEUE],
        "FlowStepFunctionArn": function_arns["flow_step"],
    }
    state_machines: dict[str, str] = {}
    for flow in definitions.STATE_MACHINE_FLOWS.values():
        definition = asl.substitute(asl.compile_flow(flow), values)
        state_machines[flow.name] = sfn.create_state_machine(
            name=f"{prefix}-{flow.name}", definition=definition, roleArn=role_arn, type="STANDARD"
        )["stateMachineArn"]

    scheduler = session_client("scheduler")
    scheduler.create_schedule_group(Name=f"{prefix}-campaigns")
    scheduler.create_schedule_group(Name=f"{prefix}-deferrals")
    scheduler_doc = json.dumps(role_doc).replace("lambda.amazonaws.com", "scheduler.amazonaws.com")
    scheduler_role = iam.create_role(RoleName=f"{prefix}-scheduler", AssumeRolePolicyDocument=scheduler_doc)[
        "Role"
    ]["Arn"]
    queue_arns = {
        key: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for key, url in queue_urls.items()
    }
    deferral_scheduler = {
        "group": f"{prefix}-deferrals",
        "role_arn": scheduler_role,
        "targets": {key: queue_arns[key] for key in (topology.SEND_QUEUE, topology.TRANSACTIONAL_QUEUE)},
        "dead_letters": {
            key: sqs.get_queue_attributes(QueueUrl=dlq_urls[key], AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            for key in (topology.SEND_QUEUE, topology.TRANSACTIONAL_QUEUE)
        },
    }

    from smsflows.adapters.shop_configs import DynamoShopConfigs
    from smsflows.domain.shopify.shop_settings import onboard

    # The demo shop is onboarded as `smsflows shop add` onboards one: complete settings, checked whole.
    # Not stamped with an onboarding time: the local clock may start anywhere (`--start`), and events
    # "from before" it would then text nobody.
    DynamoShopConfigs(ddb, table).put(
        onboard(
            shop,
            {
                "brand_name": brand,
                "support_contact": "help@demo-shop.example",
                "terms_url": "https://demo-shop.example/terms",
                "privacy_url": "https://demo-shop.example/privacy",
                "keywords": ("JOIN", "VIP"),
                "senders": (LOCAL_MESSAGING_SERVICE,),
                # a vetted 10DLC brand with a mid trust score: 120 segments/s, 40,000/day at T-Mobile
                "throughput": {"sender_type": "10dlc", "trust_tier": "mid"},
            },
        ).model_copy(update={"link_key": LOCAL_LINK_KEY})  # the same short-link codes on every run
    )

    # Campaign schedules (`campaign schedule`): one-time (a run's start) or cron (a recurring campaign's
    # occurrences), each putting the run's first cursor on the campaign queue.
    campaign_scheduler = {
        "group": f"{prefix}-campaigns",
        "role_arn": scheduler_role,
        "target": queue_arns[topology.CAMPAIGN_QUEUE],
        "dead_letter": sqs.get_queue_attributes(
            QueueUrl=dlq_urls[topology.CAMPAIGN_QUEUE], AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"],
    }

    env = {
        topology.ENV[topology.TABLE]: table,
        topology.ENV[topology.CAMPAIGN_QUEUE]: queue_urls[topology.CAMPAIGN_QUEUE],
        topology.CAMPAIGN_SCHEDULER_ENV: json.dumps(campaign_scheduler),
        topology.ENV[topology.SHOP_EVENTS_QUEUE]: queue_urls[topology.SHOP_EVENTS_QUEUE],
        topology.ENV[topology.SEND_QUEUE]: queue_urls[topology.SEND_QUEUE],
        topology.ENV[topology.TRANSACTIONAL_QUEUE]: queue_urls[topology.TRANSACTIONAL_QUEUE],
        topology.ENV[topology.DEFERRALS]: json.dumps(deferral_scheduler),
        topology.ENV[topology.FLOWS]: json.dumps(state_machines),
        topology.ENV[topology.SHOPIFY_SECRET]: shopify_id,
        topology.ENV[topology.TWILIO_SECRET]: twilio_id,
        topology.ENV[topology.SHOPIFY_ADMIN_TOKENS]: admin_token_prefix(prefix),
        "DEFAULT_SHOP": shop,
        "SHOPIFY_EVENT_SOURCE": LOCAL_SHOPIFY_EVENT_SOURCE,
        **topology.max_receives_env(topology.QUEUES),  # one environment for every local function
    }
    return Provisioned(env=env, queue_urls=queue_urls, dlq_urls=dlq_urls, state_machines=state_machines)
