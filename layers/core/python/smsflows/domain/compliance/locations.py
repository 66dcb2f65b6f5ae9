"""Where a recipient may be: every plausible (country, state, time zone), for most-restrictive-wins rules.

RULES.md A2.2: candidates = {area-code state/time zone, Shopify default-address state, last shipping-address
state}. Area code alone is not enough (ported numbers), nor is the address (FL/OK presume by area code).
A1.1/A2.2: unknown never means UTC; it means every time zone the recipient could plausibly be in, and no
more: candidates from Guam to Newfoundland share no hour inside every window, so the text would never go.

- A number with no place (toll-free 8xx, 5xx, 900, Canada's 600, +800) adds no candidate: the addresses
  decide; with no address, the shop's country does (for the US: the zones of the 50 states and DC).
- A number or address in a US territory or another NANP country has that place's zone. phonenumbers
  gives many of them (American Samoa, most Caribbean mobiles) every zone of the NANP.
- A Canadian number or address has its province's zones (the tz database's zone.tab), narrowed for the
  area codes that lie in one zone of a province with several.
- A foreign number or address adds its own country's zones, whatever else is a candidate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import timezone
from phonenumbers.tzdata import TIMEZONE_DATA

from smsflows.domain.compliance.area_codes import CA_AREA_CODES, US_AREA_CODES

US_STATES = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA", "Colorado": "CO",
    "Connecticut": "CT", "Delaware": "DE", "District of Columbia": "DC", "Washington D.C.": "DC", "Florida": "FL",
    "Georgia": "GA", "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL", "Indiana": "IN", "Iowa": "IA", "Kansas": "KS",
    "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME", "Maryland": "MD", "Massachusetts": "MA", "Michigan": "MI",
    "Minnesota": "MN", "Mississippi": "MS", "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV",
    "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY", "North Carolina": "NC",
    "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK", "Oregon": "OR", "Pennsylvania": "PA", "Rhode Island": "RI",
    "South Carolina": "SC", "South Dakota": "SD", "Tennessee": "TN", "Texas": "TX", "Utah": "UT", "Vermont": "VT",
    "Virginia": "VA", "Washington": "WA", "Washington State": "WA", "West Virginia": "WV", "Wisconsin": "WI",
    "Wyoming": "WY", "Puerto Rico": "PR",
}  # fmt: skip

# US state (50 and DC) -> time zones that cover (part of) it; used for address candidates (an address has no zone).
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
    "WI": ("America/Chicago",), "WY": ("America/Denver",),
}  # fmt: skip

# The NANP's other members, one zone each (zone.tab): the US territories, which Shopify also writes as US
# provinces, and the Caribbean and Atlantic countries.
US_TERRITORIES = frozenset({"AS", "GU", "MP", "PR", "VI"})
NANP_REGION_TIME_ZONES = {
    "AS": ("Pacific/Pago_Pago",), "GU": ("Pacific/Guam",), "MP": ("Pacific/Saipan",),
    "PR": ("America/Puerto_Rico",), "VI": ("America/St_Thomas",),
    "AG": ("America/Antigua",), "AI": ("America/Anguilla",), "BB": ("America/Barbados",),
    "BM": ("Atlantic/Bermuda",), "BS": ("America/Nassau",), "DM": ("America/Dominica",),
    "DO": ("America/Santo_Domingo",), "GD": ("America/Grenada",), "JM": ("America/Jamaica",),
    "KN": ("America/St_Kitts",), "KY": ("America/Cayman",), "LC": ("America/St_Lucia",),
    "MS": ("America/Montserrat",), "SX": ("America/Lower_Princes",), "TC": ("America/Grand_Turk",),
    "TT": ("America/Port_of_Spain",), "VC": ("America/St_Vincent",), "VG": ("America/Tortola",),
}  # fmt: skip

# Canadian province / territory -> its zones: every zone.tab row that names it (tests check this), and the
# Magdalen Islands and Listuguj, on Atlantic time with daylight saving (Quebec's Legal Time Act, s. 2),
# which zone.tab gives no row of their own.
PROVINCE_TIME_ZONES = {
    "AB": ("America/Edmonton",),
    "BC": ("America/Vancouver", "America/Edmonton", "America/Creston", "America/Dawson_Creek", "America/Fort_Nelson"),
    "MB": ("America/Winnipeg",),
    "NB": ("America/Moncton",),
    "NL": ("America/St_Johns", "America/Goose_Bay"),
    "NS": ("America/Halifax", "America/Glace_Bay"),
    "NT": ("America/Edmonton", "America/Inuvik"),
    "NU": ("America/Iqaluit", "America/Atikokan", "America/Rankin_Inlet", "America/Resolute", "America/Cambridge_Bay"),
    "ON": ("America/Toronto", "America/Atikokan", "America/Winnipeg"),
    "PE": ("America/Halifax",),
    "QC": ("America/Toronto", "America/Blanc-Sablon", "America/Halifax"),
    "SK": ("America/Regina", "America/Swift_Current", "America/Edmonton"),
    "YT": ("America/Whitehorse", "America/Dawson"),
}  # fmt: skip

# Area codes that lie in one zone of a province with several: British Columbia's Lower Mainland (604); all
# of Ontario but the north-west (807: Central time, Atikokan); all of Quebec but the east (418/581/367: the
# Lower North Shore, the Magdalen Islands). Every other area code, and 273 (a new Quebec code this table
# does not place), gets all its provinces' zones.
CA_AREA_CODE_TIME_ZONES = {
    "604": ("America/Vancouver",),
    **dict.fromkeys(
        ("226", "249", "289", "343", "365", "382", "416", "437", "519", "548", "613", "647", "683", "705",
         "742", "753", "905", "942",  # Ontario
         "263", "354", "438", "450", "468", "514", "579", "819", "873"),  # Quebec
        ("America/Toronto",),
    ),
}  # fmt: skip


def _union(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(zone for group in groups for zone in group))


COUNTRY_TIME_ZONES = {
    "US": _union(STATE_TIME_ZONES.values()),  # the 50 states and DC; territories are their own places
    "CA": _union(PROVINCE_TIME_ZONES.values()),
    **NANP_REGION_TIME_ZONES,
}
# What phonenumbers answers for a +1 number it cannot place: every zone from Guam to Newfoundland.
_NANP_WIDE = frozenset(TIMEZONE_DATA["1"])
_UNKNOWN_ZONE = timezone.UNKNOWN_TIMEZONE


@dataclass(frozen=True)
class Location:
    """One plausible place: country (ISO 3166-1), US state or Canadian province code when known, IANA zone."""

    country: str | None
    state: str | None
    time_zone: str
    source: str  # area_code | default_address | shipping_address | shop_country | unknown


@dataclass(frozen=True)
class Address:
    country_code: str | None = None
    province_code: str | None = None


def country_time_zones(country: str | None) -> tuple[str, ...]:
    """Every zone of a country (ISO 3166-1 alpha-2): the tables above for the NANP's members, else every zone
    phonenumbers lists for the country's calling code (a shared code, e.g. +44 or +7, adds its neighbours')."""
    if not country:
        return ()
    country = country.upper()
    if country in COUNTRY_TIME_ZONES:
        return COUNTRY_TIME_ZONES[country]
    code = phonenumbers.country_code_for_region(country)
    if code in (0, 1):  # not a region phonenumbers knows (or a NANP member missing above: tests forbid it)
        return ()
    return tuple(zone for zone in TIMEZONE_DATA.get(str(code), ()) if zone != _UNKNOWN_ZONE)


def _nanp_locations(parsed: phonenumbers.PhoneNumber, region: str | None) -> tuple[Location, ...]:
    if region in NANP_REGION_TIME_ZONES:
        return tuple(Location(region, None, zone, "area_code") for zone in NANP_REGION_TIME_ZONES[region])
    npa = str(parsed.national_number)[:3]
    place: str | None
    if region == "US":
        place = US_AREA_CODES.get(npa)
        own = STATE_TIME_ZONES.get(place or "", ())
    elif region == "CA":
        provinces = CA_AREA_CODES.get(npa, ())
        place = provinces[0] if len(provinces) == 1 else None
        own = CA_AREA_CODE_TIME_ZONES.get(npa) or _union(PROVINCE_TIME_ZONES[p] for p in provinces)
    else:  # an area code no NANP member has (e.g. +1 700)
        return ()
    if not own and not phonenumbers.is_number_geographical(parsed):
        return ()  # toll-free, 5xx personal numbers, 900, Canada's 600/622/633: no place at all
    listed = [zone for zone in timezone.time_zones_for_number(parsed) if zone != _UNKNOWN_ZONE]
    if set(listed) >= _NANP_WIDE:
        listed = []  # phonenumbers could not place it
    # US: phonenumbers' zones (per area code or finer), else the state's. Canada: phonenumbers' and the
    # province's, as phonenumbers gives one zone for area codes that span several (807, 867, 250, ...).
    zones = _union((listed, own)) if region == "CA" else tuple(listed) or own or COUNTRY_TIME_ZONES["US"]
    return tuple(Location(region, place, zone, "area_code") for zone in zones)


@lru_cache(maxsize=8192)  # bounded: a broadcast passes many numbers through one warm container
def number_locations(e164: str) -> tuple[Location, ...]:
    """Locations the number itself suggests (its area code's or country's zones); () if it has no place."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ()
    region = phonenumbers.region_code_for_number(parsed)
    if parsed.country_code == 1:
        return _nanp_locations(parsed, region)
    zones = [zone for zone in timezone.time_zones_for_number(parsed) if zone != _UNKNOWN_ZONE]
    return tuple(Location(region, None, zone, "area_code") for zone in zones)


def address_locations(address: Address | None, source: str) -> tuple[Location, ...]:
    if address is None or not address.country_code:
        return ()
    country = address.country_code.upper()
    province = (address.province_code or "").upper() or None
    if country == "US" and province in STATE_TIME_ZONES:
        zones = STATE_TIME_ZONES[province]
    elif country == "US" and province in US_TERRITORIES:
        zones = NANP_REGION_TIME_ZONES[province]
    elif country == "CA" and province in PROVINCE_TIME_ZONES:
        zones = PROVINCE_TIME_ZONES[province]
    else:  # no usable province: every zone of the country, and for the US an unknown (the strictest) state
        return _country_locations(country, source)
    return tuple(Location(country, province, zone, source) for zone in zones)


@lru_cache(maxsize=512)
def _country_locations(country: str, source: str) -> tuple[Location, ...]:
    return tuple(Location(country, None, zone, source) for zone in country_time_zones(country))


def candidate_locations(
    e164: str,
    default_address: Address | None = None,
    shipping_address: Address | None = None,
    *,
    shop_country: str | None = None,
) -> tuple[Location, ...]:
    """Every plausible location (most restrictive wins); never empty, never UTC.

    The number's place and both addresses' are all candidates (a number outside the NANP only when there is
    no address). A number with no place adds none; when no
    address gives one either, the shop's country (`ShopConfig.default_country`) does; failing that, the US
    and Canada.
    """
    addresses = address_locations(default_address, "default_address") + address_locations(
        shipping_address, "shipping_address"
    )
    # A2.2's candidates are the area code's place and the addresses. A number outside the NANP has no area
    # code in that sense: its country code says where the SIM was issued, not where an expat or a visitor
    # with an address in the shop lives. It is a candidate only when no address says where they are.
    number = number_locations(e164)
    foreign = not e164.startswith("+1")
    found = addresses if foreign and addresses else number + addresses
    if not found and shop_country:
        found = _country_locations(shop_country.upper(), "shop_country")
    if not found:  # no place and no shop country: the US (50 states and DC) and Canada, where the shops sell
        found = _country_locations("US", "unknown") + _country_locations("CA", "unknown")
    return tuple(dict.fromkeys(found))
