"""Phone numbers: normalise to E.164 with phonenumbers, never crash on what shops send."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers


@dataclass(frozen=True)
class PhoneResult:
    e164: str | None
    raw: str | None
    status: str  # usable | unusable | missing

    @property
    def usable(self) -> bool:
        return self.status == "usable"


def normalize_phone(raw: str | None, default_region: str | None = "US") -> PhoneResult:
    """E.164 for a valid number; `unusable` (with the raw text kept) for anything else."""
    if raw is None or not str(raw).strip():
        return PhoneResult(None, None, "missing")
    text = str(raw).strip()
    region = (default_region or "US").upper()
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return PhoneResult(None, text, "unusable")
    if not phonenumbers.is_valid_number(parsed):
        return PhoneResult(None, text, "unusable")
    return PhoneResult(
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), text, "usable"
    )


def first_usable(candidates: list[tuple[str | None, str | None]]) -> PhoneResult:
    """The first usable number of (raw, region) candidates; else the first unusable one seen."""
    first_bad: PhoneResult | None = None
    for raw, region in candidates:
        result = normalize_phone(raw, region)
        if result.usable:
            return result
        if result.status == "unusable" and first_bad is None:
            first_bad = result
    return first_bad or PhoneResult(None, None, "missing")
