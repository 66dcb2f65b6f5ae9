"""Shopify's mandatory privacy webhooks: data requests, customer and shop redaction, uninstall.

What is kept after a redaction, and why (RULES.md A8.2, GDPR Art. 17(3)(b) and (e)):
- the consent ledger (opt-ins with their proof, opt-outs): evidence for legal claims, kept >= 4 years
  after the last message sent under that consent;
- the hashed suppression entry (sha256 of shop and phone, no other data): Virginia requires honouring a
  STOP for 10 years, and a redacted customer must not be texted again by mistake.
Everything else about the customer (profile, orders, conversations, message recipients, frequency
history, the subscriber state) is erased. Raw webhook bodies expire on their own 30 days after receipt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from smsflows.domain.flows import definitions
from smsflows.domain.phones import normalize_phone
from smsflows.domain.shops import ShopConfig, country_of_shop
from smsflows.ports import FlowStarter, ShopConfigs
from smsflows.runtime.clock import Clock


class PrivacyStore(Protocol):
    def collect(
        self, shop: str, customer_id: str | None, phones: list[str], order_ids: list[str]
    ) -> dict[str, Any]:
        """Everything held about the subject, grouped by kind."""

    def phones_of(self, shop: str, customer_id: str) -> list[str]: ...

    def save_export(self, shop: str, request_id: str, payload: dict[str, Any]) -> None: ...

    def load_export(self, shop: str, request_id: str) -> dict[str, Any] | None: ...

    def erase_subject(
        self,
        shop: str,
        customer_id: str | None,
        phones: list[str],
        order_ids: list[str],
        mentions: Sequence[str] = (),
    ) -> int:
        """Erase what A8.2 does not require us to keep, and empty the stored webhook bodies that contain any
        of `mentions` (the subject's phone numbers, e-mail, customer id); how many items were erased or
        scrubbed."""

    def erase_shop(self, shop: str) -> int: ...


@dataclass
class PrivacyDeps:
    store: PrivacyStore
    shops: ShopConfigs
    flows: FlowStarter
    clock: Clock


def _subject(shop: str, payload: dict[str, Any], deps: PrivacyDeps) -> tuple[str | None, list[str]]:
    customer = payload.get("customer") or {}
    customer_id = str(customer["id"]) if customer.get("id") is not None else None
    # Mandatory for every shop, onboarded or not: a shop with no config reads numbers as the default does.
    phones = set(deps.store.phones_of(shop, customer_id)) if customer_id else set()
    given = normalize_phone(customer.get("phone"), country_of_shop(deps.shops.get(shop)))
    if given.usable and given.e164:
        phones.add(given.e164)
    return customer_id, sorted(phones)


def data_request(shop: str, payload: dict[str, Any], deps: PrivacyDeps) -> str:
    customer_id, phones = _subject(shop, payload, deps)
    orders = [str(o) for o in payload.get("orders_requested") or []]
    request_id = str((payload.get("data_request") or {}).get("id") or "unknown")
    data = deps.store.collect(shop, customer_id, phones, orders)
    deps.store.save_export(
        shop,
        request_id,
        {
            "shop": shop,
            "customer_id": customer_id,
            "request_id": request_id,
            "made_at": deps.clock().isoformat(),
            "data": data,
        },
    )
    return f"export {request_id} ready ({sum(len(v) for v in data.values())} records)"


def redact_customer(shop: str, payload: dict[str, Any], deps: PrivacyDeps) -> str:
    customer_id, phones = _subject(shop, payload, deps)
    orders = [str(o) for o in payload.get("orders_to_redact") or []]
    # Every running flow about this person, whatever it is named after: orders by name, the rest (welcome
    # by phone, abandoned checkout by token, browse and win-back by customer) by the phone or customer key
    # their executions were started with.
    names = {
        definitions.execution_name(flow, shop, order_id)
        for order_id in orders
        for flow in definitions.STATE_MACHINE_FLOWS.values()
    }
    customer_keys = {f"phone:{p}" for p in phones} | {f"order:{o}" for o in orders}
    if customer_id:
        customer_keys.add(f"customer:{customer_id}")
    stopped = deps.flows.stop_subject(shop, names, set(phones), customer_keys, "customer redacted")
    erased = deps.store.erase_subject(
        shop, customer_id, phones, orders, _mentions(payload, customer_id, phones)
    )
    return f"erased {erased} records, stopped {stopped} flows; consent evidence and hashed suppression kept"


def _mentions(payload: dict[str, Any], customer_id: str | None, phones: list[str]) -> list[str]:
    """What, in a raw webhook body, identifies the subject: phones as given and as E.164, the e-mail, the
    customer id as Shopify's JSON writes it."""
    customer = payload.get("customer") or {}
    found = {str(customer[k]) for k in ("email", "phone") if customer.get(k)} | set(phones)
    if customer_id:
        found |= {f'"id":{customer_id}', f'"id": {customer_id}', f'"customer_id":{customer_id}'}
    return sorted(m for m in found if len(m) >= 5)


def uninstalled(shop: str, deps: PrivacyDeps) -> str:
    """Stop sending at once and stop every flow; the data goes with shop/redact (48 h later, per Shopify).
    A shop nobody onboarded gets no record (it would look like a shop that once was), and a redacted one
    stays redacted."""
    config = deps.shops.get(shop)
    marked = config is not None and config.status != "redacted"
    if config is not None and marked:  # first: the sender stops at once, before the flows are reached
        deps.shops.put(config.model_copy(update={"status": "uninstalled"}))
    stopped = deps.flows.stop_all_for_shop(shop, "app uninstalled")
    if not marked:
        state = "not onboarded" if config is None else "redacted"
        return f"shop {state}: nothing to mark, {stopped} flows stopped"
    return f"shop marked uninstalled, {stopped} flows stopped"


def redact_shop(shop: str, deps: PrivacyDeps) -> str:
    stopped = deps.flows.stop_all_for_shop(shop, "shop redacted")
    erased = deps.store.erase_shop(shop)
    # Nothing of the old config is kept (brand, senders, contacts): only that the shop is redacted.
    deps.shops.put(ShopConfig(shop=shop, status="redacted"))
    return f"erased {erased} records, stopped {stopped} flows; consent evidence and hashed suppressions kept"
