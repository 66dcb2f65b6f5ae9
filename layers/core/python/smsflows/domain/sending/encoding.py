"""SMS encoding and segment counting (GSM 03.38 basic + extension tables, else UCS-2), RULES.md B.

`segment_info` is the one counter of the project: the template preview, the pacer's tokens, the daily
segment cap and the cost figures all use it, on the exact text that goes to the provider.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Characters of the extension table: each costs two septets (an escape plus the character).
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

# Units in a message sent as one segment, and per segment once it is split (the rest of each part's 140
# octets carries the concatenation header).
SINGLE = {"GSM-7": 160, "UCS-2": 70}
PER_SEGMENT = {"GSM-7": 153, "UCS-2": 67}


@dataclass(frozen=True)
class SegmentInfo:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def segment_info(text: str) -> SegmentInfo:
    """How many segments a carrier bills for `text`.

    Up to 160 septets (GSM-7) or 70 UTF-16 code units (UCS-2) go in one segment. A longer text is cut into
    parts of 153 septets (67 units), and a character is never cut in two: an extension character (escape +
    septet) or a character beyond the BMP (a surrogate pair, e.g. an emoji) that finds one unit left in a
    part starts the next one, and the part it leaves holds 152 (66) units. A lone surrogate (invalid text
    that cannot be sent; `lone_surrogates` finds it) counts as the one code unit it is: this never raises."""
    if is_gsm7(text):
        encoding, widths = "GSM-7", [2 if ch in GSM7_EXTENDED else 1 for ch in text]
    else:
        encoding, widths = "UCS-2", [2 if ch > "\uffff" else 1 for ch in text]
    units, parts, room = sum(widths), 1, PER_SEGMENT[encoding]
    for width in widths:
        if width > room:  # the character does not fit in what is left of this part: it opens the next
            parts, room = parts + 1, PER_SEGMENT[encoding]
        room -= width
    if units <= SINGLE[encoding]:
        return SegmentInfo(encoding, units, 1 if units else 0)
    return SegmentInfo(encoding, units, parts)


def lone_surrogates(text: str) -> list[int]:
    """Positions of the surrogate code points in `text` (U+D800-U+DFFF). A Python string can hold them (from
    a JSON body's "\\ud83d" escape, or undecodable bytes read with surrogateescape), but no text containing
    one can be encoded as UTF-8 or sent as an SMS."""
    return [i for i, ch in enumerate(text) if "\ud800" <= ch <= "\udfff"]
