"""The storefront's opt-in through Shopify's app proxy (functions/storefront_proxy) under moto: the signed
config the theme extension shows, a signed sign-up recorded for the signed shop and customer with its double
opt-in text, and every unsigned, tampered or stale request refused with a 401 that changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from smsflows.domain.consent import ledger
from smsflows.domain.shopify.app_proxy import sign_query
from tests.integration.conftest import SHOP, SHOPIFY_SECRET, api_event

PHONE = "+15125550123"


def signed(params: dict[str, str] | None = None, *, secret: str = SHOPIFY_SECRET, at: float | None = None,
           shop: str = SHOP, customer: str = "") -> list[tuple[str, str]]:  # fmt: skip
    from smsflows.runtime.deps import get_deps

    now = get_deps().clock().timestamp()  # Shopify stamps real time; the app's clock here may be set back
    pairs = [("shop", shop), ("logged_in_customer_id", customer), ("path_prefix", "/apps/sms"),
             ("timestamp", str(int(now if at is None else now + at))), *(params or {}).items()]  # fmt: skip
    return [*pairs, ("signature", sign_query(pairs, secret.encode()))]


def proxied(cloud: Any, method: str, path: str, pairs: list[tuple[str, str]], body: Any = None,
            headers: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    raw = b"" if body is None else json.dumps(body).encode()
    event = api_event(raw, {"Content-Type": "application/json", **(headers or {})}, path=path)
    event["httpMethod"] = event["requestContext"]["httpMethod"] = method
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        multi.setdefault(key, []).append(value)
    event["multiValueQueryStringParameters"] = multi
    event["queryStringParameters"] = {k: v[-1] for k, v in multi.items()}
    if body is None:
        event["body"] = None
    return cloud.invoke("storefront_proxy", event)


def config_of(cloud: Any) -> dict[str, Any]:
    answer = proxied(cloud, "GET", "/proxy/config", signed())
    assert answer["statusCode"] == 200, answer
    return json.loads(answer["body"])


def signup(disclosure: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "phone": "(512) 555-0123",
        "country": "US",
        "consent": {"checked": True, "default_checked": False, "disclosure_text": disclosure},
        "page_url": "https://demo-shop.example/",
        "submission_id": "proxy-1",
    }
    body.update(overrides)
    return body


def ledger_events(cloud: Any) -> list[Any]:
    from smsflows.runtime.deps import get_deps

    return list(get_deps().consent_store.events(SHOP, PHONE))


def test_the_config_carries_a_disclosure_the_backend_accepts(cloud):
    config = config_of(cloud)
    assert config["shop"] == SHOP and config["keyword"] == "JOIN"
    ledger.check_disclosure(config["disclosure"], config["brand"])  # raises when a required part is missing
    for part in ("Msg & data rates may apply", "HELP", "STOP", config["terms_url"], config["privacy_url"]):
        assert part in config["disclosure"]
    assert config["countries"] == ["US"]


def test_a_signed_sign_up_is_recorded_for_the_signed_shop_and_customer(cloud):
    config = config_of(cloud)
    answer = proxied(cloud, "POST", "/proxy/subscribe", signed(customer="7001"), signup(config["disclosure"]))
    assert (answer["statusCode"], json.loads(answer["body"])) == (202, {"status": "pending"})
    [event] = ledger_events(cloud)
    assert (event.kind, event.source, event.shopify_customer_id) == ("opt_in_requested", "web_form", "7001")
    assert event.disclosure_text == config["disclosure"]
    [doi] = [json.loads(b) for b in cloud.send_bodies()]
    assert doi["to"] == PHONE and "Reply Y to confirm" in doi["body"]


def test_a_body_naming_another_shop_is_refused(cloud):
    config = config_of(cloud)
    body = signup(config["disclosure"], shop="other-shop.myshopify.com")
    answer = proxied(cloud, "POST", "/proxy/subscribe", signed(), body)
    assert answer["statusCode"] == 400 and "another shop" in json.loads(answer["body"])["message"]
    assert ledger_events(cloud) == [] and cloud.send_bodies() == []


@pytest.mark.parametrize(("raw", "says"), [("[1]", "not a JSON object"), ('{"phone": 1, "phone": 2}', "duplicate key"),
                                           ("{not json", "not usable JSON")])  # fmt: skip
def test_a_body_that_is_not_one_sign_up_is_a_400_that_records_nothing(cloud, raw, says):
    event = api_event(raw.encode(), {"Content-Type": "application/json"}, path="/proxy/subscribe")
    multi: dict[str, list[str]] = {}
    for key, value in signed():
        multi.setdefault(key, []).append(value)
    event["multiValueQueryStringParameters"] = multi
    answer = cloud.invoke("storefront_proxy", event)
    assert answer["statusCode"] == 400 and says in json.loads(answer["body"])["message"]
    assert ledger_events(cloud) == [] and cloud.send_bodies() == []


def _tampered_shop(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, "evil-shop.myshopify.com" if k == "shop" else v) for k, v in pairs]


def _tampered_customer(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, "42" if k == "logged_in_customer_id" else v) for k, v in pairs]


@pytest.mark.parametrize(
    ("name", "pairs"),
    [
        ("no signature", lambda: [p for p in signed() if p[0] != "signature"]),
        ("another secret", lambda: signed(secret="not-the-app-secret")),
        ("stale", lambda: signed(at=-600)),
        ("tampered shop", lambda: _tampered_shop(signed())),
        ("tampered customer", lambda: _tampered_customer(signed(customer="7"))),
        ("nothing", lambda: []),
    ],
)
def test_an_unsigned_tampered_or_stale_request_is_a_401_that_changes_nothing(cloud, name, pairs):
    disclosure = config_of(cloud)["disclosure"]
    for method, path in (("GET", "/proxy/config"), ("POST", "/proxy/subscribe")):
        answer = proxied(cloud, method, path, pairs(), signup(disclosure) if method == "POST" else None)
        assert answer["statusCode"] == 401, (name, path, answer)
        assert json.loads(answer["body"])["error"] == "unauthorized"
    assert ledger_events(cloud) == [] and cloud.send_bodies() == []


def test_a_shop_that_does_not_text_has_no_form(cloud):
    answer = proxied(cloud, "GET", "/proxy/config", signed(shop="unknown-shop.myshopify.com"))
    assert answer["statusCode"] == 404
    assert json.loads(answer["body"])["error"] == "shop_not_onboarded"


def test_the_limits_count_the_address_shopify_forwarded_not_the_one_the_browser_claimed(cloud):
    """Past 5 sign-ups from one shopper's address per hour: a 429, whatever the browser puts first in
    X-Forwarded-For (Shopify appends the real one, API Gateway then Shopify's)."""
    disclosure = config_of(cloud)["disclosure"]
    answers = []
    for i in range(7):
        headers = {"X-Forwarded-For": f"10.0.0.{i}, 203.0.113.9, 23.227.38.1"}  # spoofed, shopper, Shopify
        body = signup(disclosure, phone=f"(512) 555-01{i:02d}", submission_id=f"s{i}")
        answers.append(proxied(cloud, "POST", "/proxy/subscribe", signed(), body, headers))
    assert [a["statusCode"] for a in answers] == [202] * 5 + [429] * 2
    wait = int(answers[-1]["multiValueHeaders"]["Retry-After"][0])  # until the source's hour ends
    assert 0 < wait <= 3600


def test_shopper_address_takes_the_entry_before_shopifys() -> None:
    from functions.storefront_proxy.handler import shopper_address

    assert (
        shopper_address({"X-Forwarded-For": "1.1.1.1, 203.0.113.9, 23.227.38.1"}, "23.227.38.1")
        == "203.0.113.9"
    )
    assert shopper_address({"x-forwarded-for": "203.0.113.9, 23.227.38.1"}, "23.227.38.1") == "203.0.113.9"
    assert shopper_address({"X-Forwarded-For": "23.227.38.1"}, "23.227.38.1") == "23.227.38.1"
    assert shopper_address({}, "198.51.100.1") == "198.51.100.1"
