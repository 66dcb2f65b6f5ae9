"""Per-stage configuration: one frozen model per stage, chosen with `-c stage=dev|prod`."""

from __future__ import annotations

import json

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

HOSTNAME = r"^([a-z0-9-]+\.)+[a-z]{2,}$"
CERTIFICATE_ARN = r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/\S+$"
# aws.partner/shopify.com/<numeric app id>/<the event source name chosen in Shopify>
SHOPIFY_EVENT_SOURCE = r"^aws\.partner/shopify\.com/\d+/[A-Za-z0-9._-]{1,200}$"


class LinkDomain(BaseModel):
    """A shop's own host for its short links (`https://sms.example.com/l/<code>`), served by this stack's API.

    API Gateway serves a host name only with a certificate for it, so each shop domain needs its own
    certificate in ACM (regional: in the stage's region) and its own entry here; that is why the stack takes
    a list. The steps for a shop:

    1. request (and validate) an ACM certificate for sms.example.com in the stage's region;
    2. add `{"domain": "sms.example.com", "certificate_arn": "arn:aws:acm:..."}` to the stage's link domains
       (`cdk deploy -c link_domains='[...]'`, a JSON list) and deploy;
    3. create the CNAME sms.example.com -> the domain's target in the stack output `LinkDomainTargets`;
    4. `smsflows shop set SHOP --link-domain sms.example.com`: from then on its texts' links use that host.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    domain: str = Field(pattern=HOSTNAME)
    certificate_arn: str = Field(pattern=CERTIFICATE_ARN)


class StageConfig(BaseModel):
    """Everything that differs between stages. Nothing here is looked up over the network."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: str = Field(pattern=r"^[a-z][a-z0-9-]{1,15}$")
    # Where the stage lives. None: the account/region of the credentials `cdk deploy` runs with. Set them for
    # prod, so that a deploy with the wrong credentials fails instead of creating a second prod elsewhere.
    account: str | None = Field(None, pattern=r"^\d{12}$")
    region: str | None = Field(None, pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    # A logs.RetentionDays member name, e.g. "ONE_MONTH".
    log_retention: str = "ONE_MONTH"
    # Alarms go to an SNS topic; subscribers: an e-mail address and/or an HTTPS endpoint (a pager's).
    alarm_email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    alarm_https_url: str | None = Field(None, pattern=r"^https://\S+$")
    # A stage whose alarms must reach somebody refuses to synthesize without a subscriber.
    require_alarm_subscriber: bool = False
    # Tables, queues, DLQs, schedule groups (and their data) survive `cdk destroy` and stack replacement.
    retain_data: bool = False
    deletion_protection: bool = False
    # Default memory for functions whose FunctionSpec keeps the default; a spec value wins otherwise.
    lambda_memory_mb: int = Field(256, ge=128, le=10240)
    # {function name: reserved concurrency}; functions not listed share the account pool. Reserving needs an
    # account concurrency quota of at least 100 + the sum reserved (Lambda keeps 100 unreserved).
    reserved_concurrency: dict[str, int] = Field(default_factory=dict)
    # {consumer function name: SQS event source maximum concurrency (>= 2), per queue it consumes}. Bounds a
    # consumer without the throttling (and receive-count burn towards the DLQ) that reserved concurrency
    # alone causes on SQS sources.
    queue_max_concurrency: dict[str, int] = Field(default_factory=dict)
    # The shop that owns inbound texts to a sender no shop config claims (single-store deployments).
    default_shop: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
    api_stage_name: str = "v1"
    api_throttle_rate: float = Field(50.0, gt=0)
    api_throttle_burst: int = Field(100, gt=0)
    # Twilio's status callbacks (topology.CALLBACK_ROUTES) arrive on an API of their own, with this throttle:
    # two per text, so twice the stage's sending rate at its peak, with room for Twilio's bursts. A throttled
    # callback is a lost delivery outcome (Twilio does not retry it), so it has an alarm (Monitoring).
    callback_throttle_rate: float = Field(100.0, gt=0)
    callback_throttle_burst: int = Field(200, gt=0)
    # POST /subscribe has a throttle of its own: a flood of sign-ups cannot take the stage's capacity from
    # Shopify's webhooks and Twilio's callbacks.
    subscribe_throttle_rate: float = Field(5.0, gt=0)
    subscribe_throttle_burst: int = Field(10, gt=0)
    # GET/HEAD /l/{code} (short links) too: a burst of clicks, or of guessed codes, cannot take the
    # capacity webhooks and inbound texts need. Past it, a click gets API Gateway's 429.
    link_throttle_rate: float = Field(25.0, gt=0)
    link_throttle_burst: int = Field(50, gt=0)
    # POST /storefront/events (the web pixel's product views and checkouts): anonymous and unsigned, so a throttle
    # of its own too; past it the pixel's event is dropped (a 429), which costs at most a browse nudge.
    storefront_events_throttle_rate: float = Field(25.0, gt=0)
    storefront_events_throttle_burst: int = Field(50, gt=0)
    # WAF: requests to /subscribe per source IP per 5 minutes before the IP is blocked (WAF's minimum is 10).
    waf_subscribe_per_ip_5min: int = Field(100, ge=10)
    # WAF: requests to /storefront/events per source IP per 5 minutes before the IP is blocked: the use case's
    # per-address limit (300 a minute) at the edge, so one address cannot take the route's throttle from the rest.
    waf_storefront_events_per_ip_5min: int = Field(1500, ge=10)
    # WAF: all requests per source IP per 5 minutes (Shopify and Twilio send from many addresses).
    waf_per_ip_5min: int = Field(3000, ge=10)
    # Sign-ups per 5 minutes above which (2 of 3 periods) the SubscribeSpike alarm fires.
    subscribe_alarm_per_5min: int = Field(300, gt=0)
    # API Gateway's account-wide CloudWatch Logs role (one per account and region, shared by every API):
    # created only when asked, never overwritten silently. Needed once per account before any stage logs.
    create_api_logging_role: bool = False
    # Optional custom domain for the API (a regional ACM certificate in the stage's region). With it,
    # PUBLIC_BASE_URL and the webhook URLs use the domain, so replacing the API changes no URL registered
    # at Shopify or Twilio. A Route 53 alias is created when the hosted zone is given.
    domain_name: str | None = Field(None, pattern=HOSTNAME)
    certificate_arn: str | None = Field(None, pattern=CERTIFICATE_ARN)
    hosted_zone_id: str | None = None
    hosted_zone_name: str | None = None
    # Branded short-link hosts, one per shop that has its own (see LinkDomain): each a custom domain of the
    # API with the stage at its root, so https://<domain>/l/<code> reaches follow_link. On the command line
    # a JSON list: -c link_domains='[{"domain": "sms.example.com", "certificate_arn": "arn:aws:acm:..."}]'.
    link_domains: tuple[LinkDomain, ...] = ()
    # Business alarms. The delivery rate (delivered / (delivered + undelivered)) below this floor in 3 of 3
    # fifteen-minute periods raises DeliveryRateFloorAlarm, counted only in periods with at least
    # `delivery_rate_min_volume` final delivery reports (a quiet night has no rate to speak of).
    delivery_rate_floor: float = Field(0.9, gt=0, le=1)
    delivery_rate_min_volume: int = Field(50, ge=1)
    # Opt-outs (STOP and its synonyms) in one hour above which OptOutSpikeAlarm fires.
    opt_out_spike_per_hour: int = Field(50, gt=0)
    # AWS Backup of the table: daily recovery points kept this many days, copied nowhere else; the vault is
    # locked (compliance mode) when `backup_vault_lock` is set, so nobody can delete evidence early.
    backup_retention_days: int | None = Field(None, ge=1, le=36500)
    backup_vault_lock: bool = False
    # Shopify webhooks by Amazon EventBridge (the high-volume option, besides HTTPS): the AWS partner event
    # source Shopify created for the app in this account and region, e.g.
    # "aws.partner/shopify.com/1830279/smsflows-prod". With it the stack associates the partner event bus
    # (its name is the source's) and a rule feeding shopify_eventbridge; without it, neither exists.
    shopify_event_source: str | None = Field(None, pattern=SHOPIFY_EVENT_SOURCE)

    @model_validator(mode="after")
    def _consistent(self) -> StageConfig:
        if bool(self.domain_name) != bool(self.certificate_arn):
            raise ValueError("domain_name and certificate_arn go together")
        if bool(self.hosted_zone_id) != bool(self.hosted_zone_name):
            raise ValueError("hosted_zone_id and hosted_zone_name go together")
        if self.hosted_zone_id and not self.domain_name:
            raise ValueError("a hosted zone needs domain_name")
        if self.backup_vault_lock and not self.backup_retention_days:
            raise ValueError("backup_vault_lock needs backup_retention_days")
        for route, rate, burst in (
            ("subscribe", self.subscribe_throttle_rate, self.subscribe_throttle_burst),
            ("link", self.link_throttle_rate, self.link_throttle_burst),
            (
                "storefront_events",
                self.storefront_events_throttle_rate,
                self.storefront_events_throttle_burst,
            ),
        ):
            if rate >= self.api_throttle_rate or burst > self.api_throttle_burst:
                raise ValueError(f"{route}_throttle_rate/burst must stay below the stage's api_throttle_*")
        hosts = [link.domain for link in self.link_domains]
        if duplicates := sorted({host for host in hosts if hosts.count(host) > 1}):
            raise ValueError(f"link_domains: {', '.join(duplicates)} given more than once")
        if self.domain_name and self.domain_name in hosts:
            raise ValueError(f"link_domains: {self.domain_name} is the API's domain_name already")
        return self

    @field_validator("link_domains", mode="before")
    @classmethod
    def _link_domains_from_context(cls, value: object) -> object:
        """`-c link_domains=...` arrives as a string: a JSON list of {domain, certificate_arn}."""
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(
                    'link_domains: expected a JSON list such as [{"domain": "sms.example.com", '
                    f'"certificate_arn": "arn:aws:acm:..."}}] ({exc.msg})'
                ) from None
        return value

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
        """For data (tables, queues, DLQs, schedule groups) and logs: kept in prod, removed with a dev stack."""
        return RemovalPolicy.RETAIN if self.retain_data else RemovalPolicy.DESTROY

    @property
    def api_name(self) -> str:
        return f"smsflows-{self.stage}"

    @property
    def metric_namespace(self) -> str:
        """The functions' own metrics (Powertools EMF), one namespace per stage."""
        return f"smsflows/{self.stage}"


STAGES: dict[str, StageConfig] = {
    "dev": StageConfig(
        stage="dev",
        log_retention="TWO_WEEKS",
        api_throttle_rate=20,
        api_throttle_burst=40,
        subscribe_throttle_rate=2,
        subscribe_throttle_burst=5,
        link_throttle_rate=10,  # below the stage's 20/40: clicks cannot take the webhooks' capacity
        link_throttle_burst=20,
        storefront_events_throttle_rate=10,  # below the stage's 20/40, like the links'
        storefront_events_throttle_burst=20,
        subscribe_alarm_per_5min=50,
        # Bounds without reservations: a fresh account (quota 10) can deploy dev.
        queue_max_concurrency={"send_message": 2, "process_shop_event": 2},
    ),
    "prod": StageConfig(
        stage="prod",
        log_retention="THREE_MONTHS",
        require_alarm_subscriber=True,
        retain_data=True,
        deletion_protection=True,
        api_throttle_rate=200,
        api_throttle_burst=400,
        subscribe_throttle_rate=20,
        subscribe_throttle_burst=40,
        storefront_events_throttle_rate=100,  # every shop's product views; half the stage's
        storefront_events_throttle_burst=200,
        # two callbacks per text: room for 300 texts a second across all the stage's senders
        callback_throttle_rate=600,
        callback_throttle_burst=1200,
        # The sender polls two queues (transactional, bulk) with at most 10 invocations each: 20 in all, all
        # reserved, so nothing else in the account can starve it and it cannot exhaust the account.
        queue_max_concurrency={"send_message": 10, "process_shop_event": 10},
        reserved_concurrency={"send_message": 20},
        # Consent evidence: the README promises the ledger for 10 years after the last event.
        backup_retention_days=3653,
        backup_vault_lock=True,
    ),
}


def load(stage: str, **overrides: object) -> StageConfig:
    """The config of `stage`, with values given on the command line (`-c alarm_email=…`, `-c account=…`);
    an override of None or "" is no override. Raises ValueError with one clear line when the result is not
    deployable."""
    try:
        config = STAGES[stage]
    except KeyError:
        raise ValueError(f"unknown stage {stage!r}; expected one of {sorted(STAGES)}") from None
    given = {key: value for key, value in overrides.items() if value not in (None, "")}
    if given:
        config = StageConfig.model_validate({**config.model_dump(), **given})
    if config.require_alarm_subscriber and not (config.alarm_email or config.alarm_https_url):
        raise ValueError(
            f"stage {stage} needs somebody to receive its alarms: "
            "-c alarm_email=ops@example.com (or -c alarm_https_url=https://…)"
        )
    return config
