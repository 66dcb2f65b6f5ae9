"""Twilio behind the SmsProvider port. `twilio.rest` is imported when the client is first needed (`warm`, or a send)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

from smsflows.ports import ProviderReceipt, Sender
from smsflows.runtime.errors import ProviderError
from smsflows.runtime.observability import logger

if TYPE_CHECKING:
    from smsflows.adapters.secrets import SecretsStore

# Twilio codes worth trying again (RULES.md / fixtures: 20429 too many requests); HTTP 429 and 5xx too.
RETRYABLE_CODES = frozenset({20429, 20500, 20503})
PROVIDER_TIMEOUT_S = 10.0

T = TypeVar("T")


class Credentials(Protocol):
    """Where the provider gets Twilio's account SID and auth token."""

    def current(self) -> tuple[str, str]:
        """The credentials to use now (cheap: called on every request)."""
        ...

    def renewed(self) -> tuple[str, str]:
        """After Twilio refused `current()`: the credentials read again, if that is allowed now."""
        ...


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


class StaticCredentials:
    """An account SID and auth token that never change (tests, benchmarks)."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self._pair = (account_sid, auth_token)

    def current(self) -> tuple[str, str]:
        return self._pair

    def renewed(self) -> tuple[str, str]:
        return self._pair


class SecretCredentials:
    """The account SID and auth token of the Twilio secret: as cached (the store's TTL), and re-read when
    Twilio refuses them (at most every `SecretsStore.min_refresh_s`)."""

    def __init__(self, store: SecretsStore, secret_id: str) -> None:
        self._store = store
        self._secret_id = secret_id

    def current(self) -> tuple[str, str]:
        value = self._store.get(self._secret_id)
        return str(value["account_sid"]), str(value["auth_token"])

    def renewed(self) -> tuple[str, str]:
        # Nothing read (the value is young, or the read failed): what is cached, perhaps newer than the
        # pair that was refused (another thread, or the TTL, read it meanwhile).
        self._store.refresh(self._secret_id, reason="twilio 401")
        return self.current()


class TwilioProvider:
    """Twilio's Messages API with the real client. Credentials come from `credentials` (else the
    `account_sid` and `auth_token` given): read on every call, so a rotated secret is used once the
    store's TTL lets it through, and renewed once when Twilio answers 401 (see `_authenticated`)."""

    def __init__(
        self,
        account_sid: str = "",
        auth_token: str = "",
        api_base: str | None = None,
        timeout_s: float = PROVIDER_TIMEOUT_S,
        credentials: Credentials | None = None,
    ) -> None:
        self._credentials: Credentials = credentials or StaticCredentials(account_sid, auth_token)
        self._api_base = api_base
        self._timeout = timeout_s
        self._lock = threading.Lock()
        self._http: Any = None
        self._client: Any = None
        self._client_pair: tuple[str, str] | None = None

    def _messages(self, pair: tuple[str, str]) -> Any:
        """The Messages resource of a client with these credentials (one HTTP client, its connections
        kept, for whatever credentials come)."""
        with self._lock:
            if self._client is None or self._client_pair != pair:
                from twilio.rest import Client

                if self._http is None:
                    self._http = _http_client(self._api_base, self._timeout)
                self._client = Client(pair[0], pair[1], http_client=self._http)
                self._client_pair = pair
            return self._client.messages

    def warm(self) -> None:
        """Read the credentials and build the client (importing twilio's REST modules takes about a second
        in a cold container): a failure is left for the send to report."""
        try:
            self._messages(self._pair(lambda: self._credentials.current()))
        except Exception as exc:
            logger.warning("could not get the twilio client ready", error=type(exc).__name__)

    def _authenticated(self, call: Callable[[Any], T]) -> T:
        """`call(messages)` with the current credentials; after a 401, once more with renewed ones.

        A 401 (Twilio 20003 "Authenticate") is the answer to a request Twilio did not authenticate, so it
        acted on nothing: a create refused that way created no message, and repeating it once with other
        credentials cannot send a text twice. Only when the renewed credentials differ is there a second
        request; if it is refused too, its error stands (retryable: see `send`)."""
        from twilio.base.exceptions import TwilioException

        pair = self._pair(lambda: self._credentials.current())
        try:
            return call(self._messages(pair))
        except TwilioException as exc:
            if not _unauthenticated(exc):
                raise
            renewed = self._pair(lambda: self._credentials.renewed())
            if renewed == pair:  # nothing new to try (not rotated, or re-read less than 30 s ago)
                raise
        logger.warning("twilio refused the credentials: trying once more with the re-read ones")
        return call(self._messages(renewed))

    @staticmethod
    def _pair(read: Callable[[], tuple[str, str]]) -> tuple[str, str]:
        """Credentials, or a retryable ProviderError: nothing reached Twilio if they cannot be read."""
        try:
            return read()
        except Exception as exc:
            raise ProviderError(
                f"twilio credentials unavailable: {type(exc).__name__}",
                code=None,
                status=None,
                retryable=True,
            ) from exc

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
            msg = self._authenticated(lambda messages: messages.create(**kwargs))
        except TwilioRestException as exc:
            # A 401 that renewed credentials did not cure is retryable like an outage: Twilio created
            # nothing, and failing the text would lose it. The sender retries it with its backoff for half
            # an hour or more (the queue-age alarm fires meanwhile) and then dead-letters it with the reason,
            # to be replayed once the operator has fixed the secret.
            retryable = (
                exc.status == 429 or exc.status >= 500 or exc.code in RETRYABLE_CODES or _unauthenticated(exc)
            )
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
        from twilio.base.exceptions import TwilioException

        try:
            recent = self._authenticated(lambda messages: messages.list(to=to, limit=50))
        except (TwilioException, RequestException) as exc:  # a page that failed is a TwilioException
            raise ProviderError(
                f"twilio lookup failed: {exc}", code=None, status=None, retryable=True
            ) from exc
        for msg in recent:
            created = msg.date_created
            if msg.body == body and (created is None or created >= since):
                return _receipt(msg)
        return None


def _unauthenticated(exc: Exception) -> bool:
    """Twilio's answer to credentials it does not accept: HTTP 401, error 20003 ("Authenticate"). A create
    raises it as a TwilioRestException; a list page as a TwilioException holding the response."""
    from twilio.base.exceptions import TwilioRestException

    if isinstance(exc, TwilioRestException):
        return bool(exc.status == 401 or exc.code == 20003)
    response = exc.args[1] if len(exc.args) > 1 else None
    return getattr(response, "status_code", None) == 401


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
