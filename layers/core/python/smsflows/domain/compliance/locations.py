"""Where a recipient may be: every plausible (country, state, time zone), for most-restrictive-wins rules.

RULES.md A2.2: candidates = {area-code state/time zone, Shopify default-address state, last shipping-address
state}. Area code alone is not enough (ported numbers), nor is the address (FL/OK presume by area code).
A1.1/A2.2: unknown never means UTC; it means every time zone the recipient could plausibly be in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import timezone

from smsflows.domain.compliance.area_codes import US_AREA_CODES

US_STATES = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA", "Colorado": "CO",
    "Connecticut": "CT", "Delaware": "DE", "District of Columbia": "DC", "Washington D.C.": "DC", "Florida": "FL",
    "Georgia": "GA", "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL", "Indiana": "IN", "Iowa": "IA", "Kansas": "KS",
    "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME", "Maryland": "MD", "Massachusetts": "MA", "Michigan": "MI",
    "Minnesota": "MN", "Mississippi": "MS", "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV",
    "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY", "North Carolina": "NC",
    "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK", "Oregon": "OR", "Pennsylvania": "PA", "Rhode Island": "RI",
    "South Carolina": "SC", "South Dakota": "SD", "Tennessee": "TN", "Texas": "TX", "Utah": "UT", "Vermont": "VT",
    "Virginia": "VA", "Washington": "WA", "West Virginia": "WV", "Wisconsin": "WI", "Wyoming": "WY",
    "Puerto Rico": "PR",
}  # fmt: skip
_STATE_CODES = frozenset(US_STATES.values())

# Every time zone a US or Canadian recipient can be in, for when nothing narrows it down.
NANP_TIME_ZONES = {
    "US": (
        "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
        "America/Anchorage", "America/Adak", "Pacific/Honolulu", "America/Puerto_Rico",
    ),
    "CA": (
        "America/St_Johns", "America/Halifax", "America/Toronto", "America/Winnipeg", "America/Regina",
        "America/Edmonton", "America/Vancouver",
    ),
}  # fmt: skip

# US state -> time zones that cover (part of) it; used for address candidates (an address has no zone).
STATE_TIME_ZONES = {
    "AL": ("America/Chicago",), "AK": ("America/Anchorage", "America/Adak"), "AZ": ("America/Phoenix",),
    "AR": ("America/Chicago",), "CA": ("America/Los_Angeles",), "CO": ("America/Denver",),
    "CT": ("America/New_York",), "DE": ("America/New_York",), "DC": ("America/New_York",),
    "FL": ("America/New_York", "America/Chicago"), "GA": ("America/New_York",), "HI": ("Pacific/Honolulu",),
    "ID": ("America/Boise", "America/Los_Angeles"), "IL": ("America/Chicago",),
    "IN": ("America/Indiana/Indianapolis", "America/Chicago"), "IA": ("America/Chicago",),
    "KS": ("America/Chicago", "America/Denver"), "KY": ("America/New_York", "America/Chicago"),
    "LA": ("America/Chicago",), "ME": ("America/New_York",), "MD": ("America/New_York",),
    "MA": ("America/New_York",), "MI": ("America/Detroit", "America/Menominee"), "MN": ("America/Chicago",),
    "MS": ("America/Chicago",), "MO": ("America/Chicago",), "MT": ("America/Denver",),
    "NE": ("America/Chicago", "America/Denver"), "NV": ("America/Los_Angeles",), "NH": ("America/New_York",),
    "NJ": ("America/New_York",), "NM": ("America/Denver",), "NY": ("America/New_York",),
    "NC": ("America/New_York",), "ND": ("America/Chicago", "America/Denver"),
    "OH": ("America/New_York",), "OK": ("America/Chicago",), "OR": ("America/Los_Angeles", "America/Boise"),
    "PA": ("America/New_York",), "RI": ("America/New_York",), "SC": ("America/New_York",),
    "SD": ("America/Chicago", "America/Denver"), "TN": ("America/Chicago", "America/New_York"),
    "TX": ("America/Chicago", "America/Denver"), "UT": ("America/Denver",), "VT": ("America/New_York",),
    "VA": ("America/New_York",), "WA": ("America/Los_Angeles",), "WV": ("America/New_York",),
    "WI": ("America/Chicago",), "WY": ("America/Denver",), "PR": ("America/Puerto_Rico",),
}  # fmt: skip


@dataclass(frozen=True)
class Location:
    """One plausible place: country (ISO 3166-1), US state code when known, IANA time zone."""

    country: str | None
    state: str | None
    time_zone: str
    source: str  # area_code | default_address | shipping_address | unknown


@dataclass(frozen=True)
class Address:
    country_code: str | None = None
    province_code: str | None = None


def _state_from_description(description: str) -> str | None:
    if not description:
        return None
    if description in US_STATES:
        return US_STATES[description]
    tail = description.rsplit(",", 1)[-1].strip()  # "New York, NY"
    return tail if tail in _STATE_CODES else None


@lru_cache(maxsize=8192)  # bounded: a broadcast passes many numbers through one warm container
def number_locations(e164: str) -> tuple[Location, ...]:
    """Locations the number itself suggests (area code region and its time zones)."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ()
    country = phonenumbers.region_code_for_number(parsed)
    zones = [z for z in timezone.time_zones_for_number(parsed) if z != "Etc/Unknown"]
    state = US_AREA_CODES.get(str(parsed.national_number)[:3]) if country == "US" else None
    if not zones:
        zones = list(NANP_TIME_ZONES.get(country or "", ()))
    return tuple(Location(country, state, zone, "area_code") for zone in zones)


def address_locations(address: Address | None, source: str) -> tuple[Location, ...]:
    if address is None or not address.country_code:
        return ()
    country = address.country_code.upper()
    state = (address.province_code or "").upper() or None
    if country == "US" and state in STATE_TIME_ZONES:
        return tuple(Location("US", state, zone, source) for zone in STATE_TIME_ZONES[state])
    zones = NANP_TIME_ZONES.get(country)
    if zones:  # a US/CA address without a usable state: every zone of the country
        return tuple(Location(country, state if country == "US" else None, zone, source) for zone in zones)
    return ()


def candidate_locations(
    e164: str, default_address: Address | None = None, shipping_address: Address | None = None
) -> tuple[Location, ...]:
    """Every plausible location; never empty (unknown => all North American zones, the strict choice)."""
    found = (
        number_locations(e164)
        + address_locations(default_address, "default_address")
        + address_locations(shipping_address, "shipping_address")
    )
    if found:
        return tuple(dict.fromkeys(found))
    return tuple(Location(c, None, z, "unknown") for c, zones in NANP_TIME_ZONES.items() for z in zones)
