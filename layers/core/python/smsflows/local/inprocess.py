"""The deployment under moto's in-process mock: real handlers, the real ASL, the fake Twilio on loopback.

Integration tests and benchmarks use it; `smsflows local` uses moto's server instead (for HTTP clients).
"""

from __future__ import annotations

import contextlib
import os
import time
from datetime import UTC, datetime
from typing import Any

from smsflows.local import moto_patches
from smsflows.local.fake_shopify import FakeShopify
from smsflows.local.fake_twilio import FakeTwilio
from smsflows.local.lambda_runtime import LocalLambdas
from smsflows.local.provision import LOCAL_SHOPIFY_ADMIN_TOKEN, LOCAL_TWILIO_SID, Provisioned, provision
from smsflows.runtime import deps as deps_module

REGION = "us-east-1"
# Monday 2026-11-23 11:00 in Austin: inside every marketing window, so results do not depend on when tests run.
DEFAULT_START = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


class InProcessCloud:
    def __init__(
        self,
        shopify_secret: str,
        twilio_token: str,
        prefix: str = "it",
        time_scale: float = 0,
        queue_visibility_scale: float = 1.0,
        start_at: datetime | None = DEFAULT_START,
    ) -> None:
        self.shopify_secret = shopify_secret
        self.twilio_token = twilio_token
        self.prefix = prefix
        self.time_scale = time_scale
        self.queue_visibility_scale = queue_visibility_scale
        self.start_at = start_at
        self.queue_visibility_scale = queue_visibility_scale
        self.start_at = start_at
        self._mock: Any = None
        self._saved: dict[str, str | None] = {}
        self.res: Provisioned
        self.twilio: FakeTwilio
        self.shopify: FakeShopify
        self.lambdas = LocalLambdas()

    def __enter__(self) -> InProcessCloud:
        from moto import mock_aws

        self._mock = mock_aws(
            config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
        )
        self._mock.start()
        self._setenv({"TZ": "UTC", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION})
        if self.start_at is not None:  # the app's clock starts at a known instant and runs at real speed
            self._setenv(
                {
                    "SMSFLOWS_TIME_SCALE": "1.0",
                    "SMSFLOWS_CLOCK_EPOCH_REAL": repr(time.time()),
                    "SMSFLOWS_CLOCK_EPOCH_VIRTUAL": repr(self.start_at.timestamp()),
                }
            )
        os.environ.pop("SMSFLOWS_AWS_ENDPOINT_URL", None)
        deps_module.reset()
        client = deps_module.get_deps().client
        self.res = provision(
            client,
            prefix=self.prefix,
            shopify_secret=self.shopify_secret,
            twilio_token=self.twilio_token,
            queue_visibility_scale=self.queue_visibility_scale,
        )
        # the provider stamps messages with the application's clock, as Twilio's and ours agree in AWS
        self.twilio = FakeTwilio(
            LOCAL_TWILIO_SID, self.twilio_token, clock=lambda: deps_module.get_deps().clock()
        ).start()
        # The fake Shopify Admin API: consent write-backs, segments and id-only fetches reach it, never Shopify.
        self.shopify = FakeShopify(clock=lambda: deps_module.get_deps().clock()).start()
        self.shopify.add_token("demo-shop.myshopify.com", LOCAL_SHOPIFY_ADMIN_TOKEN)  # provision()'s shop
        # Retries come back after ~1 s instead of AWS's seconds-to-minutes backoff (tests: see test_retry).
        retry = {
            "SMSFLOWS_RETRY_BASE_S": os.environ.get("SMSFLOWS_RETRY_BASE_S", "0.25"),
            "SMSFLOWS_RETRY_CAP_S": os.environ.get("SMSFLOWS_RETRY_CAP_S", "1"),
        }
        # The functions share this process and its one shop-config cache: uncached, what each function reads
        # is read by that function (the least-privilege record sees it), as in its own container in AWS.
        uncached = {"SMSFLOWS_SHOP_CONFIG_CACHE_S": "0", "SMSFLOWS_CAMPAIGN_STATE_CACHE_S": "0"}
        self._setenv(
            {
                **self.res.env,
                **retry,
                **uncached,
                "SMSFLOWS_TWILIO_API_BASE": self.twilio.base_url,
                "SMSFLOWS_SHOPIFY_API_BASE": self.shopify.base_url,
            }
        )
        deps_module.reset()
        moto_patches.install(
            self.lambdas.invoke, time_scale=self.time_scale, clock=lambda: deps_module.get_deps().clock()
        )
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            # An execution still running when the mock stops would call real AWS (LOCAL_AWS.md §1).
            # Most finish on their own (waits are skipped by default); stop the rest. A just-started
            # execution cannot be stopped until moto's worker has set it up, hence the retries.
            sfn = self.client("stepfunctions")
            for _ in range(50):
                with contextlib.suppress(TimeoutError):  # still waiting (a Wait at real speed): stopped below
                    self.wait_executions(timeout=2)
                running = [e for e in self.executions() if e["status"] == "RUNNING"]
                if not running:
                    break
                for ex in running:
                    try:
                        sfn.stop_execution(executionArn=ex["executionArn"])
                    except Exception:  # noqa: S112 - not ready to be stopped yet: try again
                        continue
        finally:
            self.twilio.stop()
            self.shopify.stop()
            self._mock.stop()
            for key, value in self._saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            deps_module.reset()

    # Helpers -----------------------------------------------------------------------------------
    def client(self, service: str) -> Any:
        return deps_module.get_deps().client(service)

    def invoke(self, name: str, event: dict[str, Any]) -> Any:
        return self.lambdas.invoke(name, event)

    def receive(self, queue_key: str) -> list[dict[str, Any]]:
        """Receive and delete everything visible on a queue; the raw SQS messages."""
        sqs, url = self.client("sqs"), self.res.queue_urls[queue_key]
        out: list[dict[str, Any]] = []
        while True:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
                "Messages", []
            )
            if not got:
                return out
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)],
            )
            out += got

    def fire_schedules(self, now: datetime) -> int:
        """Run the deferral schedules due by `now` (moto never fires them): messages back on their queue."""
        import json

        from smsflows import topology
        from smsflows.local.pollers import fire_due_schedules

        group = json.loads(self.res.env[topology.ENV[topology.DEFERRALS]])["group"]
        return fire_due_schedules(self.client("scheduler"), self.client("sqs"), [group], now)

    def schedules(self) -> list[dict[str, Any]]:
        """The pending deferral schedules, in full."""
        import json

        from smsflows import topology

        group = json.loads(self.res.env[topology.ENV[topology.DEFERRALS]])["group"]
        scheduler = self.client("scheduler")
        names = [s["Name"] for s in scheduler.list_schedules(GroupName=group).get("Schedules", [])]
        return [scheduler.get_schedule(Name=n, GroupName=group) for n in names]

    def send_bodies(self) -> list[str]:
        """Drain both send queues (transactional first, then marketing): what the sender would get."""
        return self.queue_bodies("transactional_queue") + self.queue_bodies("send_queue")

    def queue_bodies(self, queue_key: str) -> list[str]:
        return [m["Body"] for m in self.receive(queue_key)]

    def items(self, prefix: str) -> list[dict[str, Any]]:
        from boto3.dynamodb.types import TypeDeserializer

        plain = TypeDeserializer().deserialize
        table = self.res.env["TABLE_NAME"]
        items = self.client("dynamodb").scan(TableName=table)["Items"]
        return [{k: plain(v) for k, v in i.items()} for i in items if i["pk"]["S"].startswith(prefix)]

    def executions(self) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        out: list[dict[str, Any]] = []
        for arn in self.res.state_machines.values():
            out += sfn.list_executions(stateMachineArn=arn)["executions"]
        return out

    def wait_executions(self, timeout: float = 20) -> list[dict[str, Any]]:
        """Every execution, once none is RUNNING; TimeoutError (naming those still running) after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            out = self.executions()
            running = [e["name"] for e in out if e["status"] == "RUNNING"]
            if not running:
                return out
            if time.monotonic() > deadline:
                raise TimeoutError(f"executions still RUNNING after {timeout:g} s: {running}")
            time.sleep(0.02)

    def _setenv(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved.setdefault(key, os.environ.get(key))
            os.environ[key] = value
