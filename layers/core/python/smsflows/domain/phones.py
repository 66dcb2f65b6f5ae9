"""Phone numbers: normalise to E.164 with phonenumbers, never crash on what shops send."""

from __future__ import annotations

import re
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


_E164 = re.compile(r"^\+[1-9]\d{6,14}$")  # ITU-T E.164: a country code and at most 15 digits in all
# NANP numbering plan: NXX area code and NXX exchange (N = 2-9); any such number can exist, listed or not.
_NANP = re.compile(r"^\+1[2-9]\d{2}[2-9]\d{6}$")
_SHORT_CODE = re.compile(r"^\d{3,8}$")


@dataclass(frozen=True)
class Sender:
    """Who sent an inbound text: a phone number (E.164), a short code, or something else (alphanumeric)."""

    kind: str  # phone | short_code | other
    address: str | None  # E.164 for a phone, the digits for a short code


def inbound_sender(raw: str, default_region: str | None = "US") -> Sender:
    """Classify the `From` of an inbound text for consent purposes (RULES.md A5: revocation by any means).

    Twilio delivers E.164. A number the pinned phone library rejects (a newly opened area code, a range it
    has not heard of) is still a person who can say STOP, so any *possible* E.164 number counts: validity
    only decides whether we may start texting a number, never whether we listen to it.
    """
    text = re.sub(r"[\s().-]", "", str(raw or ""))
    if _E164.fullmatch(text):
        parsed = _parse(text, None)
        if parsed is not None and _possible(parsed) and (parsed.country_code != 1 or _NANP.fullmatch(text)):
            return Sender("phone", text)
        return Sender("other", None)
    if text.isdigit():
        parsed = _parse(text, default_region)
        if parsed is not None and _possible(parsed):
            e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            if parsed.country_code != 1 or _NANP.fullmatch(e164):
                return Sender("phone", e164)
        if _SHORT_CODE.fullmatch(text):
            return Sender("short_code", text)
    return Sender("other", None)


def _possible(parsed: phonenumbers.PhoneNumber) -> bool:
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    return bool(reason == phonenumbers.ValidationResult.IS_POSSIBLE)


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, (region or "US").upper())
    except phonenumbers.NumberParseException:
        return None


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
