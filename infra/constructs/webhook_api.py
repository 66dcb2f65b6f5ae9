"""WebhookApi: the public HTTPS front door for Shopify, Twilio and browsers (one route per topology route)."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Aws
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.nag import acknowledge
from smsflows.topology import Route, routes


class WebhookApi(Construct):
    """A regional REST API; each route is a Lambda proxy integration of the function that owns it."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.stage_name = config.api_stage_name
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=config.retention_days, removal_policy=config.removal_policy
        )
        self.api = apigw.RestApi(
            self,
            "Api",
            description="smsflows webhooks (Shopify, Twilio) and public endpoints",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # Stage logging needs the account-level CloudWatch role; CDK creates it (and keeps it on delete).
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=config.api_stage_name,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=False,
                ),
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                # Request bodies carry phone numbers and names: never log them.
                data_trace_enabled=False,
                throttling_rate_limit=config.api_throttle_rate,
                throttling_burst_limit=config.api_throttle_burst,
            ),
        )
        # The stack exports ApiUrl itself (a stable name); drop the auto-named duplicate output.
        self.api.node.try_remove_child("Endpoint")
        self.methods: dict[Route, apigw.Method] = {}
        self._acknowledge()

    @property
    def url(self) -> str:
        return self.api.url

    @property
    def base_url(self) -> str:
        """The stage URL without a trailing slash, built from the API id only (no dependency on the stage).

        Functions receive it as PUBLIC_BASE_URL (Twilio signs the full URL; short links point here), and
        referencing the deployed stage from a function would be a dependency cycle.
        """
        return f"https://{self.api.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}/{self.stage_name}"

    def add_routes(self, functions: Mapping[str, lambda_.IFunction]) -> None:
        """One resource/method per topology route, integrated with the named function."""
        for route, spec in routes():
            resource = self.api.root.resource_for_path(route.path)
            self.methods[route] = resource.add_method(
                route.method, apigw.LambdaIntegration(functions[spec.name], proxy=True)
            )

    def _acknowledge(self) -> None:
        target = self.api
        acknowledge(
            target,
            "AwsSolutions-APIG2",
            (
                "Webhook bodies are verified byte for byte (Shopify HMAC, Twilio signature) and then parsed "
                "with pydantic in the function; API Gateway request validation would only duplicate that."
            ),
        )
        acknowledge(
            target,
            "AwsSolutions-APIG3",
            (
                "No WAF web ACL in the skeleton: every request is authenticated by HMAC/signature in the "
                "function and the stage is throttled. Attach a WAF ACL per stage if abuse shows up."
            ),
        )
        acknowledge(
            target,
            "AwsSolutions-APIG4",
            (
                "Called by Shopify and Twilio, which cannot sign with IAM or present Cognito tokens; "
                "requests are authenticated inside the function (Shopify X-Shopify-Hmac-Sha256, Twilio "
                "X-Twilio-Signature)."
            ),
        )
        acknowledge(
            target,
            "AwsSolutions-COG4",
            (
                "No Cognito user pool: the callers are Shopify/Twilio servers and anonymous shoppers; "
                "webhooks are authenticated by HMAC/signature in the function."
            ),
        )
        acknowledge(
            self.api.node.find_child("CloudWatchRole"),
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            (
                "The account-level API Gateway logging role uses the AWS-managed policy AWS documents for "
                "exactly this purpose; it is needed for stage execution and access logging."
            ),
        )
