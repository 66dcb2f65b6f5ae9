"""Use case: write a consent change smsflows recorded back to Shopify (the smsflows/consent_sync event).

`subscriptions.record_and_announce` puts the event on the shop-events queue for every change whose source is
not Shopify itself (`consent_sync_message`); this writes it with customerSmsMarketingConsentUpdate, with
`consentUpdatedAt` = when consent was given or withdrawn. The queue gives the retries: a throttled or
unavailable Shopify raises (TransientError), and the event comes back later; what retrying cannot change
(no token stored, access denied, no such customer, userErrors) ends here with an outcome saying so.

Order: events may be handled out of order (SQS), so a write is made only while the subscriber's current
status is still the one it writes: an opt-in overtaken by a STOP is not written (the STOP's own event
writes UNSUBSCRIBED). And after an opt-in is written, the status is read again: a STOP recorded meanwhile
(its write may have gone first) is written once more, last. If in doubt, the opt-out wins.

Loop: before writing, the write is noted (`ConsentEchoes`), so the customers_marketing_consent/update
webhook that echoes it is recognised in `subscriptions.shopify_consent_update` and not applied again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from smsflows.domain.consent.ledger import SubscriberState
from smsflows.domain.shopify import admin_api
from smsflows.ports import ConsentEchoes, ConsentStore, ShopifyAdmin
from smsflows.runtime.clock import Clock
from smsflows.runtime.errors import ShopifyAccessDenied, ShopifyNotConnected, ShopifyUserErrors

# Which subscriber status each written state stands for.
STATUS_OF = {"SUBSCRIBED": "subscribed", "UNSUBSCRIBED": "unsubscribed", "PENDING": "pending"}
NO_CUSTOMER = "no Shopify customer with this phone"


class ConsentSync(BaseModel):
    """The body of a smsflows/consent_sync event (`subscriptions.consent_sync_message`)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    phone: str = Field(pattern=r"^\+[1-9]\d{6,14}$")
    state: Literal["SUBSCRIBED", "UNSUBSCRIBED", "PENDING"]
    opt_in_level: Literal["SINGLE_OPT_IN", "CONFIRMED_OPT_IN", "UNKNOWN"] | None = None
    consent_updated_at: AwareDatetime
    event_id: str
    customer_id: str | None = Field(None, max_length=100)


@dataclass(frozen=True)
class SyncOutcome:
    written: bool
    detail: str


@dataclass
class ConsentSyncDeps:
    admin: ShopifyAdmin | None
    store: ConsentStore
    echoes: ConsentEchoes | None
    clock: Clock


def sync_consent(shop: str, sync: ConsentSync, deps: ConsentSyncDeps) -> SyncOutcome:
    """Write `sync` to the shop's customer in Shopify, if it still holds (see the module's docstring)."""
    if deps.admin is None:
        return SyncOutcome(False, "not synced: the Shopify Admin API is not configured here")
    wanted = STATUS_OF[sync.state]
    state = deps.store.state(shop, sync.phone)
    if state is None or state.status != wanted:
        now = state.status if state else "none"
        return SyncOutcome(False, f"not synced: superseded (the status is {now} now, not {wanted})")
    try:
        customer = (
            sync.customer_id
            or state.customer_id
            or admin_api.find_customer_by_phone(deps.admin, shop, sync.phone)
        )
        if not customer:
            return SyncOutcome(False, NO_CUSTOMER)
        detail = _write(
            shop, customer, sync.state, sync.opt_in_level, sync.consent_updated_at, sync.phone, deps
        )
        if sync.state != "UNSUBSCRIBED":
            detail += _opt_out_since(shop, customer, sync.phone, deps)
        return SyncOutcome(True, detail)
    except ShopifyNotConnected:
        return SyncOutcome(False, "not synced: the shop is not connected (no Admin API access token stored)")
    except ShopifyAccessDenied as exc:
        return SyncOutcome(False, f"not synced: access denied ({exc})"[:300])
    except ShopifyUserErrors as exc:
        return SyncOutcome(False, f"not synced: Shopify refused it: {exc}"[:300])


def _write(
    shop: str, customer: str, state: str, level: str | None, at: datetime, phone: str, deps: ConsentSyncDeps
) -> str:
    assert deps.admin is not None
    if deps.echoes is not None:  # noted first: the echo may arrive before the write's answer does
        deps.echoes.note_write(shop, phone, state, at, deps.clock())
    admin_api.update_sms_consent(deps.admin, shop, customer, state, level, at)  # type: ignore[arg-type]
    return f"Shopify consent written: {state}" + (f" ({level})" if level else "")


def _opt_out_since(shop: str, customer: str, phone: str, deps: ConsentSyncDeps) -> str:
    """After an opt-in or a request was written: a STOP recorded meanwhile is written again, last."""
    now: SubscriberState | None = deps.store.state(shop, phone)
    if now is None or now.status != "unsubscribed":
        return ""
    _write(shop, customer, "UNSUBSCRIBED", None, now.since or deps.clock(), phone, deps)
    return "; then UNSUBSCRIBED again (a STOP came in meanwhile)"
