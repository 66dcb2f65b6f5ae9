"""The inbound classifier as it was before issue 11 (commit b48e57f), frozen: the baseline the revocation
report compares against in the same run ("today"). Not used by the product."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Intent(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"  # START, UNSTOP or a shop keyword
    CONFIRM = "confirm"  # Y / YES: confirms a pending double opt-in, nothing otherwise
    HELP = "help"
    RATING = "rating"
    MESSAGE = "message"


@dataclass(frozen=True)
class Classification:
    intent: Intent
    keyword: str | None = None
    review: bool = False  # a person should read it (ambiguous revocation)
    rating: int | None = None


# A5.2 / A4 / FCC per-se revocations, and the aggregators' STOPALL; Spanish and French variants.
OPT_OUT_KEYWORDS = (
    "stop all", "stopall", "stop", "unsubscribe", "cancel", "end", "quit", "revoke", "opt out", "optout",
    "opt-out", "remove", "arret", "arreter", "desabonner", "desinscrire", "desabonnement", "baja", "darme de baja",
    "parar", "alto", "detener", "cancelar", "no mas", "basta",
)  # fmt: skip
# Phrases a reasonable person reads as revocation wherever they appear (A5: "any reasonable means").
OPT_OUT_PHRASES = (
    "remove me", "take me off", "no more text", "no more messages", "no more sms", "dont text", "do not text",
    "don t text", "stop texting", "stop sending", "stop messaging", "stop contacting", "leave me alone",
    "unsubscribe me", "opt me out", "wrong number", "not interested", "dont contact", "do not contact",
    "dejen de", "no me envien", "no envien", "plus recevoir", "veux plus", "arretez", "desabonnez",
)  # fmt: skip
# Words that may follow a keyword without changing its meaning ("stop please", "STOP now!!").
POLITE = frozenset(
    "please pls plz now thanks thank you thx ty asap it them these this all texts text messages message sms "
    "me us por favor gracias merci svp sil vous plait texting sending messaging contacting calling mensajes "
    "textos mas".split()
)
# A revocation word anywhere else in the text: suppress, and ask a person to look (A5.2 "ambiguous").
REVOCATION_WORDS = frozenset(
    "stop stopall unsubscribe unsub revoke optout cancel quit arret arreter baja parar detener".split()
)
OPT_IN_KEYWORDS = ("start", "unstop")
HELP_KEYWORDS = ("help", "info", "ayuda", "aide")
CONFIRM_WORDS = frozenset({"y", "yes", "yes please", "yes!", "si", "oui", "yep", "yeah", "confirm"})
_COMPACT_OPT_OUT = {
    k.replace(" ", "").replace("-", ""): k.upper().replace(" ", "").replace("-", "") for k in OPT_OUT_KEYWORDS
}
STOP_EMOJI = frozenset({"🛑", "✋", "🚫", "⛔"})

_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Case-folded, accents removed, punctuation and emoji dropped, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    no_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", _PUNCT.sub(" ", no_accents.casefold()).replace("_", " ")).strip()


def _starts_with(text: str, keyword: str) -> str | None:
    """The rest of `text` after `keyword` when `text` starts with it as whole words, else None."""
    if text == keyword:
        return ""
    if text.startswith(keyword + " "):
        return text[len(keyword) + 1 :]
    return None


def classify(text: str, shop_keywords: Iterable[str] = ()) -> Classification:
    raw = text or ""
    norm = normalise(raw)
    words = norm.split()

    if not norm:
        if any(e in raw for e in STOP_EMOJI):
            return Classification(Intent.OPT_OUT, keyword="emoji", review=True)
        return Classification(Intent.MESSAGE)

    compact = norm.replace(" ", "")
    if compact in _COMPACT_OPT_OUT:  # "S T O P", "s.t.o.p", "Opt-Out"
        return Classification(Intent.OPT_OUT, keyword=_COMPACT_OPT_OUT[compact])
    for keyword in OPT_OUT_KEYWORDS:
        rest = _starts_with(norm, keyword)
        if rest is not None:
            polite = all(w in POLITE for w in rest.split())
            return Classification(Intent.OPT_OUT, keyword=keyword.upper().replace(" ", ""), review=not polite)
    for phrase in OPT_OUT_PHRASES:
        if phrase in norm:
            return Classification(Intent.OPT_OUT, keyword=phrase, review=True)
    if any(w in REVOCATION_WORDS for w in words):
        return Classification(
            Intent.OPT_OUT, keyword=next(w for w in words if w in REVOCATION_WORDS), review=True
        )

    for keyword in HELP_KEYWORDS:
        rest = _starts_with(norm, keyword)
        if rest is not None and all(w in POLITE for w in rest.split()):
            return Classification(Intent.HELP, keyword=keyword.upper())
    for keyword in OPT_IN_KEYWORDS:
        if norm == keyword:
            return Classification(Intent.OPT_IN, keyword=keyword.upper())
    for keyword in shop_keywords:
        if norm == normalise(keyword):
            return Classification(Intent.OPT_IN, keyword=keyword.upper())
    if norm in CONFIRM_WORDS:
        return Classification(Intent.CONFIRM, keyword="YES")
    if re.fullmatch(r"\d{1,2}", norm) and 0 <= int(norm) <= 10:
        return Classification(Intent.RATING, rating=int(norm))
    return Classification(Intent.MESSAGE)
