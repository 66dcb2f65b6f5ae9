"""HTTP helpers shared by the API handlers: raw bodies and one error-to-response mapping."""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from pydantic import ValidationError

from smsflows.runtime.errors import BadRequest, SmsflowsError, TooManyRequests
from smsflows.runtime.observability import logger


def raw_body(event: dict[str, Any]) -> bytes:
    """The request body exactly as sent (signatures are computed over these bytes)."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=False)
        except ValueError:
            raise BadRequest("body is not valid base64") from None
    # A lone surrogate (undecodable bytes passed on as text) is kept as the bytes it was: the signature
    # check then fails with a 401, instead of an encoding error failing with a 500.
    return body.encode("utf-8", "surrogatepass")


def json_response(status: int, payload: dict[str, Any]) -> Response:
    return Response(status_code=status, content_type="application/json", body=json.dumps(payload))


def error_response(exc: Exception) -> Response:
    """The one place errors become HTTP: 4xx with a clear message, 5xx without internals."""
    if isinstance(exc, SmsflowsError):
        if exc.status_code >= 500:
            logger.warning("request failed", error=exc.code)
            return json_response(exc.status_code, {"error": exc.code})
        logger.info("request rejected", error=exc.code, detail=str(exc))
        response = json_response(exc.status_code, {"error": exc.code, "message": str(exc)})
        if isinstance(exc, TooManyRequests):  # a 429 says when trying again can succeed (RFC 6585)
            response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    if isinstance(exc, NotFoundError):
        # each function serves one path, with POST: reaching it otherwise (HEAD, GET, ...) is a wrong method
        response = json_response(405, {"error": "method_not_allowed", "message": "use POST"})
        response.headers["Allow"] = "POST"
        return response
    if isinstance(exc, ServiceError):
        return json_response(exc.status_code, {"error": "bad_request", "message": exc.msg[:200]})
    if isinstance(exc, ValidationError):
        return json_response(400, {"error": "bad_request", "message": str(exc.errors()[0]["msg"])})
    logger.exception("unexpected error")
    return json_response(500, {"error": "internal_error"})
