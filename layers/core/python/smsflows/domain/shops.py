"""Per-shop configuration, editable without a redeploy (`smsflows shop set`), and the copy it drives.

Every capability reads it, so it lives in the kernel and holds only values: how a shop's settings apply to
a flow is in `flows/definitions.py`, to quiet hours in `compliance/quiet_hours.py`.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from smsflows.domain.messages import brand_from_shop
from smsflows.domain.registration import Throughput


class DayWindow(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: time
    end: time


class FlowSettings(BaseModel):
    """A shop's changes to one flow: on/off, timing (seconds after the trigger, per step), copy, codes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    offsets_s: tuple[int, ...] | None = None
    templates: dict[int, str] = Field(default_factory=dict)
    discount_codes: dict[int, str] = Field(default_factory=dict)


class ShopConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    shop: str
    # paused: the operator stopped its texts (`smsflows shop set --pause`); only compliance replies go
    status: Literal["active", "paused", "uninstalled", "redacted"] = "active"
    brand_name: str | None = None
    support_contact: str | None = None  # URL, e-mail or phone shown in HELP replies (A3.3)
    frequency_text: str = "Up to 6 msgs/mo"  # A3.1/A3.2
    terms_url: str | None = None
    privacy_url: str | None = None
    default_country: str = "US"
    # The countries whose numbers the shop texts (ISO 3166-1 alpha-2, uppercase): a sign-up with a number from
    # anywhere else is refused, the first defence against SMS pumping (POST /subscribe). None: the default
    # country only (see `texted_countries`), so changing `default_country` moves it. Set Twilio's Messaging
    # Geo Permissions to the same list. Shopify's `shop { countriesInShippingZones { countryCodes } }` (GraphQL
    # Admin API) is where a shop's own list could come from; nothing fills it from there yet.
    sms_countries: tuple[str, ...] | None = None
    keywords: tuple[str, ...] = ("JOIN",)  # text-to-join keywords (A3/A4: START and UNSTOP always work)
    # Narrow the quiet-hours window (never widen): 7 entries, Monday first, None = no marketing that day.
    quiet_hours_override: tuple[DayWindow | None, ...] | None = None
    max_marketing_per_30_days: int | None = Field(None, ge=1)  # a shop cap on top of 3 per 24 h (A2.3)
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

    @field_validator("quiet_hours_override")
    @classmethod
    def _seven_days(cls, value: tuple[DayWindow | None, ...] | None) -> tuple[DayWindow | None, ...] | None:
        if value is not None and len(value) != 7:
            raise ValueError("quiet_hours_override needs 7 entries, Monday first")
        return value

    @field_validator("sms_countries")
    @classmethod
    def _iso_countries(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("sms_countries needs at least one country (or null for the default country)")
        import phonenumbers  # the regions it has numbering plans for: ISO 3166-1 alpha-2 codes

        for code in value:
            if not re.fullmatch(r"[A-Z]{2}", code):
                raise ValueError(
                    f"sms_countries: {code!r} is not an uppercase ISO 3166-1 alpha-2 code (e.g. US)"
                )
            if code not in phonenumbers.SUPPORTED_REGIONS:
                hint = " (the United Kingdom is GB)" if code == "UK" else ""
                raise ValueError(
                    f"sms_countries: {code} is not the ISO 3166-1 alpha-2 code of a country{hint}"
                )
        return tuple(dict.fromkeys(value))  # each once, in the order given

    @property
    def texted_countries(self) -> tuple[str, ...]:
        """The countries whose numbers may sign up (`sms_countries`, else the default country)."""
        return self.sms_countries or (self.default_country.upper(),)

    @property
    def brand(self) -> str:
        return self.brand_name or brand_from_shop(self.shop)

    @property
    def active(self) -> bool:
        return self.status == "active"

    def may_send(self, category: str) -> bool:
        """Whether a text of `category` may go now. A paused shop still answers STOP and HELP (compliance
        replies, CTIA): pausing must never leave a person's opt-out unconfirmed."""
        return self.active or (self.status == "paused" and category == "compliance")

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

    def opt_in_confirmation_text(self) -> str:
        """A3.2: brand, what they signed up for, frequency, rates, HELP and STOP."""
        return (
            f"{self.brand}: You're subscribed to {self.brand} marketing texts. {self.frequency_text}. "
            "Msg & data rates may apply. Reply HELP for help, STOP to cancel."
        )

    def opt_out_confirmation_text(self) -> str:
        """A3.4 / A5.1: brand and confirmation, no marketing content."""
        return f"{self.brand}: You're unsubscribed and will receive no further messages. Reply START to resubscribe."
