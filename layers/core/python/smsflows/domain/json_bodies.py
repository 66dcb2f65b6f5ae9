"""Reading JSON that arrives from outside: strict UTF-8, bounded depth, one clear error, no surprises.

Python's `json` accepts what no store or SMS can carry: a lone UTF-16 surrogate (`"\\ud83d"`, half an emoji)
and duplicate keys (the last one silently wins); it raises RecursionError, not ValueError, on deep nesting.
`loads` turns each into something a caller can act on: a lone surrogate is dropped (the rest of the text is
kept; the raw body, evidence, keeps it), duplicate keys and excess depth are a `BadJson` (a ValueError)."""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64  # Shopify's deepest payloads nest about 8 levels


class BadJson(ValueError):
    pass


def _pairs(strict_keys: bool):  # type: ignore[no-untyped-def]
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if strict_keys and key in out:
                raise BadJson(f"duplicate key {clean(key)[:40]!r}")
            out[key] = value
        return out

    return hook


def clean(text: str) -> str:
    """`text` without its lone surrogates (a valid pair is kept as the character it is)."""
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")


def _clean(value: Any, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise BadJson(f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(k): _clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, depth + 1) for v in value]
    return value


def _depth_ok(text: str) -> bool:
    """A cheap bound before the parser recurses: brackets outside strings never nest deeper than MAX_DEPTH."""
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def loads(raw: bytes | str, *, strict_keys: bool = False) -> Any:
    """Parse JSON from outside; BadJson (a ValueError) for anything that is not plain, sane JSON."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadJson(f"not UTF-8 (byte {exc.start})") from None
    else:
        text = clean(raw)
    if not _depth_ok(text):
        raise BadJson(f"nested deeper than {MAX_DEPTH} levels")
    try:
        parsed = json.loads(text, object_pairs_hook=_pairs(strict_keys))
    except BadJson:
        raise
    except (ValueError, RecursionError) as exc:
        raise BadJson(f"not JSON: {str(exc)[:120]}") from None
    return _clean(parsed)


def request_object(raw: bytes, what: str) -> dict[str, Any]:
    """A request body that must be one JSON object (`what`, e.g. "the sign-up"), strict keys: BadRequest (a
    400 saying what is wrong) for anything else."""
    from smsflows.runtime.errors import BadRequest

    try:
        parsed = loads(raw, strict_keys=True)  # a duplicate key is two answers to one question
    except BadJson as exc:
        raise BadRequest(f"body is not usable JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise BadRequest(f"body is not a JSON object: send {what} as one")
    return parsed
