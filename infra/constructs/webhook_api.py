"""WebhookApi: the public HTTPS front door for Shopify, Twilio and browsers (one route per topology route).

Two kinds of caller. Shopify and Twilio sign every request (HMAC, X-Twilio-Signature), checked byte for
byte in the function. The storefront's sign-up form (`POST /subscribe`) is anonymous by nature, and each
accepted sign-up costs a text: it is bounded by a WAF rate rule per source address, a throttle of its own,
and the opt-in limits of the subscribe use case (one pending request per number per shop per day, a budget
per source address, only the countries the shop sells to).

The web pixel's events (`POST /storefront/events`) are anonymous and unsigned too: each costs at most a
queue message and texts only a subscribed customer (domain/shopify/storefront_events.py); bounded by a WAF
rate rule per source address, a throttle of its own and the use case's limits.

The storefront's opt-in through Shopify's app proxy (`GET /proxy/config`, `POST /proxy/subscribe`) is signed by
Shopify (a `signature` over the query, checked in the function); it arrives from Shopify's addresses, so the
per-IP sign-up rule leaves it out and the function counts the shopper's forwarded address instead.

Short links (`GET|HEAD /l/{code}`) are anonymous too, on the API's own URL or on a shop's branded link
domain (config.LinkDomain): each link domain is a custom domain of this API with the stage at its root.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as route53_targets
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.nag import acknowledge
from smsflows.topology import Route, routes

SUBSCRIBE = Route("POST", "/subscribe")
LINKS = (Route("GET", "/l/{code}"), Route("HEAD", "/l/{code}"))
STOREFRONT_EVENTS = Route("POST", "/storefront/events")
# Routes whose every request is signed by its caller and verified in the function before anything else.
SIGNED_BODIES = {
    Route("POST", "/webhooks/shopify"): "Shopify signs it (X-Shopify-Hmac-Sha256 over the raw body)",
    Route("POST", "/sms/inbound"): "Twilio signs it (X-Twilio-Signature over the URL and form)",
    Route("POST", "/sms/status"): "Twilio signs it (X-Twilio-Signature over the URL and form)",
}
SIGNED = {
    **SIGNED_BODIES,
    # The storefront's opt-in through Shopify's app proxy: Shopify forwards it from the shop's own domain and
    # signs the query; the body is the shopper's (validated by the function, inspected by the WAF's rules).
    **{
        route: "Shopify's app proxy signs its query (signature: HMAC-SHA256 with the app secret, 90 s fresh)"
        for route in (Route("GET", "/proxy/config"), Route("POST", "/proxy/subscribe"))
    },
}
# Requests through the app proxy come from Shopify's addresses, many shoppers behind each: a per-IP rule
# would block a busy shop's sign-ups, so the sign-up rule leaves the proxied route out (the function limits
# per shopper address, the one Shopify forwards).
PROXIED_SUBSCRIBE = Route("POST", "/proxy/subscribe")
# Anonymous on purpose, and why each is safe.
ANONYMOUS = {
    SUBSCRIBE: (
        "The storefront sign-up form is anonymous by nature (shoppers have no account with us). It is "
        "bounded by the WAF per-IP rate rule, its own method throttle, and the use case's opt-in limits "
        "(one pending request per number per shop per 24 h, a per-address budget, the shop's countries)."
    ),
    Route("OPTIONS", "/subscribe"): (
        "CORS preflight for the sign-up form: answered by the function with headers only, no state, no text."
    ),
    STOREFRONT_EVENTS: (
        "The web pixel's product views and checkouts: public and unsigned by nature (Shopify does not sign "
        "them). It never grants consent or texts by itself: it queues a shop event that texts only a "
        "subscribed, identified customer, once per product per day; bounded by its own method throttle, the "
        "stage's, and the use case's per-address, per-client and per-shop limits (domain/shopify/"
        "storefront_events.py)."
    ),
    Route("OPTIONS", STOREFRONT_EVENTS.path): (
        "CORS preflight for the web pixel's events: answered by the function with headers only, no state."
    ),
    **{
        route: (
            "A short link in a text: whoever holds it may follow it (that is what a link is). Its code is 59 "
            "unguessable bits; a guess costs one conditional write and gets the not-found page. Bounded by "
            "the route's own throttle and the stage's."
        )
        for route in LINKS
    },
}
# Access log fields: enough to tell a WAF block from a throttle from a function error, without a body.
ACCESS_LOG_FIELDS = {
    "requestId": apigw.AccessLogField.context_request_id(),
    "ip": apigw.AccessLogField.context_identity_source_ip(),
    "userAgent": apigw.AccessLogField.context_identity_user_agent(),
    "requestTime": apigw.AccessLogField.context_request_time(),
    "httpMethod": apigw.AccessLogField.context_http_method(),
    "resourcePath": apigw.AccessLogField.context_resource_path(),
    "status": apigw.AccessLogField.context_status(),
    "protocol": apigw.AccessLogField.context_protocol(),
    "responseLength": apigw.AccessLogField.context_response_length(),
    "responseLatency": apigw.AccessLogField.context_response_latency(),
    "errorType": apigw.AccessLogField.context_error_response_type(),
    "errorMessage": apigw.AccessLogField.context_error_message(),
    "integrationStatus": apigw.AccessLogField.context_integration_status(),
    "integrationLatency": apigw.AccessLogField.context_integration_latency(),
    "integrationError": apigw.AccessLogField.context_integration_error_message(),
    "wafStatus": apigw.AccessLogField.context_waf_response_code(),
    "xrayTraceId": apigw.AccessLogField.context_xray_trace_id(),
}


class WebhookApi(Construct):
    """A regional REST API; each route is a Lambda proxy integration of the function that owns it."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.stage_name = config.api_stage_name
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=config.retention_days, removal_policy=config.removal_policy
        )
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=config.api_name,
            description=f"smsflows webhooks (Shopify, Twilio) and public endpoints ({config.stage})",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # Stage logging needs API Gateway's account-wide CloudWatch role (one per account and region).
            # Created only when asked (a fresh account), and then kept: other APIs may rely on it.
            cloud_watch_role=config.create_api_logging_role,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN if config.create_api_logging_role else None,
            deploy_options=apigw.StageOptions(
                stage_name=config.api_stage_name,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                # Request bodies carry phone numbers and names: never log them.
                data_trace_enabled=False,
                throttling_rate_limit=config.api_throttle_rate,
                throttling_burst_limit=config.api_throttle_burst,
                method_options={
                    f"{SUBSCRIBE.path}/{SUBSCRIBE.method}": apigw.MethodDeploymentOptions(
                        throttling_rate_limit=config.subscribe_throttle_rate,
                        throttling_burst_limit=config.subscribe_throttle_burst,
                        metrics_enabled=True,
                        logging_level=apigw.MethodLoggingLevel.ERROR,
                        data_trace_enabled=False,
                    ),
                    **{
                        f"{route.path}/{route.method}": apigw.MethodDeploymentOptions(
                            throttling_rate_limit=config.link_throttle_rate,
                            throttling_burst_limit=config.link_throttle_burst,
                            metrics_enabled=True,
                            logging_level=apigw.MethodLoggingLevel.ERROR,
                            data_trace_enabled=False,
                        )
                        for route in LINKS
                    },
                    f"{STOREFRONT_EVENTS.path}/{STOREFRONT_EVENTS.method}": apigw.MethodDeploymentOptions(
                        throttling_rate_limit=config.storefront_events_throttle_rate,
                        throttling_burst_limit=config.storefront_events_throttle_burst,
                        metrics_enabled=True,
                        logging_level=apigw.MethodLoggingLevel.ERROR,
                        data_trace_enabled=False,
                    ),
                },
            ),
        )
        # The stack exports ApiUrl itself (a stable name); drop the auto-named duplicate output.
        self.api.node.try_remove_child("Endpoint")
        self.methods: dict[Route, apigw.Method] = {}
        self.web_acl = self._web_acl()
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.api.deployment_stage.stage_arn,
            web_acl_arn=self.web_acl.attr_arn,
        )
        self.domain = self._custom_domain()
        self.link_domains = self._link_domains()
        self._acknowledge()

    @property
    def url(self) -> str:
        return self.api.url

    @property
    def base_url(self) -> str:
        """The public URL without a trailing slash: the custom domain when there is one, else the stage URL
        built from the API id only (no dependency on the stage).

        Functions receive it as PUBLIC_BASE_URL (Twilio signs the full URL; short links point here), and
        referencing the deployed stage from a function would be a dependency cycle.
        """
        if self.config.domain_name:
            return f"https://{self.config.domain_name}"
        return f"https://{self.api.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}/{self.stage_name}"

    def add_routes(self, functions: Mapping[str, lambda_.IFunction]) -> None:
        """One resource/method per topology route, integrated with the named function.

        The callback routes (Twilio's status callbacks) are the CallbackApi's (infra/constructs/callback_api.py)
        and stay here too: Twilio calls the URL a text was sent with, up to 72 hours later for a late delivery
        receipt, so texts sent before a stage had the callback API still report here. Nothing new asks for it.
        """
        for route, spec in routes():
            if route not in SIGNED and route not in ANONYMOUS:
                raise ValueError(f"{route}: say how it is authenticated (webhook_api.SIGNED or ANONYMOUS)")
            resource = self.api.root.resource_for_path(route.path)
            method = resource.add_method(
                route.method, apigw.LambdaIntegration(functions[spec.name], proxy=True)
            )
            self.methods[route] = method
            # cdk-nag's authorization findings are per method, and so is the reason.
            reason = (
                f"{route.method} {route.path}: {SIGNED[route]}; the function verifies it before reading "
                "anything, and Shopify/Twilio cannot sign with IAM or present Cognito tokens."
                if route in SIGNED
                else f"{route.method} {route.path}: {ANONYMOUS[route]}"
            )
            acknowledge(method, "AwsSolutions-APIG4", reason)
            acknowledge(method, "AwsSolutions-COG4", reason)

    def _web_acl(self) -> wafv2.CfnWebACL:
        """AWS managed IP reputation and common rule sets, and per-IP rate rules on the sign-up route and on
        the web pixel's events route.

        The common rule set does not inspect the signed routes: their bodies are authenticated byte for
        byte, and carry what customers and merchants wrote — a product description's HTML (<iframe>,
        <script>), an inbound text — which its XSS and size rules would block, losing an authentic webhook
        or a STOP. Its body-size rule (8 KB) is counted, not enforced: Shopify's order bodies exceed it.
        """

        def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True,
                metric_name=f"smsflows-{self.config.stage}-{name}",
                sampled_requests_enabled=True,
            )

        def path_ends_with(suffix: str) -> wafv2.CfnWebACL.StatementProperty:
            return wafv2.CfnWebACL.StatementProperty(
                byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                    field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                    positional_constraint="ENDS_WITH",
                    search_string=suffix,
                    text_transformations=[
                        wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="LOWERCASE")
                    ],
                )
            )

        signed = [path_ends_with(route.path) for route in SIGNED_BODIES]
        not_signed = wafv2.CfnWebACL.StatementProperty(
            not_statement=wafv2.CfnWebACL.NotStatementProperty(
                statement=wafv2.CfnWebACL.StatementProperty(
                    or_statement=wafv2.CfnWebACL.OrStatementProperty(statements=signed)
                )
            )
        )

        def managed(name: str, priority: int, **extra: object) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS",
                        name=name,
                        **extra,  # type: ignore[arg-type]
                    )
                ),
                visibility_config=visibility(name),
            )

        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name="SubscribePerIp",
                priority=0,
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        aggregate_key_type="IP",
                        limit=self.config.waf_subscribe_per_ip_5min,
                        evaluation_window_sec=300,
                        scope_down_statement=wafv2.CfnWebACL.StatementProperty(
                            and_statement=wafv2.CfnWebACL.AndStatementProperty(
                                statements=[
                                    path_ends_with(SUBSCRIBE.path),
                                    wafv2.CfnWebACL.StatementProperty(
                                        not_statement=wafv2.CfnWebACL.NotStatementProperty(
                                            statement=path_ends_with(PROXIED_SUBSCRIBE.path)
                                        )
                                    ),
                                ]
                            )
                        ),
                    )
                ),
                visibility_config=visibility("SubscribePerIp"),
            ),
            wafv2.CfnWebACL.RuleProperty(
                name="StorefrontEventsPerIp",
                priority=3,
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        aggregate_key_type="IP",
                        limit=self.config.waf_storefront_events_per_ip_5min,
                        evaluation_window_sec=300,
                        scope_down_statement=path_ends_with(STOREFRONT_EVENTS.path),
                    )
                ),
                visibility_config=visibility("StorefrontEventsPerIp"),
            ),
            managed("AWSManagedRulesAmazonIpReputationList", 1),
            managed(
                "AWSManagedRulesCommonRuleSet",
                2,
                scope_down_statement=not_signed,
                rule_action_overrides=[
                    wafv2.CfnWebACL.RuleActionOverrideProperty(
                        name="SizeRestrictions_BODY",
                        action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={}),
                    )
                ],
            ),
        ]
        return wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=rules,
            visibility_config=visibility("WebAcl"),
            description=(
                f"smsflows API {self.config.stage} - IP reputation, common rules, sign-ups and pixel events per IP"
            ),
        )

    def _custom_domain(self) -> apigw.DomainName | None:
        config = self.config
        if not (config.domain_name and config.certificate_arn):
            return None
        domain = apigw.DomainName(
            self,
            "Domain",
            domain_name=config.domain_name,
            certificate=acm.Certificate.from_certificate_arn(self, "Certificate", config.certificate_arn),
            endpoint_type=apigw.EndpointType.REGIONAL,
            security_policy=apigw.SecurityPolicy.TLS_1_2,
        )
        # The stage at the domain's root: https://<domain>/webhooks/shopify, whatever the API id.
        domain.add_base_path_mapping(self.api, stage=self.api.deployment_stage)
        if config.hosted_zone_id and config.hosted_zone_name:
            zone = route53.HostedZone.from_hosted_zone_attributes(
                self, "Zone", hosted_zone_id=config.hosted_zone_id, zone_name=config.hosted_zone_name
            )
            route53.ARecord(
                self,
                "Alias",
                zone=zone,
                record_name=config.domain_name,
                target=route53.RecordTarget.from_alias(route53_targets.ApiGatewayDomain(domain)),
            )
        return domain

    def _link_domains(self) -> dict[str, apigw.DomainName]:
        """One custom domain per shop link domain: https://<link domain>/l/<code> reaches follow_link.

        For each shop with its own link host (`smsflows shop set SHOP --link-domain sms.example.com`):
        a certificate for that host in ACM (API Gateway serves a host name only with a certificate for it,
        so one per shop domain, and the stack takes a list), an entry in the stage's `link_domains`, and a
        CNAME sms.example.com -> the domain's target (`domain_name_alias_domain_name`, in the stack output
        `LinkDomainTargets`). No DNS record here: the shop's zone is the shop's.

        The whole stage sits at the domain's root, like the API's own domain: the webhook routes answer
        there too (and still verify every signature before anything else), behind the same WAF and throttles.
        Construct ids come from the host name, so adding or reordering entries replaces no existing domain.
        """
        domains: dict[str, apigw.DomainName] = {}
        for link in self.config.link_domains:
            domain = apigw.DomainName(
                self,
                f"LinkDomain-{link.domain}",
                domain_name=link.domain,
                certificate=acm.Certificate.from_certificate_arn(
                    self, f"LinkCertificate-{link.domain}", link.certificate_arn
                ),
                endpoint_type=apigw.EndpointType.REGIONAL,
                security_policy=apigw.SecurityPolicy.TLS_1_2,
            )
            domain.add_base_path_mapping(self.api, stage=self.api.deployment_stage)
            domains[link.domain] = domain
        return domains

    def _acknowledge(self) -> None:
        acknowledge(
            self.api,
            "AwsSolutions-APIG2",
            (
                "Webhook bodies are verified byte for byte (Shopify HMAC, Twilio signature) and then parsed "
                "with pydantic in the function; API Gateway request validation would only duplicate that."
            ),
        )
        role = self.api.node.try_find_child("CloudWatchRole")
        if role is not None:
            acknowledge(
                role,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs]",
                (
                    "The account-level API Gateway logging role uses the AWS-managed policy AWS documents "
                    "for exactly this purpose; it is needed for stage execution and access logging."
                ),
            )
