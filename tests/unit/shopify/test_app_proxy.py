"""The app proxy's signature (domain/shopify/app_proxy.py): Shopify's documented examples, repeated and empty
values, stale and future timestamps, tampering, and the parameters that must not repeat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from smsflows.domain.shopify.app_proxy import (
    ProxySignatureError,
    parse_query,
    sign_query,
    signed_query,
    verify_query,
)

SECRET = b"hush"
STAMP = 1317327555
NOW = datetime.fromtimestamp(STAMP, UTC)
# Shopify's worked examples (https://shopify.dev/docs/apps/build/online-store/app-proxies/authenticate-app-proxies),
# with the shared secret "hush": the older one without logged_in_customer_id, and the current one with it.
DOC_OLD = (
    "extra=1&extra=2&shop=shop-name.myshopify.com&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555"
    "&signature=a9718877bea71c2484f91608a7eaea1532bdf71f5c56825065fa4ccabe549ef3"
)
DOC_NEW = (
    "extra=1&extra=2&shop=shop-name.myshopify.com&logged_in_customer_id=1&path_prefix=%2Fapps%2Fawesome_reviews"
    "&timestamp=1317327555&signature=4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb"
)


def test_shopifys_documented_examples_verify() -> None:
    old = verify_query(DOC_OLD, SECRET, NOW)
    assert (old.shop, old.logged_in_customer_id, old.path_prefix) == (
        "shop-name.myshopify.com",
        None,
        "/apps/awesome_reviews",
    )
    assert old.params["extra"] == "1,2"
    new = verify_query(DOC_NEW, SECRET, NOW)
    assert new.logged_in_customer_id == "1"


def test_another_secret_does_not_verify_the_example() -> None:
    with pytest.raises(ProxySignatureError, match="does not match"):
        verify_query(DOC_NEW, b"hush2", NOW)


def _query(params: list[tuple[str, str]], secret: bytes = SECRET) -> str:
    return signed_query(params, secret)


BASE = [("shop", "demo-shop.myshopify.com"), ("path_prefix", "/apps/sms"), ("timestamp", str(STAMP))]


def test_repeated_values_are_signed_joined_in_the_order_they_came() -> None:
    query = _query([*BASE, ("extra", "1"), ("extra", "2")])
    assert verify_query(query, SECRET, NOW).params["extra"] == "1,2"
    # the same values in the other order are another message: "2,1"
    swapped = query.replace("extra=1&extra=2", "extra=2&extra=1")
    assert swapped != query
    with pytest.raises(ProxySignatureError):
        verify_query(swapped, SECRET, NOW)


def test_empty_values_are_signed_as_key_equals_nothing() -> None:
    params = [*BASE, ("logged_in_customer_id", "")]
    query = _query(params)
    assert "logged_in_customer_id=&" in query or query.endswith("logged_in_customer_id=")
    assert verify_query(query, SECRET, NOW).logged_in_customer_id is None
    # a piece without "=" is the same empty value
    bare = query.replace("logged_in_customer_id=", "logged_in_customer_id")
    assert verify_query(bare, SECRET, NOW).logged_in_customer_id is None
    # dropping the empty parameter changes the message
    dropped = "&".join(p for p in query.split("&") if not p.startswith("logged_in_customer_id"))
    with pytest.raises(ProxySignatureError, match="does not match"):
        verify_query(dropped, SECRET, NOW)


def test_every_parameter_is_signed_even_unexpected_ones() -> None:
    query = _query([*BASE, ("utm_source", "sms")])
    with pytest.raises(ProxySignatureError, match="does not match"):
        verify_query(query.replace("utm_source=sms", "utm_source=email"), SECRET, NOW)
    with pytest.raises(ProxySignatureError, match="does not match"):
        verify_query(query + "&added=1", SECRET, NOW)


def test_percent_encoding_and_plus_are_decoded_before_signing() -> None:
    params = [*BASE, ("note", "a b&c=d/é")]
    query = _query(params)
    assert verify_query(query, SECRET, NOW).params["note"] == "a b&c=d/é"
    # the same value written with %20 instead of + is the same request
    assert verify_query(query.replace("+", "%20"), SECRET, NOW).params["note"] == "a b&c=d/é"


@pytest.mark.parametrize(
    ("field", "value"),
    [("shop", "evil-shop.myshopify.com"), ("logged_in_customer_id", "42"), ("timestamp", str(STAMP + 1))],
)
def test_a_tampered_parameter_is_refused(field: str, value: str) -> None:
    params = [*BASE, ("logged_in_customer_id", "7")]
    query = _query(params)
    tampered = "&".join(
        f"{field}={quote(value, safe='')}" if piece.split("=", 1)[0] == field else piece
        for piece in query.split("&")
    )
    assert tampered != query
    with pytest.raises(ProxySignatureError, match="does not match"):
        verify_query(tampered, SECRET, NOW)


def test_a_tampered_signature_is_refused() -> None:
    query = _query(BASE)
    head, sig = query.rsplit("signature=", 1)
    flipped = sig[:-1] + ("0" if sig[-1] != "0" else "1")
    with pytest.raises(ProxySignatureError, match="does not match"):
        verify_query(head + "signature=" + flipped, SECRET, NOW)
    with pytest.raises(ProxySignatureError, match="does not match"):
        verify_query(head + "signature=" + "é" * 64, SECRET, NOW)


@pytest.mark.parametrize("offset_s", [91, -91, 3600, -86400])
def test_a_stale_or_future_timestamp_is_refused(offset_s: int) -> None:
    query = _query(BASE)
    with pytest.raises(ProxySignatureError, match="timestamp"):
        verify_query(query, SECRET, NOW + timedelta(seconds=offset_s))


@pytest.mark.parametrize("offset_s", [0, 90, -90])
def test_a_timestamp_within_90_seconds_is_accepted(offset_s: int) -> None:
    assert verify_query(_query(BASE), SECRET, NOW + timedelta(seconds=offset_s)).timestamp == STAMP


@pytest.mark.parametrize("stamp", ["", "soon", "1.5", "-1"])
def test_a_timestamp_that_is_not_an_integer_is_refused(stamp: str) -> None:
    params = [(k, stamp if k == "timestamp" else v) for k, v in BASE]
    with pytest.raises(ProxySignatureError, match="timestamp"):
        verify_query(_query(params), SECRET, NOW)


def test_no_timestamp_is_refused() -> None:
    with pytest.raises(ProxySignatureError, match="timestamp"):
        verify_query(_query([p for p in BASE if p[0] != "timestamp"]), SECRET, NOW)


@pytest.mark.parametrize("key", ["shop", "timestamp", "hmac", "signature"])
def test_a_repeated_shop_timestamp_hmac_or_signature_is_refused_even_when_signed(key: str) -> None:
    params = [*BASE, ("hmac", "x")] if key == "hmac" else list(BASE)
    value = dict(params).get(key, "y")
    doubled = [*params, (key, value)] if key != "signature" else params
    query = _query(doubled)
    if key == "signature":
        query += "&signature=" + sign_query(params, SECRET)
    with pytest.raises(ProxySignatureError, match="repeated"):
        verify_query(query, SECRET, NOW)


@pytest.mark.parametrize(
    "query", ["", "shop=demo-shop.myshopify.com", "shop=demo-shop.myshopify.com&signature="]
)
def test_no_or_an_empty_signature_is_refused(query: str) -> None:
    with pytest.raises(ProxySignatureError, match="no signature"):
        verify_query(query, SECRET, NOW)


def test_a_shop_that_is_not_a_myshopify_domain_is_refused_even_when_signed() -> None:
    params = [("shop", "example.com"), ("timestamp", str(STAMP))]
    with pytest.raises(ProxySignatureError, match="shop"):
        verify_query(_query(params), SECRET, NOW)


def test_the_oauth_hmac_scheme_is_not_accepted() -> None:
    """OAuth's `hmac` joins the sorted pairs with "&": a request signed that way is not an app-proxy request."""
    import hashlib
    import hmac

    message = "&".join(sorted(f"{k}={v}" for k, v in BASE)).encode()
    oauth = hmac.new(SECRET, message, hashlib.sha256).hexdigest()
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in BASE)
    with pytest.raises(ProxySignatureError):
        verify_query(f"{query}&signature={oauth}", SECRET, NOW)
    with pytest.raises(ProxySignatureError):
        verify_query(f"{query}&hmac={oauth}", SECRET, NOW)


def test_parse_keeps_order_and_empty_values() -> None:
    assert parse_query("a=1&b&c=&a=2&&d=x%3Dy") == [
        ("a", "1"),
        ("b", ""),
        ("c", ""),
        ("a", "2"),
        ("d", "x=y"),
    ]


def test_an_overlong_query_is_refused() -> None:
    with pytest.raises(ProxySignatureError, match="too long"):
        verify_query("a=" + "x" * 9000, SECRET, NOW)
