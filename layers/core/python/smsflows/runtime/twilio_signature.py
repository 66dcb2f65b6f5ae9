"""X-Twilio-Signature: validated against the URL exactly as Twilio called it.

Behind API Gateway the function sees a path without the stage (`/sms/inbound`) and a requestContext
path with it (`/v1/sms/inbound`, or the base path on a custom domain); the scheme and port come from
X-Forwarded-Proto / X-Forwarded-Port. Every plausible URL is tried; any match is authentic.

Twilio signs with the account's auth token. During a rotation the secret may keep the old one as
`previous_auth_token`: either verifies. A signature neither verifies re-reads the secret once (rate
limited) before the request is refused, so a token rotated in Secrets Manager applies at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode


class SecretSource(Protocol):
    """What verification needs of the secrets store (adapters/secrets.py SecretsStore.first_verifying)."""

    def first_verifying(
        self,
        secret_id: str,
        keys: Callable[[dict[str, Any]], Iterable[str]],
        verifies: Callable[[str], bool],
        reason: str = ...,
    ) -> str | None: ...


def candidate_urls(event: dict[str, Any], public_base_url: str | None) -> list[str]:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    query_pairs = [
        (k, v) for k, vs in (event.get("multiValueQueryStringParameters") or {}).items() for v in vs
    ]
    query = ("?" + urlencode(query_pairs)) if query_pairs else ""
    proto = headers.get("x-forwarded-proto", "https").split(",")[0].strip()
    host = headers.get("host", "")
    port = headers.get("x-forwarded-port", "").split(",")[0].strip()
    paths = [p for p in ((event.get("requestContext") or {}).get("path"), event.get("path")) if p]
    urls: list[str] = []
    for path in dict.fromkeys(paths):
        urls.append(f"{proto}://{host}{path}{query}")
        if port and ":" not in host and port not in ("80", "443"):
            urls.append(f"{proto}://{host}:{port}{path}{query}")
    if public_base_url:
        urls.append(public_base_url.rstrip("/") + (event.get("path") or "") + query)
    return list(dict.fromkeys(urls))


def form_params(body: bytes) -> dict[str, str]:
    """The form as Twilio signed it. Bytes that are not UTF-8 become U+FFFD: the signature over them then
    fails (Twilio sends UTF-8), so unsigned junk is a 403, never a decoding error."""
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, errors="replace"))


def is_authentic(event: dict[str, Any], body: bytes, auth_token: str, public_base_url: str | None) -> bool:
    from twilio.request_validator import RequestValidator

    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    signature = headers.get("x-twilio-signature")
    if not signature or not auth_token:
        return False
    validator = RequestValidator(auth_token)
    params = form_params(body)
    return any(validator.validate(url, params, signature) for url in candidate_urls(event, public_base_url))


def auth_tokens(secret: dict[str, Any]) -> list[str]:
    """The tokens a request may be signed with, from the Twilio secret's JSON: `auth_token`, then the
    `previous_auth_token` an operator may keep while a rotation settles."""
    tokens = (secret.get("auth_token"), secret.get("previous_auth_token"))
    return [t for t in dict.fromkeys(tokens) if isinstance(t, str) and t]


def is_signed_by_account(
    event: dict[str, Any], body: bytes, secrets: SecretSource, secret_id: str, public_base_url: str | None
) -> bool:
    """The request is signed with one of the account's tokens (`auth_tokens`), re-reading the secret once
    when none of the cached ones verifies (SecretsStore.first_verifying). An unsigned request is refused
    without looking further."""
    if not any(k.lower() == "x-twilio-signature" and v for k, v in (event.get("headers") or {}).items()):
        return False
    verified = secrets.first_verifying(
        secret_id,
        auth_tokens,
        lambda token: is_authentic(event, body, token, public_base_url),
        reason="twilio signature mismatch",
    )
    return verified is not None
