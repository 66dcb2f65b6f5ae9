"""A number's consent with its proof, and an opt-out by hand."""

from __future__ import annotations

from typing import Any

from smsflows.admin.errors import BadValue, one_line
from smsflows.admin.target import deps, shop_configs

PHONE_FORM = "give it in E.164, e.g. +15125550123 (or a national number of the shop's country)"


def consent_phone(shop: str, phone: str) -> str:
    """The E.164 form of `phone` as the consent records key it (any possible number: one that revoked may be
    one we never text); BadValue naming --phone if it is not a phone number."""
    from smsflows.domain.phones import inbound_sender

    config = shop_configs().get(shop)
    sender = inbound_sender(phone, config.default_country if config else "US")
    if sender.kind != "phone" or sender.address is None:
        raise BadValue(f"--phone: {phone!r} is not a phone number: {PHONE_FORM}")
    return sender.address


def consent_show(shop: str, phone: str) -> dict[str, Any]:
    e164 = consent_phone(shop, phone)
    store = deps().consent_store
    state = store.state(shop, e164)
    return {
        "shop": shop,
        "phone": e164,
        "state": state.model_dump(mode="json") if state else None,
        "suppressed": store.is_suppressed(shop, e164),
        "events": [e.model_dump(mode="json", exclude_none=True) for e in store.events(shop, e164)],
    }


def consent_opt_out(shop: str, phone: str, note: str) -> dict[str, Any]:
    """Record an opt-out by hand (the ledger keeps `note`), as the handlers record a STOP."""
    from smsflows.domain.consent.subscriptions import manual_opt_out
    from smsflows.runtime.errors import BadRequest

    consent_phone(shop, phone)
    try:
        recorded = manual_opt_out(shop, phone, note, deps().consent)
    except BadRequest as exc:
        raise BadValue(f"--phone: {one_line(exc)}: {PHONE_FORM}") from None
    return {"phone": recorded.after.phone, "status": recorded.after.status, "was": recorded.before.status}
