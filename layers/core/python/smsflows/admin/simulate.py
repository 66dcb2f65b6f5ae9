"""Test events as Twilio sends them (in the spirit of `stripe trigger`): an inbound text and a delivery
status callback, signed with the account's auth token over the URL they are posted to, so the real
handlers verify and handle them like any other."""

from __future__ import annotations

import http.client
import urllib.error
import uuid
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from smsflows.admin.errors import Failed
from smsflows.admin.target import unreachable_reason

LOCAL_TWILIO_TOKEN = "local-twilio-token"  # noqa: S105 - the local cloud's documented default, loopback only
LOCAL_ACCOUNT_SID = "AC" + "0" * 31 + "1"


def new_sid() -> str:
    """A message SID in Twilio's form: SM and 32 hex digits."""
    return "SM" + uuid.uuid4().hex


def _post(what: str, call: Any) -> Any:
    try:
        return call()
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise Failed(f"nothing answers at {what}: {unreachable_reason(exc)}") from None


def _refused(url: str, status: int, body: bytes) -> Failed:
    if status == 403:
        return Failed(
            f"POST {url} was refused (HTTP 403): the signature does not verify; sign with the deployment's"
            " Twilio auth token (TWILIO_AUTH_TOKEN)"
        )
    return Failed(f"POST {url} gave HTTP {status}: {body.decode(errors='replace')[:200]}")


def simulate_inbound(
    base_url: str,
    token: str,
    *,
    from_: str,
    body: str,
    to: str,
    sid: str | None = None,
    messaging_service: str | None = None,
) -> dict[str, Any]:
    """POST {base_url}/sms/inbound as Twilio would; the TwiML reply's text (None: no reply)."""
    from smsflows.local import client

    sid = sid or new_sid()
    url = base_url.rstrip("/") + "/sms/inbound"
    result = _post(
        base_url,
        lambda: client.post_sms(
            base_url, token=token, body=body, sid=sid, from_=from_, to=to, sender=messaging_service
        ),
    )
    if result.status != 200:
        raise _refused(url, result.status, result.body)
    try:
        reply = client.twiml_reply(result)
    except Exception:
        raise Failed(f"POST {url} answered 200 but not with TwiML: {result.body[:200]!r}") from None
    return {
        "url": url,
        "http_status": result.status,
        "sid": sid,
        "from": from_,
        "to": to,
        "body": body,
        "reply": reply,
    }


def message_id_for(base_url: str, sid: str) -> str | None:
    """The message id the sender gave the local text `sid` (the `mid` of its StatusCallback), from the
    local cloud's outbox."""
    from smsflows.local import client

    entries = _post(base_url, lambda: client.outbox(base_url))
    for entry in entries:
        if entry.get("sid") == sid and entry.get("status_callback"):
            found = parse_qs(urlsplit(entry["status_callback"]).query).get("mid")
            return found[0] if found else None
    return None


def simulate_status(
    base_url: str,
    token: str,
    *,
    sid: str,
    status: str,
    message_id: str,
    error_code: int | None = None,
    to: str | None = None,
    account_sid: str = LOCAL_ACCOUNT_SID,
) -> dict[str, Any]:
    """POST {base_url}/sms/status?mid=… (the StatusCallback the sender sets) as Twilio would."""
    from twilio.request_validator import RequestValidator

    from smsflows.local import client

    url = f"{base_url.rstrip('/')}/sms/status?mid={quote(message_id, safe='')}"
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": account_sid}
    if to:
        params["To"] = to
    if error_code is not None:
        params["ErrorCode"] = str(error_code)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": RequestValidator(token).compute_signature(url, params),
    }
    result = _post(base_url, lambda: client.request("POST", url, urlencode(params).encode(), headers))
    if result.status != 200:
        raise _refused(url, result.status, result.body)
    return {
        "url": url,
        "http_status": result.status,
        "sid": sid,
        "message_id": message_id,
        "status": status,
        "error_code": error_code,
    }
