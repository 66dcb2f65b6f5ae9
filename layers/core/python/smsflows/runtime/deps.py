"""Composition root: builds clients and adapters from Settings, lazily, once per container."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache, cached_property
from typing import Any

from smsflows.runtime.clock import Clock, http_clock, installed_sim_clock, scaled_clock, system_clock
from smsflows.runtime.settings import Settings


class Deps:
    """Everything a handler needs, created on first use (a handler pays only for what it touches)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def clock(self) -> Clock:
        s = self.settings
        if s.clock == "local":
            return installed_sim_clock()
        if s.clock_url:
            return http_clock(s.clock_url)
        if s.time_scale == 1.0 and s.clock_epoch_virtual is None:
            return system_clock
        if s.clock_epoch_real is None:
            raise ValueError("SMSFLOWS_CLOCK_EPOCH_REAL is required with a time scale or virtual epoch")
        return scaled_clock(s.time_scale, s.clock_epoch_real, s.clock_epoch_virtual)

    @cached_property
    def wall(self) -> Callable[[], float]:
        """Epoch seconds for pacing (carriers meter real throughput): the virtual clock's in a virtual cloud."""
        return installed_sim_clock().time if self.settings.clock == "local" else time.time

    @cached_property
    def sleep(self) -> Callable[[float], None]:
        return installed_sim_clock().sleep if self.settings.clock == "local" else time.sleep

    @cached_property
    def sleep_until(self) -> Callable[[float], None] | None:
        """Wait for a `wall` instant: the virtual clock's own (waits side by side end at the latest of
        them); None in real time, where a sleep of the span left is the same thing."""
        return installed_sim_clock().sleep_until if self.settings.clock == "local" else None

    def client(self, service: str) -> Any:
        return _client(service, self.settings.aws_region, self.settings.aws_endpoint_url)

    # Repositories and queues -------------------------------------------------------------
    @cached_property
    def webhook_inbox(self) -> Any:
        from smsflows.adapters.webhook_inbox import DynamoWebhookInbox

        return DynamoWebhookInbox(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def shop_data(self) -> Any:
        from smsflows.adapters.shop_data import DynamoShopData

        return DynamoShopData(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def message_log(self) -> Any:
        from smsflows.adapters.message_log import DynamoMessageLog

        return DynamoMessageLog(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def shop_events_queue(self) -> Any:
        from smsflows.adapters.queues import SqsQueue

        return SqsQueue(self.client("sqs"), self.settings.shop_events_queue_url)

    @cached_property
    def send_queue(self) -> Any:
        """Both send queues behind one Queue: marketing to the bulk one, the rest to the transactional one."""
        from smsflows.adapters.queues import SendQueues, SqsQueue

        sqs = self.client("sqs")
        transactional = self.settings.transactional_queue_url
        return SendQueues(
            SqsQueue(sqs, self.settings.send_queue_url),
            SqsQueue(sqs, transactional) if transactional else None,
        )

    @cached_property
    def deferrals(self) -> Any:
        from smsflows.adapters.deferrals import SchedulerDeferrals

        cfg = self.settings.deferral_scheduler
        if not cfg:
            return None
        return SchedulerDeferrals(
            self.client("scheduler"), cfg["group"], cfg["role_arn"], cfg["targets"], cfg.get("dead_letters")
        )

    @cached_property
    def pacer(self) -> Any:
        from smsflows.adapters.pacing_store import DynamoTokenBuckets
        from smsflows.domain.sending.pacing import Pacer

        return Pacer(DynamoTokenBuckets(self.client("dynamodb"), self.settings.table_name), wall=self.wall)

    @cached_property
    def flow_starter(self) -> Any:
        from smsflows.adapters.flow_starter import StepFunctionsFlowStarter

        return StepFunctionsFlowStarter(self.client("stepfunctions"), self.settings.flow_state_machines)

    @cached_property
    def consent_store(self) -> Any:
        from smsflows.adapters.consent_store import DynamoConsentStore

        return DynamoConsentStore(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def shop_configs(self) -> Any:
        from smsflows.adapters.shop_configs import DynamoShopConfigs
        from smsflows.runtime.cache import TtlCache

        # Shop settings change rarely and must apply without a redeploy: cached for a minute per container.
        return TtlCache(
            DynamoShopConfigs(self.client("dynamodb"), self.settings.table_name),
            ttl_s=self.settings.shop_config_cache_s,
        )

    @cached_property
    def conversations(self) -> Any:
        from smsflows.adapters.conversations import DynamoConversations

        return DynamoConversations(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def subscriber_summaries(self) -> Any:
        from smsflows.adapters.subscriber_summaries import DynamoSubscriberSummaries

        return DynamoSubscriberSummaries(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def opt_in_limits(self) -> Any:
        from smsflows.adapters.optin_limits import DynamoOptInLimits

        return DynamoOptInLimits(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def storefront_events(self) -> Any:
        """POST /storefront/events: its counters and day items, the (cached) shop settings, the queue."""
        from smsflows.adapters.storefront_events import DynamoStorefrontEvents
        from smsflows.domain.shopify.storefront_events import StorefrontDeps

        return StorefrontDeps(
            store=DynamoStorefrontEvents(self.client("dynamodb"), self.settings.table_name),
            shops=self.shop_configs,
            events=self.shop_events_queue,
            clock=self.clock,
        )

    @cached_property
    def consent(self) -> Any:
        from smsflows.domain.consent.subscriptions import ConsentDeps

        return ConsentDeps(
            store=self.consent_store,
            shops=self.shop_configs,
            send_queue=self.send_queue,
            conversations=self.conversations,
            clock=self.clock,
            default_shop=self.settings.default_shop,
            events=self.shop_events_queue if self.settings.shop_events_queue_url else None,
            restocks=self.shop_data,
            opt_in_limits=self.opt_in_limits,
            echoes=self.consent_echoes,
        )

    @cached_property
    def privacy(self) -> Any:
        from smsflows.adapters.privacy_store import DynamoPrivacyStore
        from smsflows.domain.shopify.privacy import PrivacyDeps

        store = DynamoPrivacyStore(self.client("dynamodb"), self.settings.table_name)
        return PrivacyDeps(store=store, shops=self.shop_configs, flows=self.flow_starter, clock=self.clock)

    @cached_property
    def flow_deps(self) -> Any:
        from smsflows.domain.flows.steps import FlowDeps

        return FlowDeps(
            shops=self.shop_configs,
            starter=self.flow_starter,
            send_queue=self.send_queue,
            clock=self.clock,
            reads=self.shop_data,
        )

    @cached_property
    def shop_event_deps(self) -> Any:
        from smsflows.domain.shopify.events import ShopEventDeps

        return ShopEventDeps(
            inbox=self.webhook_inbox,
            data=self.shop_data,
            send_queue=self.send_queue,
            flows=self.flow_starter,
            clock=self.clock,
            consent=self.consent,
            privacy=self.privacy,
            shops=self.shop_configs,
            events=self.shop_events_queue if self.settings.shop_events_queue_url else None,
            summaries=self.subscriber_summaries,
            measurement=self.measurement,
            campaigns=self.campaigns,
            runs=self.campaign_runs,
            admin=self.shopify_admin,
        )

    @cached_property
    def send_deps(self) -> Any:
        from smsflows.domain.consent.subscriptions import provider_opt_out
        from smsflows.domain.sending.send import SendDeps

        return SendDeps(
            log=self.message_log,
            provider=self.sms_provider,
            sender=self.default_sender,
            clock=self.clock,
            shops=self.shop_configs,
            requeue=self.send_queue,
            on_provider_opt_out=lambda shop, phone, mid: provider_opt_out(shop, phone, mid, self.consent),
            delay_scale=self.settings.time_scale,
            wall=self.wall,
            sleep=self.sleep,
            sleep_until=self.sleep_until,
            status_callback_url=self.settings.status_callback_base_url
            or self.settings.public_base_url
            or None,
            pacer=self.pacer,
            deferrals=self.deferrals,
            campaign_state=self.campaign_state,
            measurement=self.measurement,
            link_api_base=self.settings.public_base_url or None,
            on_measure_error=_log_measure_error,
        )

    @cached_property
    def measurement(self) -> Any:
        from smsflows.adapters.measurement import DynamoMeasurement

        return DynamoMeasurement(self.client("dynamodb"), self.settings.table_name)

    # Campaigns --------------------------------------------------------------------------------
    @cached_property
    def campaigns(self) -> Any:
        from smsflows.adapters.campaigns import DynamoCampaigns

        return DynamoCampaigns(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def campaign_runs(self) -> Any:
        from smsflows.adapters.campaigns import DynamoCampaignRuns

        return DynamoCampaignRuns(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def campaign_state(self) -> Callable[[str, str], str | None]:
        """(shop, campaign id) -> its state, read through the TtlCache of a few seconds per container (the
        sender asks for every campaign text): a cancel is honoured within `campaign_state_cache_s`."""
        from smsflows.runtime.cache import TtlCache

        campaigns = self.campaigns

        class States:
            def get(self, key: str) -> str | None:
                shop, campaign_id = key.split("\x1f", 1)
                found = campaigns.get(shop, campaign_id)
                return found[0].state if found is not None else None

        cache = TtlCache(States(), ttl_s=self.settings.campaign_state_cache_s)
        return lambda shop, campaign_id: cache.get(f"{shop}\x1f{campaign_id}")

    @cached_property
    def segment_members(self) -> Any:
        from smsflows.adapters.segment_members import DynamoSegmentMembers

        return DynamoSegmentMembers(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def segments(self) -> Any:
        from smsflows.adapters.segment_store import DynamoSegments

        return DynamoSegments(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def campaign_queue(self) -> Any:
        from smsflows.adapters.queues import SqsQueue

        return SqsQueue(self.client("sqs"), self.settings.campaign_queue_url)

    @cached_property
    def release_deps(self) -> Any:
        from smsflows.adapters.queues import SqsQueue
        from smsflows.adapters.shopify_segment_members import (
            DynamoShopifySegmentMembers,
            ShopifySegmentSource,
        )
        from smsflows.domain.campaigns.release import ReleaseDeps

        bulk = SqsQueue(self.client("sqs"), self.settings.send_queue_url)
        admin = self.shopify_admin  # a campaign on a Shopify segment reads its members (issue 17)
        return ReleaseDeps(
            campaigns=self.campaigns,
            runs=self.campaign_runs,
            members=self.segment_members,
            segments=self.segments,
            shops=self.shop_configs,
            send=lambda texts: bulk.send_batch([b for b, _ in texts], [d for _, d in texts]),
            requeue=lambda body, delay: self.campaign_queue.send(body, delay_seconds=delay),
            clock=self.clock,
            delay_scale=self.settings.time_scale,
            shopify=ShopifySegmentSource(admin) if admin is not None else None,
            shopify_members=DynamoShopifySegmentMembers(self.client("dynamodb"), self.settings.table_name),
        )

    # Secrets and the provider ----------------------------------------------------------------
    @cached_property
    def secrets(self) -> Any:
        from smsflows.adapters.secrets import SecretsStore

        # Cached for a TTL and re-read on a refusal (a Twilio 401, a signature that does not verify):
        # a rotated secret applies without a redeploy (README "Rotating a secret").
        return SecretsStore(lambda: self.client("secretsmanager"), ttl_s=self.settings.secret_ttl_s)

    def shopify_secret_verifying(self, shop: str, verifies: Callable[[bytes], bool]) -> bytes | None:
        """The signing secret of `shop` that `verifies` accepts: the current one or the previous one kept
        during a rotation; when neither does, the secret is re-read once (if its cached value is at least
        `SecretsStore.min_refresh_s` old) in case it was rotated. None: none verifies."""
        return self.secrets.first_verifying(
            self.settings.shopify_secret_id,
            lambda value: shopify_signing_secrets(value, shop),
            verifies,
            reason="shopify hmac mismatch",
        )

    @property
    def twilio_config(self) -> dict[str, Any]:
        """The Twilio secret as cached now (its TTL applies: not kept for the container's life)."""
        return dict(self.secrets.get(self.settings.twilio_secret_id))

    @cached_property
    def shopify_admin(self) -> Any:
        """Shopify's Admin API with the shops' tokens (None where no function calls it: no token prefix)."""
        from smsflows.adapters.shopify_admin import ShopifyAdminClient

        s = self.settings
        if not s.shopify_admin_token_prefix:
            return None
        return ShopifyAdminClient(
            self.secrets,
            s.shopify_admin_token_prefix,
            api_base=s.shopify_api_base,
            timeout_s=s.shopify_timeout_s,
        )

    @cached_property
    def consent_echoes(self) -> Any:
        from smsflows.adapters.consent_echoes import DynamoConsentEchoes

        return DynamoConsentEchoes(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def sms_provider(self) -> Any:
        from smsflows.adapters.twilio_provider import SecretCredentials, TwilioProvider

        return TwilioProvider(
            credentials=SecretCredentials(self.secrets, self.settings.twilio_secret_id),
            api_base=self.settings.twilio_api_base,
            timeout_s=self.settings.provider_timeout_s,
        )

    @cached_property
    def default_sender(self) -> Any:
        from smsflows.ports import Sender

        cfg = self.twilio_config
        return Sender(
            messaging_service_sid=cfg.get("messaging_service_sid"), from_number=cfg.get("from_number")
        )


def shopify_signing_secrets(value: dict[str, Any], shop: str) -> list[bytes]:
    """The secrets a webhook from `shop` may be signed with, from the Shopify secret's JSON: the shop's own
    (`shops`) if it has one, else the app's (`api_secret`); then the previous value an operator keeps during
    a rotation (`previous_shops`, `previous_api_secret`)."""
    own = (value.get("shops") or {}).get(shop)
    if own:
        candidates = [own, (value.get("previous_shops") or {}).get(shop)]
    else:
        candidates = [value.get("api_secret"), value.get("previous_api_secret")]
    return [c.encode() for c in dict.fromkeys(candidates) if isinstance(c, str) and c]


@cache
def _session() -> Any:
    """One botocore session per process: its loader parses each service model once."""
    import boto3

    return boto3.session.Session()


# How every AWS client retries (botocore's standard mode): throttling (ProvisionedThroughputExceeded,
# ThrottlingException, RequestThrottled, 429), 5xx (InternalServerError, ServiceUnavailable) and connection
# errors and timeouts, with jittered exponential backoff: before retry i (1-based) it sleeps up to
# min(2^(i-1), 20) s for throttling and 0.025 s * 2^(i-1) for other DynamoDB errors (0.05 s elsewhere).
# A retry is made only on a failure, so calls that succeed cost what they did (bench/bench_api_calls.py).
#
# Budget: one call's whole retry sequence fits the shortest function timeout (10 s: the API handlers and
# flow_step; topology.FUNCTIONS), so a throttled call ends as a clean error the caller handles (a 503 that
# Shopify or Twilio retries, a batch item failure that SQS redelivers with the sender's own backoff), not
# as a function killed halfway through. Three attempts: throttling sleeps at most 1 + 2 = 3 s (1.5 s on
# average); a hung endpoint costs at most 3 x (1 s connect + 2 s read) + 0.15 s = 9.15 s. A consumer gets
# no more attempts than an API handler: its outer retry is the queue's redelivery (with back-off) and
# every step is idempotent, and sleeping longer inside one record holds the whole batch and its paced
# sending slots.
#
# The read timeout is 2 s, a hundred times DynamoDB's and SQS's usual p99 (milliseconds), and not much
# lower: a write that timed out may have been applied, and is then retried (the message log recognises
# its own claim; a duplicate SQS message is deduplicated downstream). Nothing here long-polls SQS (a
# long poll would need a read timeout above its WaitTimeSeconds).
#
# Standard, not adaptive: adaptive mode adds a client-side rate limiter that, after one throttle, delays
# every later call of that client in the container (the sender's claims and pacing writes included),
# outside this budget; botocore calls it experimental. Standard mode's retry quota (500 tokens per client,
# 5 per retry, 10 per retry after a timeout, refilled by successes) stops retrying when a dependency keeps
# failing, so a container then fails fast instead of sleeping through every call.
AWS_MAX_ATTEMPTS = 3  # in all, the first included
AWS_CONNECT_TIMEOUT_S = 1.0
AWS_READ_TIMEOUT_S = 2.0
# The local cloud's moto server (SMSFLOWS_AWS_ENDPOINT_URL) is one process on a laptop that may be busy: a
# call can take seconds there, and retrying it would only add load. AWS's latencies do not apply to it.
LOCAL_READ_TIMEOUT_S = 30.0


def client_config(endpoint_url: str | None = None) -> Any:
    """The botocore Config of every client (see above); `endpoint_url` is set only by the local cloud."""
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "total_max_attempts": AWS_MAX_ATTEMPTS},
        connect_timeout=AWS_CONNECT_TIMEOUT_S,
        read_timeout=AWS_READ_TIMEOUT_S if endpoint_url is None else LOCAL_READ_TIMEOUT_S,
    )


@cache
def _client(service: str, region: str, endpoint_url: str | None) -> Any:
    return _session().client(
        service, region_name=region, endpoint_url=endpoint_url, config=client_config(endpoint_url)
    )


@cache
def get_deps() -> Deps:
    return Deps(Settings.from_env())


def reset() -> None:
    """Forget cached deps and clients (tests, and the local cloud when it restarts)."""
    get_deps.cache_clear()
    _client.cache_clear()


def _log_measure_error(exc: Exception) -> None:
    from smsflows.runtime.observability import logger

    logger.warning("could not record a measurement", error=type(exc).__name__, detail=str(exc)[:200])
