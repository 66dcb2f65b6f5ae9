"""In-memory implementations of the ports, for unit tests. A contract suite runs them against DynamoDB too."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from smsflows.domain.compliance.frequency import SendRecord
from smsflows.domain.consent.ledger import ConsentEvent, SubscriberState, suppression_key
from smsflows.domain.messages import OutboundMessage
from smsflows.domain.profiles import ProfileRecord
from smsflows.domain.shopify.records import InboxRecord, OrderRecord
from smsflows.domain.shops import ShopConfig
from smsflows.ports import ProviderReceipt, RecipientSnapshot, SendConditions, Sender
from smsflows.runtime.errors import ProviderError


class FakeInbox:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], InboxRecord] = {}

    def record(self, item: InboxRecord) -> bool:
        key = (item.shop, item.webhook_id)
        if key in self.items:
            return False
        self.items[key] = item
        return True

    def forget(self, shop: str, webhook_id: str) -> None:
        self.items.pop((shop, webhook_id), None)

    def get(self, shop: str, webhook_id: str) -> InboxRecord | None:
        return self.items.get((shop, webhook_id))

    def mark(self, shop: str, webhook_id: str, state: str, reason: str | None = None) -> None:
        item = self.items.get((shop, webhook_id))
        if item is not None:
            self.items[(shop, webhook_id)] = item.model_copy(update={"state": state, "reason": reason or ""})


class FakeQueue:
    def __init__(self, fail: Exception | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.fail = fail

    def send(self, body: Mapping[str, Any], *, delay_seconds: int = 0) -> None:
        if self.fail:
            raise self.fail
        self.sent.append(dict(body))


class FakeShopData:
    def __init__(self, consent: FakeConsentStore | None = None) -> None:
        self.orders: dict[tuple[str, str], OrderRecord] = {}
        self.profile_items: dict[tuple[str, str], ProfileRecord] = {}
        self.places: dict[tuple[str, str], tuple] = {}
        self.checkouts: dict[tuple[str, str], dict[str, Any]] = {}
        self.locks: dict[tuple[str, str, str], str] = {}
        self.consent = consent

    def set_tracking(self, shop, order_id, company, url) -> None:
        if (shop, order_id) in self.orders:
            self.orders[(shop, order_id)] = self.orders[(shop, order_id)].model_copy(
                update={"tracking_company": company, "tracking_url": url}
            )

    def save_checkout(self, checkout) -> None:
        old = self.checkouts.get((checkout.shop, checkout.token), {})
        self.checkouts[(checkout.shop, checkout.token)] = {**old, **checkout.model_dump()}

    def complete_checkout(self, shop, token, at) -> bool:
        if (shop, token) not in self.checkouts:
            return False
        self.checkouts[(shop, token)]["completed_at"] = at
        return True

    def swap_flow_lock(self, shop, flow, phone, execution):
        previous = self.locks.get((shop, flow, phone))
        self.locks[(shop, flow, phone)] = execution
        return previous if previous and previous != execution else None

    def profiles(self, shop):
        return [p for (s, _), p in self.profile_items.items() if s == shop]

    def get_profile(self, shop, customer_key):
        return self.profile_items.get((shop, customer_key))

    def set_birthday(self, shop, customer_key, birthday):
        old = self.profile_items.get((shop, customer_key))
        base = (
            old.model_dump()
            if old
            else {"shop": shop, "customer_key": customer_key, "updated_at": datetime.now()}
        )
        self.profile_items[(shop, customer_key)] = ProfileRecord.model_validate(
            {**base, "birthday": birthday}
        )

    def add_restock(self, shop, variant_id, phone, product, url):
        self.restocks = getattr(self, "restocks", {})
        self.restocks.setdefault((shop, variant_id), {})[phone] = {
            "phone": phone,
            "product": product,
            "url": url,
        }

    def take_restocks(self, shop, variant_id):
        return list(getattr(self, "restocks", {}).pop((shop, variant_id), {}).values())

    def flow_snapshot(self, shop, phone, customer_key):
        state = self.consent.state(shop, phone) if self.consent else None
        return state, self.profile_items.get((shop, customer_key)) if customer_key else None

    def save_order(self, order: OrderRecord, profile: ProfileRecord, places=()) -> None:
        if profile.phone and places:
            self.places[(profile.shop, profile.phone)] = tuple(places)
        self.orders[(order.shop, order.order_id)] = order
        key = (profile.shop, profile.customer_key)
        old = self.profile_items.get(key)
        if old is not None:  # None fields keep what was known, as the DynamoDB adapter does
            merged = old.model_dump()
            merged.update({k: v for k, v in profile.model_dump().items() if v is not None})
            if profile.phone_status == "missing":
                merged["phone_status"] = old.phone_status
            profile = ProfileRecord.model_validate(merged)
        self.profile_items[key] = profile

    def get_order(self, shop: str, order_id: str) -> OrderRecord | None:
        return self.orders.get((shop, order_id))


class FakeFlows:
    def __init__(self) -> None:
        self.started: dict[str, tuple[str, dict[str, Any]]] = {}
        self.stopped: list[str] = []

    def start(self, flow: str, name: str, payload: Mapping[str, Any]) -> bool:
        if name in self.started:
            return False
        self.started[name] = (flow, dict(payload))
        return True

    def stop(self, flow: str, name: str, cause: str) -> int:
        if name in self.started and name not in self.stopped:
            self.stopped.append(name)
            return 1
        return 0

    def stop_all_for_shop(self, shop: str, cause: str) -> int:
        from smsflows.domain.flows.definitions import shop_tag

        names = [n for n in self.started if f"-{shop_tag(shop)}-" in n and n not in self.stopped]
        self.stopped += names
        return len(names)

    def stop_subject(self, shop: str, names, phones, customer_keys, cause: str) -> int:
        from smsflows.domain.flows.definitions import shop_tag

        def about(name: str) -> bool:
            context = self.started[name][1].get("context") or {}
            return name in names or context.get("phone") in phones or context.get("customer_key") in customer_keys

        hits = [n for n in self.started if f"-{shop_tag(shop)}-" in n and n not in self.stopped and about(n)]
        self.stopped += hits
        return len(hits)


class FakeConsentStore:
    def __init__(self) -> None:
        self.states: dict[tuple[str, str], SubscriberState] = {}
        self.ledger: dict[tuple[str, str], list[ConsentEvent]] = {}
        self.suppressed: set[str] = set()
        self._lock = threading.Lock()

    def state(self, shop: str, phone: str) -> SubscriberState | None:
        return self.states.get((shop, phone))

    def append(self, event: ConsentEvent, new_state: SubscriberState, expected_version: int) -> str:
        with self._lock:
            events = self.ledger.setdefault((event.shop, event.phone), [])
            if any(e.event_id == event.event_id for e in events):
                return "duplicate"
            current = self.states.get((event.shop, event.phone))
            if (current.version if current else 0) != expected_version:
                return "conflict"
            events.append(event)
            if current is not None:  # addresses are not part of the consent projection
                new_state = new_state.model_copy(update={"addresses": current.addresses})
            self.states[(event.shop, event.phone)] = new_state
            hashed = suppression_key(event.shop, event.phone)
            if event.kind == "opt_out":
                self.suppressed.add(hashed)
            elif event.kind in ("opt_in", "opt_in_confirmed"):
                self.suppressed.discard(hashed)
            return "ok"

    def events(self, shop: str, phone: str) -> list[ConsentEvent]:
        return list(self.ledger.get((shop, phone), []))

    def is_suppressed(self, shop: str, phone: str) -> bool:
        return suppression_key(shop, phone) in self.suppressed


class FakeShopConfigs:
    def __init__(self, *configs: ShopConfig) -> None:
        self.configs = {c.shop: c for c in configs}

    def get(self, shop: str) -> ShopConfig | None:
        return self.configs.get(shop)

    def put(self, config: ShopConfig) -> None:
        self.configs[config.shop] = config

    def shop_for_sender(self, sender: str) -> str | None:
        return next((c.shop for c in self.configs.values() if sender in c.senders), None)

    def all(self) -> list[ShopConfig]:
        return list(self.configs.values())


class FakeConversations:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def add(self, shop, phone, message_sid, body, at, kind, rating=None, review=False) -> bool:
        if message_sid in self.items:
            return False
        self.items[message_sid] = dict(
            shop=shop, phone=phone, body=body, kind=kind, rating=rating, review=review
        )
        return True


class FakeMessageLog:
    """The message claims, plus the frequency history; reads consent from a FakeConsentStore."""

    def __init__(self, consent: FakeConsentStore | None = None) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.consent = consent or FakeConsentStore()
        self.history: dict[tuple[str, str], tuple[int, list[SendRecord]]] = {}
        self._lock = threading.Lock()

    def snapshot(self, shop: str, phone: str) -> RecipientSnapshot:
        version, history = self.history.get((shop, phone), (0, []))
        return RecipientSnapshot(
            state=self.consent.state(shop, phone),
            suppressed=self.consent.is_suppressed(shop, phone),
            history=list(history),
            history_version=version,
            unreachable=(shop, phone) in getattr(self, "unreachable", set()),
        )

    def begin(
        self, message: OutboundMessage, now: datetime, conditions: SendConditions | None = None
    ) -> str | None:
        c = conditions or SendConditions()
        with self._lock:
            old = self.items.get(message.message_id)
            if old is not None and old["state"] != "retry":
                return str(old["state"])
            state = self.consent.state(message.shop, message.to)
            if c.require_subscribed and (
                state is None or not state.subscribed or state.version != c.state_version
            ):
                return "consent_changed"
            if c.forbid_unsubscribed and state is not None and state.status == "unsubscribed":
                return "consent_changed"
            if c.frequency is not None:
                expected, new_history = c.frequency
                version, _ = self.history.get((message.shop, message.to), (0, []))
                if version != expected:
                    return "frequency_conflict"
                self.history[(message.shop, message.to)] = (version + 1, list(new_history))
            self.items[message.message_id] = {"state": "sending", "to": message.to}
            return None

    def release(self, message_id: str, reason: str) -> None:
        self.items[message_id].update(state="retry", reason=reason)

    def mark_unreachable(self, shop, phone, reason, now) -> None:
        self.unreachable = getattr(self, "unreachable", set()) | {(shop, phone)}

    def complete(self, message_id: str, receipt: ProviderReceipt, now: datetime, extra=None) -> None:
        self.items[message_id].update(
            state="sent", sid=receipt.sid, segments=receipt.segments, **(extra or {})
        )

    def fail(self, message_id: str, code: int | None, reason: str, now: datetime) -> None:
        self.items.setdefault(message_id, {}).update(state="failed", error_code=code, reason=reason)


class FakeProvider:
    """Records sends; `errors` are raised, one per call, before succeeding."""

    def __init__(self, errors: list[ProviderError] | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.errors = list(errors or [])

    def send(self, *, to: str, body: str, sender: Sender, status_callback: str | None) -> ProviderReceipt:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append({"to": to, "body": body, "sender": sender})
        return ProviderReceipt(sid=f"SM{len(self.sent):032d}", status="queued", segments=1)
