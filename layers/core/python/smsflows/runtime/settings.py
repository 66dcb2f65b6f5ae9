"""Settings: the only place that reads the environment."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Settings(BaseModel):
    """Configuration of one deployment (a stage in AWS, or the local cloud)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    aws_region: str = Field("us-east-1", alias="AWS_REGION")
    # Set only by the local cloud: every boto3 client then talks to moto's server.
    aws_endpoint_url: str | None = Field(None, alias="SMSFLOWS_AWS_ENDPOINT_URL")
    table_name: str = Field("", alias="TABLE_NAME")
    shop_events_queue_url: str = Field("", alias="SHOP_EVENTS_QUEUE_URL")
    send_queue_url: str = Field("", alias="SEND_QUEUE_URL")
    transactional_queue_url: str = Field("", alias="TRANSACTIONAL_QUEUE_URL")
    campaign_queue_url: str = Field("", alias="CAMPAIGN_QUEUE_URL")  # campaign runs' cursor messages
    # Shopify webhooks from the partner event bus (`smsflows dlq` reads its DLQ; no function sends to it)
    shopify_eventbridge_queue_url: str = Field("", alias="SHOPIFY_EVENTBRIDGE_QUEUE_URL")
    # {"group", "role_arn", "target", "dead_letter"}: where `campaign schedule` creates a campaign's schedule.
    campaign_scheduler: dict[str, Any] = Field(default_factory=dict, alias="SMSFLOWS_CAMPAIGN_SCHEDULER")
    # How long the sender keeps a campaign's state before reading it again: a cancel takes effect within it.
    campaign_state_cache_s: float = Field(5.0, alias="SMSFLOWS_CAMPAIGN_STATE_CACHE_S", ge=0)
    # {"group": ..., "role_arn": ..., "targets": {"send_queue": queue ARN, ...}}: deferrals beyond 15 min.
    deferral_scheduler: dict[str, Any] = Field(default_factory=dict, alias="DEFERRAL_SCHEDULER")
    # {"send_queue": 5, ...}: each consumed queue's maxReceiveCount (topology.MAX_RECEIVES_ENV), so that a
    # consumer knows when a failing receive is the last before the DLQ.
    max_receives: dict[str, int] = Field(default_factory=dict, alias="SMSFLOWS_MAX_RECEIVES")
    # Backoff of retryable provider failures: about base * 2^attempt seconds, with jitter, capped.
    retry_base_s: float = Field(5.0, alias="SMSFLOWS_RETRY_BASE_S", ge=0)
    retry_cap_s: float = Field(900.0, alias="SMSFLOWS_RETRY_CAP_S", ge=0)
    # {"order_followup": "arn:aws:states:..."}: one state machine per flow.
    flow_state_machines: dict[str, str] = Field(default_factory=dict, alias="FLOW_STATE_MACHINES")
    shopify_secret_id: str = Field("", alias="SHOPIFY_SECRET_ID")
    # The AWS partner event source Shopify puts this stage's webhooks on (EventBridge delivery), e.g.
    # "aws.partner/shopify.com/1830279/smsflows-prod": the only `source` shopify_eventbridge accepts.
    shopify_event_source: str | None = Field(None, alias="SHOPIFY_EVENT_SOURCE")
    twilio_secret_id: str = Field("", alias="TWILIO_SECRET_ID")
    # Each shop's Admin API access token is the secret `<prefix>/<shop>` ({"access_token": ...}); empty: no
    # function here calls Shopify's Admin API (topology SHOPIFY_ADMIN_TOKENS).
    shopify_admin_token_prefix: str = Field("", alias="SHOPIFY_ADMIN_TOKEN_PREFIX")
    # Local cloud only: where the fake Shopify Admin API listens (else https://{shop}).
    shopify_api_base: str | None = Field(None, alias="SMSFLOWS_SHOPIFY_API_BASE")
    # One Admin API request's connect and read timeout: a shop event must stay well under a tenth of its
    # function's 30 s (it shares an invocation with up to nine others).
    shopify_timeout_s: float = Field(4.0, alias="SMSFLOWS_SHOPIFY_TIMEOUT_S", gt=0)
    # How long a function keeps a secret before reading it again; a refused one (a Twilio 401, a signature
    # that does not verify) is re-read sooner (adapters/secrets.py).
    secret_ttl_s: float = Field(300.0, alias="SMSFLOWS_SECRET_TTL_S", ge=0)
    # Local cloud only: where the fake Twilio REST API listens (the real client is redirected there).
    twilio_api_base: str | None = Field(None, alias="SMSFLOWS_TWILIO_API_BASE")
    public_base_url: str = Field("", alias="PUBLIC_BASE_URL")
    # Where Twilio's status callbacks go (the callback API, topology.CALLBACK_ROUTES); unset, PUBLIC_BASE_URL.
    status_callback_base_url: str = Field("", alias="STATUS_CALLBACK_BASE_URL")
    provider_timeout_s: float = Field(10.0, alias="SMSFLOWS_PROVIDER_TIMEOUT_S", gt=0)
    # The shop that owns inbound texts to a sender no shop has claimed (single-store deployments).
    default_shop: str | None = Field(None, alias="DEFAULT_SHOP")
    # How long a function keeps a shop's settings before reading them again (the local cloud: 0).
    shop_config_cache_s: float = Field(60.0, alias="SMSFLOWS_SHOP_CONFIG_CACHE_S", ge=0)
    # Clock: 1.0 in AWS. The local cloud compresses time (86400 => a day per second).
    time_scale: float = Field(1.0, alias="SMSFLOWS_TIME_SCALE", gt=0)
    clock_epoch_real: float | None = Field(None, alias="SMSFLOWS_CLOCK_EPOCH_REAL")
    clock_epoch_virtual: float | None = Field(None, alias="SMSFLOWS_CLOCK_EPOCH_VIRTUAL")
    # "local": the virtual clock of the local cloud running in this process (`smsflows local --virtual`);
    # a CLI in another process reads that cloud's clock from SMSFLOWS_CLOCK_URL instead.
    clock: Literal["system", "local"] = Field("system", alias="SMSFLOWS_CLOCK")
    clock_url: str | None = Field(None, alias="SMSFLOWS_CLOCK_URL")

    @field_validator(
        "flow_state_machines", "deferral_scheduler", "max_receives", "campaign_scheduler", mode="before"
    )
    @classmethod
    def _parse_json(cls, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return value

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        import os

        return cls.model_validate(dict(os.environ if environ is None else environ))
