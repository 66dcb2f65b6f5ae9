"""Twilio behind the SmsProvider port. `twilio.rest` is imported only when a message is first sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from smsflows.ports import ProviderReceipt, Sender
from smsflows.runtime.errors import ProviderError

# Twilio codes worth trying again (RULES.md / fixtures: 20429 too many requests); HTTP 429 and 5xx too.
RETRYABLE_CODES = frozenset({20429, 20500, 20503})
PROVIDER_TIMEOUT_S = 10.0


def _http_client(api_base: str | None, timeout: float = PROVIDER_TIMEOUT_S) -> Any:
    from twilio.http.http_client import TwilioHttpClient

    if not api_base:
        return TwilioHttpClient(timeout=timeout)
    base = urlsplit(api_base)

    class RedirectingHttpClient(TwilioHttpClient):
        """Sends every request to `api_base` (the local cloud's fake Twilio) instead of api.twilio.com."""

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            parts = urlsplit(url)
            return super().request(
                method, urlunsplit((base.scheme, base.netloc, parts.path, parts.query, "")), *args, **kwargs
            )

    return RedirectingHttpClient(timeout=timeout)


class TwilioProvider:
    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        api_base: str | None = None,
        timeout_s: float = PROVIDER_TIMEOUT_S,
    ) -> None:
        self._sid = account_sid
        self._token = auth_token
        self._api_base = api_base
        self._timeout = timeout_s
        self._client: Any = None

    def _messages(self) -> Any:
        if self._client is None:
            from twilio.rest import Client

            self._client = Client(
                self._sid, self._token, http_client=_http_client(self._api_base, self._timeout)
            )
        return self._client.messages

    def send(self, *, to: str, body: str, sender: Sender, status_callback: str | None) -> ProviderReceipt:
        from requests.exceptions import RequestException
        from twilio.base.exceptions import TwilioRestException

        kwargs: dict[str, Any] = {"to": to, "body": body}
        if sender.messaging_service_sid:
            kwargs["messaging_service_sid"] = sender.messaging_service_sid
        elif sender.from_number:
            kwargs["from_"] = sender.from_number
        else:
            raise ProviderError("no sender configured", code=None, status=None, retryable=False)
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            msg = self._messages().create(**kwargs)
        except TwilioRestException as exc:
            retryable = exc.status == 429 or exc.status >= 500 or (exc.code in RETRYABLE_CODES)
            raise ProviderError(
                f"twilio {exc.code}: {exc.msg}", code=exc.code, status=exc.status, retryable=retryable
            ) from exc
        except RequestException as exc:
            # A refused or timed-out *connection* never reached Twilio: safe to retry. Anything after the
            # request was written (a read timeout, a broken response) leaves it in doubt.
            in_doubt = _may_have_reached(exc)
            raise ProviderError(
                f"twilio {'in doubt' if in_doubt else 'unreachable'}: {type(exc).__name__}",
                code=None,
                status=None,
                retryable=True,
                in_doubt=in_doubt,
            ) from exc
        return _receipt(msg)

    def find(self, *, to: str, body: str, since: datetime) -> ProviderReceipt | None:
        """Twilio's most recent messages to `to` (newest first), matched on the body and creation time."""
        from requests.exceptions import RequestException
        from twilio.base.exceptions import TwilioRestException

        try:
            recent = self._messages().list(to=to, limit=50)
        except (TwilioRestException, RequestException) as exc:
            raise ProviderError(
                f"twilio lookup failed: {exc}", code=None, status=None, retryable=True
            ) from exc
        for msg in recent:
            created = msg.date_created
            if msg.body == body and (created is None or created >= since):
                return _receipt(msg)
        return None


def _may_have_reached(exc: Exception) -> bool:
    from requests.exceptions import ConnectionError, ConnectTimeout
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    if isinstance(exc, ConnectTimeout):
        return False
    if isinstance(exc, ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return not isinstance(reason, NewConnectionError | ConnectTimeoutError)
    return True


def _receipt(msg: Any) -> ProviderReceipt:
    segments = int(msg.num_segments) if msg.num_segments not in (None, "") else None
    return ProviderReceipt(sid=str(msg.sid), status=str(msg.status), segments=segments, price=msg.price)
