"""Shopify's Admin GraphQL API over HTTPS (the ShopifyAdmin port), with each shop's offline access token.

Tokens: one Secrets Manager secret per shop, `<prefix>/<shop>` holding `{"access_token": "shpat_..."}`
(`smsflows shop connect` writes it), read through the cached SecretsStore; a 401 re-reads it once (a token
replaced since it was cached), then gives up. A token is never logged, nor a query's variables (phones).

Failures, as Shopify signals them (the cost-based leaky bucket: shopify.dev/docs/apps/build/apis/
graphql-admin/rate-limits):
- THROTTLED in `errors[].extensions.code` (HTTP 200, or 429): waited out here a bounded number of times,
  as long as `extensions.cost.throttleStatus` says (the points missing / restoreRate per second), then
  ShopifyThrottled, a TransientError: the queue's redelivery retries the whole event later.
- ACCESS_DENIED (a scope the app lacks, protected customer data not approved), 402/403/423 (the shop is
  frozen, forbidden or locked), a 401 the re-read token does not cure: ShopifyAccessDenied, never retried.
- 5xx, INTERNAL_SERVER_ERROR, no answer (network error, timeout): ShopifyUnavailable (transient).
- any other top-level error (a query the schema refuses, an unknown id): ShopifyError (permanent).
Redirects are never followed: the token header would go wherever the redirect points.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters.secrets import SecretsStore
from smsflows.runtime.errors import (
    ShopifyAccessDenied,
    ShopifyError,
    ShopifyNotConnected,
    ShopifyThrottled,
    ShopifyUnavailable,
    TransientError,
)
from smsflows.runtime.observability import logger

API_VERSION = "2026-10"
SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
# In-call backoff on THROTTLED: at most this many retries and this many seconds of waiting in all; a longer
# wait is the queue's (the function shares its 30 s with the other events of its batch).
MAX_THROTTLE_RETRIES = 2
MAX_THROTTLE_WAIT_S = 3.0
# How long a shop found with no token stored is taken as not connected before its secret is read again
# (a `smsflows shop connect` reaches a warm function within this, as a rotated secret within its TTL).
NOT_CONNECTED_S = 60.0
MIN_THROTTLE_WAIT_S = 0.1
DEFAULT_THROTTLE_WAIT_S = 1.0  # a throttled answer without throttleStatus (a 429 from the edge)
MAX_RESPONSE_BYTES = 10 * 1024 * 1024
_OPERATION = re.compile(r"^\s*(query|mutation)\s+(\w+)")


def token_secret_id(prefix: str, shop: str) -> str:
    """The name of the secret that holds `shop`'s Admin API access token."""
    return f"{prefix.rstrip('/')}/{shop}"


def endpoint(shop: str, api_base: str | None = None) -> str:
    """`https://{shop}/admin/api/2026-10/graphql.json`; with `api_base` (the local cloud's fake Shopify)
    `{api_base}/{shop}/admin/api/2026-10/graphql.json`, the shop in the path instead of the host."""
    if api_base:
        return f"{api_base.rstrip('/')}/{shop}/admin/api/{API_VERSION}/graphql.json"
    return f"https://{shop}/admin/api/{API_VERSION}/graphql.json"


def operation_name(query: str) -> str:
    """The operation's name, for the logs (`mutation SmsConsentSubscribe(...)` -> SmsConsentSubscribe)."""
    match = _OPERATION.match(query)
    return match.group(2) if match else "anonymous"


def throttle_wait(body: Any) -> float:
    """Seconds until the bucket holds the request's cost again, from `extensions.cost`: (requested cost -
    currently available) / restoreRate; DEFAULT_THROTTLE_WAIT_S when the answer does not say."""
    cost = body.get("extensions", {}).get("cost") if isinstance(body, dict) else None
    status = cost.get("throttleStatus") if isinstance(cost, dict) else None
    if not isinstance(cost, dict) or not isinstance(status, dict):
        return DEFAULT_THROTTLE_WAIT_S
    values = [cost.get("requestedQueryCost"), status.get("currentlyAvailable"), status.get("restoreRate")]
    numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) != 3 or numbers[2] <= 0:
        return DEFAULT_THROTTLE_WAIT_S
    requested, available, rate = numbers
    return max(MIN_THROTTLE_WAIT_S, (requested - available) / rate)


def error_codes(body: Any) -> list[str]:
    """The `extensions.code` of each top-level error ("" for one without)."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return []
    return [str((e.get("extensions") or {}).get("code") or "") if isinstance(e, dict) else "" for e in errors]


def _error_text(body: Any) -> str:
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, str):  # REST-style {"errors": "..."} (an invalid token, a bad request)
        return errors[:300]
    if isinstance(errors, list):
        return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)[:300]
    return "no data in the answer"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx is answered as it is (a ShopifyError), the token stays here


class ShopifyAdminClient:
    """The ShopifyAdmin port over urllib. `sleep` waits out a throttle (real time: Shopify's bucket refills
    in real time); tests pass one that records."""

    def __init__(
        self,
        secrets: SecretsStore,
        token_prefix: str,
        *,
        api_base: str | None = None,
        timeout_s: float = 4.0,
        sleep: Callable[[float], None] = time.sleep,
        max_throttle_retries: int = MAX_THROTTLE_RETRIES,
        max_throttle_wait_s: float = MAX_THROTTLE_WAIT_S,
        not_connected_s: float = NOT_CONNECTED_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not token_prefix:
            raise ValueError("the Admin API token prefix is not set (SHOPIFY_ADMIN_TOKEN_PREFIX)")
        self._secrets = secrets
        self._prefix = token_prefix
        self._api_base = api_base
        self._timeout_s = timeout_s
        self._sleep = sleep
        self._max_retries = max_throttle_retries
        self._max_wait_s = max_throttle_wait_s
        self._opener = urllib.request.build_opener(_NoRedirect)
        # Shops found with no token stored, and when (monotonic): a consent change of a shop that never
        # connected costs no Secrets Manager read for `not_connected_s` after the first that found nothing.
        self._not_connected: dict[str, float] = {}
        self._not_connected_s = not_connected_s
        self._monotonic = monotonic

    def graphql(self, shop: str, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        if not SHOP_DOMAIN.match(shop or ""):
            # the shop becomes the request's host: only a *.myshopify.com name may
            raise ShopifyError(f"{shop!r} is not a shop domain (NAME.myshopify.com)")
        secret_id = token_secret_id(self._prefix, shop)
        token = self._token(shop, secret_id)
        operation = operation_name(query)
        payload = json.dumps({"query": query, "variables": dict(variables or {})}).encode()
        refreshed, retries, waited = False, 0, 0.0
        while True:
            status, body = self._post(shop, token, payload, operation)
            if status == 401:
                fresh = None if refreshed else self._secrets.refresh(secret_id, reason="shopify 401")
                refreshed = True
                new_token = _access_token(fresh) if fresh is not None else None
                if new_token and new_token != token:
                    token = new_token
                    continue
                logger.warning("shopify refused the access token", shop=shop, operation=operation)
                raise ShopifyAccessDenied(
                    f"Shopify refused the access token of {shop} (401): reconnect it with `smsflows shop connect`"
                )
            codes = error_codes(body)
            if "THROTTLED" in codes or status == 429:
                wait = throttle_wait(body)
                if retries < self._max_retries and waited + wait <= self._max_wait_s:
                    retries += 1
                    waited += wait
                    logger.info("shopify throttled: waiting", shop=shop, operation=operation,
                                wait_s=round(wait, 2), retry=retries)  # fmt: skip
                    self._sleep(wait)
                    continue
                logger.warning("shopify throttled: left to the queue's retry", shop=shop, operation=operation,
                               retries=retries, wait_s=round(wait, 2))  # fmt: skip
                raise ShopifyThrottled(
                    f"Shopify throttled {operation} for {shop} ({retries} retries)", retry_after_s=wait
                )
            return self._data(shop, operation, status, body, codes)

    def _token(self, shop: str, secret_id: str) -> str:
        missing_since = self._not_connected.get(secret_id)
        if missing_since is not None and self._monotonic() - missing_since < self._not_connected_s:
            raise ShopifyNotConnected(
                f"no Admin API access token is stored for {shop}: `smsflows shop connect --shop {shop}`"
            )
        try:
            value = self._secrets.get(secret_id)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ResourceNotFoundException":
                self._not_connected[secret_id] = self._monotonic()
                raise ShopifyNotConnected(
                    f"no Admin API access token is stored for {shop}: `smsflows shop connect --shop {shop}`"
                ) from None
            if code in ("ThrottlingException", "InternalServiceError"):
                raise TransientError(f"Secrets Manager: {code}") from None
            raise
        token = _access_token(value)
        if not token:
            raise ShopifyNotConnected(f"the secret of {shop} holds no access_token")
        return token

    def _post(self, shop: str, token: str, payload: bytes, operation: str) -> tuple[int, Any]:
        request = urllib.request.Request(  # noqa: S310 - https://{shop} (checked above) or the local fake
            endpoint(shop, self._api_base),
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "X-Shopify-Access-Token": token,
            },
        )
        try:
            with self._opener.open(request, timeout=self._timeout_s) as response:
                status, raw = response.status, response.read(MAX_RESPONSE_BYTES)
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read(MAX_RESPONSE_BYTES) if exc.fp is not None else b""
        except OSError as exc:  # URLError, a timeout, a reset connection
            logger.warning("shopify did not answer", shop=shop, operation=operation, error=type(exc).__name__)
            raise ShopifyUnavailable(
                f"Shopify did not answer {operation} for {shop}: {type(exc).__name__}"
            ) from None
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        return status, body

    def _data(self, shop: str, operation: str, status: int, body: Any, codes: list[str]) -> dict[str, Any]:
        if status >= 500 or {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"} & set(codes):
            logger.warning("shopify failed", shop=shop, operation=operation, status=status)
            raise ShopifyUnavailable(f"Shopify answered {status} to {operation} for {shop}")
        if "ACCESS_DENIED" in codes or status in (402, 403, 423):
            logger.warning("shopify denied access", shop=shop, operation=operation, status=status)
            raise ShopifyAccessDenied(f"Shopify denied {operation} for {shop}: {_error_text(body)}")
        if status != 200 or (isinstance(body, dict) and body.get("errors")):
            raise ShopifyError(f"Shopify refused {operation} for {shop} (HTTP {status}): {_error_text(body)}")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise ShopifyError(f"Shopify answered {operation} for {shop} without data")
        return data


def _access_token(value: Mapping[str, Any] | None) -> str | None:
    token = (value or {}).get("access_token")
    return token if isinstance(token, str) and token else None
