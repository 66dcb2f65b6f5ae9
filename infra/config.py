"""Per-stage configuration: one frozen model per stage, chosen with `-c stage=dev|prod`."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from pydantic import BaseModel, ConfigDict, Field, field_validator


class StageConfig(BaseModel):
    """Everything that differs between stages. Nothing here is looked up over the network."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: str = Field(pattern=r"^[a-z][a-z0-9-]{1,15}$")
    # A logs.RetentionDays member name, e.g. "ONE_MONTH".
    log_retention: str = "ONE_MONTH"
    # Alarms go to an SNS topic; an e-mail subscription is added only when this is set.
    alarm_email: str | None = None
    # Tables (and their data) survive `cdk destroy` and stack replacement when True.
    retain_data: bool = False
    deletion_protection: bool = False
    # Default memory for functions whose FunctionSpec keeps the default; a spec value wins otherwise.
    lambda_memory_mb: int = Field(256, ge=128, le=10240)
    # {function name: reserved concurrency}; functions not listed share the account pool.
    reserved_concurrency: dict[str, int] = Field(default_factory=dict)
    # {consumer function name: SQS event source maximum concurrency (>= 2)}. Bounds a consumer without the
    # throttling (and receive-count burn towards the DLQ) that reserved concurrency causes on SQS sources.
    queue_max_concurrency: dict[str, int] = Field(default_factory=dict)
    # The shop that owns inbound texts to a sender no shop config claims (single-store deployments).
    default_shop: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
    api_stage_name: str = "v1"
    api_throttle_rate: float = Field(50.0, gt=0)
    api_throttle_burst: int = Field(100, gt=0)

    @field_validator("log_retention")
    @classmethod
    def _known_retention(cls, value: str) -> str:
        if value not in logs.RetentionDays.__members__:
            raise ValueError(f"unknown log retention {value!r}")
        return value

    @property
    def retention_days(self) -> logs.RetentionDays:
        return logs.RetentionDays[self.log_retention]

    @property
    def removal_policy(self) -> RemovalPolicy:
        """For data (tables) and logs: kept in prod, removed with a dev stack."""
        return RemovalPolicy.RETAIN if self.retain_data else RemovalPolicy.DESTROY


STAGES: dict[str, StageConfig] = {
    "dev": StageConfig(stage="dev", log_retention="TWO_WEEKS", api_throttle_rate=20, api_throttle_burst=40),
    "prod": StageConfig(
        stage="prod",
        log_retention="THREE_MONTHS",
        retain_data=True,
        deletion_protection=True,
        api_throttle_rate=200,
        api_throttle_burst=400,
        # Bounds the provider-facing sender so a broadcast cannot exhaust the account's concurrency.
        queue_max_concurrency={"send_message": 10},
    ),
}


def load(stage: str, alarm_email: str | None = None, default_shop: str | None = None) -> StageConfig:
    """The config of `stage`, with an optional alarm e-mail given on the command line (`-c alarm_email=`)."""
    try:
        config = STAGES[stage]
    except KeyError:
        raise ValueError(f"unknown stage {stage!r}; expected one of {sorted(STAGES)}") from None
    if alarm_email:
        config = config.model_copy(update={"alarm_email": alarm_email})
    if default_shop:
        config = StageConfig.model_validate({**config.model_dump(), "default_shop": default_shop})
    return config
