"""Onboarding a shop and changing its settings (domain/shopify/shop_settings.py): what a shop needs before it
may text, every rule that needs another capability (reserved keywords, the lawful quiet-hours window, flows and
steps that exist), clearing settings, and that a refused change leaves what is stored as it was."""

from datetime import UTC, datetime, time

import pytest

from smsflows.domain.consent.keywords import HELP_KEYWORDS, KEYWORDS, OPT_IN_KEYWORDS
from smsflows.domain.consent.subscriptions import TWILIO_KEYWORDS
from smsflows.domain.shopify.shop_settings import (
    CLEARABLE_FIELDS,
    REQUIRED_TO_ONBOARD,
    SettingsError,
    change,
    change_flow,
    lawful_window_text,
    onboard,
    parse_smart_sending,
    require_onboarded,
)
from smsflows.domain.shops import DayWindow, FlowSettings, ShopConfig
from tests.fakes import FakeShopConfigs, onboarded_shop

SHOP = "demo-shop.myshopify.com"
MG = "MG" + "ab" * 16
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SETTINGS = {
    "brand_name": "Demo Shop",
    "support_contact": "help@demo-shop.example",
    "terms_url": "https://demo-shop.example/terms",
    "privacy_url": "https://demo-shop.example/privacy",
    "senders": MG,
    "throughput": {"sender_type": "10dlc"},
}
LAW = lawful_window_text()


def refusal(call, *args, **kwargs) -> str:
    with pytest.raises(SettingsError) as caught:
        call(*args, **kwargs)
    assert "\n" not in str(caught.value)  # one line
    return str(caught.value)


class Operator:
    """What the CLI does with these use cases: read, change, write only what came back."""

    def __init__(self, *configs: ShopConfig) -> None:
        self.shops = FakeShopConfigs(*configs)

    def set(self, shop: str, changes: dict, unset: tuple[str, ...] = ()) -> ShopConfig:
        config = change(require_onboarded(shop, self.shops.get(shop)), changes, list(unset))
        self.shops.put(config)
        return config


# Onboarding ------------------------------------------------------------------------------------------


def test_onboarding_takes_what_a_shop_needs_and_returns_an_active_shop():
    config = onboard(SHOP, SETTINGS, now=NOW)
    assert config.active and config.onboarded and config.status == "active"
    assert (config.senders, config.throughput.sender_type, config.onboarded_at) == ((MG,), "10dlc", NOW)
    assert REQUIRED_TO_ONBOARD == ("brand_name", "support_contact", "terms_url", "privacy_url", "senders",
                                   "throughput.sender_type")  # fmt: skip


def test_onboarding_without_what_a_shop_needs_names_every_missing_setting():
    assert refusal(onboard, SHOP, {"brand_name": "Demo Shop", "senders": ""}) == (
        f"cannot onboard {SHOP}: missing support_contact, terms_url, privacy_url, senders, throughput.sender_type "
        "(a shop needs brand_name, support_contact, terms_url, privacy_url, senders, throughput.sender_type "
        "before it may text anyone)"
    )
    # the sender type must be given: its default (toll_free) is no registration anyone chose
    no_type = {**SETTINGS, "throughput": {"trust_tier": "mid"}}
    assert "missing throughput.sender_type" in refusal(onboard, SHOP, no_type)
    with pytest.raises(SettingsError) as caught:
        onboard(SHOP, {**SETTINGS, "brand_name": "  ", "terms_url": None})
    assert caught.value.fields == ("brand_name", "terms_url")


@pytest.mark.parametrize(
    "shop", ["ghost", "ghost.example.com", "Ghost Shop.myshopify.com", "-x.myshopify.com", ""]
)
def test_only_a_shopify_shop_domain_can_be_onboarded(shop):
    assert refusal(onboard, shop, SETTINGS) == (
        f"shop: {shop!r} is not a Shopify shop domain (e.g. demo-shop.myshopify.com)"
    )


def test_an_onboarded_shop_is_not_onboarded_twice_but_a_gone_or_incomplete_one_may_be():
    for status in ("active", "paused", "deactivated"):
        message = refusal(onboard, SHOP, SETTINGS, existing=onboarded_shop(SHOP, status=status))
        assert message.startswith(f"shop: {SHOP} is onboarded already (status {status}): change it with")
    for existing in (onboarded_shop(SHOP, status="uninstalled"), ShopConfig(shop=SHOP, status="redacted"),
                     ShopConfig(shop=SHOP, flows={"welcome": FlowSettings(enabled=False)})):  # fmt: skip
        assert onboard(SHOP, SETTINGS, existing=existing).active
    assert "status" in refusal(onboard, SHOP, {**SETTINGS, "status": "paused"})  # onboarding makes it active


def test_onboarding_reads_settings_as_the_cli_gives_them():
    config = onboard(SHOP, {**SETTINGS, "keywords": "join, vip", "sms_countries": "US,CA", "senders": f"{MG},12345",
                            "quiet_hours": "10:00-19:00", "smart_sending_hours": ["winback=16", "*=12"]})  # fmt: skip
    assert config.keywords == ("JOIN", "VIP") and config.sms_countries == ("US", "CA")
    assert config.senders == (MG, "12345")
    assert config.quiet_hours_override == (DayWindow(start=time(10), end=time(19)),) * 7
    assert config.smart_sending_hours == {"winback": 16.0, "*": 12.0}


# Every rule, refused with the field and the form -----------------------------------------------------


RESERVED = sorted(
    {k.upper() for k in KEYWORDS if " " not in k} | {k.upper() for k in HELP_KEYWORDS + OPT_IN_KEYWORDS}
    | {k.upper() for k in TWILIO_KEYWORDS} | {"Y", "YES", "STPO", "UNSUBSCRIBED", "5"}
)  # fmt: skip


@pytest.mark.parametrize("word", RESERVED)
def test_no_reserved_word_can_be_an_opt_in_keyword(word):
    message = refusal(onboard, SHOP, {**SETTINGS, "keywords": f"JOIN,{word}"})
    assert message.startswith(f"keywords: {word} is reserved (") and message.endswith(
        ") and cannot be an opt-in keyword"
    )


def test_the_reserved_keyword_message_says_what_the_word_is():
    assert refusal(onboard, SHOP, {**SETTINGS, "keywords": "STOP"}) == (
        "keywords: STOP is reserved (opt-out) and cannot be an opt-in keyword"
    )
    assert "(help)" in refusal(onboard, SHOP, {**SETTINGS, "keywords": "INFO"})
    assert "(opt-in: START and UNSTOP always subscribe)" in refusal(
        onboard, SHOP, {**SETTINGS, "keywords": "UNSTOP"}
    )
    assert "(the answer to a double opt-in request)" in refusal(
        onboard, SHOP, {**SETTINGS, "keywords": "YES"}
    )


@pytest.mark.parametrize("word", ["JOIN", "VIP", "SALE", "DEALS", "ROSES10", "ÚNETE"])
def test_ordinary_words_are_opt_in_keywords(word):
    assert onboard(SHOP, {**SETTINGS, "keywords": word}).keywords == (word,)


@pytest.mark.parametrize(
    "window",
    ["07:59-19:00", "10:00-21:01", "06:00-22:00"],
)
def test_a_quiet_hours_override_that_widens_the_lawful_window_is_refused_saying_what_the_law_allows(window):
    start, end = window.split("-")
    assert refusal(onboard, SHOP, {**SETTINGS, "quiet_hours": window}) == (
        f"quiet_hours: {start}-{end} (Mon) would widen the lawful window: {LAW}; an override may only narrow it"
    )
    assert LAW.startswith("the law allows 08:00–21:00 recipient time (narrower in some states, e.g. Florida ")
    assert "Texas 09:00–21:00 Mon–Sat, 12:00–21:00 Sun" in LAW


@pytest.mark.parametrize("window", ["08:00-21:00", "10:00-19:00", "12:00-13:00"])
def test_an_override_inside_the_lawful_window_narrows_it(window):
    assert onboard(SHOP, {**SETTINGS, "quiet_hours": window}).quiet_hours_override is not None


def test_a_seven_day_override_is_checked_day_by_day():
    days = [DayWindow(start=time(10), end=time(19))] * 6 + [DayWindow(start=time(7), end=time(12))]
    assert refusal(onboard, SHOP, {**SETTINGS, "quiet_hours_override": days}).startswith(
        "quiet_hours: 07:00-12:00 (Sun) would widen the lawful window"
    )
    assert (
        onboard(SHOP, {**SETTINGS, "quiet_hours_override": [*days[:6], None]}).quiet_hours_override[6] is None
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"smart_sending_hours": "winback"}, "smart_sending_hours: 'winback' is not FLOW=HOURS (e.g. winback=16, "
                                             "or *=12 for every flow)"),
        ({"smart_sending_hours": "winback=soon"}, "smart_sending_hours: winback=soon: 'soon' is not a number of "
                                                  "hours (e.g. winback=16)"),
        ({"smart_sending_hours": "ghost=4"}, "smart_sending_hours: 'ghost' is not a marketing flow; use one of "
                                             "welcome, abandoned_checkout, browse_abandonment, post_purchase, "
                                             "winback, birthday, back_in_stock or * for every flow (e.g. winback=16)"),
        ({"smart_sending_hours": {"order_confirmation": 4}}, "smart_sending_hours: 'order_confirmation' is not a "
                                                             "marketing flow"),
        ({"max_marketing_per_30_days": "four"}, "max_marketing_per_30_days: 'four' is not accepted: Input should "
                                                "be a valid integer"),
        ({"throughput": {"sender_type": "tollfree"}}, "throughput.sender_type: 'tollfree' is not accepted: Input "
                                                      "should be 'toll_free', 'short_code', '10dlc' or "
                                                      "'sole_proprietor'"),
        ({"senders": "+18005550100"}, "throughput.sender_type: 10dlc does not fit the first sender +18005550100, "
                                      "a toll-free number: use toll_free"),
        ({"default_country": "XX"}, "default_country: 'XX' is not an ISO 3166-1 country code (e.g. US, CA)"),
        ({"support_webhook_url": "http://x.example"}, "support_webhook_url: 'http://x.example' is not an https URL"),
        ({"quiet_hours": "25:00-19:00"}, "quiet_hours: '25:00-19:00' has no such time of day (25:00)"),
        ({"brand": "Demo"}, "brand: not a setting `shop set` takes; it takes status, brand_name,"),
        ({"shop": "other.myshopify.com"}, "shop: not a setting `shop set` takes"),
        ({"flows": {}}, "flows: not a setting `shop set` takes"),
        ({"status": "uninstalled"}, "status: 'uninstalled' is not a status an operator sets; use one of active, "
                                    "paused, deactivated (uninstalled and redacted come from Shopify)"),
    ],
)  # fmt: skip
def test_a_bad_change_is_refused_and_nothing_is_written(changes, message):
    op = Operator(onboarded_shop(SHOP, throughput={"sender_type": "10dlc"}))
    before = op.shops.get(SHOP)
    assert refusal(op.set, SHOP, changes).startswith(message)
    assert op.shops.get(SHOP) == before and op.shops.all() == [before]


# Changing and clearing --------------------------------------------------------------------------------


def test_a_change_merges_the_registration_and_smart_sending_key_by_key():
    op = Operator(onboarded_shop(SHOP, smart_sending_hours={"winback": 16}))
    config = op.set(SHOP, {"throughput": {"segments_per_second": 25, "trust_tier": None},
                           "smart_sending_hours": "welcome=8", "brand_name": None})  # fmt: skip
    assert config.throughput.sender_type == "10dlc" and config.throughput.trust_tier == "mid"
    assert config.throughput.segments_per_second == 25
    assert config.smart_sending_hours == {"winback": 16, "welcome": 8}
    assert config.brand_name == "Demo Shop"  # None: not given
    paused = op.set(SHOP, {"status": "paused"})
    assert paused.status == "paused" and op.set(SHOP, {"status": "active"}).active


def test_unset_puts_a_setting_back_to_its_default():
    everything = onboarded_shop(SHOP, keywords=("VIP",), default_country="CA", sms_countries=("CA", "US"),
                                max_marketing_per_30_days=4, smart_sending_hours={"winback": 16, "*": 4},
                                support_webhook_url="https://support.example/sms", quiet_hours="10:00-19:00",
                                twilio_answers_keywords=True, shop_url="https://demo-shop.example",
                                throughput={"sender_type": "10dlc", "segments_per_second": 25, "brand_id": "B1"},
                                flows={"welcome": FlowSettings(enabled=False)})  # fmt: skip
    op = Operator(everything)
    config = op.set(SHOP, {}, ("keywords", "default_country", "sms_countries", "max_marketing_per_30_days",
                               "smart_sending_hours.winback", "support_webhook_url", "quiet_hours",
                               "twilio_answers_keywords", "shop_url", "throughput.segments_per_second",
                               "throughput.brand_id", "flows"))  # fmt: skip
    defaults = ShopConfig(shop=SHOP)
    assert config.keywords == defaults.keywords == ("JOIN",)
    assert (config.default_country, config.sms_countries, config.max_marketing_per_30_days) == (
        "US",
        None,
        None,
    )
    assert config.smart_sending_hours == {"*": 4}
    assert (config.support_webhook_url, config.quiet_hours_override, config.shop_url) == (None, None, None)
    assert config.twilio_answers_keywords is False and config.flows == {}
    assert config.throughput.model_dump() == {**defaults.throughput.model_dump(), "sender_type": "10dlc"}
    # unset first, then set: a whole new smart-sending table
    assert op.set(
        SHOP, {"smart_sending_hours": "welcome=2"}, ("smart_sending_hours",)
    ).smart_sending_hours == {"welcome": 2}


@pytest.mark.parametrize("field", ["brand_name", "support_contact", "terms_url", "privacy_url", "senders",
                                   "throughput.sender_type"])  # fmt: skip
def test_a_setting_a_shop_needs_cannot_be_cleared(field):
    op = Operator(onboarded_shop(SHOP))
    before = op.shops.get(SHOP)
    assert refusal(op.set, SHOP, {}, (field,)) == (
        f"unset: {field} is needed before a shop may text anyone and cannot be cleared; change it instead"
    )
    assert op.shops.get(SHOP) == before


def test_an_unknown_field_to_clear_lists_the_clearable_ones():
    op = Operator(onboarded_shop(SHOP))
    message = refusal(op.set, SHOP, {}, ("colour",))
    assert (
        message
        == f"unset: 'colour' is not a setting that can be cleared; clearable: {', '.join(CLEARABLE_FIELDS)}"
    )
    assert "frequency_text" in CLEARABLE_FIELDS and "brand_name" not in CLEARABLE_FIELDS
    assert refusal(op.set, SHOP, {}, ("status",)) == (
        "unset: status cannot be cleared; set it to active, paused, deactivated"
    )
    assert refusal(op.set, SHOP, {}, ("smart_sending_hours.winbak",)) == (
        "unset: smart_sending_hours has no entry for 'winbak' (it has: none)"
    )
    assert refusal(op.set, SHOP, {}, ("throughput.sender_typo",)).startswith(
        "unset: 'throughput.sender_typo' is not"
    )


def test_a_shop_never_onboarded_or_redacted_cannot_be_changed():
    op = Operator(ShopConfig(shop="gone.myshopify.com", status="redacted"))
    assert refusal(op.set, "ghost.myshopify.com", {"brand_name": "Ghost"}) == (
        "shop: ghost.myshopify.com is not onboarded: add it first with `smsflows shop add ghost.myshopify.com ...`"
    )
    assert refusal(op.set, "gone.myshopify.com", {"brand_name": "Gone"}).startswith(
        "shop: gone.myshopify.com was redacted (Shopify's shop/redact erased its settings): onboard it again"
    )
    assert op.shops.get("ghost.myshopify.com") is None


def test_a_record_from_before_onboarding_becomes_a_shop_only_once_it_has_everything():
    ghost = ShopConfig(shop="ghost.myshopify.com", flows={"welcome": FlowSettings(enabled=False)})
    op = Operator(ghost)
    assert refusal(op.set, ghost.shop, {"brand_name": "Ghost"}) == (
        "support_contact, terms_url, privacy_url, senders: needed before ghost.myshopify.com may text anyone; set "
        "them (a shop is never without them)"
    )
    assert op.shops.get(ghost.shop) == ghost
    done = op.set(
        ghost.shop, {k: v for k, v in SETTINGS.items() if k != "brand_name"} | {"brand_name": "Ghost"}
    )
    assert done.active and done.flow("welcome").enabled is False


def test_deactivating_stops_texts_and_activating_brings_them_back():
    op = Operator(onboarded_shop(SHOP))
    assert op.set(SHOP, {"status": "deactivated"}).may_send("compliance") is False
    assert op.set(SHOP, {"status": "active"}).active
    op.shops.put(onboarded_shop(SHOP, status="uninstalled"))  # reinstalled: the operator turns it back on
    assert op.set(SHOP, {"status": "active"}).active


def test_smart_sending_reads_the_forms_the_cli_passes():
    assert parse_smart_sending("winback=16,*=12") == {"winback": 16.0, "*": 12.0}
    assert parse_smart_sending(["winback=16", "welcome=1.5"]) == {"winback": 16.0, "welcome": 1.5}
    assert parse_smart_sending({"winback": "16"}) == {"winback": 16.0}
    assert "is not FLOW=HOURS" in refusal(parse_smart_sending, "=16")


# Flows ------------------------------------------------------------------------------------------------


def test_a_flow_is_retimed_recopied_and_turned_off_and_cleared_back_to_its_defaults():
    config = onboarded_shop(SHOP)
    changed = change_flow(config, "abandoned_checkout", enabled=False, offsets="30m,1d,3d",
                          templates={0: "{shop_name}: your cart {checkout_url}"}, codes={1: "SAVE10"})  # fmt: skip
    flow = changed.flow("abandoned_checkout")
    assert (flow.enabled, flow.offsets_s) == (False, (1800, 86400, 259200))
    assert (flow.templates, flow.discount_codes) == (
        {0: "{shop_name}: your cart {checkout_url}"},
        {1: "SAVE10"},
    )
    assert change_flow(changed, "abandoned_checkout", offsets=(3600, 7200, 10800)).flow(
        "abandoned_checkout"
    ).offsets_s == (3600, 7200, 10800)
    cleared = change_flow(
        changed, "abandoned_checkout", unset=["enabled", "offsets", "templates.0", "codes.1"]
    )
    assert cleared.flows == {}  # nothing left to keep
    assert (
        change_flow(changed, "abandoned_checkout", unset=["templates", "discount_codes"])
        .flow("abandoned_checkout")
        .templates
        == {}
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"flow": "ghost"}, "flow: 'ghost' is not a flow; flows: welcome, abandoned_checkout,"),
        ({"offsets": (3600,)}, "offsets: abandoned_checkout has 3 steps (0 reminder, 1 code, 2 last_chance): give 3 "
                               "durations, e.g. 1h,1d,3d"),
        ({"offsets": "1h"}, "offsets: abandoned_checkout has 3 steps"),
        ({"offsets": "1d,1h,3d"}, "offsets: 1h does not come after 1d; each step must come after the one before it"),
        ({"offsets": (-60, 3600, 7200)}, "offsets: -60 s is negative"),
        ({"offsets": "1x,1d,3d"}, "offsets: '1x' is not a duration; use e.g. 30m, 1h, 1d, 1w"),
        ({"offsets": "1h,1d,400d"}, "offsets: 400d is later than a flow can wait (a Step Functions execution runs "
                                    "for at most a year): at most 365d"),
        ({"codes": {3: "SAVE10"}}, "discount_codes: abandoned_checkout has no step 3 (its steps: 0 reminder, 1 code, "
                                   "2 last_chance)"),
        ({"templates": {5: "Hi"}}, "templates: abandoned_checkout has no step 5"),
        ({"templates": {0: "Hi {nobody}"}}, "templates: abandoned_checkout step 0: unknown placeholders ['nobody']"),
        ({"codes": {1: "TEN OFF"}}, "discount_codes: 'TEN OFF' is not a discount code"),
        ({"flow": "order_confirmation", "offsets": (0,)}, "offsets: order_confirmation is sent at once when its "
                                                          "event arrives: it has no timing to set"),
        ({"unset": ["colour"]}, "unset: 'colour' is not a flow setting that can be cleared; clearable: enabled,"),
        ({"unset": ["templates.2"]}, "unset: abandoned_checkout has no templates for step 2 (it has: none)"),
    ],
)  # fmt: skip
def test_a_bad_flow_setting_is_refused_and_nothing_is_written(kwargs, message):
    shops = FakeShopConfigs(onboarded_shop(SHOP))
    before = shops.get(SHOP)
    args = {"flow": "abandoned_checkout", **kwargs}
    assert refusal(change_flow, shops.get(SHOP), **args).startswith(message)
    assert shops.get(SHOP) == before


def test_a_flow_of_a_shop_never_onboarded_cannot_be_set():
    """The issue's ghost: `flow set --shop ghost... --enabled off` made an active shop texting as "Ghost"."""
    assert refusal(require_onboarded, "ghost.myshopify.com", None).startswith(
        "shop: ghost.myshopify.com is not onboarded"
    )
