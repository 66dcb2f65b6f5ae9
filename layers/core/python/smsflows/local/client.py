"""A small HTTP client for the local cloud (or a deployed stage): signed Shopify webhooks, the outbox."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

from smsflows.domain.shopify import webhooks


@dataclass(frozen=True)
class HttpResult:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body or b"null")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx itself is the answer (a short link's redirect, read by the caller)


_STAY = urllib.request.build_opener(_NoRedirects)


def request(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 15,
    follow_redirects: bool = True,
) -> HttpResult:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    opener = urllib.request.urlopen if follow_redirects else _STAY.open
    try:
        with opener(
            req, timeout=timeout
        ) as resp:  # the caller's URL (http or https: the local cloud, a stage)
            return HttpResult(resp.status, resp.read(), dict(resp.headers.items()))
    except urllib.error.HTTPError as err:
        return HttpResult(err.code, err.read(), dict(err.headers.items()) if err.headers else {})


def shopify_headers(
    body: bytes,
    *,
    secret: str,
    topic: str,
    shop: str,
    webhook_id: str | None = None,
    api_version: str = "2026-04",
) -> dict[str, str]:
    """The headers Shopify sends with a webhook, signed with `secret`."""
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-API-Version": api_version,
        "X-Shopify-Triggered-At": "2026-01-01T00:00:00Z",
        "X-Shopify-Hmac-Sha256": webhooks.sign(secret.encode(), body),
    }


def post_shopify(
    base_url: str,
    payload: dict[str, Any] | bytes,
    *,
    secret: str,
    topic: str,
    shop: str,
    webhook_id: str | None = None,
) -> HttpResult:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = shopify_headers(body, secret=secret, topic=topic, shop=shop, webhook_id=webhook_id)
    return request("POST", base_url.rstrip("/") + "/webhooks/shopify", body, headers)


def outbox(base_url: str) -> list[dict[str, Any]]:
    result = request("GET", base_url.rstrip("/") + "/_local/outbox")
    return list(result.json())


def post_sms(
    base_url: str, *, token: str, body: str, sid: str, from_: str, to: str, sender: str | None = None
) -> HttpResult:
    """An inbound SMS as Twilio posts it, signed with the auth token over the URL it calls."""
    from urllib.parse import urlencode

    from twilio.request_validator import RequestValidator

    url = base_url.rstrip("/") + "/sms/inbound"
    params = {"MessageSid": sid, "From": from_, "To": to, "Body": body, "NumMedia": "0"}
    if sender:
        params["MessagingServiceSid"] = sender
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": RequestValidator(token).compute_signature(url, params),
    }
    return request("POST", url, urlencode(params).encode(), headers)


def twiml_reply(result: HttpResult) -> str | None:
    from xml.etree import ElementTree

    node = ElementTree.fromstring(result.body).find("Message")  # noqa: S314 - our own TwiML, local cloud only
    return None if node is None else node.text
