"""CallbackApi: Twilio's status callbacks (topology.CALLBACK_ROUTES) on an HTTP API of their own.

Two callbacks arrive for every text ("sent", then "delivered" or "undelivered"): the busiest route of the
stack by far. On the REST API each cost $3.50 per million requests plus the WAF's $0.60; on an HTTP API
$1.00, and they no longer share the REST stage's throttle with Shopify's webhooks and inbound STOPs (at
the prod stage's 200 requests/s, a campaign sending 100 texts/s would have taken all of it).

The route is signed: the function checks X-Twilio-Signature over the URL Twilio called (its Host header,
the path without a stage on `$default`) before it reads anything, and answers 403 otherwise. The WAF (which
an HTTP API cannot have) would add only its IP reputation list here: the common rule set skips signed
routes. The stage has a throttle of its own (config.callback_throttle_*) and JSON access logs; the payload is
API Gateway's version 1.0, the REST proxy's shape, so the function is the same one either way.

The REST API keeps its `/sms/status` too (webhook_api.WebhookApi.add_routes): Twilio reports to the URL a
text was sent with, up to 72 hours later, so on a stage upgraded to this API the texts sent before still
report there. The senders ask for this one (STATUS_CALLBACK_BASE_URL).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.nag import acknowledge
from smsflows.topology import CALLBACK_ROUTES, Route, routes

# An HTTP API's access log variables ($context.*): the REST API's fields that exist here.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "errorMessage": "$context.error.message",
    "integrationStatus": "$context.integrationStatus",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
}


class CallbackApi(Construct):
    """An HTTP API with one route per topology.CALLBACK_ROUTES entry, each a Lambda proxy integration."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        functions: Mapping[str, lambda_.IFunction],
    ) -> None:
        super().__init__(scope, construct_id)
        self.api = apigwv2.HttpApi(
            self,
            "Api",
            api_name=f"{config.api_name}-callbacks",
            description=f"smsflows Twilio status callbacks ({config.stage})",
            create_default_stage=False,
        )
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=config.retention_days, removal_policy=config.removal_policy
        )
        self.stage = apigwv2.HttpStage(
            self,
            "Stage",
            http_api=self.api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=config.callback_throttle_rate, burst_limit=config.callback_throttle_burst
            ),
        )
        stage = self.stage.node.default_child
        assert isinstance(stage, apigwv2.CfnStage)
        stage.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(
            destination_arn=self.access_logs.log_group_arn, format=json.dumps(ACCESS_LOG_FIELDS)
        )
        self.routes: dict[Route, apigwv2.HttpRoute] = {}
        for route, spec in routes():
            if route not in CALLBACK_ROUTES:
                continue
            integration = integrations.HttpLambdaIntegration(
                f"{spec.name}-integration",
                functions[spec.name],
                payload_format_version=apigwv2.PayloadFormatVersion.VERSION_1_0,
            )
            (made,) = self.api.add_routes(
                path=route.path, methods=[apigwv2.HttpMethod(route.method)], integration=integration
            )
            self.routes[route] = made
            acknowledge(
                made,
                "AwsSolutions-APIG4",
                f"{route.method} {route.path}: Twilio signs it (X-Twilio-Signature over the URL and form); the "
                "function verifies it before reading anything, and Twilio cannot sign with IAM or present a JWT.",
            )

    @property
    def base_url(self) -> str:
        """https://<api id>.execute-api.<region>.amazonaws.com: the `$default` stage has no path."""
        return self.api.api_endpoint
