"""A fake Shopify Admin GraphQL API (2026-10) on loopback. The real adapter (adapters/shopify_admin.py) talks
to it over HTTP at `{base_url}/{shop}/admin/api/2026-10/graphql.json`.

It answers what the project asks of the Admin API, dispatching on the operation's root field (no GraphQL
parser: the project's documents each have one root field): customerSmsMarketingConsentUpdate (every write
recorded; a customer without a phone gets a userError, like Shopify), customers(query: "phone:..."),
customer(id:), customerSegmentMembers (cursor-paged, the page size honoured, totalCount), segments,
order(id:) and webhookSubscriptions. Answers are a superset of the selections the project's documents make,
in the schema's shapes. It checks X-Shopify-Access-Token against the token it was given for the shop (401
otherwise), can be told to throttle the next calls (THROTTLED, as Shopify answers it), and, switched on
(`echo_webhooks`), posts the customers_marketing_consent/update webhook that echoes each consent write to
a URL, signed like Shopify (the local cloud points it at its own /webhooks/shopify).
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import re
import secrets
import threading
import urllib.request
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from smsflows.domain.shopify.webhooks import sign
from smsflows.local.http_server import LoopbackHTTPServer, RobustHandler

API_VERSION = "2026-10"
_PATH = re.compile(
    r"^/(?P<shop>[a-z0-9][a-z0-9-]*\.myshopify\.com)/admin/api/(?P<version>[0-9-]+)/graphql\.json$"
)
_ROOT = re.compile(r"^\s*\{\s*(?:\w+\s*:\s*)?(?P<field>\w+)")
WRITABLE = ("SUBSCRIBED", "UNSUBSCRIBED", "PENDING")
MAX_SEGMENT_PAGE = 1000
# Shopify's throttled answer (tests/events/shopify_app/admin_graphql.json, top_level_errors_examples)
THROTTLED_BODY: dict[str, Any] = {
    "errors": [
        {
            "message": "Throttled",
            "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
        }
    ],
    "extensions": {
        "cost": {
            "requestedQueryCost": 752,
            "actualQueryCost": None,
            "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 666, "restoreRate": 50.0},
        }
    },
}
_COST = {"requestedQueryCost": 10, "actualQueryCost": 10,
         "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1990, "restoreRate": 100.0}}  # fmt: skip


def root_field(query: str) -> str | None:
    """The first field of the operation's selection set (`mutation X($a: T!) { field(...) {...} }` -> field)."""
    text = re.sub(r"#[^\n]*", "", query)
    depth, start = 0, None
    for i, ch in enumerate(text):  # the selection set is the first "{" outside the variable definitions
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "{" and depth == 0:
            start = i
            break
    if start is None:
        return None
    match = _ROOT.match(text[start:])
    return match.group("field") if match else None


def _cursor(index: int) -> str:
    return base64.b64encode(json.dumps({"last_id": index}).encode()).decode()


def _index_after(cursor: str | None) -> int:
    """The position after `cursor` (0 for None); ValueError for a cursor this fake did not make."""
    if cursor is None:
        return 0
    try:
        return int(json.loads(base64.b64decode(cursor, validate=True))["last_id"]) + 1
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"invalid cursor {cursor!r}") from exc


def _digits(phone: str | None) -> str:
    return "".join(ch for ch in phone or "" if ch.isdigit())


class GraphQLError(Exception):
    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class FakeShopify:
    def __init__(
        self, clock: Callable[[], datetime] | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._ids = itertools.count(7000)
        self.tokens: dict[str, str] = {}
        self._customers: dict[str, dict[str, dict[str, Any]]] = {}
        self._segments: dict[str, dict[str, dict[str, Any]]] = {}
        self._orders: dict[str, dict[str, dict[str, Any]]] = {}
        self._subscriptions: dict[str, list[dict[str, Any]]] = {}
        self.pixels: dict[str, dict[str, Any]] = {}  # the app's web pixel per shop: {id, settings}
        self._writes: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []  # {shop, field, status}: every request that was authorised
        self.unauthorized = 0
        self._throttle_next = 0
        self._throttle_status = 200
        self._canned: deque[tuple[int, dict[str, Any]]] = deque()
        self.echo_url: str | None = None
        self._echo_secret: bytes | None = None
        self.echoes_posted: list[tuple[str, int]] = []  # (webhook id, HTTP status)
        self.activity: Any = None  # virtual time: an echo on its way counts as running work (begin/end)
        self._server = LoopbackHTTPServer((host, port), self._handler_class())
        self._thread: threading.Thread | None = None

    # Control ---------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self._server.base_url

    def start(self) -> FakeShopify:
        self._thread = self._server.serve_in_thread("fake-shopify")
        return self

    def stop(self) -> None:
        self._server.stop()

    def add_token(self, shop: str, token: str) -> None:
        with self._lock:
            self.tokens[shop] = token

    def add_customer(
        self,
        shop: str,
        phone: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        customer_id: int | None = None,
    ) -> str:
        """A customer of `shop` (SMS consent NEVER_SUBSCRIBED); its gid."""
        with self._lock:
            legacy = customer_id if customer_id is not None else next(self._ids)
            gid = f"gid://shopify/Customer/{legacy}"
            self._customers.setdefault(shop, {})[gid] = {
                "id": gid, "legacy": legacy, "first_name": first_name, "last_name": last_name, "email": email,
                "phone": phone, "state": "NEVER_SUBSCRIBED", "opt_in_level": None, "collected_from": None,
                "updated_at": None,
            }  # fmt: skip
            return gid

    def customer(self, shop: str, gid: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._customers.get(shop, {}).get(gid)
            return copy.deepcopy(found) if found else None

    def customers(self, shop: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self._customers.get(shop, {}).values()))

    def add_segment(
        self, shop: str, name: str, members: list[str], query: str = "", segment_id: int | None = None
    ) -> str:
        """A segment of `shop` whose members are these customers (gids, or phones of customers of the shop:
        a phone no customer has becomes a new customer); its gid."""
        with self._lock:
            gids = []
            for member in members:
                if member.startswith("gid://shopify/Customer/"):
                    if member not in self._customers.get(shop, {}):
                        raise ValueError(f"no customer {member} in {shop}")
                    gids.append(member)
                else:
                    found = self._by_phone(shop, member)
                    gids.append(found["id"] if found else self.add_customer(shop, phone=member))
            legacy = segment_id if segment_id is not None else next(self._ids)
            gid = f"gid://shopify/Segment/{legacy}"
            now = self.clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self._segments.setdefault(shop, {})[gid] = {
                "id": gid, "name": name, "query": query or f"customer_tags CONTAINS '{name}'",
                "creationDate": now, "lastEditDate": now, "members": gids,
            }  # fmt: skip
            return gid

    def segments(self, shop: str) -> list[dict[str, Any]]:
        """The shop's segments, each with its members' customer gids."""
        with self._lock:
            return copy.deepcopy(list(self._segments.get(shop, {}).values()))

    def add_order(self, shop: str, order: dict[str, Any]) -> str:
        """An order of `shop`, given as an orders/create webhook body (the shape tests/events/shopify/
        orders_create.json has); its gid. Stored as GraphQL's Order."""
        with self._lock:
            legacy = order.get("id") or next(self._ids)
            gid = f"gid://shopify/Order/{legacy}"
            self._orders.setdefault(shop, {})[gid] = _graphql_order(gid, order)
            return gid

    def add_webhook_subscription(self, shop: str, topic: str, uri: str) -> str:
        """`topic` as Shopify's enum (ORDERS_CREATE) or a webhook topic (orders/create)."""
        with self._lock:
            gid = f"gid://shopify/WebhookSubscription/{next(self._ids)}"
            enum = topic.strip().upper().replace("/", "_")
            self._subscriptions.setdefault(shop, []).append({"id": gid, "topic": enum, "uri": uri})
            return gid

    def throttle_next(self, calls: int, status: int = 200) -> None:
        """The next `calls` authorised requests get Shopify's THROTTLED answer, with HTTP `status` (200 or
        429: Shopify has been seen to use both)."""
        if calls < 0 or status not in (200, 429):
            raise ValueError("calls must be >= 0 and status 200 or 429")
        with self._lock:
            self._throttle_next, self._throttle_status = calls, status

    def answer_next(self, status: int, body: dict[str, Any]) -> None:
        """The next authorised request gets this answer instead (ACCESS_DENIED, a 503, ...): fault injection."""
        with self._lock:
            self._canned.append((status, copy.deepcopy(body)))

    def echo_webhooks(self, url: str | None, secret: bytes | None = None) -> None:
        """Post customers_marketing_consent/update to `url` after each consent write (None: stop)."""
        with self._lock:
            self.echo_url, self._echo_secret = url, secret

    def consent_writes(self) -> list[dict[str, Any]]:
        """Every customerSmsMarketingConsentUpdate that changed a customer, oldest first."""
        with self._lock:
            return copy.deepcopy(self._writes)

    def summary(self) -> dict[str, Any]:
        with self._lock:
            return {
                "base_url": self.base_url,
                "shops": sorted(self.tokens),
                "calls": len(self.calls),
                "unauthorized": self.unauthorized,
                "throttle_next": self._throttle_next,
                "consent_writes": len(self._writes),
                "echo_url": self.echo_url,
                "echoes_posted": len(self.echoes_posted),
            }

    # GraphQL -----------------------------------------------------------------------------------
    def execute(self, shop: str, query: str, variables: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body) of one authorised request."""
        field = root_field(query)
        with self._lock:
            if self._canned:
                status, canned = self._canned.popleft()
                self.calls.append({"shop": shop, "field": field, "status": status})
                return status, canned
            if self._throttle_next > 0:
                self._throttle_next -= 1
                self.calls.append({"shop": shop, "field": field, "status": "THROTTLED"})
                return self._throttle_status, copy.deepcopy(THROTTLED_BODY)
            self.calls.append({"shop": shop, "field": field, "status": "ok"})
        resolver = {
            "customerSmsMarketingConsentUpdate": self._consent_update,
            "customers": self._customers_query,
            "customer": self._customer_query,
            "customerSegmentMembers": self._segment_members,
            "segments": self._segments_query,
            "order": self._order_query,
            "webhookSubscriptions": self._subscriptions_query,
            "webPixel": self._pixel_query,
            "webPixelCreate": self._pixel_create,
            "webPixelUpdate": self._pixel_update,
        }.get(field or "")
        if resolver is None:
            error = {"message": f"Field '{field}' doesn't exist on type 'QueryRoot'",
                     "extensions": {"code": "undefinedField"}}  # fmt: skip
            return 200, {"errors": [error]}
        try:
            data = resolver(shop, variables)
        except GraphQLError as exc:
            error = (
                {"message": str(exc), "extensions": {"code": exc.code}} if exc.code else {"message": str(exc)}
            )
            return 200, {"errors": [error], "data": {field: None}}
        return 200, {"data": {field: data}, "extensions": {"cost": _COST}}

    def _by_phone(self, shop: str, phone: str) -> dict[str, Any] | None:
        return next((c for c in self._customers.get(shop, {}).values()
                     if c["phone"] and _digits(c["phone"]) == _digits(phone)), None)  # fmt: skip

    def _consent_update(self, shop: str, variables: dict[str, Any]) -> dict[str, Any]:
        given = variables.get("input") or {}
        consent = given.get("smsMarketingConsent") or {}
        state = consent.get("marketingState")

        def refused(field: list[str], message: str, code: str) -> dict[str, Any]:
            return {"userErrors": [{"field": field, "message": message, "code": code}], "customer": None}

        if not given.get("customerId"):
            return refused(["input", "customerId"], "Customer can't be blank", "MISSING_ARGUMENT")
        if state not in WRITABLE:
            return refused(["input", "smsMarketingConsent", "marketingState"],
                           f"Marketing state {state!r} cannot be set", "INCLUSION")  # fmt: skip
        with self._lock:
            customer = self._customers.get(shop, {}).get(given["customerId"])
            if customer is None:
                return refused(["input", "customerId"], "Customer not found", "INVALID")
            if not customer["phone"]:
                return refused(
                    ["input", "smsMarketingConsent"], "Customer must have a phone number", "INVALID"
                )
            updated = consent.get("consentUpdatedAt") or self.clock().astimezone(UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
            level = consent.get("marketingOptInLevel") or (customer["opt_in_level"] if state != "SUBSCRIBED"
                                                          else "UNKNOWN")  # fmt: skip
            customer.update(state=state, opt_in_level=level, collected_from="OTHER", updated_at=updated)
            write = {"shop": shop, "customer_id": customer["id"], "phone": customer["phone"], "state": state,
                     "opt_in_level": consent.get("marketingOptInLevel"), "consent_updated_at": updated,
                     "written_at": self.clock().isoformat()}  # fmt: skip
            self._writes.append(write)
            node = self._customer_node(customer)
            echo_url, echo_secret = self.echo_url, self._echo_secret
        if echo_url:
            if self.activity is not None:
                self.activity.begin()  # ended by the echo's thread
            threading.Thread(target=self._echo, args=(echo_url, echo_secret, shop, dict(customer)),
                             daemon=True).start()  # fmt: skip
        return {"userErrors": [], "customer": node}

    def _customer_node(self, customer: dict[str, Any]) -> dict[str, Any]:
        """A Customer with both consent models (the 2026-10 read model and the deprecated fields)."""
        legacy_state = "NOT_SUBSCRIBED" if customer["state"] == "NEVER_SUBSCRIBED" else customer["state"]
        number = None
        if customer["phone"]:
            number = {
                "phoneNumber": customer["phone"],
                "marketingState": legacy_state,
                "marketingOptInLevel": customer["opt_in_level"],
                "marketingUpdatedAt": customer["updated_at"],
                "marketingCollectedFrom": customer["collected_from"],
                "smsMarketingConsent": {"state": customer["state"], "optInLevel": customer["opt_in_level"],
                                        "collectedFrom": customer["collected_from"],
                                        "updatedAt": customer["updated_at"], "sourceLocation": None},
                "whatsAppMarketingConsent": {"state": "NEVER_SUBSCRIBED"},
            }  # fmt: skip
        legacy = None
        if customer["phone"]:
            legacy = {"marketingState": legacy_state, "marketingOptInLevel": customer["opt_in_level"] or "UNKNOWN",
                      "consentUpdatedAt": customer["updated_at"], "consentCollectedFrom": customer["collected_from"]}  # fmt: skip
        return {"id": customer["id"], "legacyResourceId": str(customer["legacy"]), "firstName": customer["first_name"],
                "lastName": customer["last_name"], "phone": customer["phone"], "defaultPhoneNumber": number,
                "smsMarketingConsent": legacy}  # fmt: skip

    def _customers_query(self, shop: str, variables: dict[str, Any]) -> dict[str, Any]:
        search = str(variables.get("query") or "")
        match = re.match(r'^\s*phone:\s*"?([^"]+)"?\s*$', search)
        with self._lock:
            everyone = list(self._customers.get(shop, {}).values())
            if match:
                everyone = [
                    c for c in everyone if c["phone"] and _digits(c["phone"]) == _digits(match.group(1))
                ]
            elif search:
                raise GraphQLError(f"the fake Shopify searches customers by phone only, not {search!r}")
            first = int(variables.get("first") or 1)
            return {"nodes": [self._customer_node(c) for c in everyone[:first]]}

    def _customer_query(self, shop: str, variables: dict[str, Any]) -> dict[str, Any] | None:
        with self._lock:
            found = self._customers.get(shop, {}).get(str(variables.get("id")))
            return self._customer_node(found) if found else None

    def _segment_members(self, shop: str, variables: dict[str, Any]) -> dict[str, Any]:
        first = variables.get("first")
        if not isinstance(first, int) or not 1 <= first <= MAX_SEGMENT_PAGE:
            raise GraphQLError(f"first must be from 1 to {MAX_SEGMENT_PAGE}")
        start = _index_after(variables.get("after"))
        with self._lock:
            segment = self._segments.get(shop, {}).get(str(variables.get("segmentId")))
            if segment is None:
                raise GraphQLError("Segment does not exist", "NOT_FOUND")
            members = segment["members"]
            edges = []
            for index in range(start, min(start + first, len(members))):
                customer = self._customers[shop][members[index]]
                legacy_state = (
                    "NOT_SUBSCRIBED" if customer["state"] == "NEVER_SUBSCRIBED" else customer["state"]
                )
                name = " ".join(p for p in (customer["first_name"], customer["last_name"]) if p)
                edges.append({"cursor": _cursor(index), "node": {
                    "id": f"gid://shopify/CustomerSegmentMember/{customer['legacy']}",
                    "displayName": name or customer["email"] or customer["phone"] or "",
                    "firstName": customer["first_name"], "lastName": customer["last_name"],
                    "defaultPhoneNumber": {"phoneNumber": customer["phone"], "marketingState": legacy_state}
                    if customer["phone"] else None,
                }})  # fmt: skip
            last = start + len(edges) - 1
            return {
                "totalCount": len(members),
                "pageInfo": {
                    "hasNextPage": last + 1 < len(members),
                    "endCursor": _cursor(last) if edges else None,
                },
                "edges": edges,
            }

    def _paged(self, rows: list[dict[str, Any]], variables: dict[str, Any]) -> dict[str, Any]:
        first = int(variables.get("first") or 50)
        start = _index_after(variables.get("after"))
        nodes = rows[start : start + first]
        last = start + len(nodes) - 1
        return {"nodes": nodes,
                "pageInfo": {"hasNextPage": last + 1 < len(rows), "endCursor": _cursor(last) if nodes else None}}  # fmt: skip

    def _segments_query(self, shop: str, variables: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            rows = [
                {k: v for k, v in s.items() if k != "members"} for s in self._segments.get(shop, {}).values()
            ]
        return self._paged(rows, variables)

    def _order_query(self, shop: str, variables: dict[str, Any]) -> dict[str, Any] | None:
        with self._lock:
            found = self._orders.get(shop, {}).get(str(variables.get("id")))
            return copy.deepcopy(found) if found else None

    def _subscriptions_query(self, shop: str, variables: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            rows = copy.deepcopy(self._subscriptions.get(shop, []))
        return self._paged(rows, variables)

    # The web pixel (one per app and shop) --------------------------------------------------------
    def _pixel_query(self, shop: str, variables: dict[str, Any]) -> dict[str, Any] | None:
        with self._lock:
            pixel = self.pixels.get(shop)
        if pixel is None:  # Shopify answers an error, not null, when the app has no pixel on the shop
            raise GraphQLError("No web pixel was found for this app.", "NOT_FOUND")
        return dict(pixel)

    @staticmethod
    def _settings(variables: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
        settings = (variables.get("webPixel") or {}).get("settings")
        try:
            parsed = json.loads(settings) if isinstance(settings, str) else settings
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict) or not parsed.get("endpoint"):
            return None, {"code": "INVALID_SETTINGS", "field": ["webPixel", "settings"],
                          "message": "settings do not match the extension's [settings]: endpoint is required"}  # fmt: skip
        return json.dumps(parsed), None

    def _pixel_create(self, shop: str, variables: dict[str, Any]) -> dict[str, Any]:
        settings, error = self._settings(variables)
        with self._lock:
            if error is None and shop in self.pixels:
                error = {"code": "TAKEN", "field": None, "message": "Web pixel is taken."}
            if error is not None:
                return {"userErrors": [error], "webPixel": None}
            self.pixels[shop] = {"id": f"gid://shopify/WebPixel/{len(self.pixels) + 1}", "settings": settings}
            return {"userErrors": [], "webPixel": dict(self.pixels[shop])}

    def _pixel_update(self, shop: str, variables: dict[str, Any]) -> dict[str, Any]:
        settings, error = self._settings(variables)
        with self._lock:
            pixel = self.pixels.get(shop)
            if error is None and (pixel is None or pixel["id"] != variables.get("id")):
                error = {"code": "NOT_FOUND", "field": ["id"], "message": "Web pixel not found"}
            if error is not None or pixel is None:
                return {"userErrors": [error], "webPixel": None}
            pixel["settings"] = settings
            return {"userErrors": [], "webPixel": dict(pixel)}

    # The echo webhook ----------------------------------------------------------------------------
    def _echo(self, url: str, secret: bytes | None, shop: str, customer: dict[str, Any]) -> None:
        try:
            self._post_echo(url, secret, shop, customer)
        finally:
            if self.activity is not None:
                self.activity.end()

    def _post_echo(self, url: str, secret: bytes | None, shop: str, customer: dict[str, Any]) -> None:
        updated = customer["updated_at"]
        body = json.dumps({
            "id": customer["legacy"], "email_address": customer["email"], "phone": customer["phone"],
            "sms_marketing_consent": {
                "state": str(customer["state"]).lower(),
                "opt_in_level": (customer["opt_in_level"] or "").lower() or None,
                # Shopify writes the instant in an offset of its choosing: the same second, not the same text
                "consent_updated_at": datetime.fromisoformat(updated.replace("Z", "+00:00")).isoformat()
                if updated else None,
                "consent_collected_from": "OTHER",
            },
        }).encode()  # fmt: skip
        webhook_id = str(uuid.uuid4())
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "customers_marketing_consent/update",
            "X-Shopify-Shop-Domain": shop,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-API-Version": API_VERSION,
            "X-Shopify-Triggered-At": self.clock().isoformat(),
            "X-Shopify-Hmac-Sha256": sign(secret or b"", body),
        }
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 - loopback
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                code = response.status
        except OSError as exc:
            code = getattr(exc, "code", 0) or 0
        with self._lock:
            self.echoes_posted.append((webhook_id, int(code)))

    # HTTP ----------------------------------------------------------------------------------------
    def _handler_class(self) -> type[RobustHandler]:
        fake = self

        class Handler(RobustHandler):
            timeout = None  # the adapter's own timeout applies

            def do_POST(self) -> None:
                raw = self.read_body()
                match = _PATH.match(self.path.split("?", 1)[0])
                if not match or match.group("version") != API_VERSION:
                    self.send_json(404, {"errors": "Not Found"})
                    return
                shop = match.group("shop")
                given = self.headers.get("X-Shopify-Access-Token") or ""
                with fake._lock:
                    expected = fake.tokens.get(shop)
                if expected is None or not secrets.compare_digest(given, expected):
                    with fake._lock:
                        fake.unauthorized += 1
                    self.send_json(401, {"errors": "[API] Invalid API key or access token (unrecognized login or "
                                                   "wrong password)"})  # fmt: skip
                    return
                try:
                    request = json.loads(raw)
                    query, variables = request["query"], request.get("variables") or {}
                    if not isinstance(query, str) or not isinstance(variables, dict):
                        raise TypeError("query must be a string and variables an object")
                except (ValueError, KeyError, TypeError) as exc:
                    self.send_json(400, {"errors": [{"message": f"bad request: {exc}"}]})
                    return
                status, body = fake.execute(shop, query, variables)
                self.send_json(status, body)

        return Handler


def _graphql_order(gid: str, order: dict[str, Any]) -> dict[str, Any]:
    """An orders/create body as GraphQL's Order (the fields the project's ORDER document selects)."""

    def address(value: Any) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            return None
        return {"phone": value.get("phone"), "countryCodeV2": value.get("country_code"),
                "provinceCode": value.get("province_code"), "firstName": value.get("first_name")}  # fmt: skip

    customer = order.get("customer")
    graph_customer = None
    if isinstance(customer, dict):
        graph_customer = {
            "id": f"gid://shopify/Customer/{customer.get('id')}",
            "legacyResourceId": str(customer.get("id")),
            "firstName": customer.get("first_name"),
            "defaultPhoneNumber": {"phoneNumber": customer["phone"]} if customer.get("phone") else None,
            "defaultAddress": address(customer.get("default_address")),
        }
    currency = order.get("currency") or "USD"
    return {
        "id": gid,
        "legacyResourceId": gid.rsplit("/", 1)[-1],
        "name": order.get("name"),
        "phone": order.get("phone"),
        "email": order.get("email"),
        "createdAt": order.get("created_at"),
        "cancelledAt": order.get("cancelled_at"),
        "currencyCode": currency,
        "totalPriceSet": {"shopMoney": {"amount": str(order.get("total_price") or "0.00"), "currencyCode": currency}},
        "discountCodes": [d.get("code") for d in order.get("discount_codes") or [] if isinstance(d, dict)],
        "customer": graph_customer,
        "shippingAddress": address(order.get("shipping_address")),
        "billingAddress": address(order.get("billing_address")),
        "lineItems": {"nodes": [
            {"title": li.get("title"), "quantity": li.get("quantity", 1),
             "product": {"legacyResourceId": str(li["product_id"])} if li.get("product_id") else None,
             "variant": {"legacyResourceId": str(li["variant_id"])} if li.get("variant_id") else None}
            for li in order.get("line_items") or [] if isinstance(li, dict)
        ]},
    }  # fmt: skip
