"""The consent ledger: append-only events with their proof, and the current state derived from them.

RULES.md A8.1 lists the proof kept per consent event and per revocation; A8.2 says evidence has no TTL and
a hashed suppression entry outlives everything else (>= 10 years, Virginia). A3.1 says what a sign-up form
must show; A5.1 allows exactly one opt-out confirmation.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from smsflows.runtime.errors import BadRequest

EventKind = Literal["opt_in_requested", "opt_in_confirmed", "opt_in", "opt_out"]
Status = Literal["none", "pending", "subscribed", "unsubscribed"]
Source = Literal[
    "web_form", "checkout", "keyword", "shopify_consent", "import", "manual", "provider_opt_out", "api"
]
PROGRAM = "marketing"


class ConsentEvent(BaseModel):
    """One immutable ledger entry. `event_id` is the idempotency key (a message sid, a webhook id, ...)."""

    model_config = ConfigDict(frozen=True)

    event_id: str = Field(min_length=1, max_length=200)
    shop: str
    phone: str = Field(pattern=r"^\+[1-9]\d{6,14}$")
    program: str = PROGRAM
    kind: EventKind
    source: Source
    at: datetime  # when it happened (UTC): the consent time for an import, else when we saw it
    recorded_at: datetime | None = None  # when the ledger got it (defaults to `at`); replay order
    # Proof of an opt-in (A8.1)
    disclosure_text: str | None = None
    disclosure_version: str | None = None  # sha256 of the exact text shown
    checkbox_default: Literal["unchecked", "checked"] | None = None
    page_url: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    message_sid: str | None = None
    message_body: str | None = None
    shopify_customer_id: str | None = None
    confirmation_of: str | None = None  # the opt_in_requested event a YES confirmed
    locale: str | None = None
    country: str | None = None
    phone_as_typed: str | None = Field(None, max_length=40)  # the form's text when it was not E.164
    # A revocation (A8.1)
    raw_text: str | None = None
    classifier: str | None = None  # e.g. "opt_out:STOP" or "opt_out:remove me (review)"
    review: bool = False
    note: str | None = None


class SubscriberState(BaseModel):
    """The current consent of one phone for one shop's program: a projection of the ledger."""

    model_config = ConfigDict(frozen=True)

    shop: str
    phone: str
    program: str = PROGRAM
    status: Status = "none"
    since: datetime | None = None
    version: int = 0  # number of ledger events folded in; guards concurrent writers
    last_event_id: str | None = None
    opt_in_source: str | None = None
    pending_request: str | None = None
    review: bool = False
    customer_id: str | None = None
    country: str | None = None
    # Places known from Shopify (for quiet hours): [{"country": "US", "state": "TX", "source": ...}]
    addresses: tuple[tuple[str | None, str | None, str], ...] = ()

    @property
    def subscribed(self) -> bool:
        return self.status == "subscribed"


def apply(state: SubscriberState, event: ConsentEvent) -> SubscriberState:
    """The state after `event`. Pure; the ledger replays through this to rebuild a state."""
    update: dict[str, object] = {"version": state.version + 1, "last_event_id": event.event_id}
    if event.shopify_customer_id:
        update["customer_id"] = event.shopify_customer_id
    if event.country:
        update["country"] = event.country
    if event.kind == "opt_in_requested":
        update["pending_request"] = event.event_id
        if state.status != "subscribed":
            update.update(status="pending", since=event.at)
    elif event.kind in ("opt_in", "opt_in_confirmed"):
        update.update(status="subscribed", since=event.at, opt_in_source=event.source, pending_request=None)
        update["review"] = False
    elif event.kind == "opt_out":
        update.update(pending_request=None, review=event.review)
        if state.status != "unsubscribed":
            update.update(status="unsubscribed", since=event.at)
    return state.model_copy(update=update)


def replay(shop: str, phone: str, events: Iterable[ConsentEvent]) -> SubscriberState:
    state = SubscriberState(shop=shop, phone=phone)
    for event in sorted(events, key=lambda e: (e.recorded_at or e.at, e.event_id)):
        state = apply(state, event)
    return state


def disclosure_version(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def suppression_key(shop: str, phone: str) -> str:
    """The hashed identity kept in the suppression list after everything else is erased (A8.2)."""
    return hashlib.sha256(f"{shop}|{phone}".encode()).hexdigest()


_REQUIRED_DISCLOSURE = (
    (re.compile(r"msg\s*(&|and)\s*data\s+rates\s+may\s+apply", re.I), "'Msg & data rates may apply'"),
    (re.compile(r"\bSTOP\b"), "STOP instructions"),
    (re.compile(r"\bHELP\b"), "HELP instructions"),
    (
        re.compile(r"(msgs?|messages?)\s*/\s*(mo|month|wk|week|day)|recurring|per\s+(month|week)", re.I),
        "frequency",
    ),
    (re.compile(r"\bterms\b", re.I), "a link to the Terms"),
    (re.compile(r"\bprivacy\b", re.I), "a link to the Privacy Policy"),
)


def check_disclosure(text: str, brand: str) -> None:
    """A3.1: the call to action must show brand, frequency, rates, HELP, STOP, Terms and Privacy."""
    missing = [what for pattern, what in _REQUIRED_DISCLOSURE if not pattern.search(text)]
    if brand.casefold() not in text.casefold():
        missing.insert(0, f"the brand name '{brand}'")
    if missing:
        raise BadRequest("the disclosure shown is missing " + ", ".join(missing) + " (RULES.md A3.1)")
