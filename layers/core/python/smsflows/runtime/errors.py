"""Typed errors that handlers map to HTTP status codes in one place."""

from __future__ import annotations


class SmsflowsError(Exception):
    """Base class of the errors the application raises on purpose."""

    status_code = 500
    code = "internal_error"


class BadRequest(SmsflowsError):
    status_code = 400
    code = "bad_request"


class Unauthorized(SmsflowsError):
    status_code = 401
    code = "unauthorized"


class Forbidden(SmsflowsError):
    status_code = 403
    code = "forbidden"


class NotFound(SmsflowsError):
    status_code = 404
    code = "not_found"


class Conflict(SmsflowsError):
    """The same thing is being done by another request right now; retrying later is the answer."""

    status_code = 409
    code = "conflict"


class PayloadTooLarge(SmsflowsError):
    status_code = 413
    code = "payload_too_large"


class TransientError(SmsflowsError):
    """A dependency failed in a way worth retrying (throttling, 5xx, timeout)."""

    status_code = 503
    code = "temporarily_unavailable"


class ProviderError(SmsflowsError):
    """The SMS provider refused a message. `retryable` says whether trying again can help; `in_doubt`
    that the request may have reached the provider (the answer never came), so it may have the message."""

    def __init__(
        self, message: str, *, code: int | None, status: int | None, retryable: bool, in_doubt: bool = False
    ) -> None:
        super().__init__(message)
        self.provider_code = code
        self.http_status = status
        self.retryable = retryable
        self.in_doubt = in_doubt


class TooManyRequests(SmsflowsError):
    """A caller went over a rate limit; `retry_after_s` says when trying again can succeed (Retry-After)."""

    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)


# The Shopify Admin API (adapters/shopify_admin.py raises these; domain/shopify/admin_api.py re-exports them).
class ShopifyError(SmsflowsError):
    """The Shopify Admin API refused a request for good (a query it does not accept, an unknown id):
    retrying the same request cannot help."""

    code = "shopify_error"


class ShopifyThrottled(TransientError):
    """Shopify's cost bucket stayed empty through the client's own bounded backoff: retry later (the queue's
    redelivery). `retry_after_s`: when the bucket should hold the request's cost again (an estimate)."""

    code = "shopify_throttled"

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ShopifyUnavailable(TransientError):
    """Shopify answered 5xx, or did not answer (network error, timeout): worth retrying."""

    code = "shopify_unavailable"


class ShopifyAccessDenied(ShopifyError):
    """ACCESS_DENIED (a scope the app lacks, protected customer data not approved), or a token Shopify
    refuses even after re-reading it: never retried, a person must grant the access or reconnect the shop."""

    code = "shopify_access_denied"


class ShopifyNotConnected(ShopifyError):
    """No Admin API access token is stored for this shop (`smsflows shop connect` stores one)."""

    code = "shopify_not_connected"


class ShopifyUserErrors(ShopifyError):
    """A mutation answered HTTP 200 with `userErrors` (e.g. the customer has no phone number): nothing was
    changed. `errors`: the userErrors as Shopify gave them ({field, message, code})."""

    code = "shopify_user_errors"

    def __init__(self, message: str, errors: list[dict[str, object]]) -> None:
        super().__init__(message)
        self.errors = errors
