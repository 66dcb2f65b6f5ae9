"""Message templates: placeholders, rendering, and a preview with encoding and segment count.

Every text carries the brand (CTIA, RULES.md A3) and every marketing text the opt-out instruction; a
template that forgets either gets it added rather than sent without it. Look-alike characters (curly
quotes, dashes, hyphens, primes, ellipsis, non-breaking spaces) are transliterated and invisible ones
dropped, so a stray `’` or zero-width space does not double the cost of a message by forcing UCS-2
(RULES.md B, Smart Encoding). The segment count is `segment_info`'s, on the text as it will be sent.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass

from smsflows.domain.analytics import links
from smsflows.domain.sending.encoding import is_gsm7, lone_surrogates, segment_info

PLACEHOLDERS = {
    "first_name": 'the customer\'s first name ("there" when unknown)',
    "shop_name": "the shop's brand name",
    "shop_url": "the shop's storefront URL",
    "order_name": "the order's name, e.g. #1001",
    "product": "the product the message is about",
    "product_url": "a link to that product",
    "checkout_url": "the link that restores an abandoned checkout",
    "tracking_url": "the carrier's tracking link",
    "tracking_company": "the carrier",
    "discount_code": "the step's discount code (a seam for unique per-recipient codes)",
}
FALLBACKS = {"first_name": "there", "product": "your items", "tracking_company": "the carrier"}

# Twilio's Smart Encoding replaces most of these too (its documented list, RULES.md B), but only when the
# rest of the text is GSM-7 and only on Messaging Services that have it on; the count must be of what is
# sent, so we replace them ourselves. Not on Twilio's list, added as the look-alikes (or invisible marks)
# they are: U+2011, U+2212, U+2032, U+2033, U+00AD. Other Unicode spaces need no entry: `render` turns
# every run of whitespace into one space.
LOOKALIKES = str.maketrans(
    {
        "‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"', "–": "-", "—": "-",
        "‒": "-", "―": "-", "…": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ", "•": "-",
        "\u2010": "-", "\u2011": "-", "\u2212": "-", "\u2032": "'", "\u2033": '"',  # hyphens, minus, primes
        "«": '"', "»": '"', "´": "'", "ʼ": "'", "`": "'",
        "\u200b": None, "\ufeff": None, "\u2060": None, "\u00ad": None,  # zero-width space, BOM, word joiner, soft hyphen
    }
)  # fmt: skip
# Zero-width non-joiner and joiner, left-to-right and right-to-left marks: they shape Arabic, Hebrew and Indic
# text and build emoji sequences (a ZWJ joins woman and laptop into one emoji), all UCS-2 anyway. They are
# dropped only when nothing else keeps the text out of GSM-7, i.e. when they join nothing.
FORMAT_MARKS = str.maketrans(dict.fromkeys("\u200c\u200d\u200e\u200f"))
_SURROGATE = re.compile("[\ud800-\udfff]")


class TemplateError(ValueError):
    pass


def placeholders_in(template: str) -> set[str]:
    try:
        return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    except ValueError as exc:
        raise TemplateError(f"template syntax: {exc}") from None


def validate(template: str) -> None:
    unknown = placeholders_in(template) - set(PLACEHOLDERS)
    if unknown:
        raise TemplateError(f"unknown placeholders {sorted(unknown)}; known: {sorted(PLACEHOLDERS)}")
    if len(template) > 1000:
        raise TemplateError("template longer than 1000 characters")
    broken = lone_surrogates(template)
    if broken:
        at = broken[0]
        raise TemplateError(
            f"template has a broken character at position {at}: a lone UTF-16 surrogate (U+{ord(template[at]):04X}, "
            "half an emoji, or bytes that were not UTF-8) that no SMS can carry; retype or remove it"
        )


def transliterate(text: str) -> str:
    text = text.translate(LOOKALIKES)
    unmarked = text.translate(FORMAT_MARKS)
    # (whitespace aside: `render` makes a plain space of every run of it)
    return unmarked if unmarked != text and is_gsm7("".join(unmarked.split())) else text


def render(template: str, values: Mapping[str, str | None], *, brand: str, marketing: bool) -> str:
    validate(template)
    # A value from outside (a customer's name in a webhook) may hold a lone surrogate: no SMS can carry it.
    filled = {k: _SURROGATE.sub("", values.get(k) or "") or FALLBACKS.get(k, "") for k in PLACEHOLDERS}
    text = transliterate(template.format_map(filled)).strip()
    text = " ".join(text.split())  # an empty placeholder leaves no double space
    brand = " ".join(transliterate(brand).split())
    if not text.lower().startswith(brand.lower()):
        text = f"{brand}: {text}"
    if marketing and "STOP" not in text.upper():
        text += " Reply STOP to opt out."
    return text


@dataclass(frozen=True)
class Preview:
    text: str
    encoding: str
    segments: int
    characters: int
    warnings: tuple[str, ...]


def preview(
    template: str,
    values: Mapping[str, str | None],
    *,
    brand: str,
    marketing: bool,
    link_base: str | None = None,
) -> Preview:
    """The text as sent: rendered, and with `link_base`, each URL the recipient's short link (same length
    for everyone: domain/analytics/links.py), so the segments counted are those billed."""
    text = links.preview(render(template, values, brand=brand, marketing=marketing), link_base)
    info = segment_info(text)
    warnings = []
    if info.encoding == "UCS-2":
        odd = sorted({ch for ch in text if segment_info(ch).encoding == "UCS-2"})
        warnings.append(f"UCS-2 because of {''.join(odd)!r}: segments hold 70 characters instead of 160")
    if info.segments > 2:
        warnings.append(f"{info.segments} segments: each one is billed")
    return Preview(text, info.encoding, info.segments, len(text), tuple(warnings))
