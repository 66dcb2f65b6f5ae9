"""Use cases of the consent engine: every way in (web form, checkout, keywords, Shopify, import) and
every way out (STOP and its variants, Shopify, the provider's 21610, a manual opt-out), plus HELP."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from smsflows.domain import messages
from smsflows.domain.consent import ledger
from smsflows.domain.consent.keywords import Intent, classify, normalise
from smsflows.domain.consent.ledger import ConsentEvent, SubscriberState
from smsflows.domain.phones import inbound_sender, normalize_phone
from smsflows.domain.shops import ShopConfig
from smsflows.ports import ConsentStore, Conversations, Queue, ShopConfigs
from smsflows.runtime.clock import Clock
from smsflows.runtime.errors import BadRequest, NotFound, TransientError


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
    return result


def shop_config(deps: ConsentDeps, shop: str) -> ShopConfig:
    config = deps.shops.get(shop)
    if config is None or not config.active:
        raise NotFound(f"shop {shop} is not set up for SMS (smsflows shop set)")
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


def subscribe(
    request: SubscribeRequest, ip: str | None, user_agent: str | None, deps: ConsentDeps
) -> SubscribeResult:
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
    now = deps.clock()
    version = ledger.disclosure_version(shown.disclosure_text)
    event_id = request.submission_id or "form:" + messages.stable_id(
        request.shop, phone.e164, version, now.strftime("%Y%m%d%H%M")
    )
    event = ConsentEvent(
        event_id=f"{request.source}:{event_id}",
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
    if request.restock_variant_id and deps.restocks is not None:
        deps.restocks.add_restock(request.shop, request.restock_variant_id, phone.e164, request.restock_product,
                                  request.restock_url)  # fmt: skip
    if result.before.subscribed:
        return SubscribeResult("already_subscribed", phone.e164)
    if not result.duplicate:
        deps.send_queue.send(
            _compliance_message(
                request.shop, phone.e164, config.opt_in_request_text(), f"doi:{event.event_id}", now
            )
        )
    return SubscribeResult("pending", phone.e164)


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
    config = deps.shops.get(shop) or ShopConfig(shop=shop)
    outcome = _handle_inbound(inbound, shop, config, deps)
    if outcome.reply and config.twilio_answers_keywords and normalise(inbound.body) in TWILIO_KEYWORDS:
        # Twilio already replied (and, for STOP, blocked the number): a second reply would be a second
        # confirmation. The event is in the ledger all the same.
        return InboundOutcome(outcome.intent, None, outcome.detail + " (answered by Twilio)", outcome.review)
    return outcome


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
    base: dict[str, Any] = {
        "event_id": f"sms:{inbound.message_sid}",
        "shop": shop,
        "phone": e164,
        "at": now,
        "message_sid": inbound.message_sid,
        "message_body": inbound.body[:1600],
    }

    if found.intent is Intent.OPT_OUT:
        label = (
            f"opt_out:{found.keyword}"
            + ("" if found.certain else " (possible)")
            + (" (review)" if found.review else "")
        )
        rec = record_and_announce(
            deps,
            ConsentEvent(
                **base,
                kind="opt_out",
                source="keyword",
                raw_text=inbound.body[:1600],
                classifier=label,
                review=found.review,
            ),
        )
        if found.review:
            deps.conversations.add(
                shop, e164, inbound.message_sid, inbound.body, now, "opt_out_review", review=True
            )
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
            rec = record_and_announce(
                deps,
                ConsentEvent(
                    **base,
                    kind="opt_in_confirmed",
                    source="keyword",
                    confirmation_of=state.pending_request,
                    classifier="confirm:YES",
                ),
            )
            reply = None if rec.duplicate else config.opt_in_confirmation_text()
            return InboundOutcome("confirmed", reply)
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


# ---------------------------------------------------------------------------------------------------
# Other ways in and out


def shopify_consent_update(shop: str, webhook_id: str, payload: dict[str, Any], deps: ConsentDeps) -> str:
    """customers_marketing_consent/update (and the SMS consent fields of checkouts): recorded with their source."""
    config = deps.shops.get(shop) or ShopConfig(shop=shop)
    sms = payload.get("sms_marketing_consent") or {}
    state = sms.get("state")
    revokes = state in ("unsubscribed", "not_subscribed", "redacted")
    # A revocation is honoured for any possible number; only an opt-in needs one we may text (A5).
    e164 = _revocable(payload.get("phone"), config) if revokes else _textable(payload.get("phone"), config)
    if e164 is None or state is None:
        return "ignored: no usable phone or consent state"
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


def _revocable(raw: Any, config: ShopConfig) -> str | None:
    """E.164 of any possible phone number (the library need not know its range): who may revoke."""
    sender = inbound_sender(str(raw or ""), config.default_country)
    return sender.address if sender.kind == "phone" else None


def _textable(raw: Any, config: ShopConfig) -> str | None:
    """E.164 of a number the phone library deems valid: who may be opted in and texted."""
    phone = normalize_phone(raw, config.default_country)
    return phone.e164 if phone.usable else None


def manual_opt_out(
    shop: str, raw_phone: str, note: str, deps: ConsentDeps, source: str = "manual"
) -> Recorded:
    config = deps.shops.get(shop) or ShopConfig(shop=shop)
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
