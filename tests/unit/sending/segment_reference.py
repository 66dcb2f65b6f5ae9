"""An independent reading of RULES.md B, to hold the segment counters to: the application's `segment_info`
and the fake Twilio's `twilio_segments` (which must not share code with each other or with this).

Unlike both, this one encodes the text for real (GSM 03.38 septets with their escapes, or UTF-16 code units)
and then cuts the stream into parts of 153 septets (67 units), moving a cut back by one where it would fall
between an escape and its septet or between the two halves of a surrogate pair. Also here: the formula the
application used before (units divided by 153 or 67, rounded up) as a baseline, and texts biased to the
segment boundaries.

`python -m tests.unit.sending.segment_reference [N]` prints how often each counter agrees with this one.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

# The GSM 03.38 default alphabet, by septet value (0x1B is the escape to the extension table, no character).
BASIC_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
ESCAPE = 0x1B
# The extension table: character -> the septet that follows the escape.
EXTENSION_TABLE = {"\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C, "~": 0x3D, "]": 0x3E,
                   "|": 0x40, "€": 0x65}  # fmt: skip
GSM_CHARACTERS = sorted(set(BASIC_TABLE) - {"\x1b"} | set(EXTENSION_TABLE))


def gsm7_septets(text: str) -> list[int] | None:
    """The septets of `text` in the GSM 7-bit default alphabet, or None if a character is not in it."""
    septets: list[int] = []
    for ch in text:
        if ch in EXTENSION_TABLE:
            septets += [ESCAPE, EXTENSION_TABLE[ch]]
        elif ch != "\x1b" and ch in BASIC_TABLE:
            septets.append(BASIC_TABLE.index(ch))
        else:
            return None
    return septets


def utf16_units(text: str) -> list[int]:
    data = text.encode("utf-16-be", "surrogatepass")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def reference_segments(text: str) -> tuple[str, int, int]:
    """(encoding, units, segments) of `text`, as RULES.md B describes them."""
    septets = gsm7_septets(text)
    if septets is not None:
        stream, single, part = septets, 160, 153

        def inside_a_character(cut: int) -> bool:  # between an escape and its septet
            return stream[cut - 1] == ESCAPE

        encoding = "GSM-7"
    else:
        stream, single, part = utf16_units(text), 70, 67

        def inside_a_character(cut: int) -> bool:  # between a high and a low surrogate
            return 0xD800 <= stream[cut - 1] <= 0xDBFF and 0xDC00 <= stream[cut] <= 0xDFFF

        encoding = "UCS-2"
    if not stream:
        return encoding, 0, 0
    if len(stream) <= single:
        return encoding, len(stream), 1
    cuts = [0]
    while len(stream) - cuts[-1] > part:
        cut = cuts[-1] + part
        cuts.append(cut - 1 if inside_a_character(cut) else cut)
    return encoding, len(stream), len(cuts)


def old_segments(text: str) -> int:
    """The formula `segment_info` used before: the units divided by 153 (67), rounded up (the baseline)."""
    if all(ch in GSM_CHARACTERS for ch in text):
        units, single, part = sum(2 if ch in EXTENSION_TABLE else 1 for ch in text), 160, 153
    else:
        units, single, part = len(text.encode("utf-16-le")) // 2, 70, 67
    return (1 if units else 0) if units <= single else -(-units // part)


# Texts biased to the boundaries -------------------------------------------------------------------------
# Two families. "Straddling" texts are built part by part so that a two-unit character (an extension
# character in GSM-7, an emoji in UCS-2) often lands on the last unit of a part, and the last part ends at
# or next to a boundary. "Pieces" texts join runs of plain GSM characters, of lengths at or next to a
# boundary, with two-unit characters and characters that force UCS-2.

RUN_LENGTHS = [0, 1, 2, *range(64, 72), *range(131, 135), *range(150, 155), *range(158, 162)]
PLAIN = [ch for ch in GSM_CHARACTERS if ch not in EXTENSION_TABLE]
EXTENDED = sorted(EXTENSION_TABLE)
# emoji, a skin tone, regional indicators (flags), a musical symbol, CJK extension B
ASTRAL = ["😀", "👋", "🏽", "🇺", "🇸", "\U0001f9d1", "𝄞", "\U00020000"]
BMP_NOT_GSM = ["ê", "ç", "á", "`", "’", "—", "…", "\u00a0", "ï", "Ж", "中", "\u200d", "\ufeff"]


Choose = Callable[[list[Any]], Any]  # one item of a list
Integer = Callable[[int, int], int]  # an integer in [a, b]
Run = Callable[[int], str]  # n plain GSM characters


def straddling_text(choose: Choose, integer: Integer, run: Run) -> str:
    """One straddling text, from `choose`, `integer` and `run` (a seeded random generator's, or draws)."""
    gsm = choose([True, False])
    per, wide = (153, EXTENDED) if gsm else (67, ASTRAL)
    widths: list[int] = []
    carry = 0  # units a straddling character took at the start of the current part
    for _ in range(integer(1, 10 if gsm else 23) - 1):
        budget = per - carry
        inner = integer(0, 3)
        fill = [1] * (budget - 1 - 2 * inner)
        for _ in range(inner):
            fill.insert(integer(0, len(fill)), 2)
        straddle = choose([True, True, False])
        widths += [*fill, 2 if straddle else 1]
        carry = 2 if straddle else 0
    budget = per - carry
    widths += [1] * choose([0, 1, 2, budget - 2, budget - 1, budget, budget + 1, integer(0, budget)])
    plain = iter(run(widths.count(1)))
    chars = [choose(wide) if w == 2 else next(plain) for w in widths]
    if not gsm and chars and 2 not in widths:  # UCS-2 needs a character outside GSM-7
        chars[integer(0, len(chars) - 1)] = choose(BMP_NOT_GSM)
    elif not gsm and chars and choose([True, False]):
        ones = [i for i, w in enumerate(widths) if w == 1]
        if ones:
            chars[choose(ones)] = choose(BMP_NOT_GSM)
    return "".join(chars)[:1600]


def pieces_text(choose: Choose, integer: Integer, run: Run) -> str:
    gsm_only = choose([True, False])
    pieces = []
    for _ in range(integer(0, 12)):
        kind = integer(0, 2 if gsm_only else 5)
        if kind == 0:
            length = choose(RUN_LENGTHS) if integer(0, 9) < 7 else integer(0, 320)
            pieces.append(run(length))
        elif kind == 1:
            pieces.append("".join(choose(EXTENDED) for _ in range(integer(1, 6))))
        elif kind == 2:
            pieces.append(choose(EXTENDED))
        elif kind == 3:
            pieces.append("".join(choose(ASTRAL) for _ in range(integer(1, 6))))
        elif kind == 4:
            pieces.append(choose(BMP_NOT_GSM))
        else:
            pieces.append(chr(choose([integer(0x80, 0xD7FF), integer(0xE000, 0x10FFFF)])))
    return "".join(pieces)[:1600]


@st.composite
def boundary_text(draw: st.DrawFn) -> str:
    """Hypothesis' texts biased to the boundaries (it shrinks a failure to a small one)."""

    def choose(options: list[Any]) -> Any:
        return draw(st.sampled_from(options))

    def integer(low: int, high: int) -> int:
        return draw(st.integers(low, high))

    def run(n: int) -> str:  # a short drawn pattern, repeated: drawing 1,600 characters one by one is slow
        pattern = draw(st.text(st.sampled_from(PLAIN), min_size=1, max_size=8))
        return (pattern * (n // len(pattern) + 1))[:n]

    return draw(st.sampled_from([straddling_text, pieces_text]))(choose, integer, run)


def boundary_texts(n: int, seed: int = 11) -> list[str]:
    """`n` texts of both families, half each, from a seeded generator: a fixed sample for figures."""
    rng = random.Random(seed)

    def run(n: int) -> str:
        return "".join(rng.choices(PLAIN, k=n))

    return [(straddling_text if i % 2 else pieces_text)(rng.choice, rng.randint, run) for i in range(n)]


def agreement(counter: Callable[[str], int], texts: list[str]) -> float:
    return sum(counter(t) == reference_segments(t)[2] for t in texts) / len(texts)


if __name__ == "__main__":
    from smsflows.domain.sending.encoding import segment_info
    from smsflows.local.fake_twilio import twilio_segments

    texts = boundary_texts(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
    several = sum(reference_segments(t)[2] > 1 for t in texts)
    print(f"{len(texts)} texts biased to segment boundaries, {several} of them longer than one segment")
    for name, counter in [
        ("segment_info (now)", lambda t: segment_info(t).segments),
        ("twilio_segments (fake Twilio)", lambda t: twilio_segments(t).segments),
        ("units / 153 or 67 (before)", old_segments),
    ]:
        print(f"  {name:<32} {agreement(counter, texts) * 100:6.2f} % agree with the reference")
