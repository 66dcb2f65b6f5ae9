"""In-memory implementations of the ports, for unit tests. tests/contracts holds each of them, and the real
adapter (under moto), to the same contract."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from smsflows import ports
from smsflows.domain.analytics import counters
from smsflows.domain.compliance.frequency import SendRecord
from smsflows.domain.consent.ledger import ConsentEvent, SubscriberState, suppression_key
from smsflows.domain.messages import OutboundMessage
from smsflows.domain.profiles import ProfileRecord
from smsflows.domain.sending.delivery import StatusUpdate
from smsflows.domain.sending.pacing import Fold
from smsflows.domain.shopify.records import STALE_ACCEPTING, InboxRecord, OrderRecord
from smsflows.domain.shops import ShopConfig
from smsflows.ports import ProviderReceipt, RecipientSnapshot, SendConditions, Sender
from smsflows.runtime.errors import ProviderError


class FakeInbox:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], InboxRecord] = {}

    def record(self, item: InboxRecord, stale_after: timedelta = STALE_ACCEPTING) -> bool | str:
        key = (item.shop, item.webhook_id)
        old = self.items.get(key)
        if old is not None:
            if old.state != "accepting":
                return False
            if old.received_at >= item.received_at - stale_after:
                return "in_progress"
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

    def ignored(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = [
            {"shop": i.shop, "webhook_id": i.webhook_id, "topic": i.topic,
             "received_at": i.received_at.isoformat(), "reason": i.reason}
            for i in self.items.values()
            if i.state == "ignored" and (i.reason or "").startswith("shop_")
        ]  # fmt: skip
        return sorted(rows, key=lambda r: str(r["received_at"]), reverse=True)[:limit]


class FakeQueue:
    """Records what is sent as SqsQueue sends it: `sent` the bodies as the consumer reads them back (through
    JSON), `delays` the delay of each, in the same order (clamped to SQS's 0..900 seconds)."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.delays: list[int] = []
        self.fail = fail

    def send(self, body: Mapping[str, Any], *, delay_seconds: int = 0) -> None:
        if self.fail:
            raise self.fail
        self.sent.append(json.loads(json.dumps(body, separators=(",", ":"))))
        self.delays.append(max(0, min(900, delay_seconds)))

    def send_batch(self, bodies: Sequence[Mapping[str, Any]], delays: Sequence[int] | None = None) -> None:
        """As SqsQueue sends them: ten per request (`batches`: the size of each request), each with its own
        delay if `delays` is given."""
        if delays is not None and len(delays) != len(bodies):
            raise ValueError("one delay per body")
        if self.fail:
            raise self.fail
        self.batches = getattr(self, "batches", [])
        for i in range(0, len(bodies), 10):
            self.batches.append(len(bodies[i : i + 10]))
            for n, body in enumerate(bodies[i : i + 10], i):
                self.send(body, delay_seconds=delays[n] if delays is not None else 0)


class FakeShopData:
    def __init__(self, consent: FakeConsentStore | None = None) -> None:
        self.orders: dict[tuple[str, str], OrderRecord] = {}
        self.profile_items: dict[tuple[str, str], ProfileRecord] = {}
        self.places: dict[tuple[str, str], tuple] = {}
        self.checkouts: dict[tuple[str, str], dict[str, Any]] = {}
        self.locks: dict[tuple[str, str, str], str] = {}
        self.consent = consent

    def set_tracking(self, shop, order_id, company, url) -> None:
        if (shop, order_id) in self.orders:  # an unknown value (None) keeps what was known
            known = {"tracking_company": company, "tracking_url": url}
            self.orders[(shop, order_id)] = self.orders[(shop, order_id)].model_copy(
                update={k: v for k, v in known.items() if v is not None}
            )

    def save_checkout(self, checkout) -> None:
        # an update, as in DynamoDB: a late checkouts/update keeps completed_at and what it does not say
        old = self.checkouts.get((checkout.shop, checkout.token), {})
        known = {k: v for k, v in checkout.model_dump().items() if v is not None}
        self.checkouts[(checkout.shop, checkout.token)] = {**old, **known}

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

    def profiles_page(self, shop, cursor=None, limit=500):
        """As the by_shop index pages them: in key order, and a cursor whenever the page is full (DynamoDB
        returns one when the Limit is reached, so the last page may come back empty)."""
        if not 1 <= limit <= 1000:
            raise ValueError(f"a page of 1 to 1000 profiles, not {limit}")
        prefix = f"PROFILE#{shop}#"
        after = ""
        if cursor is not None:
            if (
                not isinstance(cursor, Mapping)
                or set(cursor) != {"shop", "pk", "sk"}
                or not all(isinstance(v, str) for v in cursor.values())
                or cursor["shop"] != shop
                or not cursor["pk"].startswith(prefix)
                or cursor["sk"] != "PROFILE"
            ):
                raise ValueError("malformed profiles cursor")
            after = cursor["pk"]
        keyed = sorted((prefix + key, p) for (s, key), p in self.profile_items.items() if s == shop)
        page = [(pk, p) for pk, p in keyed if pk > after][:limit]
        self.pages_read = getattr(self, "pages_read", 0) + 1
        last = {"shop": shop, "pk": page[-1][0], "sk": "PROFILE"} if len(page) == limit else None
        return [p for _, p in page], last

    def profiles_cursor(self, shop, customer_key):
        return {"shop": shop, "pk": f"PROFILE#{shop}#{customer_key}", "sk": "PROFILE"}

    def daily_page_done(self, shop, page_id):
        return (shop, page_id) in getattr(self, "daily_pages", {})

    def mark_daily_page_done(self, shop, page_id, at):
        self.daily_pages = getattr(self, "daily_pages", {})
        self.daily_pages[(shop, page_id)] = at

    def get_profile(self, shop, customer_key):
        return self.profile_items.get((shop, customer_key))

    def set_birthday(self, shop, customer_key, birthday, at=None):
        old = self.profile_items.get((shop, customer_key))
        base = (
            old.model_dump()
            if old
            else {"shop": shop, "customer_key": customer_key, "updated_at": at or datetime.now(UTC)}
        )
        self.profile_items[(shop, customer_key)] = ProfileRecord.model_validate(
            {**base, "birthday": birthday or ""}  # cleared as the DynamoDB adapter clears it
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
            if self.consent is not None:  # one table in DynamoDB: the places are on the subscriber state
                self.consent.note_places(profile.shop, profile.phone, tuple(places), profile.customer_id)
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
    """Step Functions as StepFunctionsFlowStarter uses it: one state machine per flow (those of
    definitions.STATE_MACHINE_FLOWS unless told otherwise), executions named deterministically; `started`
    maps every execution name to (flow, input), `stopped` lists the executions stopped, in order."""

    def __init__(self, flows: Iterable[str] | None = None) -> None:
        from smsflows.domain.flows.definitions import STATE_MACHINE_FLOWS

        self.flows = frozenset(STATE_MACHINE_FLOWS if flows is None else flows)
        self.started: dict[str, tuple[str, dict[str, Any]]] = {}
        self.stopped: list[str] = []

    def start(self, flow: str, name: str, payload: Mapping[str, Any]) -> bool:
        if flow not in self.flows:
            raise LookupError(f"no state machine configured for flow {flow!r}")
        if name in self.started:
            return False
        self.started[name] = (flow, dict(payload))
        return True

    def stop(self, flow: str, name: str, cause: str) -> int:
        # an execution is found under its own flow's state machine only
        if name in self.started and self.started[name][0] == flow and name not in self.stopped:
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
            return (
                name in names
                or context.get("phone") in phones
                or context.get("customer_key") in customer_keys
            )

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
            if event.recorded_at is None:  # the ledger's replay order: when it got the event
                event = event.model_copy(update={"recorded_at": event.at})
            events.append(event)
            # addresses are not part of the consent projection: they come from orders (FakeShopData)
            addresses = current.addresses if current is not None else ()
            self.states[(event.shop, event.phone)] = new_state.model_copy(update={"addresses": addresses})
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

    def note_places(
        self,
        shop: str,
        phone: str,
        places: tuple[tuple[str | None, str | None, str], ...],
        customer_id: str | None,
    ) -> None:
        """Where the phone's owner may be (from an order), on the subscriber state; consent untouched."""
        with self._lock:
            current = self.states.get((shop, phone)) or SubscriberState(shop=shop, phone=phone)
            update: dict[str, Any] = {"addresses": tuple(tuple(p) for p in places)}
            if customer_id is not None:
                update["customer_id"] = customer_id
            self.states[(shop, phone)] = current.model_copy(update=update)


class FakeShopConfigs:
    def __init__(self, *configs: ShopConfig) -> None:
        self.configs: dict[str, ShopConfig] = {}
        self.senders: dict[str, str] = {}  # sender -> shop: the shop that put it last owns it
        for config in configs:
            self.put(config)

    def get(self, shop: str) -> ShopConfig | None:
        return self.configs.get(shop)

    def put(self, config: ShopConfig) -> None:
        old = self.configs.get(config.shop)
        for sender in set(old.senders if old else ()) - set(config.senders):
            self.senders.pop(sender, None)
        self.senders.update(dict.fromkeys(config.senders, config.shop))
        self.configs[config.shop] = config

    def shop_for_sender(self, sender: str) -> str | None:
        return self.senders.get(sender)

    def delete(self, shop: str) -> bool:
        return self.configs.pop(shop, None) is not None  # its senders stay its own, as in DynamoShopConfigs

    def all(self) -> list[ShopConfig]:
        return sorted(self.configs.values(), key=lambda c: c.shop)  # the list of shops is in shop order


class FakeConversations:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def add(self, shop, phone, message_sid, body, at, kind, rating=None, review=False) -> bool:
        if message_sid in self.items:
            return False
        self.items[message_sid] = dict(
            shop=shop,
            phone=phone,
            body=body[:1600],
            at=at.isoformat(),
            kind=kind,
            rating=rating,
            review=review,
        )
        return True


class FakeTokenBuckets:
    """The TokenBuckets port in memory, as DynamoTokenBuckets keeps it: the pointers (`tat`, `backlog`) and
    the daily counters are shared by every container (`other_container()`), at DynamoDB's precision (the
    adapter writes 6 decimals); whether a bucket looked idle is each container's own hint."""

    def __init__(self, shared: FakeTokenBuckets | None = None) -> None:
        self.tat: dict[str, float] = shared.tat if shared else {}
        self.backlog: dict[str, float] = shared.backlog if shared else {}
        self.daily: dict[tuple[str, str], int] = shared.daily if shared else {}
        self._lock: threading.RLock = shared._lock if shared else threading.RLock()
        self._busy: dict[str, bool] = {}  # per bucket pointer: was it booked ahead when last touched?
        self.writes = 0

    def other_container(self) -> FakeTokenBuckets:
        """Another Lambda container: the same buckets, its own hints."""
        return FakeTokenBuckets(self)

    def _advance(self, pointers: dict[str, float], bucket: str, seconds: float, floor: float,
                 limit: float | None, hint: str) -> float | None:  # fmt: skip
        with self._lock:
            self.writes += 1
            current = pointers.get(bucket)
            if current is None or current < _dec(floor):  # idle: restarts at the floor
                pointers[bucket] = _dec(floor + seconds)
                self._busy[hint] = False
                return floor
            self._busy[hint] = True
            if limit is not None and current > _dec(limit):
                return None  # booked beyond the horizon
            pointers[bucket] = _dec(current + _dec(seconds))
            return current

    def reserve(self, bucket: str, seconds: float, now: float, horizon: float) -> float | None:
        return self._advance(self.tat, bucket, seconds, now, now + horizon - seconds, f"tat:{bucket}")

    def ticket(self, bucket: str, seconds: float, floor: float) -> float:
        start = self._advance(self.backlog, bucket, seconds, floor, None, f"backlog:{bucket}")
        assert start is not None
        return start

    def count_daily(self, brand: str, day: str, segments: int, cap: int) -> bool:
        with self._lock:
            self.writes += 1
            used = self.daily.get((brand, day), 0)
            if used + segments > cap:
                return False
            self.daily[(brand, day)] = used + segments
            return True

    def give_back(self, bucket: str, start: float, end: float) -> None:
        with self._lock:
            self.writes += 1
            if self.tat.get(bucket) == _dec(end):
                self.tat[bucket] = _dec(start)

    def looks_idle(self, bucket: str) -> bool:
        return not self._busy.get(f"tat:{bucket}", False)

    def note_busy(self, bucket: str) -> None:
        self._busy[f"tat:{bucket}"] = True

    def fold_refusal(self, fold: Fold) -> str | None:
        """Why a reservation folded into a claim cannot be booked ('pacing_busy', 'daily_cap'), or None."""
        with self._lock:
            current = self.tat.get(fold.bucket)
            if current is not None and current >= _dec(fold.start):
                return "pacing_busy"
            if fold.daily is not None:
                brand, day, segments, cap = fold.daily
                if self.daily.get((brand, day), 0) + segments > cap:
                    return "daily_cap"
            return None

    def book_fold(self, fold: Fold) -> None:
        with self._lock:
            self.tat[fold.bucket] = _dec(fold.end)
            if fold.daily is not None:
                brand, day, segments, _ = fold.daily
                self.daily[(brand, day)] = self.daily.get((brand, day), 0) + segments


def _dec(value: float) -> float:
    """A pointer as DynamoDB stores it (the adapter writes 6 decimals)."""
    return round(value, 6)


def _claimable(item: dict[str, Any]) -> bool:
    """A message record a new claim may replace (DynamoMessageLog's condition): released, replayed, or
    dead-lettered with no claim in doubt."""
    state = item.get("state")
    return state in ("retry", "queued", "deferred") or (
        state == "dead_lettered" and item.get("dead_lettered_from") != "sending"
    )


class FakeMessageLog:
    """The message log as DynamoMessageLog keeps it: one record per message id (the claim, then the delivery
    record), the frequency history and the unreachable numbers. Consent is read from a FakeConsentStore and
    folded pacing reservations are booked on FakeTokenBuckets: in DynamoDB they share the one table, and a
    claim checks and writes them in one transaction (all of it, or none of it)."""

    def __init__(
        self, consent: FakeConsentStore | None = None, buckets: FakeTokenBuckets | None = None
    ) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.consent = consent or FakeConsentStore()
        self.buckets = buckets or FakeTokenBuckets()
        self.history: dict[tuple[str, str], tuple[int, list[SendRecord]]] = {}
        self.unreachable: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.RLock()

    def snapshot(self, shop: str, phone: str) -> RecipientSnapshot:
        return self.snapshots([(shop, phone)])[0][(shop, phone)]

    def snapshots(
        self, recipients: list[tuple[str, str]], message_ids: list[str] | None = None
    ) -> tuple[dict[tuple[str, str], RecipientSnapshot], dict[str, str]]:
        with self._lock:
            out = {}
            for shop, phone in dict.fromkeys(recipients):
                version, history = self.history.get((shop, phone), (0, []))
                out[(shop, phone)] = RecipientSnapshot(
                    state=self.consent.state(shop, phone),
                    suppressed=self.consent.is_suppressed(shop, phone),
                    history=list(history),
                    history_version=version,
                    unreachable=(shop, phone) in self.unreachable,
                )
            states = {
                m: str(self.items[m].get("state"))
                for m in dict.fromkeys(message_ids or [])
                if m in self.items
            }
            return out, states

    def begin(
        self, message: OutboundMessage, now: datetime, conditions: SendConditions | None = None
    ) -> str | None:
        c = conditions or SendConditions()
        recipient = (message.shop, message.to)
        with self._lock:
            old = self.items.get(message.message_id)
            if old is not None and not _claimable(old):
                if old.get("state") == "dead_lettered":  # its last claim is in doubt: settled first
                    return self.replay(message.message_id, now) or "dead_lettered"
                return str(old.get("state", "unknown"))
            if c.require_subscribed or c.forbid_unsubscribed:
                state = self.consent.state(*recipient)
                if c.require_subscribed:
                    if (
                        state is None
                        or state.status != "subscribed"
                        or state.version != (c.state_version or 0)
                    ):
                        return "consent_changed"
                elif state is not None and state.status == "unsubscribed":
                    return "consent_changed"
            if c.frequency is not None and self.history.get(recipient, (0, []))[0] != c.frequency[0]:
                return "frequency_conflict"
            if c.pace is not None:
                refused = self.buckets.fold_refusal(c.pace)
                if refused is not None:
                    return refused
            # every condition holds: the claim and the reservations are written together
            self.items[message.message_id] = _plain(
                {
                    "type": "message",
                    "state": "sending",
                    "shop": message.shop,
                    "to": message.to,
                    "category": message.category,
                    "flow": message.flow,
                    "scope": counters.message_scope(message),
                    "claimed_at": now.isoformat(),
                    "body_hash": hashlib.sha256(message.body.encode()).hexdigest(),
                }
            )
            if c.frequency is not None:
                self.history[recipient] = (c.frequency[0] + 1, list(c.frequency[1]))
            if c.pace is not None:
                self.buckets.book_fold(c.pace)
            return None

    def _update(self, message_id: str, values: dict[str, Any]) -> None:
        """Set the given fields (None values are left as they are), creating the record if needed."""
        with self._lock:
            self.items.setdefault(message_id, {}).update(_plain(values))

    def release(self, message_id: str, reason: str) -> None:
        self._update(message_id, {"state": "retry", "reason": reason})

    def defer(self, message_id: str, reason: str, until: datetime, now: datetime) -> None:
        with self._lock:
            item = self.items.get(message_id)
            if item is not None and item.get("state") not in ("retry", "queued", "deferred"):
                return  # claimed since: left as it is
            self._update(
                message_id,
                {"state": "deferred", "reason": reason, "deferred_until": until.isoformat(),
                 "deferred_at": now.isoformat(), "deferrals": (item or {}).get("deferrals", 0) + 1},
            )  # fmt: skip

    def mark_in_doubt(self, message_id: str, reason: str) -> None:
        self._update(message_id, {"in_doubt": True, "reason": reason})

    def claim(self, message_id: str) -> dict[str, Any] | None:
        with self._lock:
            item = self.items.get(message_id)
            return dict(item) if item is not None else None

    def take_over(self, message_id: str, claimed_at: str, now: datetime) -> bool:
        with self._lock:
            item = self.items.get(message_id)
            if item is None or item.get("state") != "sending" or item.get("claimed_at") != claimed_at:
                return False
            item.pop("in_doubt", None)
            item.update(claimed_at=now.isoformat(), attempts=item.get("attempts", 0) + 1)
            return True

    def complete(self, message_id: str, receipt: ProviderReceipt, now: datetime, extra=None) -> None:
        self._update(
            message_id,
            {
                **(extra or {}),
                "state": "sent",
                "sid": receipt.sid,
                "provider_status": receipt.status,
                "segments": receipt.segments,
                "price": receipt.price,
                "sent_at": now.isoformat(),
            },
        )

    def fail(self, message_id: str, code: int | None, reason: str, now: datetime) -> None:
        self._update(
            message_id,
            {"state": "failed", "reason": reason, "error_code": code, "failed_at": now.isoformat()},
        )

    def mark_unreachable(self, shop: str, phone: str, reason: str, now: datetime) -> None:
        with self._lock:
            self.unreachable[(shop, phone)] = {"reason": reason, "since": now.isoformat()}

    def dead_letter(self, message_id: str, reason: str | None, now: datetime) -> bool:
        with self._lock:
            item = self.items.get(message_id)
            was = (item or {}).get("state")
            if was not in (None, "retry", "queued", "sending", "deferred"):
                return False  # sent, failed for good, or dead-lettered already
            values = {"state": "dead_lettered", "dead_lettered_from": was or "queued",
                      "dead_lettered_at": now.isoformat()}  # fmt: skip
            self._update(message_id, {**values, "reason": reason})
            return True

    def replay(self, message_id: str, now: datetime) -> str | None:
        with self._lock:
            item = self.items.get(message_id)
            if item is None or item.get("state") != "dead_lettered":
                return None
            state = "sending" if item.pop("dead_lettered_from", None) == "sending" else "queued"
            item.update(state=state, replayed_at=now.isoformat())
            return state

    def apply_status(self, update: StatusUpdate, now: datetime) -> ports.StatusApplied | None:
        with self._lock:
            item = self.items.get(update.message_id)
            # the message exists, is this provider message, and the status moves forward
            if item is None or item.get("sid", update.sid) != update.sid:
                return None
            if "delivery_rank" in item and not item["delivery_rank"] < update.rank:
                return None
            item.update(
                _plain(
                    {
                        "delivery_status": update.status,
                        "delivery_rank": update.rank,
                        "delivery_error": update.error_code,
                        "segments": update.segments,
                        "price": update.price,
                        "status_at": now.isoformat(),
                    }
                )
            )
            if not (item.get("to") and item.get("shop")):
                return None
            cost = item.get("cost_est")
            return ports.StatusApplied(str(item["shop"]), str(item["to"]), item.get("scope"),
                                       float(cost) if cost is not None else None)  # fmt: skip


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """What DynamoDB keeps of an item: no None values (the adapters skip them)."""
    return {k: v for k, v in values.items() if v is not None}


class FakeProvider:
    """Twilio as TwilioProvider presents it: a receipt per accepted message (status 'accepted' for a
    Messaging Service, 'queued' for a number; segments counted as Twilio counts them), the refusals the
    API gives for a bad request, and `find` over the most recent messages to a number.

    Records sends in `sent` ({to, body, sender}); `errors` are raised, one per call, before succeeding."""

    def __init__(
        self, errors: list[ProviderError] | None = None, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.sent: list[dict[str, Any]] = []
        self.accepted: list[tuple[datetime, str, str, ProviderReceipt]] = []  # (created, to, body, receipt)
        self.errors = list(errors or [])
        self.clock = clock or (lambda: datetime.now(UTC))
        self.warmed = 0

    def warm(self) -> None:
        self.warmed += 1

    def send(self, *, to: str, body: str, sender: Sender, status_callback: str | None) -> ProviderReceipt:
        from smsflows.local.fake_twilio import E164, twilio_segments

        if self.errors:
            raise self.errors.pop(0)
        if not (sender.messaging_service_sid or sender.from_number):
            raise ProviderError("no sender configured", code=None, status=None, retryable=False)
        for refused, code, why in (
            (not E164.match(to), 21211, f"The 'To' number {to} is not a valid phone number."),
            (not body, 21602, "Message body is required."),
            (len(body) > 1600, 21617, "The concatenated message body exceeds the 1600 character limit."),
        ):
            if refused:
                raise ProviderError(f"twilio {code}: {why}", code=code, status=400, retryable=False)
        self.sent.append({"to": to, "body": body, "sender": sender})
        receipt = ProviderReceipt(
            sid=f"SM{len(self.sent):032d}",
            status="accepted" if sender.messaging_service_sid else "queued",
            segments=twilio_segments(body).segments,
        )
        self.accepted.append((self.clock(), to, body, receipt))
        return receipt

    def find(self, *, to: str, body: str, since: datetime) -> ProviderReceipt | None:
        recent = [a for a in reversed(self.accepted) if a[1] == to][:50]  # what one listing page shows
        for created, _, sent_body, receipt in recent:
            # Twilio's date_created has whole seconds
            if sent_body == body and created.replace(microsecond=0) >= since:
                return receipt
        return None


class FakeOptInLimits:
    """The OptInLimits port in memory, as DynamoOptInLimits keeps it: each number's hold (who, until when, to
    the microsecond) and each source's count per window (keyed by the window's whole epoch second), behind a
    lock (one conditional write each). Nothing expires here: like the adapter, decisions read `held_until`
    and the window, never whether TTL has deleted a record."""

    def __init__(self) -> None:
        self.holds: dict[tuple[str, str], tuple[str, float]] = {}  # (shop, phone) -> (request_id, held_until)
        self.counts: dict[tuple[str, str, int], int] = {}  # (shop, source, window start) -> sign-ups
        self._lock = threading.Lock()

    def take_request(self, shop: str, phone: str, request_id: str, now: datetime, hold: timedelta) -> bool:
        with self._lock:
            held = self.holds.get((shop, phone))
            if held is not None and held[1] > _dec(now.timestamp()):
                return held[0] == request_id
            self.holds[(shop, phone)] = (request_id, _dec((now + hold).timestamp()))
            return True

    def count_source(
        self, shop: str, source: str, window_start: datetime, window: timedelta, limit: int
    ) -> bool:
        with self._lock:
            key = (shop, source, int(window_start.timestamp()))
            if self.counts.get(key, 0) >= limit:
                return False
            self.counts[key] = self.counts.get(key, 0) + 1
            return True


def shop_sender(shop: str) -> str:
    """A Messaging Service SID of the shop's own (MG and 32 hex digits, from the shop's name)."""
    return "MG" + hashlib.sha256(shop.encode()).hexdigest()[:32]


def onboarded_shop(shop: str = "demo-shop.myshopify.com", **overrides: Any) -> ShopConfig:
    """A shop onboarded as `smsflows shop add` onboards one: complete, valid settings through the onboarding
    use case (brand from the domain, support e-mail, Terms and Privacy, its own Messaging Service on a mid
    10DLC registration), then `overrides` (any ShopConfig field; `status` and `flows` too), checked whole
    as a change of settings is."""
    from smsflows.domain.messages import brand_from_shop
    from smsflows.domain.shopify.shop_settings import SETTABLE_FIELDS, check, onboard

    site = f"https://{shop.split('.', 1)[0]}.example"
    settings: dict[str, Any] = {
        "brand_name": brand_from_shop(shop),
        "support_contact": f"help@{shop.split('.', 1)[0]}.example",
        "terms_url": f"{site}/terms",
        "privacy_url": f"{site}/privacy",
        "senders": (shop_sender(shop),),
        "throughput": {"sender_type": "10dlc", "trust_tier": "mid"},
    }
    later = {k: overrides.pop(k) for k in list(overrides) if k not in SETTABLE_FIELDS or k == "status"}
    config = onboard(shop, {**settings, **overrides})
    if later:
        config = ShopConfig.model_validate({**config.model_dump(), **later})
        check(config)
    return config


def sign_up_deps(*configs: ShopConfig, clock: Callable[[], datetime]) -> Any:
    """ConsentDeps for the sign-up and opt-out use cases, every port a fake: the shops `configs`."""
    from smsflows.domain.consent.subscriptions import ConsentDeps

    return ConsentDeps(store=FakeConsentStore(), shops=FakeShopConfigs(*configs), send_queue=FakeQueue(),
                       conversations=FakeConversations(), clock=clock, restocks=FakeShopData(),
                       opt_in_limits=FakeOptInLimits())  # fmt: skip


class FakeMonotonic:
    """A monotonic clock (`time.monotonic`'s stand-in, e.g. the secrets store's), moved by the test."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeCampaigns:
    """The campaigns port in memory, versioned like DynamoCampaigns (a stale write raises StaleCampaign)."""

    def __init__(self) -> None:
        from smsflows.domain.campaigns.campaign import Campaign

        self.items: dict[tuple[str, str], tuple[Campaign, int]] = {}

    def put(self, campaign: Any, version: int = 0) -> int:
        from smsflows.adapters.campaigns import StaleCampaign, _stale

        stored = self.items.get((campaign.shop, campaign.id))
        if (stored[1] if stored else 0) != version:
            raise StaleCampaign(_stale(campaign, version))
        self.items[(campaign.shop, campaign.id)] = (campaign.model_copy(), version + 1)
        return version + 1

    def get(self, shop: str, campaign_id: str) -> Any:
        return self.items.get((shop, campaign_id))

    def list(self, shop: str) -> list[Any]:
        from smsflows.adapters.campaigns import newest_first

        return newest_first([c for (s, _), (c, _) in self.items.items() if s == shop])


# A disclosure that passes the sign-up checks (RULES.md A3.1) for the demo shop's brand.
SIGN_UP_DISCLOSURE = (
    "Get texts from Demo Shop: recurring automated marketing, up to 4 msgs/mo. Msg & data rates may apply. "
    "Reply HELP for help, STOP to cancel. Terms & Privacy at demo-shop.example"
)


class MovableClock:
    """An application clock the test moves (`clock.now = ...`)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class FakeCampaignRuns:
    """The campaign runs port in memory (progress guarded by its step, counters, assignments by phone)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.rows: dict[tuple[str, str], dict[str, tuple[str, Any]]] = {}

    def _item(self, shop: str, campaign_id: str, run: str) -> dict[str, Any]:
        return self.items.setdefault((shop, campaign_id, run), {"progress": None, "counters": {}})

    def get(self, shop: str, campaign_id: str, run: str) -> Any:
        from smsflows.adapters.campaigns import OUTCOMES
        from smsflows.domain.campaigns.fanout import Progress

        item = self.items.get((shop, campaign_id, run))
        if item is None:
            return None
        counters: dict[str, Any] = {o: item["counters"].get(o, 0) for o in sorted(OUTCOMES)}
        counters["last_sent_at"] = item["counters"].get("last_sent_at")
        counters["queued"] = item["counters"].get("queued")
        counters["audience"] = item.get("audience")
        return item["progress"] or Progress(), counters

    def advance(
        self,
        shop: str,
        campaign_id: str,
        run: str,
        expected_step: int,
        progress: Any,
        audience: str | None = None,
    ) -> bool:
        item = self.items.get((shop, campaign_id, run))
        stored = item["progress"].step if item and item["progress"] is not None else None
        if (stored is None and expected_step != 0) or (stored is not None and stored != expected_step):
            return False
        item = self._item(shop, campaign_id, run)
        item["progress"] = progress
        if audience is not None:
            item.setdefault("audience", audience)
        return True

    def queued(self, shop: str, campaign_id: str, run: str, step: int) -> None:
        self._item(shop, campaign_id, run)["counters"]["queued"] = step

    def count(
        self,
        shop: str,
        campaign_id: str,
        run: str,
        outcome: str,
        n: int = 1,
        at: Any = None,
        also: Sequence[str] = (),
    ) -> dict[str, int]:
        from smsflows.adapters.campaigns import OUTCOMES, _counter

        counters = self._item(shop, campaign_id, run)["counters"]
        for name in (outcome, *also):
            _counter(name)  # the same refusal of an outcome that is not counted
            counters[name] = counters.get(name, 0) + n
        if at is not None:
            counters[f"last_{outcome}_at"] = at.isoformat()
        return {name: int(counters.get(name, 0)) for name in OUTCOMES}

    def assign(self, shop: str, campaign_id: str, run: str, rows: Sequence[Any]) -> None:
        table = self.rows.setdefault((shop, campaign_id), {})
        for row in rows:
            table[row.phone] = (run, row)

    def assignments_of(self, shop: str, campaign_ids: Sequence[str], phone: str) -> dict[str, Any]:
        return {c: self.rows[(shop, c)][phone] for c in campaign_ids if phone in self.rows.get((shop, c), {})}

    def assignments(self, shop: str, campaign_id: str, cursor: Any = None, limit: int = 1000) -> Any:
        table = self.rows.get((shop, campaign_id), {})
        phones = sorted(table)
        if cursor is not None:
            pk = f"CAMPASSIGN#{shop}#{campaign_id}"
            if set(cursor) != {"pk", "sk"} or cursor.get("pk") != pk:
                raise ValueError("cursor: not a cursor of this campaign's assignments")
            phones = [p for p in phones if f"PHONE#{p}" > cursor["sk"]]
        page = phones[: max(1, min(1000, limit))]
        rows = [table[p] for p in page]
        more = len(phones) > len(page)
        return rows, ({"pk": f"CAMPASSIGN#{shop}#{campaign_id}", "sk": f"PHONE#{page[-1]}"} if more else None)

    def runs(self, shop: str, campaign_id: str) -> list[Any]:
        out = []
        for s, c, run in sorted(self.items):
            if (s, c) == (shop, campaign_id):
                progress, counters = self.get(s, c, run)
                out.append((run, progress, counters))
        return out


class FakeSegmentMembers:
    """The by_segment index in memory: the members `put` (a member not subscribed is not in it: the index is
    sparse), each in its shard (`keys.segment_shard`), paged in key order with a cursor whenever a page is
    full (DynamoDB returns one when its Limit is reached, so the last page may come back empty)."""

    def __init__(self) -> None:
        from smsflows.domain import keys

        self.shards = keys.SEGMENT_SHARDS
        self.members: dict[tuple[str, str], Any] = {}
        self.pages_read = 0

    def put(self, shop: str, member: Any) -> None:
        if member.status == "subscribed":
            self.members[(shop, member.phone)] = member
        else:
            self.members.pop((shop, member.phone), None)

    def page(
        self, shop: str, shard: int, cursor: Mapping[str, str] | None, limit: int
    ) -> tuple[list[Any], dict[str, str] | None]:
        from smsflows.adapters.segment_members import MAX_PAGE, checked_cursor
        from smsflows.domain import keys

        partition = keys.segment_shard_partition(shop, shard)  # ValueError for a shard out of range
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"a page of 1 to {MAX_PAGE} members, not {limit}")
        after = checked_cursor(shop, shard, cursor)["pk"] if cursor is not None else ""
        keyed = sorted(
            (keys.subscriber(shop, phone)["pk"], m)
            for (s, phone), m in self.members.items()
            if s == shop and keys.segment_shard(shop, phone) == shard
        )
        page = [(pk, m) for pk, m in keyed if pk > after][:limit]
        self.pages_read += 1
        last = {"seg_pk": partition, "pk": page[-1][0], "sk": "STATE"} if len(page) == limit else None
        return [m for _, m in page], last


class FakeSegments:
    """Saved segment documents in memory, as DynamoSegments keeps them (a replace keeps who created it)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def put(
        self,
        shop: str,
        name: str,
        document: Mapping[str, Any],
        by: str,
        at: datetime,
        shopify: Mapping[str, Any] | None = None,
    ) -> None:
        old = self.items.get((shop, name))
        self.items[(shop, name)] = {
            "name": name,
            "document": json.loads(json.dumps(document, default=str)),
            "created_by": old["created_by"] if old else by,
            "created_at": old["created_at"] if old else at,
            "updated_at": at,
        }
        if shopify is not None:
            self.items[(shop, name)]["shopify"] = json.loads(json.dumps(shopify, default=str))

    def note_count(self, shop: str, name: str, count: Mapping[str, Any]) -> None:
        found = self.items.get((shop, name))
        if found is not None and "shopify" in found:
            found["shopify"]["last_count"] = json.loads(json.dumps(count, default=str))

    def get(self, shop: str, name: str) -> dict[str, Any] | None:
        found = self.items.get((shop, name))
        return (
            json.loads(json.dumps(found, default=str)) | {k: found[k] for k in ("created_at", "updated_at")}
            if found
            else None
        )

    def list(self, shop: str) -> list[dict[str, Any]]:
        return [got for (s, n) in sorted(self.items) if s == shop and (got := self.get(s, n))]


class FakeSubscriberSummaries:
    """customers/update's summaries in memory: the latest CustomerSummary of each (shop, phone), guarded on
    `updated_at` as DynamoSubscriberSummaries guards it."""

    def __init__(self) -> None:
        self.customers: dict[tuple[str, str], Any] = {}

    def note_customer(self, shop: str, phone: str, customer: Any) -> str:
        old = self.customers.get((shop, phone))
        if old is not None and old.updated_at > customer.updated_at:
            return "stale"
        self.customers[(shop, phone)] = customer
        return "ok"


class FakeConsentEchoes:
    """The ConsentEchoes port in memory, as DynamoConsentEchoes keeps it: one record per (shop, phone, state,
    consent time to the second), expiring ECHO_TTL after it was noted."""

    def __init__(self) -> None:
        self.noted: dict[tuple[str, str, str, str], datetime] = {}  # -> expires at

    @staticmethod
    def _key(shop: str, phone: str, state: str, at: datetime) -> tuple[str, str, str, str]:
        return shop, phone, state.upper(), at.astimezone(UTC).replace(microsecond=0).isoformat()

    def note_write(
        self, shop: str, phone: str, state: str, consent_updated_at: datetime, now: datetime
    ) -> None:
        from smsflows.adapters.consent_echoes import ECHO_TTL

        self.noted[self._key(shop, phone, state, consent_updated_at)] = now + ECHO_TTL

    def is_echo(self, shop: str, phone: str, state: str, consent_updated_at: datetime, now: datetime) -> bool:
        expires = self.noted.get(self._key(shop, phone, state, consent_updated_at))
        return expires is not None and expires > now
