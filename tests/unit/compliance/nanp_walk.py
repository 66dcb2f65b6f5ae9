"""Test helpers: every NANP area code the pinned phonenumbers knows (with one valid number each), what its
geocoder says of each, and the tz database's zone.tab. Slow-ish imports (the geocoder's data) stay here,
out of the code under test."""

from __future__ import annotations

import re
import zoneinfo
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import phonenumbers
from phonenumbers import timezone
from phonenumbers.geodata import GEOCODE_DATA
from phonenumbers.tzdata import TIMEZONE_DATA

from smsflows.domain.compliance.locations import US_STATES

_STATE_CODES = frozenset(US_STATES.values())


def _state_from_description(description: str) -> str | None:
    """The state in a geocoder description ("Texas", "New York, NY"), or None."""
    if not description:
        return None
    if description in US_STATES:
        return US_STATES[description]
    tail = description.rsplit(",", 1)[-1].strip()
    return tail if tail in _STATE_CODES else None


CA_PROVINCES = {
    "Alberta": "AB", "British Columbia": "BC", "British Colombia": "BC",  # sic, phonenumbers' 257
    "Manitoba": "MB", "New Brunswick": "NB", "Newfoundland and Labrador": "NL", "Nova Scotia": "NS",
    "Prince Edward Island": "PE", "Northwest Territories": "NT", "Nunavut": "NU", "Yukon": "YT",
    "Ontario": "ON", "Quebec": "QC", "Saskatchewan": "SK",
}  # fmt: skip
TOLL_FREE = ("800", "833", "844", "855", "866", "877", "888")


@cache
def nanp_numbers() -> dict[str, phonenumbers.PhoneNumber]:
    """area code -> one valid number in it, for every area code phonenumbers has time-zone or geocoder data
    for, or validates a number in (that finds the non-geographic ones: 8xx, 5xx, 900, 600, ...)."""
    known = {k[1:4] for k in TIMEZONE_DATA if k.startswith("1") and len(k) >= 4}
    known |= {k[1:4] for k in GEOCODE_DATA if k.startswith("1") and len(k) >= 4}
    for code in range(200, 1000):
        if any(phonenumbers.is_valid_number(_number(str(code), ex)) for ex in range(200, 1000, 100)):
            known.add(str(code))
    found = {}
    for npa in sorted(known):
        for exchange in range(200, 1000):
            number = _number(npa, exchange)
            if phonenumbers.is_valid_number(number):
                found[npa] = number
                break
    return found


def _number(npa: str, exchange: int) -> phonenumbers.PhoneNumber:
    return phonenumbers.parse(f"+1{npa}{exchange}0123")


def e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region(npa: str) -> str | None:
    return phonenumbers.region_code_for_number(nanp_numbers()[npa])


def geographic(npa: str) -> bool:
    return phonenumbers.is_number_geographical(nanp_numbers()[npa])


@cache
def _nanp_descriptions() -> dict[str, list[str]]:
    by_npa: dict[str, list[str]] = {}
    for prefix, names in GEOCODE_DATA.items():
        if prefix.startswith("1") and len(prefix) >= 4:
            by_npa.setdefault(prefix[1:4], []).append(names.get("en", ""))
    return by_npa


def _descriptions(npa: str) -> list[str]:
    return _nanp_descriptions().get(npa, [])


def geocoder_state(npa: str) -> str | None:
    """The state most of the geocoder's entries under the area code name (201 has one stray "NY")."""
    states = Counter(s for s in map(_state_from_description, _descriptions(npa)) if s)
    return states.most_common(1)[0][0] if states else None


def geocoder_provinces(npa: str) -> tuple[str, ...]:
    """Every province the geocoder's entries under the area code name ("Nova Scotia/Prince Edward Island")."""
    found = set()
    for description in _descriptions(npa):
        for part in description.split("/"):
            part = part.strip()
            code = CA_PROVINCES.get(part) or part.rsplit(",", 1)[-1].strip()
            if code in CA_PROVINCES.values():
                found.add(code)
    return tuple(sorted(found))


@cache
def zone_tab() -> list[tuple[str, str, str]] | None:
    """(country, zone, comment) rows of the tz database's zone.tab, or None where it is not installed."""
    for directory in zoneinfo.TZPATH:
        path = Path(directory) / "zone.tab"
        if path.is_file():
            rows = []
            for line in path.read_text(encoding="utf-8").splitlines():
                if line and not line.startswith("#"):
                    fields = line.split("\t")
                    rows.append((fields[0], fields[2], fields[3] if len(fields) > 3 else ""))
            return rows
    return None


def mentions(comment: str, province: str) -> bool:
    names = {"NL": r"Newfoundland|Labrador", "NB": r"New Brunswick", "MB": r"Manitoba", "YT": r"Yukon"}
    return re.search(rf"\b(?:{names.get(province, province)})\b", comment) is not None


@cache
def behaviour(zone: str) -> tuple[timedelta | None, ...]:
    """A zone's UTC offset at noon UTC on each day of 2026-2027: equal tuples, same clocks (e.g. Detroit and
    New York; Indiana/Tell_City and Chicago)."""
    tz = zoneinfo.ZoneInfo(zone)
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    return tuple((start + timedelta(days=d)).astimezone(tz).utcoffset() for d in range(730))


def same_clocks(zone: str, zones: tuple[str, ...] | set[str]) -> bool:
    return any(behaviour(zone) == behaviour(other) for other in zones)


def phonenumbers_zones(number: phonenumbers.PhoneNumber) -> tuple[str, ...]:
    """phonenumbers' own zones for a number; () where it cannot place it (it then lists the whole NANP)."""
    zones = tuple(z for z in timezone.time_zones_for_number(number) if z != timezone.UNKNOWN_TIMEZONE)
    return () if set(zones) >= set(TIMEZONE_DATA["1"]) and number.country_code == 1 else zones
