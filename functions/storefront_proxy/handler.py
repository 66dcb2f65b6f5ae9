"""GET /proxy/config, POST /proxy/subscribe: the storefront's opt-in, through Shopify's app proxy.

Shopify forwards `https://{shop}/apps/sms/...` here with a signed query; a request whose signature is missing,
wrong or older than 90 s is a 401 and changes nothing (domain/shopify/app_proxy.py). The shop is the signed
one; the sign-up is the web form's, with its limits (domain/shopify/storefront.py)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

from smsflows.domain import json_bodies
from smsflows.domain.shopify import app_proxy
from smsflows.domain.shopify.storefront import proxy_subscribe, storefront_config
from smsflows.runtime.deps import get_deps
from smsflows.runtime.errors import BadRequest, TooManyRequests, Unauthorized
from smsflows.runtime.http import error_response, json_response, raw_body
from smsflows.runtime.observability import logger, mask_phone, metrics

# Same origin as the storefront (Shopify serves the proxy on the shop's own domain): no CORS.
app = APIGatewayRestResolver()
MAX_BODY = 16_384


def _proxied() -> app_proxy.ProxyRequest:
    """The signed facts of this request, checked with the app's secret (its previous one during a rotation)."""
    event = app.current_event
    multi = event.multi_value_query_string_parameters or {}
    pairs = [(key, value) for key, values in multi.items() for value in (values or [""])]
    deps = get_deps()
    shop = next((v for k, v in pairs if k == "shop"), "")
    now = deps.clock()
    found: list[app_proxy.ProxyRequest] = []
    reasons: list[str] = []

    def verifies(secret: bytes) -> bool:
        # API Gateway decodes %XX but may leave "+" as it came: try the pairs as given, then with "+" as a space
        for candidate in dict.fromkeys([tuple(pairs), tuple((k, v.replace("+", " ")) for k, v in pairs)]):
            try:
                found.append(app_proxy.verify_pairs(list(candidate), secret, now))
                return True
            except app_proxy.ProxySignatureError as exc:
                reasons.append(exc.reason)
        return False

    if not pairs or deps.shopify_secret_verifying(shop, verifies) is None or not found:
        metrics.add_metric(name="Proxy_refused", unit=MetricUnit.Count, value=1)
        reason = next(
            (r for r in reasons if r != "signature does not match"), reasons[0] if reasons else "no signature"
        )
        raise Unauthorized(f"not a request signed by Shopify's app proxy: {reason}")
    return found[0]


def shopper_address(headers: dict[str, str], source_ip: str | None) -> str | None:
    """The shopper's address, which the sign-up limits count by. Behind the proxy, API Gateway's source
    address is Shopify's; Shopify appends the shopper's to X-Forwarded-For and API Gateway then appends
    Shopify's, so the shopper's is the one before last. Entries before it are whatever the browser sent
    (spoofable) and are never used."""
    forwarded = next((v for k, v in headers.items() if k.lower() == "x-forwarded-for"), "")
    entries = [e.strip() for e in forwarded.split(",") if e.strip()]
    return entries[-2] if len(entries) >= 2 else source_ip


@app.get("/proxy/config")
def config_route() -> Response:
    proxied = _proxied()
    response = json_response(200, storefront_config(proxied.shop, get_deps().consent))
    response.headers["Cache-Control"] = "no-store"  # a paused shop's form must close at once
    return response


@app.post("/proxy/subscribe")
def subscribe_route() -> Response:
    proxied = _proxied()
    event = app.current_event
    body = raw_body(event.raw_event)
    if len(body) > MAX_BODY:
        raise BadRequest("request too large")
    parsed = json_bodies.request_object(body, "the sign-up")
    identity = event.request_context.identity
    ip = shopper_address(event.headers or {}, identity.source_ip)
    result = proxy_subscribe(proxied, parsed, ip, identity.user_agent, get_deps().consent)
    logger.info("storefront sign-up", shop=proxied.shop, to=mask_phone(result.phone), status=result.status,
                repeat=result.repeat, customer=bool(proxied.logged_in_customer_id))  # fmt: skip
    metrics.add_metric(name=f"ProxySubscribe_{result.status}", unit=MetricUnit.Count, value=1)
    return json_response(202 if result.status == "pending" else 200, {"status": result.status})


@app.exception_handler(Exception)
def handle_error(exc: Exception) -> Response:
    response = error_response(exc)
    if isinstance(exc, TooManyRequests):
        metrics.add_metric(name="ProxySubscribe_rate_limited", unit=MetricUnit.Count, value=1)
    return response


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
