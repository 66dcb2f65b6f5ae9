"""Per-shop configuration, editable without a redeploy (`smsflows shop set`), and the copy it drives.

Every capability reads it, so it lives in the kernel and holds only values: how a shop's settings apply to
a flow is in `flows/definitions.py`, to quiet hours in `compliance/quiet_hours.py`.

Every setting's *form* is checked here, by the model's validators, with a message that names the field and
the form it takes (`default_country: 'XX' is not an ISO 3166-1 country code (e.g. US, CA)`). Rules that
need another capability (reserved keywords, the lawful quiet-hours window, the flows and their steps) are
`domain/shopify/shop_settings.py`'s, which every change of a shop's settings goes through.

A config read back from the table is validated with `STORED` in the context (`ShopConfig.from_stored`):
values are normalised but not refused, so that a rule added later never makes a stored shop unreadable (a
shop whose config cannot be read could not even record a STOP). What was stored went through the rules of
its day; `shop set` re-checks everything against today's before it writes anything.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from smsflows.domain.durations import check_increasing
from smsflows.domain.messages import brand_from_shop
from smsflows.domain.phones import normalize_phone
from smsflows.domain.registration import Throughput

STORED = "stored"  # validation context key: a config read back from storage (see the module docstring)

ShopStatus = Literal["active", "paused", "deactivated", "uninstalled", "redacted"]
# What a shop needs before it may text anyone (`smsflows shop add`): who it is (A3.3: brand, a support
# contact), its Terms and Privacy (A3.1), and what it texts from and how that sender is registered (C).
REQUIRED_TO_ONBOARD = (
    "brand_name",
    "support_contact",
    "terms_url",
    "privacy_url",
    "senders",
    "throughput.sender_type",
)
NOT_ONBOARDED = "shop_not_onboarded"

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")
WINDOW_FORM = "use HH:MM-HH:MM on a 24-hour clock, the start first (e.g. 10:00-19:00)"
_KEYWORD = re.compile(r"^[^\W_]{1,30}$")  # letters and digits of any script, no spaces or punctuation
_MESSAGING_SERVICE = re.compile(r"^MG[0-9a-fA-F]{32}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_SHORT_CODE = re.compile(r"^\d{5,6}$")
# NANP toll-free area codes (the FCC's 8XX codes in service)
TOLL_FREE_AREA_CODES = ("800", "833", "844", "855", "866", "877", "888")
_DISCOUNT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,49}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
SENDER_FORM = (
    "use a Twilio Messaging Service SID (MG and 32 hex digits), an E.164 number (e.g. +15125550100) "
    "or a short code (5-6 digits)"
)
MAX_SMART_SENDING_HOURS = 720.0  # 30 days: the frequency history reaches no further back


_HOSTNAME = re.compile(r"^(?=.{4,253}$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}$")
HOSTNAME_FORM = (
    "a host name such as sms.example.com (no scheme, path or port), CNAMEd to the stack's link domain"
)


def link_domain(value: str) -> str:
    """`value` as a short-link domain (lower case), or ValueError naming the form."""
    text = value.strip().lower().rstrip(".")
    if not _HOSTNAME.fullmatch(text):
        raise ValueError(f"link_domain: {value!r} is not a host name; use {HOSTNAME_FORM}")
    return text


def _checking(info: ValidationInfo) -> bool:
    return not (info.context or {}).get(STORED)


def parse_window(text: str, *, field: str = "quiet_hours") -> DayWindow:
    """ "10:00-19:00" -> DayWindow; ValueError naming `field` and the form for anything else."""
    match = _WINDOW.fullmatch(str(text))
    if match is None:
        raise ValueError(f"{field}: {str(text).strip()!r} is not a window; {WINDOW_FORM}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    bad = [f"{h:02d}:{m:02d}" for h, m in ((h1, m1), (h2, m2)) if h > 23 or m > 59]
    if bad:
        raise ValueError(
            f"{field}: {str(text).strip()!r} has no such time of day ({', '.join(bad)}); {WINDOW_FORM}"
        )
    start, end = time(h1, m1), time(h2, m2)
    if not start < end:
        raise ValueError(f"{field}: {str(text).strip()!r} does not start before it ends; {WINDOW_FORM}")
    return DayWindow(start=start, end=end)


def format_window(window: DayWindow) -> str:
    return f"{window.start:%H:%M}-{window.end:%H:%M}"


def https_url(field: str, value: str, example: str) -> str:
    """`value` if it is an https URL with a host; ValueError naming `field` otherwise."""
    text = value.strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme != "https" or not host or any(ch.isspace() for ch in text):
        raise ValueError(f"{field}: {value!r} is not an https URL with a host (e.g. {example})")
    return text


def sender_kind(sender: str) -> str:
    """What a (valid) sender is: messaging_service | short_code | toll_free | long_code (+1, not toll-free)
    | international (a number outside the North American plan)."""
    if _MESSAGING_SERVICE.fullmatch(sender):
        return "messaging_service"
    if _SHORT_CODE.fullmatch(sender):
        return "short_code"
    if sender.startswith("+1") and len(sender) == 12:
        return "toll_free" if sender[2:5] in TOLL_FREE_AREA_CODES else "long_code"
    return "international"


# The registration types each kind of sender can have (RULES.md C); a Messaging Service holds any.
_FITS: dict[str, tuple[str, ...]] = {
    "short_code": ("short_code",),
    "toll_free": ("toll_free",),
    "long_code": ("10dlc", "sole_proprietor"),
    "international": (),
}
_KIND_TEXT = {
    "short_code": "a short code",
    "toll_free": "a toll-free number",
    "long_code": "a US/Canada long code (10DLC)",
    "international": "a number outside the US and Canada",
}


class DayWindow(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: time
    end: time

    @model_validator(mode="after")
    def _start_first(self, info: ValidationInfo) -> DayWindow:
        if _checking(info) and not self.start < self.end:
            raise ValueError(
                f"quiet_hours: {format_window(self)} does not start before it ends; {WINDOW_FORM}"
            )
        return self


class FlowSettings(BaseModel):
    """A shop's changes to one flow: on/off, timing (seconds after the trigger, per step), copy, codes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    offsets_s: tuple[int, ...] | None = None
    templates: dict[int, str] = Field(default_factory=dict)
    discount_codes: dict[int, str] = Field(default_factory=dict)
    # The share of a marketing flow's entrants recorded but never texted (issue 16: the flow's lift).
    holdout: float = Field(0.0, ge=0.0, le=0.5)

    @field_validator("offsets_s")
    @classmethod
    def _increasing(cls, value: tuple[int, ...] | None, info: ValidationInfo) -> tuple[int, ...] | None:
        if value is not None and _checking(info):
            if not value:
                raise ValueError("offsets: give one duration per step (e.g. 1h,1d,3d)")
            check_increasing(value, field="offsets")
        return value

    @field_validator("templates")
    @classmethod
    def _templates(cls, value: dict[int, str], info: ValidationInfo) -> dict[int, str]:
        if _checking(info):
            for step, text in value.items():
                if step < 0:
                    raise ValueError(f"templates: step {step} does not exist (steps count from 0)")
                if not text.strip():
                    raise ValueError(f"templates: step {step}'s text is empty (unset it to use the default)")
        return value

    @field_validator("discount_codes")
    @classmethod
    def _codes(cls, value: dict[int, str], info: ValidationInfo) -> dict[int, str]:
        if _checking(info):
            for step, code in value.items():
                if step < 0:
                    raise ValueError(f"discount_codes: step {step} does not exist (steps count from 0)")
                if not _DISCOUNT_CODE.fullmatch(code):
                    raise ValueError(
                        f"discount_codes: {code!r} is not a discount code: use letters, digits, - and _, "
                        "at most 50 (e.g. WELCOME10)"
                    )
        return value


class Measurement(BaseModel):
    """How a shop's texts are measured (issue 16): links, attribution windows, prices, the guard."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The shop's own host for short links (a CNAME to one of the stack's link domains); None: the API's /l/.
    link_domain: str | None = None
    link_expiry_days: int = Field(90, ge=1, le=730)
    click_window_h: float = Field(24.0, gt=0, le=720)
    view_window_h: float | None = Field(None, gt=0, le=720)  # None: no view-through attribution (default)
    lift_window_h: float = Field(72.0, gt=0, le=720)  # orders this long after a send count for the lift
    price_per_segment: float = Field(0.0083, ge=0, le=1)  # the estimate where Twilio gives no price
    currency: str = "USD"
    guard_min_outcomes: int = Field(200, ge=10, le=1_000_000)
    guard_max_filtered: float = Field(0.05, gt=0, le=1)
    guard_max_opt_out: float = Field(0.03, gt=0, le=1)

    @field_validator("link_domain")
    @classmethod
    def _domain(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not _checking(info):
            return value
        return link_domain(value)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str, info: ValidationInfo) -> str:
        code = value.strip().upper()
        if _checking(info) and not re.fullmatch(r"[A-Z]{3}", code):
            raise ValueError(f"currency: {value!r} is not an ISO 4217 currency code (e.g. USD, CAD, EUR)")
        return code


class ShopConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    shop: str
    # paused: the operator stopped its texts (`smsflows shop set --pause`); only compliance replies go.
    # deactivated: the operator stopped the shop (`smsflows shop deactivate`): nothing at all is texted, not
    # even a compliance reply, as for a shop never onboarded; what arrives is still recorded (a STOP too).
    # uninstalled, redacted: Shopify's app/uninstalled and shop/redact (domain/shopify/privacy.py).
    status: ShopStatus = "active"
    brand_name: str | None = None
    default_country: str = "US"  # before support_contact: a national phone number there is read in it
    support_contact: str | None = None  # an https URL, an e-mail address or a phone shown in HELP (A3.3)
    frequency_text: str = "Up to 6 msgs/mo"  # A3.1/A3.2
    terms_url: str | None = None
    privacy_url: str | None = None
    # The countries whose numbers the shop texts (ISO 3166-1 alpha-2, uppercase): a sign-up with a number from
    # anywhere else is refused, the first defence against SMS pumping (POST /subscribe). None: the default
    # country only (see `texted_countries`), so changing `default_country` moves it. Set Twilio's Messaging
    # Geo Permissions to the same list. Shopify's `shop { countriesInShippingZones { countryCodes } }` (GraphQL
    # Admin API) is where a shop's own list could come from; nothing fills it from there yet.
    sms_countries: tuple[str, ...] | None = None
    keywords: tuple[str, ...] = ("JOIN",)  # text-to-join keywords (A3/A4: START and UNSTOP always work)
    # Narrow the quiet-hours window (never widen): 7 entries, Monday first, None = no marketing that day.
    quiet_hours_override: tuple[DayWindow | None, ...] | None = None
    max_marketing_per_30_days: int | None = None  # a shop cap on top of 3 per 24 h (A2.3)
    smart_sending_hours: dict[str, float] = Field(default_factory=dict)  # {flow: hours}; "*" for all
    support_webhook_url: str | None = None  # conversations are POSTed here as JSON, best effort
    senders: tuple[str, ...] = ()  # Twilio numbers or Messaging Service SIDs that belong to this shop
    # The first sender is the one the shop's texts go out from, paced to its registration (RULES.md C).
    throughput: Throughput = Field(default_factory=Throughput)
    # True when the Messaging Service's (Advanced) Opt-Out answers Twilio's own keywords itself: then we
    # record them but send no TwiML reply of our own, so nobody gets two confirmations (RULES.md A4, A5.1).
    twilio_answers_keywords: bool = False
    shop_url: str | None = None
    flows: dict[str, FlowSettings] = Field(default_factory=dict)
    # When `shop add` onboarded it: a shop event received before then texts nobody even if it comes back
    # later (an SQS redelivery, a DLQ or webhook replay). None for configs older than onboarding.
    onboarded_at: datetime | None = None
    measurement: Measurement = Field(default_factory=Measurement)
    # The key of the shop's short-link codes (domain/analytics/links.py): random, made when the shop is
    # onboarded (shopify/shop_settings.py), never shown. None only for configs stored before short links.
    link_key: str | None = Field(None, repr=False)

    @classmethod
    def from_stored(cls, text: str | bytes) -> ShopConfig:
        """A config as stored (JSON): normalised, never refused for a rule it predates."""
        return cls.model_validate_json(text, context={STORED: True})

    # Validators: the form of each setting --------------------------------------------------------------
    @field_validator("brand_name")
    @classmethod
    def _brand(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        text = " ".join(value.split())
        if _checking(info) and not 1 <= len(text) <= 60:
            raise ValueError(
                f"brand_name: {value!r} is not a brand name: 1 to 60 characters (e.g. Demo Shop)"
            )
        return text

    @field_validator("frequency_text")
    @classmethod
    def _frequency(cls, value: str, info: ValidationInfo) -> str:
        text = " ".join(value.split())
        if _checking(info) and not 1 <= len(text) <= 60:
            raise ValueError(
                f"frequency_text: {value!r} does not say how often: 1 to 60 characters (e.g. Up to 6 msgs/mo)"
            )
        return text

    @field_validator("default_country")
    @classmethod
    def _country(cls, value: str, info: ValidationInfo) -> str:
        code = value.strip().upper()
        if _checking(info):
            _iso_country("default_country", value, code)
        return code

    @field_validator("sms_countries")
    @classmethod
    def _iso_countries(cls, value: tuple[str, ...] | None, info: ValidationInfo) -> tuple[str, ...] | None:
        if value is None:
            return None
        codes = tuple(code.strip().upper() for code in value)
        if _checking(info):
            if not codes:
                raise ValueError(
                    "sms_countries: give at least one ISO 3166-1 country code (e.g. US,CA), "
                    "or unset it to text the default country only"
                )
            for raw, code in zip(value, codes, strict=True):
                _iso_country("sms_countries", raw, code)
        return tuple(dict.fromkeys(codes))  # each once, in the order given

    @field_validator("support_contact")
    @classmethod
    def _contact(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        text = value.strip()
        if not _checking(info):
            return text
        if "://" in text or text.lower().startswith("http"):
            return https_url("support_contact", text, "https://demo-shop.example/help")
        if "@" in text:
            if not _EMAIL.fullmatch(text):
                raise ValueError(
                    f"support_contact: {value!r} is not an e-mail address (e.g. help@demo-shop.example)"
                )
            return text
        phone = normalize_phone(text, info.data.get("default_country") or "US")
        if phone.usable and phone.e164:
            return phone.e164
        raise ValueError(
            f"support_contact: {value!r} is not an https URL, an e-mail address or a phone number "
            "(e.g. https://demo-shop.example/help, help@demo-shop.example, +15125550100)"
        )

    @field_validator("terms_url", "privacy_url", "support_webhook_url", "shop_url")
    @classmethod
    def _https(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not _checking(info):
            return value
        examples = {
            "terms_url": "https://demo-shop.example/terms",
            "privacy_url": "https://demo-shop.example/privacy",
            "support_webhook_url": "https://support.demo-shop.example/sms",
            "shop_url": "https://demo-shop.example",
        }
        field = str(info.field_name)
        return https_url(field, value, examples[field])

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        words = tuple(word.strip().upper() for word in value)
        if _checking(info):
            for raw, word in zip(value, words, strict=True):
                if not _KEYWORD.fullmatch(word):
                    raise ValueError(
                        f"keywords: {raw!r} is not a keyword: one word of letters and digits, at most 30 "
                        "(e.g. JOIN, VIP10)"
                    )
        return tuple(dict.fromkeys(words))

    @field_validator("quiet_hours_override")
    @classmethod
    def _seven_days(cls, value: tuple[DayWindow | None, ...] | None) -> tuple[DayWindow | None, ...] | None:
        if value is not None and len(value) != 7:
            raise ValueError("quiet_hours_override needs 7 entries, Monday first")
        return value

    @field_validator("max_marketing_per_30_days")
    @classmethod
    def _shop_cap(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and _checking(info) and value < 1:
            raise ValueError(
                f"max_marketing_per_30_days: {value} is not a cap: use a whole number of texts, 1 or more "
                "(or unset it for no 30-day cap)"
            )
        return value

    @field_validator("smart_sending_hours")
    @classmethod
    def _smart_sending(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        if _checking(info):
            for flow, hours in value.items():
                if not flow.strip():
                    raise ValueError(
                        "smart_sending_hours: a flow name is empty; use FLOW=HOURS (e.g. winback=16)"
                    )
                if not 0 < hours <= MAX_SMART_SENDING_HOURS:
                    raise ValueError(
                        f"smart_sending_hours: {flow}={hours:g} is not a number of hours above 0 and at most "
                        f"{MAX_SMART_SENDING_HOURS:g} (e.g. {flow}=16)"
                    )
        return value

    @field_validator("senders")
    @classmethod
    def _senders(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        out = []
        for raw in value:
            text = re.sub(r"[\s().-]", "", raw)
            e164 = _E164.fullmatch(text) is not None and normalize_phone(text, None).usable
            if e164 or _MESSAGING_SERVICE.fullmatch(text) or _SHORT_CODE.fullmatch(text):
                out.append(text)
            elif _checking(info):
                raise ValueError(f"senders: {raw!r} is not a Twilio sender; {SENDER_FORM}")
            else:
                out.append(raw)
        return tuple(dict.fromkeys(out))

    @model_validator(mode="after")
    def _registration_fits_the_sender(self, info: ValidationInfo) -> ShopConfig:
        """RULES.md C: the pacing rate and daily cap come from the registration, so it must be the first
        sender's (a toll-free type on a 10DLC number would pace a 3 MPS sender at ... what it is not)."""
        if not self.senders or not _checking(info):
            return self
        first, kind = self.senders[0], sender_kind(self.senders[0])
        sender_type = self.throughput.sender_type
        if kind != "messaging_service" and sender_type not in _FITS[kind]:
            fits = " or ".join(_FITS[kind])
            advice = (
                f"use {fits}" if fits else "send through a Messaging Service (MG...), which fits any type"
            )
            raise ValueError(
                f"throughput.sender_type: {sender_type} does not fit the first sender {first}, "
                f"{_KIND_TEXT[kind]}: {advice}"
            )
        return self

    # What the shop may do -------------------------------------------------------------------------------
    def missing_to_onboard(self) -> tuple[str, ...]:
        """The settings of REQUIRED_TO_ONBOARD this config lacks (a config always has a sender type)."""
        missing = [name for name in ("brand_name", "support_contact", "terms_url", "privacy_url")
                   if not getattr(self, name)]  # fmt: skip
        if not self.senders:
            missing.append("senders")
        return tuple(missing)

    @property
    def onboarded(self) -> bool:
        """It has what a shop needs before it may text (`shop add`), and Shopify has not redacted it."""
        return self.status != "redacted" and not self.missing_to_onboard()

    @property
    def texted_countries(self) -> tuple[str, ...]:
        """The countries whose numbers may sign up (`sms_countries`, else the default country)."""
        return self.sms_countries or (self.default_country.upper(),)

    @property
    def brand(self) -> str:
        return self.brand_name or brand_from_shop(self.shop)

    @property
    def active(self) -> bool:
        """It texts: onboarded and neither paused, deactivated nor uninstalled."""
        return self.status == "active" and self.onboarded

    def may_send(self, category: str) -> bool:
        """Whether a text of `category` may go now. A paused shop still answers STOP and HELP (compliance
        replies, CTIA): pausing must never leave a person's opt-out unconfirmed. A deactivated (or never
        onboarded) shop texts nobody, compliance replies included."""
        return self.active or (self.status == "paused" and self.onboarded and category == "compliance")

    # Flows ------------------------------------------------------------------------------------------
    def flow(self, name: str) -> FlowSettings:
        return self.flows.get(name) or FlowSettings()

    def flow_enabled(self, name: str) -> bool:
        return self.flow(name).enabled

    def storefront(self) -> str:
        return self.shop_url or f"https://{self.shop}"

    # Compliance copy (RULES.md A3) ---------------------------------------------------------------
    def help_text(self) -> str:
        """A3.3: brand, customer care contact, frequency, rates, opt-out instruction."""
        contact = f" Help: {self.support_contact}." if self.support_contact else ""
        return (
            f"{self.brand}: {self.frequency_text} of marketing texts.{contact} "
            "Msg & data rates may apply. Reply STOP to cancel."
        )

    def opt_in_request_text(self) -> str:
        """The double opt-in request after a web or checkout sign-up."""
        return (
            f"{self.brand}: Reply Y to confirm you want recurring automated marketing texts "
            f"({self.frequency_text}). Consent is not a condition of purchase. "
            "Msg & data rates may apply. Reply HELP for help, STOP to cancel."
        )

    def signup_disclosure(self) -> str:
        """The call to action shown next to the storefront's unticked box (A3.1): brand, recurring automated
        marketing, frequency, not a condition of purchase, rates, HELP, STOP, Terms and Privacy. The theme
        extension shows exactly this and posts it back, so the consent proof is the text the shopper read."""
        terms = f" Terms: {self.terms_url}" if self.terms_url else " Terms: see our website"
        privacy = f" Privacy: {self.privacy_url}" if self.privacy_url else " Privacy: see our website"
        return (
            f"Yes, text me offers from {self.brand}: recurring automated marketing texts "
            f"({self.frequency_text}) to the number provided. Consent is not a condition of purchase. "
            f"Msg & data rates may apply. Reply HELP for help, STOP to cancel.{terms}{privacy}"
        )

    @property
    def two_tap_number(self) -> str | None:
        """The shop's first phone-number sender (E.164): where an `sms:` link opens a text; None when it
        sends through a Messaging Service only (no number to show)."""
        return next((s for s in self.senders if s.startswith("+")), None)

    def opt_in_confirmation_text(self) -> str:
        """A3.2: brand, what they signed up for, frequency, rates, HELP and STOP."""
        return (
            f"{self.brand}: You're subscribed to {self.brand} marketing texts. {self.frequency_text}. "
            "Msg & data rates may apply. Reply HELP for help, STOP to cancel."
        )

    def opt_out_confirmation_text(self) -> str:
        """A3.4 / A5.1: brand and confirmation, no marketing content."""
        return f"{self.brand}: You're unsubscribed and will receive no further messages. Reply START to resubscribe."


def not_texting(config: ShopConfig | None) -> str | None:
    """Why a shop texts nobody at all, not even a compliance reply: 'shop_not_onboarded' (no config, or one
    without what `shop add` requires), 'shop_deactivated', 'shop_uninstalled' or 'shop_redacted'. None for
    an onboarded shop that is active or paused (a paused one still sends compliance replies)."""
    if config is None:
        return NOT_ONBOARDED
    if config.status in ("deactivated", "uninstalled", "redacted"):
        return f"shop_{config.status}"
    return None if config.onboarded else NOT_ONBOARDED


def country_of_shop(config: ShopConfig | None) -> str:
    """The country a national number is read in: the shop's, or the default's for a shop not onboarded."""
    return (
        config.default_country
        if config is not None
        else str(ShopConfig.model_fields["default_country"].default)
    )


def _iso_country(field: str, raw: str, code: str) -> None:
    import phonenumbers  # the regions it has numbering plans for: ISO 3166-1 alpha-2 codes

    if not re.fullmatch(r"[A-Z]{2}", code) or code not in phonenumbers.SUPPORTED_REGIONS:
        hint = "; the United Kingdom is GB" if code == "UK" else ""
        raise ValueError(f"{field}: {raw!r} is not an ISO 3166-1 country code (e.g. US, CA{hint})")
