"""`smsflows shop add|set|show|list|deactivate|delete`: a shop's SMS settings, without a redeploy."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import typer
from rich.console import Console

from smsflows import admin
from smsflows.admin.errors import BadValue
from smsflows.cli._core import confirm, epilog, fields, show, table
from smsflows.cli._target import JsonOpt, LocalOpt, ProfileOpt, ShopOpt, Target, YesOpt
from smsflows.domain.registration import SenderType, TrustTier

app = typer.Typer(
    help="Onboard a shop, change or clear its settings, list, deactivate or delete shops.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

# option name (without --): the setting it changes, as `shop_settings.change` and `--unset` name it
OPTION_FIELDS = {
    "brand": "brand_name",
    "support": "support_contact",
    "frequency": "frequency_text",
    "terms-url": "terms_url",
    "privacy-url": "privacy_url",
    "country": "default_country",
    "sms-countries": "sms_countries",
    "keywords": "keywords",
    "sender": "senders",
    "max-per-30-days": "max_marketing_per_30_days",
    "smart-sending": "smart_sending_hours",
    "support-webhook": "support_webhook_url",
    "quiet-hours": "quiet_hours",
    "keyword-replies": "twilio_answers_keywords",
    "shop-url": "shop_url",
    "sender-type": "throughput.sender_type",
    "trust-tier": "throughput.trust_tier",
    "mps": "throughput.segments_per_second",
    "daily-cap": "throughput.daily_segment_cap",
    "brand-id": "throughput.brand_id",
    "link-domain": "measurement.link_domain",
    "link-expiry": "measurement.link_expiry_days",
    "click-window": "measurement.click_window_h",
    "view-window": "measurement.view_window_h",
    "lift-window": "measurement.lift_window_h",
    "price-per-segment": "measurement.price_per_segment",
    "currency": "measurement.currency",
    "guard-after": "measurement.guard_min_outcomes",
    "guard-filtered": "measurement.guard_max_filtered",
    "guard-opt-outs": "measurement.guard_max_opt_out",
}


def _json_note() -> str:
    from smsflows.domain.registration import Throughput
    from smsflows.domain.shops import FlowSettings, ShopConfig

    nested = {
        "throughput": f"throughput {{{', '.join(Throughput.model_fields)}}}",
        "flows": f"flows {{FLOW: {{{', '.join(FlowSettings.model_fields)}}}}}",
    }
    from smsflows.domain.shops import Measurement

    nested["measurement"] = f"measurement {{{', '.join(Measurement.model_fields)}}}"
    keys = ", ".join(nested.get(name, name) for name in ShopConfig.model_fields if name != "link_key")
    return f"--json prints the shop's settings, one key per setting (stable): {keys}."


JSON_NOTE = _json_note()


def _opt(*names: str, help: str, metavar: str | None = None, panel: str = "Settings") -> Any:
    return typer.Option(*names, help=help, metavar=metavar, show_default=False, rich_help_panel=panel)


Brand = Annotated[
    str | None, _opt("--brand", help='The brand in every text, e.g. "Demo Shop".', metavar="TEXT")
]
Support = Annotated[
    str | None,
    _opt(
        "--support",
        help="Customer care contact for HELP replies: https URL, e-mail or phone.",
        metavar="CONTACT",
    ),
]
Frequency = Annotated[
    str | None,
    _opt(
        "--frequency",
        help='Message frequency in the disclosures (default "Up to 6 msgs/mo").',
        metavar="TEXT",
    ),
]
TermsUrl = Annotated[str | None, _opt("--terms-url", help="https URL of the SMS terms.", metavar="URL")]
PrivacyUrl = Annotated[
    str | None, _opt("--privacy-url", help="https URL of the privacy policy.", metavar="URL")
]
Country = Annotated[
    str | None,
    _opt(
        "--country", help="Default country of local numbers, ISO 3166-1 alpha-2 (default US).", metavar="CC"
    ),
]
SmsCountries = Annotated[
    str | None,
    _opt(
        "--sms-countries",
        help="Countries whose numbers may sign up, comma separated, e.g. US,CA,PR "
        "(default: the default country).",
        metavar="CC,CC",
    ),
]
Keywords = Annotated[
    str | None,
    _opt(
        "--keywords",
        help="Text-to-join keywords, comma separated, e.g. JOIN,VIP (default JOIN; START and "
        "UNSTOP always work; STOP, HELP and their synonyms are refused).",
        metavar="WORD,WORD",
    ),
]
Senders = Annotated[
    list[str] | None,
    _opt(
        "--sender",
        help="The shop's sender (repeat for several; the first sends): a Messaging Service SID "
        "(MG…), an E.164 number or a short code.",
        metavar="SENDER",
        panel="Sender",
    ),
]
SenderTypeOpt = Annotated[
    SenderType | None,
    _opt(
        "--sender-type",
        help="How the sender is registered; sets its throughput (default toll_free).",
        panel="Sender",
    ),
]
TrustTierOpt = Annotated[
    TrustTier | None,
    _opt("--trust-tier", help="10DLC trust score band (default low_volume).", panel="Sender"),
]
Mps = Annotated[
    float | None,
    _opt(
        "--mps", help="Segments per second, if not the registration's (e.g. 25).", metavar="N", panel="Sender"
    ),
]
DailyCap = Annotated[
    int | None,
    _opt(
        "--daily-cap",
        help="The brand's T-Mobile segments per day, if not the registration's.",
        metavar="N",
        panel="Sender",
    ),
]
BrandId = Annotated[
    str | None,
    _opt("--brand-id", help="The TCR brand: its senders share the daily cap.", metavar="ID", panel="Sender"),
]
MaxPer30 = Annotated[
    int | None,
    _opt("--max-per-30-days", help="A shop cap of marketing texts per recipient per 30 days.", metavar="N"),
]
SmartSending = Annotated[
    list[str] | None,
    _opt(
        "--smart-sending",
        help="Skip a flow's text if any marketing went out in the last HOURS, e.g. "
        "winback=16, or *=12 for every flow (repeatable).",
        metavar="FLOW=HOURS",
    ),
]
SupportWebhook = Annotated[
    str | None,
    _opt("--support-webhook", help="https URL that receives customer replies as JSON.", metavar="URL"),
]
QuietHours = Annotated[
    str | None,
    _opt(
        "--quiet-hours",
        help="Narrow the marketing window every day, HH:MM-HH:MM, e.g. 10:00-19:00 (never "
        "wider than the law allows).",
        metavar="HH:MM-HH:MM",
    ),
]
KeywordReplies = Annotated[
    Literal["smsflows", "twilio"] | None,
    _opt(
        "--keyword-replies",
        help="Who answers STOP/HELP/START: smsflows (TwiML, default) or twilio (Twilio's Advanced Opt-Out).",
    ),
]
ShopUrl = Annotated[
    str | None,
    _opt(
        "--shop-url", help="The storefront's URL, if not https://SHOP (e.g. a custom domain).", metavar="URL"
    ),
]
LinkDomain = Annotated[
    str | None,
    _opt(
        "--link-domain",
        help="The shop's host for short links, e.g. sms.your-shop.com: a CNAME to one of "
        "the stack's link domains (default: the API's /l/ path).",
        metavar="HOST",
        panel="Measurement",
    ),
]
LinkExpiry = Annotated[
    str | None,
    _opt(
        "--link-expiry",
        help="How long a short link works, e.g. 90d (default 90d).",
        metavar="DURATION",
        panel="Measurement",
    ),
]
ClickWindow = Annotated[
    str | None,
    _opt(
        "--click-window",
        help="An order this soon after a click is the text's, e.g. 24h (default 24h).",
        metavar="DURATION",
        panel="Measurement",
    ),
]
ViewWindow = Annotated[
    str | None,
    _opt(
        "--view-window",
        help="View-through attribution (off by default): an order this soon after a text "
        "with no click, e.g. 4h.",
        metavar="DURATION",
        panel="Measurement",
    ),
]
LiftWindow = Annotated[
    str | None,
    _opt(
        "--lift-window",
        help="Orders this soon after a send count for the holdout lift (default 3d).",
        metavar="DURATION",
        panel="Measurement",
    ),
]
PricePerSegment = Annotated[
    float | None,
    _opt(
        "--price-per-segment",
        help="The cost estimate per segment where Twilio gives no price (default 0.0083).",
        metavar="PRICE",
        panel="Measurement",
    ),
]
Currency = Annotated[
    str | None,
    _opt(
        "--currency", help="The shop's currency, ISO 4217 (default USD).", metavar="CODE", panel="Measurement"
    ),
]
GuardAfter = Annotated[
    int | None,
    _opt(
        "--guard-after",
        help="The deliverability guard judges a campaign after this many outcomes (default 200).",
        metavar="N",
        panel="Measurement",
    ),
]
GuardFiltered = Annotated[
    float | None,
    _opt(
        "--guard-filtered",
        help="Pause a campaign when more than this share of its texts is carrier-filtered, e.g. 0.05.",
        metavar="SHARE",
        panel="Measurement",
    ),
]
GuardOptOuts = Annotated[
    float | None,
    _opt(
        "--guard-opt-outs",
        help="Pause a campaign when more than this share of delivered texts opts out, e.g. 0.03.",
        metavar="SHARE",
        panel="Measurement",
    ),
]
ShopArg = Annotated[
    str | None,
    typer.Argument(
        help="The shop, e.g. your-shop.myshopify.com (or --shop).", show_default=False, metavar="SHOP"
    ),
]


def _settings(
    brand: str | None, support: str | None, frequency: str | None, terms_url: str | None,
    privacy_url: str | None, country: str | None, sms_countries: str | None, keywords: str | None,
    sender: list[str] | None, sender_type: str | None, trust_tier: str | None, mps: float | None,
    daily_cap: int | None, brand_id: str | None, max_per_30_days: int | None, smart_sending: list[str] | None,
    support_webhook: str | None, quiet_hours: str | None, keyword_replies: str | None, shop_url: str | None,
) -> dict[str, Any]:  # fmt: skip
    """The options as the settings `onboard` and `change` take (None: not given)."""
    throughput = {
        "sender_type": sender_type,
        "trust_tier": trust_tier,
        "segments_per_second": mps,
        "daily_segment_cap": daily_cap,
        "brand_id": brand_id,
    }
    return {
        "brand_name": brand,
        "support_contact": support,
        "frequency_text": frequency,
        "terms_url": terms_url,
        "privacy_url": privacy_url,
        "default_country": country,
        "sms_countries": sms_countries,
        "keywords": keywords,
        "senders": tuple(sender) if sender else None,
        "max_marketing_per_30_days": max_per_30_days,
        "smart_sending_hours": list(smart_sending) if smart_sending else None,
        "support_webhook_url": support_webhook,
        "quiet_hours": quiet_hours,
        "twilio_answers_keywords": None if keyword_replies is None else keyword_replies == "twilio",
        "shop_url": shop_url,
        "throughput": {k: v for k, v in throughput.items() if v is not None} or None,
    }


def _measurement(
    link_domain: str | None, link_expiry: str | None, click_window: str | None, view_window: str | None,
    lift_window: str | None, price: float | None, currency: str | None, guard_after: int | None,
    guard_filtered: float | None, guard_opt_outs: float | None,
) -> dict[str, Any] | None:  # fmt: skip
    from smsflows.domain.durations import parse_duration

    def seconds(text: str | None, field: str) -> int | None:
        try:
            return None if text is None else parse_duration(text, field=field)
        except ValueError as exc:
            raise BadValue(str(exc)) from None

    def hours(text: str | None, field: str) -> float | None:
        value = seconds(text, field)
        return None if value is None else value / 3600

    days = seconds(link_expiry, "link_expiry_days")
    expiry = None if days is None else days / 86400
    if expiry is not None and expiry != int(expiry):
        raise BadValue(f"--link-expiry: {link_expiry!r} is not a whole number of days (e.g. 90d)")
    given = {
        "link_domain": link_domain, "link_expiry_days": None if expiry is None else int(expiry),
        "click_window_h": hours(click_window, "click_window_h"), "view_window_h": hours(view_window, "view_window_h"),
        "lift_window_h": hours(lift_window, "lift_window_h"), "price_per_segment": price, "currency": currency,
        "guard_min_outcomes": guard_after, "guard_max_filtered": guard_filtered, "guard_max_opt_out": guard_opt_outs,
    }  # fmt: skip
    return {k: v for k, v in given.items() if v is not None} or None


def _one_shop(shop: str | None, shop_option: str | None, target: Target, required: bool = False) -> str:
    if shop and shop_option and shop != shop_option:
        raise BadValue(f"SHOP: {shop} and --shop {shop_option} differ: name the shop once")
    named = shop or shop_option
    if required and not named:
        raise BadValue("SHOP: name the shop, e.g. `smsflows shop delete your-shop.myshopify.com`")
    return named or target.shop(None)


def render_config(console: Console, config: dict[str, Any]) -> None:
    flows = config.get("flows") or {}
    plain = {k: v for k, v in config.items() if k not in ("flows", "quiet_hours_override", "throughput")}
    windows = config.get("quiet_hours_override")
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    plain["quiet_hours_override"] = (
        None
        if windows is None
        else ", ".join(
            f"{d} {w['start'][:5]}-{w['end'][:5]}" if w else f"{d} none"
            for d, w in zip(days, windows, strict=False)
        )
    )
    plain["throughput"] = {k: v for k, v in (config.get("throughput") or {}).items() if v is not None}
    console.print(fields(plain, title=f"shop {config['shop']}"))
    if flows:
        rows = [
            (name, f.get("enabled"), f.get("offsets_s"), f.get("templates"), f.get("discount_codes"))
            for name, f in flows.items()
        ]
        console.print(
            table(("flow", "enabled", "offsets (s)", "templates", "codes"), rows, title="flow settings")
        )


def _unset_fields(names: list[str] | None) -> list[str]:
    """`--unset` names (option names like quiet-hours, or the settings' own names) as the settings' names."""
    out = []
    for name in names or ():
        key, dot, rest = name.strip().lstrip("-").partition(".")
        field = OPTION_FIELDS.get(key, key.replace("-", "_"))
        out.append(f"{field}{dot}{rest}")
    return out


@app.command(
    "add",
    epilog=epilog(
        [
            'smsflows shop add your-shop.myshopify.com --brand "Your Shop" --support help@your-shop.com \\',
            "    --terms-url https://your-shop.com/terms --privacy-url https://your-shop.com/privacy \\",
            "    --sender MG0123456789abcdef0123456789abcdef --sender-type 10dlc --trust-tier mid",
        ],
        "A shop needs --brand, --support, --terms-url, --privacy-url, --sender and --sender-type before it may\n"
        "text anyone; nothing is written without them. " + JSON_NOTE,
    ),
)
def add(
    shop: ShopArg = None,
    shop_option: ShopOpt = None,
    brand: Brand = None,
    support: Support = None,
    terms_url: TermsUrl = None,
    privacy_url: PrivacyUrl = None,
    sender: Senders = None,
    sender_type: SenderTypeOpt = None,
    trust_tier: TrustTierOpt = None,
    mps: Mps = None,
    daily_cap: DailyCap = None,
    brand_id: BrandId = None,
    frequency: Frequency = None,
    country: Country = None,
    sms_countries: SmsCountries = None,
    keywords: Keywords = None,
    quiet_hours: QuietHours = None,
    max_per_30_days: MaxPer30 = None,
    smart_sending: SmartSending = None,
    support_webhook: SupportWebhook = None,
    keyword_replies: KeywordReplies = None,
    shop_url: ShopUrl = None,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Onboard a shop: what it needs before it may text anyone, checked before anything is written."""
    target = Target(local, profile)
    named = _one_shop(shop, shop_option, target, required=True)
    settings = _settings(
        brand,
        support,
        frequency,
        terms_url,
        privacy_url,
        country,
        sms_countries,
        keywords,
        sender,
        sender_type,
        trust_tier,
        mps,
        daily_cap,
        brand_id,
        max_per_30_days,
        smart_sending,
        support_webhook,
        quiet_hours,
        keyword_replies,
        shop_url,
    )
    target.connect()
    show(admin.shop_add(named, settings), as_json, render_config)


@app.command(
    "set",
    epilog=epilog(
        [
            "smsflows shop set your-shop.myshopify.com --keywords JOIN,VIP --quiet-hours 10:00-19:00",
            "smsflows shop set --shop your-shop.myshopify.com --sender-type toll_free --mps 25",
            "smsflows shop set your-shop.myshopify.com --smart-sending winback=16 --max-per-30-days 8",
            "smsflows shop set your-shop.myshopify.com --unset quiet-hours --unset smart-sending.winback",
            "smsflows shop set your-shop.myshopify.com --pause        # only STOP/HELP replies go out",
        ],
        "A bad value changes nothing. " + JSON_NOTE,
    ),
)
def set_(
    shop: ShopArg = None,
    shop_option: ShopOpt = None,
    brand: Brand = None,
    support: Support = None,
    terms_url: TermsUrl = None,
    privacy_url: PrivacyUrl = None,
    sender: Senders = None,
    sender_type: SenderTypeOpt = None,
    trust_tier: TrustTierOpt = None,
    mps: Mps = None,
    daily_cap: DailyCap = None,
    brand_id: BrandId = None,
    frequency: Frequency = None,
    country: Country = None,
    sms_countries: SmsCountries = None,
    keywords: Keywords = None,
    quiet_hours: QuietHours = None,
    max_per_30_days: MaxPer30 = None,
    smart_sending: SmartSending = None,
    support_webhook: SupportWebhook = None,
    keyword_replies: KeywordReplies = None,
    shop_url: ShopUrl = None,
    link_domain: LinkDomain = None,
    link_expiry: LinkExpiry = None,
    click_window: ClickWindow = None,
    view_window: ViewWindow = None,
    lift_window: LiftWindow = None,
    price_per_segment: PricePerSegment = None,
    currency: Currency = None,
    guard_after: GuardAfter = None,
    guard_filtered: GuardFiltered = None,
    guard_opt_outs: GuardOptOuts = None,
    unset: Annotated[
        list[str] | None,
        typer.Option(
            "--unset",
            metavar="SETTING",
            help="Clear a setting back to its default (repeatable): an option's name (quiet-hours, "
            "support-webhook, smart-sending.FLOW, mps, …) or the setting's (see `shop show --json`).",
            show_default=False,
        ),
    ] = None,
    activate: Annotated[
        bool, typer.Option("--activate", help="Mark the shop active again (ends a pause or a deactivation).")
    ] = False,
    pause: Annotated[
        bool, typer.Option("--pause", help="Stop the shop's texts at once (STOP and HELP replies still go).")
    ] = False,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Change or clear an onboarded shop's settings; applies at once, without a redeploy."""
    if activate and pause:
        raise BadValue("--activate and --pause: give one of them")
    target = Target(local, profile)
    changes = _settings(
        brand,
        support,
        frequency,
        terms_url,
        privacy_url,
        country,
        sms_countries,
        keywords,
        sender,
        sender_type,
        trust_tier,
        mps,
        daily_cap,
        brand_id,
        max_per_30_days,
        smart_sending,
        support_webhook,
        quiet_hours,
        keyword_replies,
        shop_url,
    )
    changes["status"] = "active" if activate else "paused" if pause else None
    changes["measurement"] = _measurement(
        link_domain, link_expiry, click_window, view_window, lift_window, price_per_segment, currency,
        guard_after, guard_filtered, guard_opt_outs,
    )  # fmt: skip
    fields_to_clear = _unset_fields(unset)
    if all(v is None for v in changes.values()) and not fields_to_clear:
        raise BadValue("nothing to change: give a setting (e.g. --keywords JOIN,VIP) or --unset SETTING")
    target.connect()
    named = _one_shop(shop, shop_option, target)
    show(admin.shop_set(named, changes, fields_to_clear), as_json, render_config)


@app.command(
    "show",
    epilog=epilog(["smsflows shop show your-shop.myshopify.com", "smsflows shop show --json"], JSON_NOTE),
)
def show_(
    shop: ShopArg = None,
    shop_option: ShopOpt = None,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Show a shop's settings."""
    target = Target(local, profile)
    target.connect()
    show(admin.shop_show(_one_shop(shop, shop_option, target)), as_json, render_config)


SUMMARY_NOTE = "--json prints a list of {shop, status, brand_name, senders, sender_type, default_country}."


@app.command(
    "list",
    epilog=epilog(["smsflows shop list", "smsflows shop list --json | jq -r '.[].shop'"], SUMMARY_NOTE),
)
def list_(as_json: JsonOpt = False, local: LocalOpt = None, profile: ProfileOpt = None) -> None:
    """List the onboarded shops (from the list of shops the daily job reads)."""
    Target(local, profile).connect()
    rows = admin.shop_list()

    def render(console: Console, found: list[dict[str, Any]]) -> None:
        columns = ("shop", "status", "brand_name", "senders", "sender_type", "default_country")
        console.print(table(columns, [[r[c] for c in columns] for r in found]))

    show(rows, as_json, render)


def _render_summary(console: Console, row: dict[str, Any]) -> None:
    console.print(fields(row, title=f"shop {row['shop']}"))


@app.command(
    "deactivate",
    epilog=epilog(
        [
            "smsflows shop deactivate your-shop.myshopify.com",
            "smsflows shop deactivate your-shop.myshopify.com --yes",
        ],
        "The shop then texts nobody, STOP/HELP replies included, until `smsflows shop set SHOP --activate`.\n"
        + SUMMARY_NOTE.replace("a list of ", ""),
    ),
)
def deactivate(
    shop: ShopArg = None,
    shop_option: ShopOpt = None,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Deactivate a shop: nothing is texted for it; its settings and records stay."""
    target = Target(local, profile)
    named = _one_shop(shop, shop_option, target, required=True)
    target.connect()
    admin.shop_show(named)  # not onboarded: say so before asking
    confirm(f"Deactivate {named}? It will text nobody until `smsflows shop set {named} --activate`.", yes)
    show(admin.shop_deactivate(named), as_json, _render_summary)


@app.command(
    "delete",
    epilog=epilog(
        ["smsflows shop delete old-shop.myshopify.com --yes"],
        "Removes the shop's settings record (and its senders and list entry). Consent records, orders and the\n"
        "message log stay (Shopify's shop/redact erases those). "
        + SUMMARY_NOTE.replace("a list of {", "{").replace("}", ", deleted}"),
    ),
)
def delete(
    shop: ShopArg = None,
    shop_option: ShopOpt = None,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Delete a shop's settings record; `smsflows shop add` onboards it again."""
    target = Target(local, profile)
    named = _one_shop(shop, shop_option, target, required=True)
    target.connect()
    admin.shop_show(named)
    confirm(f"Delete the settings of {named}? It cannot text until it is onboarded again.", yes)
    show(admin.shop_delete(named), as_json, _render_summary)


CONNECT_NOTE = (
    "Reads the shop's offline Admin API access token from stdin (never an argument: it would stay in the shell's "
    'history and in `ps`), and stores it as the secret <prefix>/SHOP ({"access_token": ...}) that the functions '
    "writing consent back to Shopify read; a token stored before is replaced. The token is never printed. "
    "--json prints {shop, secret_name, created}."
)


@app.command(
    "connect",
    epilog=epilog(
        [
            "smsflows shop connect --shop your-shop.myshopify.com < token.txt",
            "pass show shopify/your-shop | smsflows shop connect --shop your-shop.myshopify.com --json",
            "smsflows shop connect --shop your-shop.myshopify.com      # asks for it, without echo",
        ],
        CONNECT_NOTE,
    ),
)
def connect(
    shop: ShopArg = None,
    shop_option: ShopOpt = None,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Store a shop's Admin API access token (read from stdin) for consent write-back and segments."""
    import getpass
    import sys

    from smsflows.admin.shopify_tokens import shop_connect

    target = Target(local, profile)
    target.connect()
    named = _one_shop(shop, shop_option, target)
    if sys.stdin.isatty():
        token = getpass.getpass("Admin API access token (not shown): ", stream=sys.stderr)
    else:
        token = sys.stdin.readline()
    show(shop_connect(named, token.strip()), as_json, _render_summary)


__all__ = ["app"]
