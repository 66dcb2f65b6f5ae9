"""The system's wiring as data: functions, their routes and queues, and what each may touch.

The CDK app and the local cloud both read this, so the routes, queues and event-source settings a
user runs locally are the ones deployed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

# Resources a function can be given; each becomes one environment variable (see ENV).
TABLE = "table"
SHOP_EVENTS_QUEUE = "shop_events_queue"
SEND_QUEUE = "send_queue"  # marketing (flows, campaigns): paced, may be deferred for hours
TRANSACTIONAL_QUEUE = "transactional_queue"  # orders, shipping, compliance: never behind a broadcast
CAMPAIGN_QUEUE = "campaign_queue"  # campaign runs' cursor messages: one step of a run each
# Shopify webhooks delivered by EventBridge: the partner bus's rule puts each event here (infra/constructs/
# shopify_eventbridge.py), shopify_eventbridge accepts them onto the shop-events queue.
SHOPIFY_EVENTBRIDGE_QUEUE = "shopify_eventbridge_queue"
DEFERRALS = "deferrals"  # the EventBridge Scheduler group for deferrals beyond SQS's 15 minutes
FLOWS = "flows"
SHOPIFY_SECRET = "shopify_secret"  # noqa: S105 - a resource name, not a secret
TWILIO_SECRET = "twilio_secret"  # noqa: S105
# Each shop's Admin API access token: one secret per shop under this name prefix (`<prefix>/<shop>`), read by
# the functions that call Shopify's Admin API (adapters/shopify_admin.py); `smsflows shop connect` writes it.
SHOPIFY_ADMIN_TOKENS = "shopify_admin_tokens"

ENV = {
    TABLE: "TABLE_NAME",
    SHOP_EVENTS_QUEUE: "SHOP_EVENTS_QUEUE_URL",
    SEND_QUEUE: "SEND_QUEUE_URL",
    TRANSACTIONAL_QUEUE: "TRANSACTIONAL_QUEUE_URL",
    CAMPAIGN_QUEUE: "CAMPAIGN_QUEUE_URL",
    DEFERRALS: "DEFERRAL_SCHEDULER",
    FLOWS: "FLOW_STATE_MACHINES",
    SHOPIFY_SECRET: "SHOPIFY_SECRET_ID",
    TWILIO_SECRET: "TWILIO_SECRET_ID",
    SHOPIFY_ADMIN_TOKENS: "SHOPIFY_ADMIN_TOKEN_PREFIX",
}


@dataclass(frozen=True)
class QueueSpec:
    key: str
    visibility_timeout_s: int
    max_receive_count: int
    # The oldest message waiting longer than this in 2 of 3 five-minute periods raises an alarm.
    age_alarm_s: int
    retention_days: int = 14
    max_message_bytes: int | None = None  # None: SQS's default


@dataclass(frozen=True)
class Route:
    method: str
    path: str


@dataclass(frozen=True)
class FunctionSpec:
    name: str  # folder under functions/, verb_noun
    description: str
    memory_mb: int = 256
    timeout_s: int = 10
    routes: tuple[Route, ...] = ()
    consumes: tuple[str, ...] = ()  # QueueSpec keys, one event source mapping each
    batch_size: int = 10
    max_batching_window_s: int = 0
    reads: frozenset[str] = field(default_factory=frozenset)
    writes: frozenset[str] = field(default_factory=frozenset)
    # The DynamoDB API calls its code makes on the table (tests/integration/test_least_privilege.py records
    # them), and the indexes it queries: its role is granted exactly these (infra/constructs/service_function).
    table_actions: frozenset[str] = field(default_factory=frozenset)
    table_indexes: frozenset[str] = field(default_factory=frozenset)
    # Active X-Ray tracing (its sampling rule: 1 request a second, then 5 %); False: PassThrough, traced only
    # when the caller's trace is sampled.
    traced: bool = True

    @property
    def uses(self) -> frozenset[str]:
        return self.reads | self.writes


QUEUES: dict[str, QueueSpec] = {
    # Retries outlast an incident of half an hour before anything is dead-lettered (tests/unit/sending/
    # test_retry_window.py): 12 receives of a shop event, 180 s apart, span 33 minutes; a text's 12
    # receives, with the sender's backoff (5 s doubling to 15 min, equal jitter), 33 to 65 minutes.
    # Age alarms: a shop event or an order text 15 minutes old is late; a marketing text may wait behind a
    # paced broadcast (50 texts/s: 100,000 recipients take 35 minutes), so an hour.
    SHOP_EVENTS_QUEUE: QueueSpec(
        SHOP_EVENTS_QUEUE, visibility_timeout_s=180, max_receive_count=12, age_alarm_s=900
    ),
    SEND_QUEUE: QueueSpec(SEND_QUEUE, visibility_timeout_s=360, max_receive_count=12, age_alarm_s=3600),
    TRANSACTIONAL_QUEUE: QueueSpec(
        TRANSACTIONAL_QUEUE, visibility_timeout_s=360, max_receive_count=12, age_alarm_s=900
    ),
    # A campaign step takes seconds; its cursor waits up to 15 minutes by design (a delay), so a message
    # older than an hour means a stuck run. 12 receives, 180 s apart: a run survives a half-hour incident.
    CAMPAIGN_QUEUE: QueueSpec(
        CAMPAIGN_QUEUE, visibility_timeout_s=180, max_receive_count=12, age_alarm_s=3600
    ),
    # An EventBridge-delivered webhook is accepted in milliseconds; it retries like a shop event (33
    # minutes) before the DLQ, where EventBridge also puts what it could not deliver. Shopify's inline
    # payloads go up to 1,000,000 bytes (the event around them a little more): SQS's largest message, 1 MiB.
    SHOPIFY_EVENTBRIDGE_QUEUE: QueueSpec(
        SHOPIFY_EVENTBRIDGE_QUEUE,
        visibility_timeout_s=180,
        max_receive_count=12,
        age_alarm_s=900,
        max_message_bytes=1_048_576,
    ),
}
# The redrive limit of each queue a function consumes, as JSON ({"send_queue": 5, ...}). SQS dead-letters a
# message after that many receives with no code of ours running, so a consumer reads this to know that a
# failing attempt is the last one (the sender then records the message as dead-lettered, and why).
MAX_RECEIVES_ENV = "SMSFLOWS_MAX_RECEIVES"
# The campaign schedule group, as the operator's CLI creates schedules in it (JSON: group, role_arn, target,
# dead_letter); a stack output in AWS, the provisioned one locally.
CAMPAIGN_SCHEDULER_ENV = "SMSFLOWS_CAMPAIGN_SCHEDULER"


def max_receives_env(queue_keys: Iterable[str]) -> dict[str, str]:
    """The environment variable (none for a function that consumes no queue) the CDK stack and the local
    cloud give a consumer of `queue_keys`."""
    counts = {key: QUEUES[key].max_receive_count for key in queue_keys}
    return {MAX_RECEIVES_ENV: json.dumps(counts, sort_keys=True)} if counts else {}


# Where a message goes by its category (the send queues' router and the deferral scheduler use this).
SEND_QUEUE_FOR = {
    "marketing": SEND_QUEUE,
    "transactional": TRANSACTIONAL_QUEUE,
    "compliance": TRANSACTIONAL_QUEUE,
}

FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        name="shopify_webhook",
        description="Verifies, dedupes and enqueues Shopify webhooks",
        timeout_s=10,
        routes=(Route("POST", "/webhooks/shopify"),),
        reads=frozenset({SHOPIFY_SECRET}),
        writes=frozenset({TABLE, SHOP_EVENTS_QUEUE}),
        table_actions=frozenset({"PutItem", "UpdateItem", "DeleteItem", "Query"}),
    ),
    FunctionSpec(
        name="shopify_eventbridge",
        description="Accepts Shopify webhooks from the EventBridge partner bus: dedupes, keeps and enqueues",
        timeout_s=10,
        # No route: the partner bus's rule feeds its queue. Then the webhook route's own steps and rights
        # (ingest.accept_authentic), without the signing secret: there is no HMAC on EventBridge.
        consumes=(SHOPIFY_EVENTBRIDGE_QUEUE,),
        writes=frozenset({TABLE, SHOP_EVENTS_QUEUE}),
        table_actions=frozenset({"PutItem", "UpdateItem", "DeleteItem", "Query"}),
    ),
    FunctionSpec(
        name="process_shop_event",
        description="Turns Shopify events into profiles, orders, messages and flow executions",
        timeout_s=30,
        consumes=(SHOP_EVENTS_QUEUE,),
        # the shops' Admin API tokens: consent written back to Shopify (smsflows/consent_sync)
        reads=frozenset({SHOPIFY_ADMIN_TOKENS}),
        writes=frozenset({TABLE, SEND_QUEUE, TRANSACTIONAL_QUEUE, SHOP_EVENTS_QUEUE, FLOWS}),
        table_actions=frozenset(
            {"GetItem", "BatchGetItem", "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "Query"}
        ),
        table_indexes=frozenset({"by_subject", "by_shop"}),  # privacy requests: a customer's, a shop's items
    ),
    FunctionSpec(
        name="send_message",
        description="Sends queued messages through the SMS provider, exactly once, when they may be sent",
        timeout_s=60,
        consumes=(TRANSACTIONAL_QUEUE, SEND_QUEUE),
        reads=frozenset({TWILIO_SECRET}),
        # deferrals go back to the send queues with a delay, or to a one-time schedule beyond 15 minutes; a
        # recipient Twilio reports opted out (21610) is announced on the shop-events queue like any STOP: their
        # marketing flows stop and the opt-out is written back to Shopify
        writes=frozenset({TABLE, SEND_QUEUE, TRANSACTIONAL_QUEUE, DEFERRALS, SHOP_EVENTS_QUEUE}),
        table_actions=frozenset({"GetItem", "BatchGetItem", "PutItem", "UpdateItem", "TransactWriteItems"}),
    ),
    FunctionSpec(
        name="subscribe",
        description="Website and checkout sign-ups with consent proof; sends the double opt-in request",
        timeout_s=10,
        routes=(Route("POST", "/subscribe"), Route("OPTIONS", "/subscribe")),
        # The public route touches only what a sign-up needs: the table (ledger, limits), the transactional
        # queue (the double opt-in text) and the shop-events queue for one internal event only, the pending
        # consent's write-back to Shopify (smsflows/consent_sync): a request never subscribes anyone by
        # itself (the YES does, in twilio_inbound), so it never announces "subscribed".
        writes=frozenset({TABLE, TRANSACTIONAL_QUEUE, SHOP_EVENTS_QUEUE}),
        table_actions=frozenset({"GetItem", "PutItem", "UpdateItem", "TransactWriteItems"}),
    ),
    FunctionSpec(
        name="storefront_proxy",
        description="The storefront's opt-in through Shopify's app proxy: signed config and sign-ups",
        timeout_s=10,
        routes=(Route("GET", "/proxy/config"), Route("POST", "/proxy/subscribe")),
        # The app's secret checks the proxy's signature; a sign-up is POST /subscribe's (the ledger, the
        # limits, the double opt-in text), for the signed shop.
        reads=frozenset({SHOPIFY_SECRET}),
        writes=frozenset({TABLE, TRANSACTIONAL_QUEUE, SHOP_EVENTS_QUEUE}),  # + the PENDING consent write-back
        table_actions=frozenset({"GetItem", "PutItem", "UpdateItem", "TransactWriteItems"}),
    ),
    FunctionSpec(
        name="twilio_inbound",
        description="Inbound SMS: signature check, STOP/HELP/START/YES and keywords, TwiML replies",
        timeout_s=10,
        routes=(Route("POST", "/sms/inbound"),),
        reads=frozenset({TWILIO_SECRET}),
        writes=frozenset({TABLE, SHOP_EVENTS_QUEUE}),
        # Query: a YES reads the number's ledger for the sign-up it confirms (its source: web form, checkout);
        # UpdateItem: a reply stored as a conversation notes its time on the subscriber's summary (segments)
        table_actions=frozenset({"GetItem", "PutItem", "UpdateItem", "TransactWriteItems", "Query"}),
    ),
    FunctionSpec(
        name="twilio_status",
        description="Twilio status callbacks: delivery state per message, idempotent and order-insensitive",
        timeout_s=10,
        routes=(Route("POST", "/sms/status"),),
        reads=frozenset({TWILIO_SECRET}),
        writes=frozenset({TABLE}),
        # the status and the counters (UpdateItem); an unreachable number's mark, a campaign the guard pauses
        # (PutItem); the shop's settings and the campaign, when its run's counts cross the guard (GetItem)
        table_actions=frozenset({"UpdateItem", "PutItem", "GetItem"}),
        # Two invocations per text, each a signature check and an UpdateItem or three: its traces would say
        # little that its log, the message log and the callback API's access log do not, at $5 per million.
        # The callback API (an HTTP API) passes no trace header, so PassThrough records none.
        traced=False,
    ),
    FunctionSpec(
        name="follow_link",
        description="Short links: 302 to the target with UTM tags, a person's click counted once, bots not",
        timeout_s=10,
        routes=(Route("GET", "/l/{code}"), Route("HEAD", "/l/{code}")),
        writes=frozenset({TABLE}),
        # the link, found and counted in one UpdateItem (a bot's in one GetItem); the touch record, the
        # subscriber's last click (segments) and the day's counters: UpdateItem
        table_actions=frozenset({"GetItem", "UpdateItem"}),
    ),
    FunctionSpec(
        name="storefront_events",
        description="The web pixel's product views and checkouts: rate-limited, deduped, queued as shop events",
        timeout_s=10,
        routes=(Route("POST", "/storefront/events"), Route("OPTIONS", "/storefront/events")),
        # Public and unsigned: it only counts (rate limits), notes a customer's day, and queues a shop event
        # that process_shop_event checks against the profile and consent. No send queue: it texts nobody.
        writes=frozenset({TABLE, SHOP_EVENTS_QUEUE}),
        # the shop's settings (GetItem, cached per container); the counters and the customer's day: UpdateItem
        table_actions=frozenset({"GetItem", "UpdateItem"}),
    ),
    FunctionSpec(
        name="release_campaign",
        description="Runs a campaign: releases each window of recipients to the send queue at the sender's pace",
        timeout_s=60,
        memory_mb=512,  # a page of members and a window of texts at a time (bounded: fanout.MAX_READ)
        consumes=(CAMPAIGN_QUEUE,),
        batch_size=1,  # one step per invocation: a step is the unit of work and of retry
        # the shops' Admin API tokens: a campaign on a Shopify segment reads its members (issue 17)
        reads=frozenset({SHOPIFY_ADMIN_TOKENS}),
        writes=frozenset({TABLE, SEND_QUEUE, CAMPAIGN_QUEUE}),
        # the campaign, its run and the shop's settings (GetItem); the campaign's state (PutItem); the run's
        # progress (UpdateItem); the assignments and a Shopify segment's members (BatchWriteItem); the members:
        # Query on by_segment, or a Shopify segment's of the run (Query) with their consent (BatchGetItem)
        table_actions=frozenset(
            {"GetItem", "PutItem", "UpdateItem", "BatchWriteItem", "Query", "BatchGetItem"}
        ),
        table_indexes=frozenset({"by_segment"}),
    ),
    FunctionSpec(
        name="flow_step",
        description="Decides and renders one flow step for the flow state machines",
        timeout_s=10,
        reads=frozenset({TABLE}),  # shop settings, consent and profile before each step
        # the shop's settings (GetItem, cached per container), then consent and profile in one read
        table_actions=frozenset({"GetItem", "BatchGetItem"}),
    ),
)


def function(name: str) -> FunctionSpec:
    for spec in FUNCTIONS:
        if spec.name == name:
            return spec
    raise KeyError(name)


# Routes on the callback API (infra/constructs/callback_api.py, an HTTP API) instead of the REST API: Twilio's
# status callbacks, two per text, by far the stack's busiest route. An HTTP API request costs under a third of a
# REST API's and passes no WAF (the route is signed; the WAF's only rule for signed routes is the IP reputation
# list), and its own throttle keeps a campaign's callbacks from taking the REST stage's capacity, which
# Shopify's webhooks and inbound STOPs share. The REST API keeps the route for texts sent before a stage had
# the callback API (Twilio reports to the URL a text was sent with, up to 72 hours later); nothing new asks
# for it there. The local cloud serves every route on its one front door.
CALLBACK_ROUTES = frozenset({Route("POST", "/sms/status")})


def routes() -> list[tuple[Route, FunctionSpec]]:
    return [(route, spec) for spec in FUNCTIONS for route in spec.routes]
