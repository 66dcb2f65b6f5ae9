"""Message templates: placeholders, rendering, and a preview with encoding and segment count.

Every text carries the brand (CTIA, RULES.md A3) and every marketing text the opt-out instruction; a
template that forgets either gets it added rather than sent without it. Look-alike characters (curly
quotes, dashes, ellipsis, non-breaking spaces) are transliterated so a stray `’` does not double the
cost of a message by forcing UCS-2 (RULES.md B, Smart Encoding).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

from smsflows.domain.sending.encoding import segment_info

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

LOOKALIKES = str.maketrans(
    {
        "‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"', "–": "-", "—": "-",
        "‒": "-", "―": "-", "…": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ", "•": "-",
    }
)  # fmt: skip


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


def transliterate(text: str) -> str:
    return text.translate(LOOKALIKES)


def render(template: str, values: Mapping[str, str | None], *, brand: str, marketing: bool) -> str:
    validate(template)
    filled = {k: (values.get(k) or FALLBACKS.get(k, "")) for k in PLACEHOLDERS}
    text = transliterate(template.format_map(filled)).strip()
    text = " ".join(text.split())  # an empty placeholder leaves no double space
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


def preview(template: str, values: Mapping[str, str | None], *, brand: str, marketing: bool) -> Preview:
    text = render(template, values, brand=brand, marketing=marketing)
    info = segment_info(text)
    warnings = []
    if info.encoding == "UCS-2":
        odd = sorted({ch for ch in text if segment_info(ch).encoding == "UCS-2"})
        warnings.append(f"UCS-2 because of {''.join(odd)!r}: segments hold 70 characters instead of 160")
    if info.segments > 2:
        warnings.append(f"{info.segments} segments: each one is billed")
    return Preview(text, info.encoding, info.segments, len(text), tuple(warnings))
