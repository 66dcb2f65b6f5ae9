"""`smsflows shopify check`: the app configuration (shopify/shopify.app.toml) against what the backend
consumes and where it is deployed, and against a shop's live, shop-scoped subscriptions.

Offline, it needs nothing but the file: every topic the consumer handles is subscribed, the three compliance
topics are, nothing is subscribed that nobody consumes, the payload version is the one the models read, the
scopes cover the topics and the features, and no placeholder is left. With a target, the URIs must point at
its public base URL. With a connected shop, Shopify's `webhookSubscriptions` are compared too: they list only
shop-scoped subscriptions (made with `webhookSubscriptionCreate`), never the toml's app-scoped ones (Shopify's
documentation of the query), so an empty list is what a toml-managed app has, and a subscription there to
another endpoint is a stale one that delivers twice or to nowhere.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smsflows.admin.errors import BadValue

API_VERSION = "2026-10"  # the payloads the models read; CustomerPhoneNumber.smsMarketingConsent
COMPLIANCE = frozenset({"customers/data_request", "customers/redact", "shop/redact"})
PLACEHOLDER_HOST = "smsflows.example.com"
PLACEHOLDER_CLIENT_ID = "0" * 32
# What each capability needs of Shopify (the toml's comments say why).
SCOPES = {
    "read_customers": "customers/* webhooks, segments and their members",
    "write_customers": "writing SMS consent back (customerSmsMarketingConsentUpdate)",
    "read_orders": "orders/* and checkouts/* webhooks, the order behind an id-only webhook",
    "read_fulfillments": "fulfillments/* and fulfillment_events/* webhooks",
    "read_products": "products/update (back in stock)",
    "write_pixels": "the web pixel",
    "read_customer_events": "the web pixel's events",
    "write_app_proxy": "the storefront opt-in's app proxy",
}
WEBHOOK_PATH = "/webhooks/shopify"
PROXY_PATH = "/proxy"


@dataclass(frozen=True)
class Finding:
    check: str
    status: str  # ok | warn | fail
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"check": self.check, "status": self.status, "detail": self.detail}


def default_path() -> Path:
    """shopify/shopify.app.toml of the source tree this package runs from (the CLI is installed editable)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "shopify" / "shopify.app.toml"
        if candidate.is_file():
            return candidate
    return Path("shopify/shopify.app.toml")


def load(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadValue(
            f"--toml: {path} does not exist (the app's configuration is shopify/shopify.app.toml)"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise BadValue(f"--toml: {path} is not valid TOML: {exc}") from None


def declared(config: dict[str, Any]) -> dict[str, list[str]]:
    """{topic: [uri, ...]} of every subscription in the file, compliance topics included."""
    topics: dict[str, list[str]] = {}
    for sub in (config.get("webhooks") or {}).get("subscriptions") or []:
        for topic in [*(sub.get("topics") or []), *(sub.get("compliance_topics") or [])]:
            topics.setdefault(str(topic), []).append(str(sub.get("uri") or ""))
    return topics


def consumed() -> frozenset[str]:
    from smsflows.domain.shopify.events import shopify_topics

    return shopify_topics()


def check(
    config: dict[str, Any], public_base_url: str | None = None, live: list[Any] | None = None
) -> list[Finding]:
    found: list[Finding] = []
    topics = declared(config)
    needed = consumed()
    missing = sorted(needed - set(topics))
    found.append(
        Finding("topics consumed are subscribed", "fail", "not subscribed: " + ", ".join(missing))
        if missing
        else Finding("topics consumed are subscribed", "ok", f"{len(needed)} topics")
    )
    extra = sorted(set(topics) - needed)
    found.append(
        Finding(
            "nothing subscribed that nobody consumes", "warn", "delivered and ignored: " + ", ".join(extra)
        )
        if extra
        else Finding("nothing subscribed that nobody consumes", "ok", "")
    )
    absent = sorted(COMPLIANCE - set(topics))
    found.append(
        Finding("compliance topics", "fail", "missing: " + ", ".join(absent))
        if absent
        else Finding("compliance topics", "ok", ", ".join(sorted(COMPLIANCE)))
    )
    version = (config.get("webhooks") or {}).get("api_version")
    found.append(
        Finding(
            "webhook api_version",
            "ok" if version == API_VERSION else "warn",
            f"{version} (the models read {API_VERSION})",
        )
    )
    scopes = {
        s.strip()
        for s in str((config.get("access_scopes") or {}).get("scopes") or "").split(",")
        if s.strip()
    }
    lacking = [f"{s} ({why})" for s, why in SCOPES.items() if s not in scopes]
    found.append(
        Finding("access scopes", "fail", "missing: " + "; ".join(lacking))
        if lacking
        else Finding("access scopes", "ok", ", ".join(sorted(scopes)))
    )
    found.extend(_urls(config, topics, public_base_url))
    if live is not None:
        found.append(_live(topics, live, public_base_url))
    return found


def _urls(config: dict[str, Any], topics: dict[str, list[str]], base: str | None) -> list[Finding]:
    out = []
    if str(config.get("client_id") or PLACEHOLDER_CLIENT_ID) == PLACEHOLDER_CLIENT_ID:
        out.append(Finding("client_id", "fail", "still the placeholder: set your app's client id"))
    uris = {u for us in topics.values() for u in us}
    proxy = str((config.get("app_proxy") or {}).get("url") or "")
    if any(PLACEHOLDER_HOST in u for u in [*uris, proxy, str(config.get("application_url") or "")]):
        out.append(Finding("URLs", "fail", f"{PLACEHOLDER_HOST} is a placeholder: put your PublicBaseUrl"))
    bad = sorted(u for u in uris if not (u.startswith("https://") or u.startswith("arn:aws:events:")))
    if bad:
        out.append(Finding("webhook URIs", "fail", "neither https nor an EventBridge ARN: " + ", ".join(bad)))
    for topic in sorted(COMPLIANCE & set(topics)):
        if any(u.startswith("arn:") for u in topics[topic]):
            out.append(Finding("compliance over HTTPS", "fail", f"{topic} must be delivered over HTTPS"))
    if base:
        root = base.rstrip("/")
        wrong = sorted(u for u in uris if u.startswith("https://") and u != root + WEBHOOK_PATH)
        out.append(
            Finding(
                "webhook URIs point here", "fail", f"expected {root}{WEBHOOK_PATH}, not: " + ", ".join(wrong)
            )
            if wrong
            else Finding("webhook URIs point here", "ok", root + WEBHOOK_PATH)
        )
        out.append(
            Finding(
                "app proxy points here",
                "ok" if proxy == root + PROXY_PATH else "fail",
                f"url = {proxy or '(none)'}; expected {root}{PROXY_PATH}",
            )
        )
    if not out:
        out.append(Finding("URLs", "ok", "no placeholder left"))
    return out


def _live(topics: dict[str, list[str]], live: list[Any], base: str | None) -> Finding:
    from smsflows.domain.shopify.admin_api import topic_enum

    if not live:
        return Finding("live shop-scoped subscriptions", "ok",
                       "none (the toml's app-scoped subscriptions apply; Shopify's API does not list them)")  # fmt: skip
    by_enum = {topic_enum(t): t for t in topics}
    here = base.rstrip("/") + WEBHOOK_PATH if base else None
    stray = [f"{s.topic} -> {s.uri}" for s in live if s.topic not in by_enum or (here and s.uri != here
             and not str(s.uri).startswith("arn:"))]  # fmt: skip
    covered = {s.topic for s in live}
    gaps = sorted(t for e, t in by_enum.items() if e not in covered and t not in COMPLIANCE)
    if stray:
        return Finding(
            "live shop-scoped subscriptions", "warn", "not in the toml or elsewhere: " + "; ".join(stray)
        )
    detail = f"{len(live)} subscriptions match the toml"
    return Finding("live shop-scoped subscriptions", "ok" if not gaps else "warn",
                   detail + ("" if not gaps else "; not subscribed on the shop: " + ", ".join(gaps)))  # fmt: skip


# The web pixel: Shopify runs the app's pixel on a shop only once the app creates it there with its settings
# (webPixelCreate; webPixelUpdate to change them). One pixel per app and shop.
WEB_PIXEL = "query WebPixel {\n  webPixel { id settings }\n}"
WEB_PIXEL_CREATE = """mutation WebPixelCreate($webPixel: WebPixelInput!) {
  webPixelCreate(webPixel: $webPixel) { userErrors { code field message } webPixel { id settings } }
}"""
WEB_PIXEL_UPDATE = """mutation WebPixelUpdate($id: ID!, $webPixel: WebPixelInput!) {
  webPixelUpdate(id: $id, webPixel: $webPixel) { userErrors { code field message } webPixel { id settings } }
}"""
EVENTS_PATH = "/storefront/events"


def pixel_endpoint(public_base_url: str) -> str:
    return public_base_url.rstrip("/") + EVENTS_PATH


def activate_pixel(admin: Any, shop: str, endpoint: str) -> dict[str, Any]:
    """Create the app's web pixel on `shop` posting to `endpoint`, or point the existing one there;
    {"shop", "pixel_id", "endpoint", "action": created | updated | unchanged}."""
    from smsflows.runtime.errors import ShopifyError, ShopifyUserErrors

    if not endpoint.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise BadValue(
            f"--endpoint: {endpoint!r} is not an https URL (the pixel posts from shoppers' browsers)"
        )
    settings = json.dumps({"endpoint": endpoint})
    try:
        current = (admin.graphql(shop, WEB_PIXEL) or {}).get("webPixel")
    except ShopifyError as exc:
        if "no web pixel" not in str(exc).lower() and "not found" not in str(exc).lower():
            raise
        current = None
    if current and json.loads(current.get("settings") or "{}").get("endpoint") == endpoint:
        return {"shop": shop, "pixel_id": current["id"], "endpoint": endpoint, "action": "unchanged"}
    if current:
        data = admin.graphql(
            shop, WEB_PIXEL_UPDATE, {"id": current["id"], "webPixel": {"settings": settings}}
        )
        payload, action = data.get("webPixelUpdate") or {}, "updated"
    else:
        data = admin.graphql(shop, WEB_PIXEL_CREATE, {"webPixel": {"settings": settings}})
        payload, action = data.get("webPixelCreate") or {}, "created"
    errors = payload.get("userErrors") or []
    if errors:
        text = "; ".join(f"{e.get('message')} ({e.get('code')})" for e in errors)
        raise ShopifyUserErrors(f"web pixel not {action} on {shop}: {text}"[:500], list(errors))
    pixel = payload.get("webPixel") or {}
    return {"shop": shop, "pixel_id": pixel.get("id"), "endpoint": endpoint, "action": action}
