"""Logging and metrics shared by every handler; phone numbers never reach a log in full."""

from __future__ import annotations

import json
import re
from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools import Logger, Metrics

from smsflows.domain import correlation

SERVICE = "smsflows"

# Every string field of a log record is cut to this many characters: a request field echoed into a log
# (an error detail, a rejected value) cannot make a line of hundreds of KiB.
MAX_FIELD = 512
MAX_DEPTH = 4
# Fields whose free text may carry a phone number someone typed: masked like a number we log on purpose.
_FREE_TEXT = frozenset({"message", "detail", "error", "reason", "body", "text", "exception"})
# Set per invocation by the local cloud, whose functions share one process (and this logger) in threads;
# in Lambda one process serves one function, and Powertools' own function_name is right.
invocation_function: ContextVar[str | None] = ContextVar("invocation_function", default=None)
# The event a record is about (domain/correlation.py), written into every record while it is set.
correlation_id = correlation.current


def _bounded(value: Any, key: str = "", depth: int = 0) -> Any:
    if isinstance(value, str):
        text = scrub(value) if key in _FREE_TEXT else value
        return text if len(text) <= MAX_FIELD else f"{text[:MAX_FIELD]}…(+{len(text) - MAX_FIELD} chars)"
    if isinstance(value, bool | int | float) or value is None:
        return value
    if depth >= MAX_DEPTH:
        return _bounded(repr(value), key, depth)
    if isinstance(value, dict):
        items = list(value.items())
        out = {str(k)[:64]: _bounded(v, str(k), depth + 1) for k, v in items[:50]}
        if len(items) > 50:
            out["_truncated_keys"] = len(items) - 50
        return out
    if isinstance(value, list | tuple | set | frozenset):
        seq = list(value)
        return [_bounded(v, key, depth + 1) for v in seq[:50]] + (
            [f"…(+{len(seq) - 50} items)"] if len(seq) > 50 else []
        )
    return _bounded(str(value), key, depth)


def bounded_json(record: dict[str, Any]) -> str:
    """The log serializer: every field bounded; control characters escaped (JSON does it); a record that
    cannot be serialised is still written, as what could be kept and why the rest could not."""
    try:
        fields = _bounded(record)
        function = invocation_function.get()
        if function:
            fields["function_name"] = function
        correlation = correlation_id.get()
        if correlation and "correlation_id" not in fields:
            fields["correlation_id"] = correlation[:200]
        return json.dumps(fields, ensure_ascii=True, default=lambda v: _bounded(repr(v)))
    except Exception as exc:  # a log line must never be lost to its own serialisation
        return json.dumps(
            {
                "level": str(record.get("level", "ERROR"))[:16],
                "message": "log record not serialisable",
                "error": f"{type(exc).__name__}: {str(exc)[:200]}",
                "keys": sorted(map(str, record))[:50],
            }
        )


logger = Logger(service=SERVICE, json_serializer=bounded_json)
# The namespace carries the stage (POWERTOOLS_METRICS_NAMESPACE, set by the stack: smsflows/<stage>), so
# two stages in one account never add up; "smsflows" where it is not set (tests, the local cloud).
metrics = Metrics(service=SERVICE)
metrics.namespace = metrics.namespace or SERVICE

_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")


def mask_phone(phone: str | None) -> str:
    """+14155550123 -> +1******0123 (country code and last four kept)."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
    if len(digits) <= 4:
        return "*" * len(digits)
    head = "+" + digits[:1] if phone.strip().startswith("+") else digits[:1]
    return f"{head}{'*' * (len(digits) - 5)}{digits[-4:]}"


def scrub(text: str) -> str:
    """Mask anything that looks like a phone number inside free text."""
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)
