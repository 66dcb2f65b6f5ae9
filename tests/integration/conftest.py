"""Real handlers in-process under moto (Step Functions executing the real ASL), the real twilio client
against the fake Twilio on loopback."""

from __future__ import annotations

import base64
import copy
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from smsflows.domain import shopify
from smsflows.local import moto_patches
from smsflows.local.fake_twilio import FakeTwilio
from smsflows.local.lambda_runtime import LocalLambdas
from smsflows.local.provision import LOCAL_TWILIO_SID, Provisioned, provision
from smsflows.runtime import deps as deps_module

EVENTS = Path(__file__).parents[1] / "events"
SHOP = "demo-shop.myshopify.com"
SHOPIFY_SECRET = "integration-shopify-secret"
TWILIO_TOKEN = "integration-twilio-token"


def api_event(
    body: bytes, headers: dict[str, str], path: str = "/webhooks/shopify", b64: bool = False
) -> dict[str, Any]:
    event = json.loads((EVENTS / "apigw_rest_proxy.json").read_text())
    event["path"] = event["resource"] = path
    event["headers"] = {**event["headers"], **headers}
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    event["body"] = base64.b64encode(body).decode() if b64 else body.decode()
    event["isBase64Encoded"] = b64
    return event


def sqs_event(*bodies: str, receive_count: int = 1) -> dict[str, Any]:
    template = json.loads((EVENTS / "sqs_record.json").read_text())
    records = []
    for body in bodies:
        record = copy.deepcopy(template)
        record["messageId"] = str(uuid.uuid4())
        record["body"] = body
        record["attributes"]["ApproximateReceiveCount"] = str(receive_count)
        records.append(record)
    return {"Records": records}


def shopify_headers(
    body: bytes, topic: str = "orders/create", webhook_id: str | None = None, secret: str = SHOPIFY_SECRET
):
    return {
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-API-Version": "2026-04",
        "X-Shopify-Hmac-Sha256": shopify.sign(secret.encode(), body),
    }


@dataclass
class Cloud:
    res: Provisioned
    lambdas: LocalLambdas
    twilio: FakeTwilio
    ddb: Any
    sqs: Any
    sfn: Any

    def invoke(self, name: str, event: dict[str, Any]) -> Any:
        return self.lambdas.invoke(name, event)

    def drain(self, queue_key: str, max_messages: int = 10) -> list[dict[str, Any]]:
        """Receive and delete what is on a queue (bodies parsed)."""
        out = []
        while True:
            got = self.sqs.receive_message(
                QueueUrl=self.res.queue_urls[queue_key], MaxNumberOfMessages=max_messages
            ).get("Messages", [])
            if not got:
                return out
            for m in got:
                self.sqs.delete_message(
                    QueueUrl=self.res.queue_urls[queue_key], ReceiptHandle=m["ReceiptHandle"]
                )
                out.append(json.loads(m["Body"]))

    def queue_bodies(self, queue_key: str) -> list[str]:
        return [json.dumps(b) for b in self.drain(queue_key)]

    def items(self, prefix: str) -> list[dict[str, Any]]:
        from smsflows.adapters.dynamo import from_item

        table = self.res.env["TABLE_NAME"]
        return [
            from_item(i) for i in self.ddb.scan(TableName=table)["Items"] if i["pk"]["S"].startswith(prefix)
        ]

    def wait_executions(self, timeout: float = 20) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            out = []
            for arn in self.res.state_machines.values():
                out += self.sfn.list_executions(stateMachineArn=arn)["executions"]
            if all(e["status"] != "RUNNING" for e in out) or time.monotonic() > deadline:
                return out
            time.sleep(0.02)


@pytest.fixture
def cloud(monkeypatch):
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}):
        deps_module.reset()
        res = provision(
            lambda s: boto3.client(s, region_name="us-east-1"),
            prefix="it",
            shopify_secret=SHOPIFY_SECRET,
            twilio_token=TWILIO_TOKEN,
        )
        twilio = FakeTwilio(LOCAL_TWILIO_SID, TWILIO_TOKEN).start()
        for key, value in {**res.env, "SMSFLOWS_TWILIO_API_BASE": twilio.base_url}.items():
            monkeypatch.setenv(key, value)
        deps_module.reset()
        lambdas = LocalLambdas()
        moto_patches.install(lambdas.invoke, time_scale=0)  # waits are recorded, not slept
        c = Cloud(
            res=res,
            lambdas=lambdas,
            twilio=twilio,
            ddb=boto3.client("dynamodb", region_name="us-east-1"),
            sqs=boto3.client("sqs", region_name="us-east-1"),
            sfn=boto3.client("stepfunctions", region_name="us-east-1"),
        )
        try:
            yield c
        finally:
            # An execution still running when mock_aws exits would call real AWS (LOCAL_AWS.md §1).
            for arn in res.state_machines.values():
                for ex in c.sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]:
                    c.sfn.stop_execution(executionArn=ex["executionArn"])
            c.wait_executions()
            twilio.stop()
            deps_module.reset()
    assert "SMSFLOWS_AWS_ENDPOINT_URL" not in os.environ
