"""SecretsConstruct: the Shopify and Twilio credentials, created empty-ish for the operator to fill in."""

from __future__ import annotations

import json

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.nag import acknowledge, acknowledge_wildcard_resource

# Placeholder for fields the operator must overwrite (`aws secretsmanager put-secret-value`).
UNSET = "SET_ME"


class SecretsConstruct(Construct):
    """Two Secrets Manager secrets. Only generated placeholders are created: no value is in the template."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        # Generated names (no two stacks, accounts' leftovers or a replacement collide); the stack outputs
        # ShopifySecretName and TwilioSecretName, which the README's commands read.
        self.shopify = secretsmanager.Secret(
            self,
            "ShopifySecret",
            description='Shopify app API secret used to verify webhook HMACs: {"api_secret": ...}',
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({}),
                generate_string_key="api_secret",
                exclude_punctuation=True,
                password_length=48,
            ),
            removal_policy=config.removal_policy,
        )
        self.twilio = secretsmanager.Secret(
            self,
            "TwilioSecret",
            description=(
                'Twilio credentials: {"account_sid", "auth_token", "messaging_service_sid" or "from_number"}'
            ),
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"account_sid": UNSET, "messaging_service_sid": UNSET}),
                generate_string_key="auth_token",
                exclude_punctuation=True,
                password_length=32,
            ),
            removal_policy=config.removal_policy,
        )
        # Each shop's Admin API token is a secret of its own, `<prefix>/<shop>`, created by `smsflows shop connect`
        # when the shop installs the app (not by this stack: shops come and go without a deploy).
        self.admin_token_prefix = f"{Stack.of(self).stack_name}/shopify-admin"
        self.admin_tokens_arn = Stack.of(self).format_arn(
            service="secretsmanager",
            resource="secret",
            resource_name=f"{self.admin_token_prefix}/*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        for secret in (self.shopify, self.twilio):
            acknowledge(
                secret,
                "AwsSolutions-SMG4",
                (
                    "Third-party credentials: they are rotated in the Shopify partner dashboard and the "
                    "Twilio console, then written here by the operator; no rotation Lambda can issue them."
                ),
            )

    def grant_admin_tokens(self, grantee: iam.IGrantable) -> None:
        """GetSecretValue on the shops' Admin API token secrets (the prefix) only."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[self.admin_tokens_arn])
        )
        acknowledge_wildcard_resource(
            getattr(grantee, "role", None) or grantee,  # type: ignore[arg-type]
            self.admin_tokens_arn,
            "One secret per shop under the Admin API token prefix, created when a shop connects (`smsflows shop "
            "connect`), so the names are not known at deploy time: read access to that prefix only.",
        )
