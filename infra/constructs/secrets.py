"""SecretsConstruct: the Shopify and Twilio credentials, created empty-ish for the operator to fill in."""

from __future__ import annotations

import json

from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.nag import acknowledge

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
        for secret in (self.shopify, self.twilio):
            acknowledge(
                secret,
                "AwsSolutions-SMG4",
                (
                    "Third-party credentials: they are rotated in the Shopify partner dashboard and the "
                    "Twilio console, then written here by the operator; no rotation Lambda can issue them."
                ),
            )
