"""The form of every shop setting (domain/shops.py): each bad value is refused with one message that names
the field and the accepted form; good ones are normalised; a config read back from storage is never refused
for a rule it predates; and which shops text at all."""

import json
from datetime import time

import pytest
from pydantic import ValidationError

from smsflows.domain.registration import Throughput
from smsflows.domain.shops import (
    NOT_ONBOARDED,
    DayWindow,
    FlowSettings,
    ShopConfig,
    not_texting,
    parse_window,
    sender_kind,
)
from tests.fakes import onboarded_shop

SHOP = "demo-shop.myshopify.com"
MG = "MG" + "0123456789abcdef" * 2


def refused(**fields) -> str:
    """The one message ShopConfig gives for `fields`."""
    with pytest.raises(ValidationError) as caught:
        ShopConfig(shop=SHOP, **fields)
    [error] = caught.value.errors()
    return str(error["ctx"]["error"]) if error["type"] == "value_error" else error["msg"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"default_country": "XX"}, "default_country: 'XX' is not an ISO 3166-1 country code (e.g. US, CA)"),
        ({"default_country": "USA"}, "default_country: 'USA' is not an ISO 3166-1 country code (e.g. US, CA)"),
        ({"default_country": "UK"},
         "default_country: 'UK' is not an ISO 3166-1 country code (e.g. US, CA; the United Kingdom is GB)"),
        ({"sms_countries": ("US", "XX")}, "sms_countries: 'XX' is not an ISO 3166-1 country code (e.g. US, CA)"),
        ({"terms_url": "http://demo-shop.example/terms"},
         "terms_url: 'http://demo-shop.example/terms' is not an https URL with a host "
         "(e.g. https://demo-shop.example/terms)"),
        ({"privacy_url": "https:///privacy"},
         "privacy_url: 'https:///privacy' is not an https URL with a host (e.g. https://demo-shop.example/privacy)"),
        ({"support_webhook_url": "http://support.example/sms"},
         "support_webhook_url: 'http://support.example/sms' is not an https URL with a host "
         "(e.g. https://support.demo-shop.example/sms)"),
        ({"shop_url": "demo-shop.example"},
         "shop_url: 'demo-shop.example' is not an https URL with a host (e.g. https://demo-shop.example)"),
        ({"support_contact": "call us anytime"},
         "support_contact: 'call us anytime' is not an https URL, an e-mail address or a phone number "
         "(e.g. https://demo-shop.example/help, help@demo-shop.example, +15125550100)"),
        ({"support_contact": "help@nowhere"},
         "support_contact: 'help@nowhere' is not an e-mail address (e.g. help@demo-shop.example)"),
        ({"support_contact": "http://demo-shop.example/help"},
         "support_contact: 'http://demo-shop.example/help' is not an https URL with a host "
         "(e.g. https://demo-shop.example/help)"),
        ({"support_contact": "12345"},
         "support_contact: '12345' is not an https URL, an e-mail address or a phone number "
         "(e.g. https://demo-shop.example/help, help@demo-shop.example, +15125550100)"),
        ({"keywords": ("JOIN NOW",)},
         "keywords: 'JOIN NOW' is not a keyword: one word of letters and digits, at most 30 (e.g. JOIN, VIP10)"),
        ({"keywords": ("VIP!",)},
         "keywords: 'VIP!' is not a keyword: one word of letters and digits, at most 30 (e.g. JOIN, VIP10)"),
        ({"senders": ("+1 512",)},
         "senders: '+1 512' is not a Twilio sender; use a Twilio Messaging Service SID (MG and 32 hex digits), an "
         "E.164 number (e.g. +15125550100) or a short code (5-6 digits)"),
        ({"senders": ("MG1",)},
         "senders: 'MG1' is not a Twilio sender; use a Twilio Messaging Service SID (MG and 32 hex digits), an "
         "E.164 number (e.g. +15125550100) or a short code (5-6 digits)"),
        ({"senders": ("1234",)},
         "senders: '1234' is not a Twilio sender; use a Twilio Messaging Service SID (MG and 32 hex digits), an "
         "E.164 number (e.g. +15125550100) or a short code (5-6 digits)"),
        ({"max_marketing_per_30_days": 0},
         "max_marketing_per_30_days: 0 is not a cap: use a whole number of texts, 1 or more "
         "(or unset it for no 30-day cap)"),
        ({"smart_sending_hours": {"winback": 0}},
         "smart_sending_hours: winback=0 is not a number of hours above 0 and at most 720 (e.g. winback=16)"),
        ({"smart_sending_hours": {"winback": 721}},
         "smart_sending_hours: winback=721 is not a number of hours above 0 and at most 720 (e.g. winback=16)"),
        ({"brand_name": "  "}, "brand_name: '  ' is not a brand name: 1 to 60 characters (e.g. Demo Shop)"),
        ({"frequency_text": ""},
         "frequency_text: '' does not say how often: 1 to 60 characters (e.g. Up to 6 msgs/mo)"),
        ({"quiet_hours_override": (DayWindow(start=time(10), end=time(19)),) * 6},
         "quiet_hours_override needs 7 entries, Monday first"),
    ],
)  # fmt: skip
def test_a_bad_setting_is_refused_with_the_field_and_the_form(fields, message):
    assert refused(**fields) == message


def test_good_settings_are_normalised():
    config = ShopConfig(
        shop=SHOP,
        default_country=" ca",
        sms_countries=("us", "CA", "US"),
        keywords=(" join", "Vip10", "JOIN"),
        senders=("+1 (512) 555-0100", MG, "12345", MG),
        support_contact="(512) 555-0199",
        brand_name="  Demo   Shop ",
        throughput=Throughput(sender_type="10dlc"),
    )
    assert (config.default_country, config.sms_countries) == ("CA", ("US", "CA"))
    assert config.keywords == ("JOIN", "VIP10")
    assert config.senders == ("+15125550100", MG, "12345")
    assert config.support_contact == "+15125550199"  # a phone number is kept as E.164
    assert config.brand_name == "Demo Shop"
    assert ShopConfig(shop=SHOP, default_country="GB", support_contact="020 7946 0958").support_contact == (
        "+442079460958"  # a national number is read in the shop's country
    )


@pytest.mark.parametrize(
    ("sender", "kind", "fits", "misfits"),
    [
        (MG, "messaging_service", ("toll_free", "short_code", "10dlc", "sole_proprietor"), ()),
        ("12345", "short_code", ("short_code",), ("toll_free", "10dlc", "sole_proprietor")),
        ("123456", "short_code", ("short_code",), ("10dlc",)),
        *[(f"+1{code}5550100", "toll_free", ("toll_free",), ("short_code", "10dlc", "sole_proprietor"))
          for code in ("800", "833", "844", "855", "866", "877", "888")],
        ("+15125550100", "long_code", ("10dlc", "sole_proprietor"), ("toll_free", "short_code")),
        ("+447400123456", "international", (), ("toll_free", "short_code", "10dlc", "sole_proprietor")),
    ],
)  # fmt: skip
def test_the_registration_type_must_fit_the_first_sender(sender, kind, fits, misfits):
    assert sender_kind(sender) == kind
    for sender_type in fits:
        ShopConfig(shop=SHOP, senders=(sender,), throughput=Throughput(sender_type=sender_type))
    for sender_type in misfits:
        message = refused(senders=(sender,), throughput=Throughput(sender_type=sender_type))
        assert message.startswith(
            f"throughput.sender_type: {sender_type} does not fit the first sender {sender}"
        )


def test_only_the_first_sender_decides_the_registration():
    ShopConfig(
        shop=SHOP, senders=("+18005550100", "+15125550100"), throughput=Throughput(sender_type="toll_free")
    )
    assert refused(senders=("+15125550100",), throughput=Throughput(sender_type="toll_free")) == (
        "throughput.sender_type: toll_free does not fit the first sender +15125550100, a US/Canada long code "
        "(10DLC): use 10dlc or sole_proprietor"
    )


@pytest.mark.parametrize(
    ("text", "window"),
    [("10:00-19:00", (time(10), time(19))), ("9:30 - 20:00", (time(9, 30), time(20))),
     ("08:00–21:00", (time(8), time(21)))],
)  # fmt: skip
def test_a_quiet_hours_window_is_read_from_hh_mm_hh_mm(text, window):
    assert parse_window(text) == DayWindow(start=window[0], end=window[1])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("25:00-19:00", "quiet_hours: '25:00-19:00' has no such time of day (25:00); use HH:MM-HH:MM on a "
                        "24-hour clock, the start first (e.g. 10:00-19:00)"),
        ("10:00-19:61", "quiet_hours: '10:00-19:61' has no such time of day (19:61); use HH:MM-HH:MM on a "
                        "24-hour clock, the start first (e.g. 10:00-19:00)"),
        ("19:00-10:00", "quiet_hours: '19:00-10:00' does not start before it ends; use HH:MM-HH:MM on a "
                        "24-hour clock, the start first (e.g. 10:00-19:00)"),
        ("10:00-10:00", "quiet_hours: '10:00-10:00' does not start before it ends; use HH:MM-HH:MM on a "
                        "24-hour clock, the start first (e.g. 10:00-19:00)"),
        ("10-19", "quiet_hours: '10-19' is not a window; use HH:MM-HH:MM on a 24-hour clock, the start first "
                  "(e.g. 10:00-19:00)"),
        ("", "quiet_hours: '' is not a window; use HH:MM-HH:MM on a 24-hour clock, the start first "
             "(e.g. 10:00-19:00)"),
    ],
)  # fmt: skip
def test_a_window_that_is_not_one_is_a_clear_value_error(text, message):
    with pytest.raises(ValueError) as caught:
        parse_window(text)
    assert str(caught.value) == message


def test_a_day_window_and_flow_settings_check_their_own_form():
    with pytest.raises(ValidationError, match="quiet_hours: 19:00-10:00 does not start before it ends"):
        DayWindow(start=time(19), end=time(10))
    with pytest.raises(ValidationError, match="offsets: 1h does not come after 1d"):
        FlowSettings(offsets_s=(86400, 3600))
    with pytest.raises(ValidationError, match="offsets: -60 s is negative"):
        FlowSettings(offsets_s=(-60, 3600))
    with pytest.raises(ValidationError, match="discount_codes: 'TEN OFF' is not a discount code"):
        FlowSettings(discount_codes={0: "TEN OFF"})
    with pytest.raises(ValidationError, match="templates: step -1 does not exist"):
        FlowSettings(templates={-1: "Hi"})


def test_a_config_stored_before_a_rule_existed_is_still_read_so_its_shop_can_record_a_stop():
    stored = {"shop": SHOP, "brand_name": "Demo Shop", "keywords": ["join", "JOIN NOW"], "default_country": "us",
              "support_webhook_url": "http://old.example/hook", "senders": ["+15125550100"],
              "quiet_hours_override": [{"start": "19:00:00", "end": "10:00:00"}] * 7,
              "flows": {"welcome": {"offsets_s": [86400, 0, 5]}}}  # fmt: skip
    config = ShopConfig.from_stored(json.dumps(stored))
    assert config.keywords == ("JOIN", "JOIN NOW")  # normalised, not refused
    assert config.default_country == "US" and config.support_webhook_url == "http://old.example/hook"
    assert config.throughput.sender_type == "toll_free"  # does not fit a 10DLC number: read all the same
    with pytest.raises(ValidationError):  # a new write of the same values is checked
        ShopConfig.model_validate(stored)


def test_which_shops_text_at_all():
    good = onboarded_shop(SHOP)
    assert not_texting(None) == NOT_ONBOARDED
    assert not_texting(good) is None and good.active and good.onboarded
    assert not_texting(onboarded_shop(SHOP, status="paused")) is None  # compliance replies still go
    for status in ("deactivated", "uninstalled", "redacted"):
        assert not_texting(onboarded_shop(SHOP, status=status)) == f"shop_{status}"
    # a record from before onboarding existed (made by `flow set` on an unknown shop): not onboarded
    ghost = ShopConfig(shop="ghost.myshopify.com", flows={"welcome": FlowSettings(enabled=False)})
    assert ghost.missing_to_onboard() == (
        "brand_name",
        "support_contact",
        "terms_url",
        "privacy_url",
        "senders",
    )
    assert not_texting(ghost) == NOT_ONBOARDED and not ghost.active
    assert [c for c in ("marketing", "transactional", "compliance") if ghost.may_send(c)] == []


@pytest.mark.parametrize(
    ("status", "may"),
    [("active", ("marketing", "transactional", "compliance")), ("paused", ("compliance",)),
     ("deactivated", ()), ("uninstalled", ()), ("redacted", ())],
)  # fmt: skip
def test_what_each_status_may_send(status, may):
    config = onboarded_shop(SHOP, status=status)
    assert tuple(c for c in ("marketing", "transactional", "compliance") if config.may_send(c)) == may
