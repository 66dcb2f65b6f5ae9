"""Interfaces between the use cases and the outside world. Adapters implement them; tests fake them."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from smsflows.domain.campaigns.campaign import Campaign
from smsflows.domain.campaigns.fanout import AssignmentRow, Progress
from smsflows.domain.campaigns.segments import SegmentMember
from smsflows.domain.compliance.frequency import SendRecord
from smsflows.domain.consent.ledger import ConsentEvent, SubscriberState
from smsflows.domain.messages import OutboundMessage
from smsflows.domain.profiles import ProfileRecord
from smsflows.domain.sending.delivery import StatusUpdate
from smsflows.domain.sending.pacing import Fold
from smsflows.domain.shopify.records import CheckoutRecord, InboxRecord, OrderRecord
from smsflows.domain.shopify.summary import CustomerSummary
from smsflows.domain.shops import ShopConfig


class WebhookInbox(Protocol):
    """Durable record of every authentic webhook, kept for dedupe and replay."""

    def record(self, item: InboxRecord, stale_after: timedelta = ...) -> bool | Literal["in_progress"]:
        """Store the webhook; False if this webhook id was stored before (a Shopify redelivery);
        "in_progress" if another request is accepting it right now (a fresh "accepting" record). An
        "accepting" record older than `stale_after` (on the records' clock; default STALE_ACCEPTING) is a
        hand-off that never finished: taken over."""

    def forget(self, shop: str, webhook_id: str) -> None:
        """Remove a record whose hand-off failed, so that Shopify's retry is accepted again."""

    def get(self, shop: str, webhook_id: str) -> InboxRecord | None: ...

    def mark(self, shop: str, webhook_id: str, state: str, reason: str | None = None) -> None:
        """Set the processing state; 'unparseable' keeps the body for replay with no expiry."""

    def ignored(self, limit: int = 100) -> list[dict[str, Any]]:
        """The webhooks that texted nobody because their shop is not onboarded (or no longer texts), newest
        first: shop, webhook_id, topic, received_at, reason. For an operator's look, never a function's."""


class Queue(Protocol):
    def send(self, body: Mapping[str, Any], *, delay_seconds: int = 0) -> None: ...


class EventQueue(Queue, Protocol):
    """The shop-events queue as the daily job's fan-out uses it."""

    def send_batch(self, bodies: Sequence[Mapping[str, Any]]) -> None:
        """Send every body, up to ten per request (SQS SendMessageBatch); raises if any is left unsent."""


class ShopDataRepository(Protocol):
    def save_order(
        self,
        order: OrderRecord,
        profile: ProfileRecord,
        places: tuple[tuple[str | None, str | None, str], ...] = (),
    ) -> None:
        """Upsert the profile, store the order and note where the phone's owner may be (quiet hours), in
        one atomic write. `places` are (country, state, source) from the order's addresses."""

    def get_order(self, shop: str, order_id: str) -> OrderRecord | None: ...

    def set_tracking(self, shop: str, order_id: str, company: str | None, url: str | None) -> None: ...

    def save_checkout(self, checkout: CheckoutRecord) -> None: ...

    def complete_checkout(self, shop: str, token: str, at: datetime) -> bool:
        """Mark the checkout completed (the abandoned-checkout flow exits on it); False if unknown."""

    def swap_flow_lock(self, shop: str, flow: str, phone: str, execution: str) -> str | None:
        """Record `execution` as the phone's one active instance of `flow`; the previous one, if another."""

    def profiles(self, shop: str) -> list[ProfileRecord]:
        """Every profile of the shop."""

    def profiles_page(
        self, shop: str, cursor: Mapping[str, Any] | None = None, limit: int = 500
    ) -> tuple[list[ProfileRecord], dict[str, str] | None]:
        """At most `limit` profiles of the shop, from `cursor` (None: the first), and the cursor of the
        next page (None after the last; a page may come back empty). The cursor is plain JSON (it travels
        in a queue message); one that is not a cursor this shop's pages returned is a ValueError."""

    def profiles_cursor(self, shop: str, customer_key: str) -> dict[str, str]:
        """The cursor of the page that starts right after this profile (in profiles_page's order)."""

    def daily_page_done(self, shop: str, page_id: str) -> bool:
        """Whether the daily job's page `page_id` of the shop was done (see mark_daily_page_done)."""

    def mark_daily_page_done(self, shop: str, page_id: str, at: datetime) -> None:
        """Remember that the page is done, for some days after `at` (the run it belongs to)."""

    def set_birthday(
        self, shop: str, customer_key: str, birthday: str | None, at: datetime | None = None
    ) -> None: ...

    def get_profile(self, shop: str, customer_key: str) -> ProfileRecord | None: ...

    def add_restock(
        self, shop: str, variant_id: str, phone: str, product: str | None, url: str | None
    ) -> None: ...

    def take_restocks(self, shop: str, variant_id: str) -> list[dict[str, Any]]:
        """The sign-ups for a variant, removed as they are returned (each gets one text)."""


class FlowStarter(Protocol):
    def start(self, flow: str, name: str, payload: Mapping[str, Any]) -> bool:
        """Start a flow execution with a deterministic name; False if it already exists."""

    def stop(self, flow: str, name: str, cause: str) -> int:
        """Stop that execution if it is running; 1 if it was stopped, else 0."""

    def stop_all_for_shop(self, shop: str, cause: str) -> int:
        """Stop every running execution of the shop; how many were stopped."""

    def stop_subject(
        self, shop: str, names: Set[str], phones: Set[str], customer_keys: Set[str], cause: str
    ) -> int:
        """Stop every running execution of the shop that is about one person: named in `names`, or whose
        input context has a phone in `phones` or a customer key in `customer_keys`; how many were stopped."""


@dataclass(frozen=True)
class SendConditions:
    """What must still hold when a message is claimed (checked in the same atomic write).

    state_version: the subscriber state read before deciding (a STOP since then bumps it: no send);
    forbid_unsubscribed: no send if the state says unsubscribed; frequency: (expected history version,
    history after this send) to reserve a frequency-cap slot atomically.
    """

    state_version: int | None = None
    require_subscribed: bool = False
    forbid_unsubscribed: bool = False
    frequency: tuple[int, list[SendRecord]] | None = None
    pace: Fold | None = None  # book the sender's idle bucket (and the daily count) in the same write


@dataclass(frozen=True)
class RecipientSnapshot:
    """What the sender reads before deciding, in one round trip."""

    state: SubscriberState | None
    suppressed: bool
    history: list[SendRecord]
    history_version: int
    unreachable: bool = False  # a carrier said the number cannot receive texts (not a consent matter)


@dataclass(frozen=True)
class StatusApplied:
    """A status callback that moved a message forward: whose it was, and what the counters need."""

    shop: str
    phone: str
    scope: str | None = None  # the counters' scope (domain/analytics/counters.py), None for older messages
    cost_est: float | None = None  # the send's cost estimate, replaced by Twilio's price when one comes


class MessageLog(Protocol):
    def snapshot(self, shop: str, phone: str) -> RecipientSnapshot: ...

    def begin(
        self, message: OutboundMessage, now: datetime, conditions: SendConditions | None = None
    ) -> str | None:
        """Claim a message id for sending. None when claimed; otherwise why not: the state found for
        a message claimed before ('sending', 'sent', 'failed'), 'consent_changed', 'frequency_conflict',
        or, with `conditions.pace`, 'pacing_busy' (the bucket was booked) or 'daily_cap'. A released
        ('retry'), replayed ('queued') or dead-lettered message is claimed again (see `dead_letter`)."""

    def defer(self, message_id: str, reason: str, until: datetime, now: datetime) -> None:
        """Record that the message waits for `until` because of `reason`; a message claimed since (sending,
        sent, failed) is left as it is."""

    def release(self, message_id: str, reason: str) -> None:
        """Give the claim back after a retryable failure (the provider did not accept it)."""

    def mark_in_doubt(self, message_id: str, reason: str) -> None:
        """The provider call ended without an answer (read timeout): it may or may not have the message."""

    def claim(self, message_id: str) -> dict[str, Any] | None:
        """The message's record as stored (state, claimed_at, in_doubt, ...)."""

    def take_over(self, message_id: str, claimed_at: str, now: datetime) -> bool:
        """Re-claim a 'sending' message whose attempt died, if nobody else did since (`claimed_at`)."""

    def complete(
        self, message_id: str, receipt: ProviderReceipt, now: datetime, extra: dict[str, Any] | None = None
    ) -> None: ...

    def fail(self, message_id: str, code: int | None, reason: str, now: datetime) -> None: ...

    def mark_unreachable(self, shop: str, phone: str, reason: str, now: datetime) -> None:
        """Data-quality suppression: the number is invalid, a landline or unreachable."""

    def apply_status(self, update: StatusUpdate, now: datetime) -> StatusApplied | None:
        """Record a delivery status if it moves the message forward: (shop, recipient) when it did,
        None when it was a duplicate, out of order, or for an unknown message."""

    def dead_letter(self, message_id: str, reason: str | None, now: datetime) -> bool:
        """The message failed on its last receive: SQS moves it to its DLQ. Record it as 'dead_lettered'
        with `reason` (None keeps the reason its attempt recorded), unless it was sent, failed for good or
        recorded as dead-lettered already: False then. A dead-lettered message may be claimed again, except
        one whose last claim is in doubt: `begin` restores that claim ('sending') to be settled first."""

    def replay(self, message_id: str, now: datetime) -> str | None:
        """A dead-lettered message goes back to its queue: 'queued', or 'sending' if its last claim was
        left 'sending' (in doubt: the sender settles it with the provider before sending again). None if
        the message is not recorded as dead-lettered."""


@dataclass(frozen=True)
class Sender:
    """Who a message is sent from: a Messaging Service (preferred) or a phone number."""

    messaging_service_sid: str | None = None
    from_number: str | None = None

    @property
    def key(self) -> str:
        """The sender's identity: what carriers meter, so what its token bucket is named after."""
        return self.messaging_service_sid or self.from_number or "default"

    @classmethod
    def parse(cls, value: str) -> Sender:
        return cls(messaging_service_sid=value) if value.startswith("MG") else cls(from_number=value)


class Deferrals(Protocol):
    def schedule(self, body: Mapping[str, Any], at: datetime, name: str) -> bool:
        """Put `body` back on its send queue at `at`; False if that schedule existed already."""


@dataclass(frozen=True)
class ProviderReceipt:
    sid: str
    status: str
    segments: int | None
    price: str | None = None


class SmsProvider(Protocol):
    def send(self, *, to: str, body: str, sender: Sender, status_callback: str | None) -> ProviderReceipt:
        """Hand one message to the provider; raises runtime.errors.ProviderError when refused."""

    def find(self, *, to: str, body: str, since: datetime) -> ProviderReceipt | None:
        """A message with this recipient and body the provider accepted since `since`, if any (to settle
        an attempt that ended without an answer)."""

    def warm(self) -> None:
        """Be ready to send at once (credentials read, client built; best effort, never raises): a batch
        does it before it books its slots, so a cold container's first texts are not late for theirs."""


class ConsentStore(Protocol):
    """The ledger, the state projection and the suppression list, written together."""

    def state(self, shop: str, phone: str) -> SubscriberState | None: ...

    def append(self, event: ConsentEvent, new_state: SubscriberState, expected_version: int) -> str:
        """Write the event, the new state (if the stored version is still `expected_version`) and, for
        an opt-out, the hashed suppression, atomically: 'ok', 'duplicate' (event id seen) or 'conflict'."""

    def events(self, shop: str, phone: str) -> list[ConsentEvent]: ...

    def is_suppressed(self, shop: str, phone: str) -> bool: ...


class ShopConfigs(Protocol):
    def get(self, shop: str) -> ShopConfig | None: ...

    def all(self) -> list[ShopConfig]:
        """Every shop's config, in shop order, inactive ones too (the caller checks `active`); read from
        the list of shops that every put keeps, never by scanning."""

    def put(self, config: ShopConfig) -> None: ...

    def delete(self, shop: str) -> bool:
        """Remove the shop's config and its entry in the list of shops; False if there was none."""

    def shop_for_sender(self, sender: str) -> str | None: ...


class Conversations(Protocol):
    def add(
        self,
        shop: str,
        phone: str,
        message_sid: str,
        body: str,
        at: datetime,
        kind: str,
        rating: int | None = None,
        review: bool = False,
    ) -> bool:
        """Store an inbound reply for the shop's support, and note its time on the subscriber's summary
        (segments' `last_reply_at`, best effort); False if this message sid was stored before."""


class OptInLimits(Protocol):
    """POST /subscribe's limits against SMS pumping (domain/consent/subscriptions.py), shared by every
    container. Each record is taken with one conditional write, so two racing requests cannot both pass,
    and ages out by itself (the table's TTL); no decision depends on TTL having deleted a record."""

    def take_request(self, shop: str, phone: str, request_id: str, now: datetime, hold: timedelta) -> bool:
        """Hold the number's one opt-in request from `now` for `hold`, as `request_id`. True if it was free
        (never held, or held until `now` or earlier) or `request_id` holds it already (a retry of the same
        sign-up: its hold is unchanged); False, changing nothing, if another request holds it."""

    def count_source(
        self, shop: str, source: str, window_start: datetime, window: timedelta, limit: int
    ) -> bool:
        """Count one sign-up from `source` in the fixed window [window_start, window_start + window). True
        if fewer than `limit` were counted in it before; False, changing nothing, if `limit` were."""


class Campaigns(Protocol):
    """A shop's campaigns (issue 15), each stored with a version for optimistic concurrency: a write names
    the version it read (0 for a new campaign) and is refused with `runtime.errors.Conflict` if the stored
    one has changed since; nothing is written then."""

    def put(self, campaign: Campaign, version: int = 0) -> int:
        """Store `campaign` if the stored version is still `version` (0: none stored); the new version."""

    def get(self, shop: str, campaign_id: str) -> tuple[Campaign, int] | None:
        """The campaign and its version, or None."""

    def list(self, shop: str) -> builtins.list[Campaign]:
        """The shop's campaigns, newest first (created_at, then id): one Query of its partition."""


class SegmentMembers(Protocol):
    """A shop's subscribed members with their summaries, as the sparse `by_segment` index holds them
    (docs/segments.md): `shards` partitions per shop, each paged in a stable order (the member's key), so a
    campaign's fan-out resumes from `(shard, cursor)` after any failure. Eventually consistent: the sender
    re-checks consent before every text."""

    shards: int

    def page(
        self, shop: str, shard: int, cursor: Mapping[str, str] | None, limit: int
    ) -> tuple[builtins.list[SegmentMember], dict[str, str] | None]:
        """Up to `limit` members of `shard` after `cursor` (None: from the start), and the cursor of the
        next page (None: the shard is done). A cursor not made by this store is refused (ValueError)."""


class Segments(Protocol):
    """A shop's saved segment documents (`smsflows segment create`), by name."""

    def put(
        self,
        shop: str,
        name: str,
        document: Mapping[str, Any],
        by: str,
        at: datetime,
        shopify: Mapping[str, Any] | None = None,
    ) -> None:
        """Store (or replace) the segment `name`; the document was validated by `parse_segment`. `shopify`
        ({"id", "name", "query"}) makes it a Shopify segment (domain/campaigns/shopify_segments.py)."""

    def note_count(self, shop: str, name: str, count: Mapping[str, Any]) -> None:
        """Keep a Shopify segment's last count (its `shopify.last_count`); nothing for another segment."""

    def get(self, shop: str, name: str) -> dict[str, Any] | None:
        """{"name", "document", "created_by", "created_at", "updated_at"} and, for a Shopify segment only,
        "shopify"; or None."""

    def list(self, shop: str) -> builtins.list[dict[str, Any]]:
        """The shop's segments, by name."""


class CampaignRuns(Protocol):
    """A campaign's runs (issue 15 part 4): where the fan-out stands, its counters, and the assignments."""

    def get(self, shop: str, campaign_id: str, run: str) -> tuple[Progress, dict[str, Any]] | None:
        """The run's progress and its outcome counters (sent, delivered, suppressed, ...), or None."""

    def advance(
        self,
        shop: str,
        campaign_id: str,
        run: str,
        expected_step: int,
        progress: Progress,
        audience: str | None = None,
    ) -> bool:
        """Store `progress` if the stored step is still `expected_step` (0: none stored); False, changing
        nothing, if another step moved the run first."""

    def queued(self, shop: str, campaign_id: str, run: str, step: int) -> None:
        """Note that the cursor of `step` is on the queue (`get`'s counters then hold "queued": step)."""

    def count(
        self,
        shop: str,
        campaign_id: str,
        run: str,
        outcome: str,
        n: int = 1,
        at: datetime | None = None,
        also: Sequence[str] = (),
    ) -> dict[str, int]:
        """Add `n` to the run's counter of `outcome` and of each of `also` (the sender's and the status
        callbacks' tallies); with `at`, also note it as the outcome's latest instant (`last_sent_at`: the
        run's actual finish). The run's counters after the change ({outcome: n}), for the guard."""

    def assign(self, shop: str, campaign_id: str, run: str, rows: Sequence[AssignmentRow]) -> None:
        """Record each recipient's group (holdout or variant); a row written again replaces the first."""

    def assignments_of(
        self, shop: str, campaign_ids: Sequence[str], phone: str
    ) -> dict[str, tuple[str, AssignmentRow]]:
        """{campaign id: (run, row)} of the campaigns among `campaign_ids` the phone has a row in."""

    def assignments(
        self, shop: str, campaign_id: str, cursor: Mapping[str, str] | None = None, limit: int = 1000
    ) -> tuple[builtins.list[tuple[str, AssignmentRow]], dict[str, str] | None]:
        """A page of (run, row), and the cursor of the next page (None: the end)."""

    def runs(self, shop: str, campaign_id: str) -> builtins.list[tuple[str, Progress, dict[str, Any]]]:
        """Every run of the campaign: (run id, progress, counters), oldest first."""


class SubscriberSummaries(Protocol):
    """The customers/update writer of the subscribers' summaries (docs/segments.md §1): what Shopify says of
    a customer's whole history, on the subscriber state item of each of the customer's phones."""

    def note_customer(self, shop: str, phone: str, customer: CustomerSummary) -> str:
        """Record the customer's order count, total spent, tags and default address (with the candidate
        zones it implies) for `phone`; consent and the index membership are not touched. 'ok', or 'stale'
        (nothing written) when a customers/update with a later `updated_at` was recorded already."""


class ShopifyAdmin(Protocol):
    """Shopify's Admin GraphQL API (version 2026-10) with each shop's offline access token
    (adapters/shopify_admin.py; the typed operations are in domain/shopify/admin_api.py)."""

    def graphql(self, shop: str, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The response's `data`. Raises (runtime.errors) ShopifyThrottled after its own bounded backoff,
        ShopifyUnavailable (5xx, network, timeout), ShopifyAccessDenied (never worth retrying),
        ShopifyNotConnected (no token stored for the shop) or ShopifyError (a query Shopify refuses).
        userErrors are data: the operation that reads them raises ShopifyUserErrors."""


class ConsentEchoes(Protocol):
    """What smsflows wrote to Shopify's SMS consent lately, so that the customers_marketing_consent/update
    webhook echoing that write is recognised (domain/shopify/consent_sync.py). Each write is its own
    short-lived record, found by (shop, phone, state, consent time) exactly: a later genuine change in
    Shopify (another state or another time) is never taken for an echo."""

    def note_write(
        self, shop: str, phone: str, state: str, consent_updated_at: datetime, now: datetime
    ) -> None:
        """Remember the write of `state` (SUBSCRIBED, UNSUBSCRIBED, PENDING) with that consent time."""

    def is_echo(self, shop: str, phone: str, state: str, consent_updated_at: datetime, now: datetime) -> bool:
        """Whether such a write was noted and has not expired by `now`."""
