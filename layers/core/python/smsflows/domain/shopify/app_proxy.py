"""Shopify's app proxy: the signed query string of a storefront request Shopify forwards to us.

The storefront posts to `https://{shop}/apps/sms/<path>`; Shopify forwards it to `<PublicBaseUrl>/proxy/<path>`
with `shop`, `logged_in_customer_id`, `path_prefix`, `timestamp` and `signature` added to the query. Only the
query is signed (a POSTed body is not), as Shopify documents it
(https://shopify.dev/docs/apps/build/online-store/app-proxies/authenticate-app-proxies) and as its own
libraries check it (Shopify/shopify_app `app_proxy_verification.rb`, @shopify/shopify-api):

1. split the raw query on `&`, each piece on its first `=` (no `=`: an empty value), percent-decode both
   (`+` is a space), keep empty values;
2. drop `signature`; sign every other parameter, expected or not;
3. a repeated key's values are joined with `,` in the order they came (`extra=1&extra=2` -> `extra=1,2`);
4. one `key=value` string per key, sorted (byte order), concatenated with no separator;
5. HMAC-SHA256 of those UTF-8 bytes with the app's client secret, lowercase hex, compared in constant time.

Refused as well: a missing, empty or repeated `signature`; a repeated `shop`, `timestamp` or `hmac` (two
shops in one request is how shop confusion starts); a `timestamp` that is missing, not an integer, or more
than 90 s from now either way (the JavaScript library's window; the clock is the caller's, injectable).

A valid signature proves only that Shopify forwarded the request for `shop`: the body is the visitor's, and
`logged_in_customer_id` is empty for anonymous visitors. The OAuth `hmac` scheme (pairs joined with `&`) is
a different algorithm and never accepted here.
"""

from __future__ import annotations

import hashlib
import hmac as hmac_lib
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote_plus

MAX_AGE_S = 90
MAX_QUERY = 8_192  # a proxied storefront request's query: a handful of short parameters
SHOP = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
_SINGLE = ("signature", "shop", "timestamp", "hmac")


class ProxySignatureError(ValueError):
    """The request did not come from Shopify's app proxy as it is (401): `reason` says which check failed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ProxyRequest:
    shop: str
    logged_in_customer_id: str | None  # None for an anonymous visitor
    path_prefix: str  # where the merchant mounted the proxy ("/apps/sms" unless renamed)
    timestamp: int
    params: dict[str, str]  # every signed parameter (repeated values joined with ",")


def parse_query(raw_query: str) -> list[tuple[str, str]]:
    """The query's (key, value) pairs in order, percent-decoded; a piece without `=` has an empty value."""
    pairs = []
    for piece in raw_query.split("&"):
        if not piece:
            continue
        key, _, value = piece.partition("=")
        pairs.append((unquote_plus(key), unquote_plus(value)))
    return pairs


def _joined(pairs: list[tuple[str, str]]) -> dict[str, str]:
    values: dict[str, list[str]] = {}
    for key, value in pairs:
        values.setdefault(key, []).append(value)
    return {key: ",".join(vals) for key, vals in values.items()}


def message(pairs: list[tuple[str, str]]) -> bytes:
    """What is signed: every parameter but `signature`, repeated values joined, sorted, concatenated."""
    joined = _joined([(k, v) for k, v in pairs if k != "signature"])
    return "".join(sorted(f"{k}={v}" for k, v in joined.items())).encode()


def sign_query(params: list[tuple[str, str]], secret: bytes) -> str:
    """The `signature` Shopify adds to `params` (as decoded values), lowercase hex."""
    return hmac_lib.new(secret, message(params), hashlib.sha256).hexdigest()


def verify_query(raw_query: str, secret: bytes, now: datetime, max_age_s: int = MAX_AGE_S) -> ProxyRequest:
    """The proxied request's signed facts; ProxySignatureError when the query is not as Shopify signed it
    (or not lately)."""
    if len(raw_query) > MAX_QUERY:
        raise ProxySignatureError("query too long")
    return verify_pairs(parse_query(raw_query), secret, now, max_age_s)


def verify_pairs(
    pairs: list[tuple[str, str]], secret: bytes, now: datetime, max_age_s: int = MAX_AGE_S
) -> ProxyRequest:
    """verify_query() of a query already split and decoded (API Gateway gives the parameters, not the raw
    string: `multiValueQueryStringParameters` keeps each key's values in order, which is all that is signed)."""
    if sum(len(k) + len(v) + 2 for k, v in pairs) > MAX_QUERY:
        raise ProxySignatureError("query too long")
    counts: dict[str, int] = {}
    for key, _ in pairs:
        counts[key] = counts.get(key, 0) + 1
    for key in _SINGLE:
        if counts.get(key, 0) > 1:
            raise ProxySignatureError(f"{key} is repeated")
    joined = _joined(pairs)
    signature = joined.get("signature", "")
    if not signature:
        raise ProxySignatureError("no signature")
    expected = sign_query(pairs, secret)
    # compare_digest wants ASCII: a signature with other characters is simply wrong
    if not signature.isascii() or not hmac_lib.compare_digest(expected, signature.lower()):
        raise ProxySignatureError("signature does not match")
    stamp = joined.get("timestamp", "")
    if not re.fullmatch(r"\d{1,12}", stamp):
        raise ProxySignatureError("timestamp missing or not an integer")
    if abs(now.timestamp() - int(stamp)) > max_age_s:
        raise ProxySignatureError("timestamp too old or in the future")
    shop = joined.get("shop", "")
    if not SHOP.fullmatch(shop):
        raise ProxySignatureError("shop missing or not a myshopify.com domain")
    customer = joined.get("logged_in_customer_id", "").strip()
    return ProxyRequest(
        shop=shop,
        logged_in_customer_id=customer or None,
        path_prefix=joined.get("path_prefix", "") or "/apps/sms",
        timestamp=int(stamp),
        params={k: v for k, v in joined.items() if k != "signature"},
    )


def signed_query(params: list[tuple[str, str]], secret: bytes) -> str:
    """`params` as a query string with Shopify's `signature` added (the local storefront plays the proxy)."""
    from urllib.parse import urlencode

    return urlencode([*params, ("signature", sign_query(params, secret))])
