"""Branded short links: every URL in a flow or campaign text becomes a per-recipient code on the shop's own
domain (RULES.md B: carriers filter shared public shorteners), and a click on it a redirect with UTM tags.

A code is `CODE_LENGTH` base62 characters of HMAC-SHA256(the shop's link key, message id, the URL's place):
unguessable without the key (59 bits), and the same on every attempt at the same message, so a retried send
rewrites to the same body (the in-doubt settlement finds a text by its body) and writes the same link item.
Base62 is GSM-7, so every code counts the same in segments: the preview and the segment count use
`PREVIEW_CODE` in its place and see what will be sent.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from smsflows.domain.shops import link_domain

__all__ = ["link_domain"]  # the form of a link domain is the kernel's (a shop setting)

CODE_LENGTH = 10
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
PREVIEW_CODE = "Ab3dE6gH9k"
CODE_FORM = re.compile(rf"^[0-9A-Za-z]{{{CODE_LENGTH}}}$")
DEFAULT_EXPIRY_DAYS = 90
PATH = "/l/"
# What a preview counts a link as when it does not know the deployment's URL: an API Gateway stage URL of
# the usual length (a shop with a link domain is counted on its own, shorter, host).
API_BASE_EXAMPLE = "https://abcde12345.execute-api.us-east-1.amazonaws.com/prod/l/"
# A URL in a text: http(s) up to whitespace or a character no URL ends with in prose.
_URL = re.compile(r"https?://[^\s<>\"'{}|\\^`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""


def base_url(domain: str | None, api_base: str | None) -> str | None:
    """Where a shop's codes live: https://<its link domain>/l/, else the API's own /l/ path (None: nowhere
    to point a link, so the text keeps its URLs)."""
    if domain:
        return f"https://{domain}{PATH}"
    if api_base:
        return f"{api_base.rstrip('/')}{PATH}"
    return None


def code_for(key: str, message_id: str, index: int) -> str:
    digest = hmac.new(key.encode(), f"{message_id}\x1f{index}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:16], "big")
    out = []
    for _ in range(CODE_LENGTH):
        number, digit = divmod(number, 62)
        out.append(ALPHABET[digit])
    return "".join(out)


def find_urls(text: str) -> list[tuple[int, int]]:
    """(start, end) of each URL in `text`, trailing prose punctuation left out."""
    spans = []
    for match in _URL.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in _TRAILING:
            end -= 1
        if end - start > len("https://"):
            spans.append((start, end))
    return spans


@dataclass(frozen=True)
class Shortened:
    index: int  # the URL's place in the text, from 0
    url: str  # as written in the text
    code: str


def shorten(text: str, base: str, code_of: Callable[[int], str]) -> tuple[str, list[Shortened]]:
    """`text` with each URL replaced by base + its code (URLs already on `base` are left as they are)."""
    out, links, last = [], [], 0
    for index, (start, end) in enumerate(find_urls(text)):
        url = text[start:end]
        if url.startswith(base):
            continue
        code = code_of(index)
        out += [text[last:start], base + code]
        links.append(Shortened(index, url, code))
        last = end
    out.append(text[last:])
    return "".join(out), links


def preview(text: str, base: str | None) -> str:
    """The text as it will be sent, with `PREVIEW_CODE` for each recipient's own code (same length)."""
    return text if base is None else shorten(text, base, lambda _: PREVIEW_CODE)[0]


def with_utm(url: str, campaign: str, content: str, medium: str) -> str:
    """`url` with utm_source=sms and the rest; a parameter the URL already carries is kept as written."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    query = parse_qsl(parts.query, keep_blank_values=True)
    have = {k for k, _ in query}
    tags = {"utm_source": "sms", "utm_medium": medium, "utm_campaign": campaign, "utm_content": content}
    query += [(k, v) for k, v in tags.items() if k not in have and v]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


@dataclass(frozen=True)
class Link:
    """One recipient's link: what `GET /l/{code}` reads, in one item."""

    code: str
    shop: str
    phone: str
    message_id: str
    scope: str  # the counters' scope (analytics/counters.py): the flow and step, or the campaign and variant
    target: str  # the redirect, UTM parameters included
    created_at: datetime
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def links_for(
    shortened: list[Shortened],
    *,
    shop: str,
    phone: str,
    message_id: str,
    scope: str,
    utm: Mapping[str, str],
    now: datetime,
    expiry_days: int,
) -> list[Link]:
    expires = now + timedelta(days=expiry_days)
    return [
        Link(s.code, shop, phone, message_id, scope,
             with_utm(s.url, utm["campaign"], utm["content"], utm["medium"]), now, expires)
        for s in shortened
    ]  # fmt: skip
