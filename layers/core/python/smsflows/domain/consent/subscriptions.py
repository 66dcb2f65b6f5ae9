"""Use cases of the consent engine: every way in (web form, checkout, keywords, Shopify, import) and
every way out (STOP and its variants, Shopify, the provider's 21610, a manual opt-out), plus HELP."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from smsflows.domain import messages
from smsflows.domain.consent import ledger
from smsflows.domain.consent.keywords import Classification, Intent, classify, normalise
from smsflows.domain.consent.ledger import ConsentEvent, SubscriberState
from smsflows.domain.durations import parse_instant
from smsflows.domain.phones import inbound_sender, normalize_phone
from smsflows.domain.shops import NOT_ONBOARDED, ShopConfig, country_of_shop, not_texting
from smsflows.ports import ConsentEchoes, ConsentStore, Conversations, OptInLimits, Queue, ShopConfigs
from smsflows.runtime.clock import Clock
from smsflows.runtime.errors import BadRequest, NotFound, TooManyRequests, TransientError


@dataclass
class ConsentDeps:
    store: ConsentStore
    shops: ShopConfigs
    send_queue: Queue
    conversations: Conversations
    clock: Clock
    default_shop: str | None = None
    events: Queue | None = None  # the shop-events queue: "smsflows/subscribed" starts the welcome series
    restocks: Any = None  # ShopDataRepository: back-in-stock sign-ups
    opt_in_limits: OptInLimits | None = None  # POST /subscribe's limits against SMS pumping (required there)
    # Our own consent writes to Shopify, so that the webhook echoing one is not taken for a new consent event
    echoes: ConsentEchoes | None = None


@dataclass(frozen=True)
class Recorded:
    before: SubscriberState
    after: SubscriberState
    duplicate: bool = False

    @property
    def changed_status(self) -> bool:
        return self.before.status != self.after.status


def record(store: ConsentStore, event: ConsentEvent, attempts: int = 5) -> Recorded:
    """Append `event` and move the state, retrying when another writer got in between."""
    for _ in range(attempts):
        before = store.state(event.shop, event.phone) or SubscriberState(shop=event.shop, phone=event.phone)
        after = ledger.apply(before, event)
        outcome = store.append(event, after, before.version)
        if outcome == "ok":
            return Recorded(before, after)
        if outcome == "duplicate":
            return Recorded(before, before, duplicate=True)
    raise TransientError("consent state kept changing under us; retry")


def record_and_announce(deps: ConsentDeps, event: ConsentEvent) -> Recorded:
    """record(), then tell the flows: "subscribed" starts the welcome series (not for imports); "opted_out"
    stops the running marketing flows at once (each flow also re-checks consent before every step)."""
    result = record(deps.store, event)
    left = not result.duplicate and result.before.subscribed and result.after.status == "unsubscribed"
    if left and deps.events is not None:
        deps.events.send(
            {
                "shop": event.shop,
                "topic": "smsflows/opted_out",
                "webhook_id": f"opted-out-{event.event_id}",
                "received_at": event.at.isoformat(),
                "body": json.dumps({"phone": event.phone}),
            }
        )
    became = not result.duplicate and not result.before.subscribed and result.after.subscribed
    if became and deps.events is not None and event.source != "import":
        deps.events.send(
            {
                "shop": event.shop,
                "topic": "smsflows/subscribed",
                "webhook_id": f"subscribed-{event.event_id}",
                "received_at": event.at.isoformat(),
                "body": json.dumps({"phone": event.phone, "customer_key": f"customer:{event.shopify_customer_id}"
                                    if event.shopify_customer_id else None}),
            }
        )  # fmt: skip
    sync = consent_sync_message(event, result)
    if sync is not None and deps.events is not None:
        deps.events.send(sync)
    return result


# Consent written back to Shopify (issue 17): each change smsflows records goes to the shop-events queue as
# this internal event; domain/shopify/consent_sync.py writes it with customerSmsMarketingConsentUpdate (the
# queue's redelivery retries a throttled write). Never one whose source is Shopify itself: that would loop.
CONSENT_SYNC_TOPIC = "smsflows/consent_sync"
# Not written back: what Shopify told us (its consent webhook, its checkout's SMS box), and imports (a list
# brought in from elsewhere, often Shopify's own export: thousands of writes that would echo it back).
NOT_SYNCED_SOURCES = frozenset({"shopify_consent", "import"})


def consent_sync_state(event: ConsentEvent, result: Recorded) -> tuple[str, str | None] | None:
    """(Shopify marketing state, opt-in level) to write for a recorded event, or None. An opt-out always
    (a STOP is never lost: writing UNSUBSCRIBED again is harmless); an opt-in or a request only when it
    changed the status (a JOIN from a subscriber writes nothing). A YES confirming a request is a double
    opt-in (CONFIRMED_OPT_IN); any other opt-in (a keyword, a checkout box) is SINGLE_OPT_IN."""
    if result.duplicate or event.source in NOT_SYNCED_SOURCES:
        return None
    if event.kind == "opt_out":
        return "UNSUBSCRIBED", None
    if not result.changed_status:
        return None
    if event.kind == "opt_in_requested" and result.after.status == "pending":
        return "PENDING", None
    if event.kind in ("opt_in", "opt_in_confirmed") and result.after.subscribed:
        return "SUBSCRIBED", "CONFIRMED_OPT_IN" if event.kind == "opt_in_confirmed" else "SINGLE_OPT_IN"
    return None


def consent_sync_message(event: ConsentEvent, result: Recorded) -> dict[str, Any] | None:
    """The shop-events message that writes the event's consent to Shopify, or None (see consent_sync_state).
    `consent_updated_at` is when consent was given or withdrawn, not when the write happens."""
    found = consent_sync_state(event, result)
    if found is None:
        return None
    state, level = found
    body = {
        "phone": event.phone,
        "state": state,
        "opt_in_level": level,
        "consent_updated_at": event.at.isoformat(),
        "event_id": event.event_id,
        "customer_id": event.shopify_customer_id or result.after.customer_id,
    }
    return {
        "shop": event.shop,
        "topic": CONSENT_SYNC_TOPIC,
        "webhook_id": f"consent-sync-{event.event_id}"[:200],
        "received_at": event.at.isoformat(),
        "body": json.dumps(body),
    }


class ShopNotTexting(NotFound):
    """A request for a shop that texts nobody now (404): `code` says why, e.g. 'shop_not_onboarded'."""

    def __init__(self, shop: str, reason: str) -> None:
        why = {
            NOT_ONBOARDED: "is not onboarded for SMS",
            "shop_paused": "has paused its texts",
            "shop_deactivated": "is deactivated",
            "shop_uninstalled": "has uninstalled the app",
            "shop_redacted": "is no longer a shop of this app",
        }.get(reason, "does not text now")
        super().__init__(f"shop {shop} {why}: SMS sign-ups are not open; nothing was recorded")
        self.code = reason


def shop_config(deps: ConsentDeps, shop: str) -> ShopConfig:
    """The config of a shop that texts now (active); ShopNotTexting otherwise."""
    config = deps.shops.get(shop)
    if config is None or not config.active:
        raise ShopNotTexting(shop, not_texting(config) or f"shop_{config.status if config else 'unknown'}")
    return config


def _compliance_message(shop: str, phone: str, body: str, message_id: str, now: datetime) -> dict[str, Any]:
    return messages.OutboundMessage(
        message_id=message_id, shop=shop, to=phone, body=body, category="compliance", created_at=now
    ).model_dump(mode="json")


# ---------------------------------------------------------------------------------------------------
# Web form and checkout sign-up: POST /subscribe


class ConsentShown(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # JSON booleans only: "yes", "on", 1 are not what the form showed, and consent is not inferred (A3, A8.1)
    checked: StrictBool
    default_checked: StrictBool
    disclosure_text: str = Field(min_length=20, max_length=2000)
    required_for_purchase: StrictBool = False


class SubscribeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shop: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
    phone: str = Field(min_length=3, max_length=40)
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$")
    source: str = Field("web_form", pattern=r"^(web_form|checkout)$")
    consent: ConsentShown
    page_url: str | None = Field(None, max_length=500)
    customer_id: str | None = Field(None, max_length=40)
    locale: str | None = Field(None, max_length=20)
    submission_id: str | None = Field(None, max_length=100)
    # Back in stock: the variant the shopper wants to hear about (the form on a sold-out product page).
    restock_variant_id: str | None = Field(None, max_length=40, pattern=r"^\d+$")
    restock_product: str | None = Field(None, max_length=200)
    restock_url: str | None = Field(None, max_length=500)


@dataclass(frozen=True)
class SubscribeResult:
    status: str  # pending | already_subscribed
    phone: str
    repeat: bool = False  # the number's opt-in request of the last 24 h was taken already: nothing written


# Limits against SMS pumping (toll fraud): a script signs up numbers whose owners earn a share of what texting
# them costs (premium ranges, numbers abroad), and every sign-up sends a paid double opt-in text. They apply
# only to valid requests and before anything is written (see `subscribe`); the first is the shop's countries.
SOURCE_WINDOW = timedelta(hours=1)
# Sign-ups one source address (an IPv4 address, an IPv6 /64) may make to one shop per hour. A shopper signs up
# once, a household or an office behind one address a few numbers; more within an hour is a script. Not 1:
# mobile carriers put many phones behind one IPv4 address (CGNAT). A refusal costs a person an hour's wait (or
# texting the join keyword); letting a script through costs money per text.
SIGN_UPS_PER_SOURCE_PER_HOUR = 5
# One opt-in request (one double opt-in text) per number per shop in this long, whatever the submission id.
OPT_IN_REQUEST_HOLD = timedelta(hours=24)
NO_SOURCE = "no-source-address"  # what requests without a source address share one count as


def source_key(shop: str, ip: str | None) -> str:
    """What the per-source limit counts a request under, hashed with the shop (no address is stored): the
    IPv4 address; for IPv6 the /64 network, which one subscriber line usually holds whole (counting single
    addresses would give one host 2^64 of them). API Gateway always gives the address; a request without one
    (or with one that is not an address) did not come through it as deployed, and all such requests share
    one count rather than escape the limit."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        text = NO_SOURCE
    else:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
            text = str(ipaddress.ip_network(f"{address}/64", strict=False))
        else:
            mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
            text = str(mapped or address)
    return hashlib.sha256(f"{shop}|{text}".encode()).hexdigest()[:32]


def country_of(e164: str) -> str | None:
    """The ISO 3166-1 alpha-2 country a number belongs to (+1 512 is US, +1 416 CA, +1 787 PR); None for a
    number of no country (the international +800 and +808 ranges)."""
    region = phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
    return region if region and region.isalpha() and region != "ZZ" else None


def subscribe(
    request: SubscribeRequest, ip: str | None, user_agent: str | None, deps: ConsentDeps
) -> SubscribeResult:
    """A web or checkout sign-up: the consent proof into the ledger, and the double opt-in text.

    Order: the shop first: one that does not text now (not onboarded, paused, deactivated, uninstalled) is
    a 404 naming why (`ShopNotTexting`, e.g. {"error": "shop_not_onboarded"}) and nothing is written or
    sent: answering 202 "pending" would promise the shopper a text that never comes and leave a consent
    request on record that nobody can confirm. Then everything about the request is checked (the consent
    shown, the number, its country), so bad input changes nothing; then the limits, before the ledger:
    - the number's country must be one the shop texts (`ShopConfig.texted_countries`): else a 400 naming it.
    - at most SIGN_UPS_PER_SOURCE_PER_HOUR sign-ups per source (`source_key`) per shop per clock hour: else
      `TooManyRequests` (429, Retry-After: the end of the hour) and nothing else is written.
    - at most one opt-in request per number per shop in OPT_IN_REQUEST_HOLD, whatever the submission id, held
      with a conditional write (of two racing requests one wins). A repeat within it gets the answer the
      first got ("pending", or "already_subscribed" once the number is subscribed) but sends no text and
      writes no ledger event: the ledger keeps the consent proof of the first request, which is what the
      text the person answers was about, and a script cannot fill the ledger (or anyone's phone) with
      requests. A back-in-stock request in it is still kept (one per variant and number; it texts only a
      subscriber). The same submission retried (same submission id, or the same minute without one) goes
      through again: the ledger knows its event, so the text goes out at most once.
    Cost of the hold: someone whose first text never arrived, or who said STOP and signs up again, waits out
    the 24 h, or texts the join keyword (START), which is never limited.
    """
    config = shop_config(deps, request.shop)
    shown = request.consent
    if shown.default_checked:
        raise BadRequest("the consent checkbox was pre-checked: that is not consent (RULES.md A3, A6, A7)")
    if not shown.checked:
        raise BadRequest("consent was not given")
    if shown.required_for_purchase:
        raise BadRequest("consent cannot be a condition of purchase (RULES.md A3)")
    ledger.check_disclosure(shown.disclosure_text, config.brand)
    typed = request.phone
    if any(ch.isalpha() for ch in typed):
        # "512-555-CALL" is a vanity number to dial, not a mobile to text; we do not guess which one was meant
        raise BadRequest("phone must be written with digits (letters are not a number we can text)")
    digits = unicodedata.normalize("NFKC", typed)  # full-width "５１２..." is the same number, typed in CJK
    phone = normalize_phone(digits, request.country or config.default_country)
    if not phone.usable or phone.e164 is None:
        raise BadRequest("phone is not a valid mobile number")
    country = country_of(phone.e164)
    countries = config.texted_countries
    if country not in countries:
        where = f"numbers in {country}" if country else "numbers of no country (+800, +808)"
        raise BadRequest(f"this shop does not text {where}: only numbers in {', '.join(countries)}")
    limits = deps.opt_in_limits
    if limits is None:  # fail closed: an unlimited form is a toll-fraud vector (wired in runtime/deps.py)
        raise RuntimeError("POST /subscribe needs ConsentDeps.opt_in_limits")
    now = deps.clock()
    version = ledger.disclosure_version(shown.disclosure_text)
    event_id = request.submission_id or "form:" + messages.stable_id(
        request.shop, phone.e164, version, now.strftime("%Y%m%d%H%M")
    )
    event_id = f"{request.source}:{event_id}"

    window_start = datetime.fromtimestamp(
        now.timestamp() // SOURCE_WINDOW.total_seconds() * SOURCE_WINDOW.total_seconds(), UTC
    )
    source = source_key(request.shop, ip)
    if not limits.count_source(
        request.shop, source, window_start, SOURCE_WINDOW, SIGN_UPS_PER_SOURCE_PER_HOUR
    ):
        wait = math.ceil((window_start + SOURCE_WINDOW - now).total_seconds())
        raise TooManyRequests(
            f"too many sign-ups from this address; try again in {max(1, math.ceil(wait / 60))} min",
            retry_after_s=wait,
        )
    if not limits.take_request(request.shop, phone.e164, event_id, now, OPT_IN_REQUEST_HOLD):
        _add_restock(request, phone.e164, deps)
        state = deps.store.state(request.shop, phone.e164)
        status = "already_subscribed" if state is not None and state.subscribed else "pending"
        return SubscribeResult(status, phone.e164, repeat=True)

    event = ConsentEvent(
        event_id=event_id,
        shop=request.shop,
        phone=phone.e164,
        kind="opt_in_requested",
        source=request.source,  # type: ignore[arg-type]
        at=now,
        disclosure_text=shown.disclosure_text,
        disclosure_version=version,
        checkbox_default="unchecked",
        page_url=request.page_url,
        ip=ip,
        user_agent=user_agent,
        shopify_customer_id=request.customer_id,
        locale=request.locale,
        country=request.country,
        phone_as_typed=typed if typed != phone.e164 else None,
    )
    result = record_and_announce(deps, event)
    _add_restock(request, phone.e164, deps)
    if result.before.subscribed:
        return SubscribeResult("already_subscribed", phone.e164)
    if not result.duplicate:
        deps.send_queue.send(
            _compliance_message(
                request.shop, phone.e164, config.opt_in_request_text(), f"doi:{event.event_id}", now
            )
        )
    return SubscribeResult("pending", phone.e164)


def _add_restock(request: SubscribeRequest, phone: str, deps: ConsentDeps) -> None:
    if request.restock_variant_id and deps.restocks is not None:
        deps.restocks.add_restock(request.shop, request.restock_variant_id, phone, request.restock_product,
                                  request.restock_url)  # fmt: skip


# ---------------------------------------------------------------------------------------------------
# Inbound SMS: POST /sms/inbound


class InboundSms(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    # Bounded where they enter: a sid is 34 characters, a number at most 16; a key is at most 1 KB (DynamoDB)
    message_sid: str = Field(alias="MessageSid", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    from_: str = Field(alias="From", min_length=1, max_length=64)
    to: str = Field(alias="To", default="", max_length=64)
    body: str = Field(alias="Body", default="", max_length=1600)  # Twilio's limit for one message
    messaging_service_sid: str | None = Field(alias="MessagingServiceSid", default=None, max_length=64)


@dataclass(frozen=True)
class InboundOutcome:
    intent: str
    reply: str | None = None  # the TwiML <Message>, if any
    detail: str = ""
    review: bool = False
    forward: dict[str, Any] | None = field(default=None)  # a conversation to hand to the shop's support
    not_texting: str | None = (
        None  # why nothing was answered: the shop texts nobody ('shop_not_onboarded', ...)
    )
    # whose sender it came to, and the number it came from (E.164) when it is one: what the measurement counts
    # a reply or an opt-out against (issue 16); not part of the outcome's meaning (not compared)
    shop: str | None = field(default=None, compare=False)
    phone: str | None = field(default=None, compare=False)


def _shop_for(inbound: InboundSms, deps: ConsentDeps) -> str:
    for sender in (inbound.messaging_service_sid, inbound.to):
        if sender:
            shop = deps.shops.shop_for_sender(sender)
            if shop:
                return shop
    if deps.default_shop:
        return deps.default_shop
    raise NotFound("no shop owns this sender")


# The keywords Twilio's opt-out management answers by itself (RULES.md A4).
TWILIO_KEYWORDS = frozenset(
    {
        "stop",
        "stopall",
        "unsubscribe",
        "end",
        "quit",
        "revoke",
        "optout",
        "cancel",
        "start",
        "yes",
        "unstop",
        "help",
        "info",
    }
)


def handle_inbound(inbound: InboundSms, deps: ConsentDeps) -> InboundOutcome:
    shop = _shop_for(inbound, deps)
    config = deps.shops.get(shop)
    blocked = not_texting(config)
    if blocked is not None or config is None:
        return _record_only(inbound, shop, config, blocked or NOT_ONBOARDED, deps)
    outcome = _handle_inbound(inbound, shop, config, deps)
    sender = inbound_sender(inbound.from_, config.default_country)
    phone = sender.address if sender.kind == "phone" else None
    if outcome.reply and config.twilio_answers_keywords and normalise(inbound.body) in TWILIO_KEYWORDS:
        # Twilio already replied (and, for STOP, blocked the number): a second reply would be a second
        # confirmation. The event is in the ledger all the same.
        return InboundOutcome(outcome.intent, None, outcome.detail + " (answered by Twilio)", outcome.review,
                              shop=shop, phone=phone)  # fmt: skip
    return replace(outcome, shop=shop, phone=phone)


def _base_event(inbound: InboundSms, shop: str, e164: str, now: datetime) -> dict[str, Any]:
    return {
        "event_id": f"sms:{inbound.message_sid}",
        "shop": shop,
        "phone": e164,
        "at": now,
        "message_sid": inbound.message_sid,
        "message_body": inbound.body[:1600],
    }


def _opt_out(
    inbound: InboundSms, base: dict[str, Any], found: Classification, deps: ConsentDeps
) -> tuple[Recorded, str]:
    """Record a revocation (and flag it for a person when the classifier asks for one): (recorded, label)."""
    label = (
        f"opt_out:{found.keyword}"
        + ("" if found.certain else " (possible)")
        + (" (review)" if found.review else "")
    )
    event = ConsentEvent(
        **base,
        kind="opt_out",
        source="keyword",
        raw_text=inbound.body[:1600],
        classifier=label,
        review=found.review,
    )
    rec = record_and_announce(deps, event)
    if found.review:
        deps.conversations.add(
            base["shop"],
            base["phone"],
            inbound.message_sid,
            inbound.body,
            base["at"],
            "opt_out_review",
            review=True,
        )
    return rec, label


def _record_only(
    inbound: InboundSms, shop: str, config: ShopConfig | None, reason: str, deps: ConsentDeps
) -> InboundOutcome:
    """A text to a shop that texts nobody (not onboarded, deactivated, uninstalled, redacted): recorded and
    never answered. A revocation is recorded as one, whatever the shop's state (A5: it must never be lost);
    anything else is kept as a conversation for a person, but not acted on: an opt-in or a YES would need
    its confirmation text (A3.2), which this shop cannot send, so it is not recorded as consent."""
    sender = inbound_sender(inbound.from_, country_of_shop(config))
    if sender.kind != "phone" or sender.address is None:
        return InboundOutcome(
            "ignored", detail=f"{reason}; sender is not a phone number ({sender.kind})", not_texting=reason
        )
    now = deps.clock()
    found = classify(inbound.body, config.keywords if config else ())
    base = _base_event(inbound, shop, sender.address, now)
    if found.intent is Intent.OPT_OUT:
        _, label = _opt_out(inbound, base, found, deps)
        detail = f"{label}; {reason}: recorded, not answered"
        return InboundOutcome("opt_out", None, detail, review=found.review, not_texting=reason)
    deps.conversations.add(shop, sender.address, inbound.message_sid, inbound.body, now, "message",
                           review=found.review)  # fmt: skip
    detail = f"{reason}: {found.intent} kept as a conversation, not answered"
    return InboundOutcome("ignored", None, detail, review=found.review, not_texting=reason)


def _handle_inbound(inbound: InboundSms, shop: str, config: ShopConfig, deps: ConsentDeps) -> InboundOutcome:
    sender = inbound_sender(inbound.from_, config.default_country)
    found = classify(inbound.body, config.keywords)
    if sender.kind == "short_code" and found.intent is Intent.HELP:
        return InboundOutcome("help", config.help_text(), "short code")
    if sender.kind != "phone" or sender.address is None:
        # An alphanumeric sender or a short code cannot be texted by us, so there is no consent to record;
        # answering anything but HELP would risk a loop between two auto-responders.
        return InboundOutcome("ignored", detail=f"sender is not a phone number ({sender.kind})")
    now = deps.clock()
    e164 = sender.address
    base = _base_event(inbound, shop, e164, now)

    if found.intent is Intent.OPT_OUT:
        rec, label = _opt_out(inbound, base, found, deps)
        # One confirmation, only on the transition (A5.1): a second STOP gets none. A *possible* revocation
        # (a complaint, a keyword in an unclear sentence) is suppressed without one: a person reads it first.
        confirm = found.certain and rec.changed_status and not rec.duplicate
        reply = config.opt_out_confirmation_text() if confirm else None
        return InboundOutcome("opt_out", reply, label, review=found.review)

    if found.intent is Intent.HELP:
        return InboundOutcome("help", config.help_text())

    if found.intent is Intent.OPT_IN:
        rec = record_and_announce(
            deps,
            ConsentEvent(**base, kind="opt_in", source="keyword", classifier=f"opt_in:{found.keyword}"),
        )
        if rec.duplicate:
            return InboundOutcome("opt_in", None, "duplicate")
        if rec.before.subscribed:
            return InboundOutcome(
                "opt_in", f"{config.brand}: You're already subscribed. Reply HELP for help, STOP to cancel."
            )
        return InboundOutcome("opt_in", config.opt_in_confirmation_text(), found.keyword or "")

    if found.intent is Intent.CONFIRM:
        state = deps.store.state(shop, e164)
        if state is not None and state.status == "pending":
            # The YES completes the sign-up it answers: the subscription's source is that request's (web
            # form or checkout), not "keyword"; the reply's sid and text are the confirmation's proof (A8.1).
            rec = record_and_announce(
                deps,
                ConsentEvent(
                    **base,
                    kind="opt_in_confirmed",
                    source=_request_source(deps, shop, e164, state.pending_request),  # type: ignore[arg-type]
                    confirmation_of=state.pending_request,
                    classifier="confirm:YES",
                ),
            )
            reply = None if rec.duplicate else config.opt_in_confirmation_text()
            return InboundOutcome("confirmed", reply)
        if state is not None and any(e.event_id == base["event_id"] for e in deps.store.events(shop, e164)):
            # Twilio's retry of the YES that confirmed (its first delivery was answered; the number is
            # subscribed now): the same outcome, no second text, and nothing handed to support.
            return InboundOutcome("confirmed", None)
        # A YES with nothing pending is a conversation, never an opt-in.

    kind = "rating" if found.intent is Intent.RATING else "message"
    # A per-se keyword used as an ordinary word ("cancel my order") or a mild complaint: a conversation, and
    # flagged so that a person reads it (RULES.md A5.2), never suppressed.
    stored = deps.conversations.add(
        shop, e164, inbound.message_sid, inbound.body, now, kind, rating=found.rating, review=found.review
    )
    forward = None
    if stored and config.support_webhook_url:
        forward = {
            "shop": shop,
            "from": e164,
            "body": inbound.body,
            "kind": kind,
            "rating": found.rating,
            "review": found.review,
            "at": now.isoformat(),
        }
    detail = f"flagged: {found.keyword}" if found.review else ""
    return InboundOutcome(kind, None, detail, review=found.review, forward=forward)


def _request_source(deps: ConsentDeps, shop: str, phone: str, request_id: str | None) -> str:
    """The source of the opt-in request a YES confirms (web_form, checkout); "keyword" if it is not found."""
    for event in deps.store.events(shop, phone):
        if event.event_id == request_id and event.kind == "opt_in_requested":
            return event.source
    return "keyword"


# ---------------------------------------------------------------------------------------------------
# Other ways in and out


def shopify_consent_update(shop: str, webhook_id: str, payload: dict[str, Any], deps: ConsentDeps) -> str:
    """customers_marketing_consent/update (and the SMS consent fields of checkouts): recorded with their source,
    for a shop that texts nobody now too (the consent was given to the shop in Shopify, and a revocation must
    never be lost); announcing it starts nothing for such a shop (its events are ignored)."""
    config = deps.shops.get(shop)
    sms = payload.get("sms_marketing_consent") or {}
    state = sms.get("state")
    revokes = state in ("unsubscribed", "not_subscribed", "redacted")
    # A revocation is honoured for any possible number; only an opt-in needs one we may text (A5).
    e164 = _revocable(payload.get("phone"), config) if revokes else _textable(payload.get("phone"), config)
    if e164 is None or state is None:
        return "ignored: no usable phone or consent state"
    updated = parse_instant(sms.get("consent_updated_at"))
    written = str(state).upper()
    if (
        updated is not None
        and deps.echoes is not None
        and written in SHOPIFY_WRITTEN_STATES
        and deps.echoes.is_echo(shop, e164, written, updated, deps.clock())
    ):
        return "echo of our own write: ignored"
    if state == "subscribed" and updated is not None:
        # An opt-in Shopify recorded before the opt-out we hold (a late delivery, a retry, an echo whose mark
        # expired) does not undo that opt-out: a STOP must never be lost. A later one is a new consent.
        current = deps.store.state(shop, e164)
        if (
            current is not None
            and current.status == "unsubscribed"
            and current.since
            and updated < current.since
        ):
            return "ignored: Shopify's opt-in is older than the opt-out recorded"
    common: dict[str, Any] = {
        "event_id": f"shopify:{webhook_id}",
        "shop": shop,
        "phone": e164,
        "source": "shopify_consent",
        "at": deps.clock(),
        "shopify_customer_id": str(payload.get("id") or payload.get("customer_id") or "") or None,
        "note": f"shopify state={state} level={sms.get('opt_in_level')} from={sms.get('consent_collected_from')} "
        f"updated={sms.get('consent_updated_at')}",
    }
    if revokes:
        record_and_announce(deps, ConsentEvent(**common, kind="opt_out", classifier=f"shopify:{state}"))
        return "opt_out"
    if state == "subscribed":
        record_and_announce(deps, ConsentEvent(**common, kind="opt_in", classifier=f"shopify:{state}"))
        return "opt_in"
    return f"ignored: state {state}"


SHOPIFY_WRITTEN_STATES = frozenset({"SUBSCRIBED", "UNSUBSCRIBED", "PENDING"})  # what consent_sync writes


def _revocable(raw: Any, config: ShopConfig | None) -> str | None:
    """E.164 of any possible phone number (the library need not know its range): who may revoke."""
    sender = inbound_sender(str(raw or ""), country_of_shop(config))
    return sender.address if sender.kind == "phone" else None


def _textable(raw: Any, config: ShopConfig | None) -> str | None:
    """E.164 of a number the phone library deems valid: who may be opted in and texted."""
    phone = normalize_phone(raw, country_of_shop(config))
    return phone.e164 if phone.usable else None


def manual_opt_out(
    shop: str, raw_phone: str, note: str, deps: ConsentDeps, source: str = "manual"
) -> Recorded:
    """An opt-out by hand (`smsflows consent optout`): recorded for any shop, onboarded or not."""
    config = deps.shops.get(shop)
    e164 = _revocable(raw_phone, config)
    if e164 is None:
        raise BadRequest(f"{raw_phone!r} is not a phone number")
    now = deps.clock()
    event = ConsentEvent(
        event_id=f"{source}:{messages.stable_id(shop, e164, now.isoformat())}",
        shop=shop,
        phone=e164,
        kind="opt_out",
        source=source,  # type: ignore[arg-type]
        at=now,
        classifier=source,
        note=note[:500],
    )
    return record_and_announce(deps, event)


def provider_opt_out(shop: str, phone: str, message_id: str, deps: ConsentDeps) -> Recorded:
    """Twilio answered 21610: the recipient replied STOP to the sender (RULE A4.1); record it as ours."""
    event = ConsentEvent(
        event_id=f"provider:{message_id}",
        shop=shop,
        phone=phone,
        kind="opt_out",
        source="provider_opt_out",
        at=deps.clock(),
        classifier="twilio:21610",
    )
    return record_and_announce(deps, event)
