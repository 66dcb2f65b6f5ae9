"""Use cases: onboarding a shop and changing its settings (`smsflows shop add|set|deactivate`, `flow set`).

A shop exists only once onboarded: `onboard` refuses without what a shop needs before it may text anyone
(REQUIRED_TO_ONBOARD) and nothing else creates a shop's record. Every change goes through `change` or
`change_flow`, which merge, clear (`unset`), then check everything before returning the new config, so the
caller writes only a config that passed: a bad value changes nothing.

The form of each setting is checked by ShopConfig's validators (domain/shops.py); the rules that need
another capability are here: opt-in keywords that are not reserved words (consent), a quiet-hours override
that only narrows the lawful window (compliance), flow settings for flows and steps that exist (flows).
Every refusal is a SettingsError (a ValueError) with one line naming the field and the accepted form.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from smsflows.domain.compliance import quiet_hours
from smsflows.domain.consent.keywords import Intent, classify
from smsflows.domain.consent.subscriptions import TWILIO_KEYWORDS
from smsflows.domain.durations import format_duration, parse_offsets
from smsflows.domain.flows import definitions
from smsflows.domain.flows import templates as copy
from smsflows.domain.registration import Throughput
from smsflows.domain.shopify.webhooks import SHOP_DOMAIN
from smsflows.domain.shops import (
    REQUIRED_TO_ONBOARD,
    DayWindow,
    FlowSettings,
    Measurement,
    ShopConfig,
    format_window,
    parse_window,
)

__all__ = [
    "CLEARABLE_FIELDS",
    "FLOW_CLEARABLE_FIELDS",
    "REQUIRED_TO_ONBOARD",
    "SETTABLE_FIELDS",
    "SettingsError",
    "change",
    "change_flow",
    "check",
    "lawful_window_text",
    "onboard",
    "parse_smart_sending",
    "require_onboarded",
]

# What `change` and `onboard` take: ShopConfig's settings, and `quiet_hours` ("10:00-19:00", every day).
# `flows` is change_flow's; `shop` never changes; `status` only through `change` (never at onboarding).
SETTABLE_FIELDS: tuple[str, ...] = (
    "status",
    "brand_name",
    "support_contact",
    "frequency_text",
    "terms_url",
    "privacy_url",
    "default_country",
    "sms_countries",
    "keywords",
    "quiet_hours",
    "quiet_hours_override",
    "max_marketing_per_30_days",
    "smart_sending_hours",
    "support_webhook_url",
    "senders",
    "throughput",
    "twilio_answers_keywords",
    "shop_url",
    "measurement",
)
_THROUGHPUT_CLEARABLE = ("trust_tier", "segments_per_second", "daily_segment_cap", "brand_id", "headroom")
# What `unset` may name: back to the default. `smart_sending_hours.FLOW` drops one flow's entry.
CLEARABLE_FIELDS: tuple[str, ...] = (
    "frequency_text",
    "default_country",
    "sms_countries",
    "keywords",
    "quiet_hours",
    "quiet_hours_override",
    "max_marketing_per_30_days",
    "smart_sending_hours",
    "smart_sending_hours.FLOW",
    "support_webhook_url",
    "twilio_answers_keywords",
    "shop_url",
    "flows",
    *(f"throughput.{name}" for name in _THROUGHPUT_CLEARABLE),
    *(f"measurement.{name}" for name in Measurement.model_fields),
)
FLOW_CLEARABLE_FIELDS: tuple[str, ...] = ("enabled", "offsets", "templates", "templates.STEP",
                                          "discount_codes", "discount_codes.STEP", "holdout")  # fmt: skip
# Statuses an operator sets; uninstalled and redacted come from Shopify's webhooks (shopify/privacy.py).
OPERATOR_STATUSES = ("active", "paused", "deactivated")
# A Standard Step Functions execution runs for at most a year: no step can be due later than that.
MAX_OFFSET_S = 365 * 86400
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class SettingsError(ValueError):
    """A setting that was refused; `fields` names the settings concerned (the first is the message's)."""

    def __init__(self, message: str, fields: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.fields = tuple(fields)


# ---------------------------------------------------------------------------------------------------------
# The use cases


def onboard(
    shop: str,
    settings: Mapping[str, Any],
    *,
    existing: ShopConfig | None = None,
    now: datetime | None = None,
) -> ShopConfig:
    """The config of a newly onboarded shop, active; SettingsError naming every missing required setting,
    or the first bad one. `existing` is what is stored for the shop now, if anything: an onboarded shop
    (active, paused or deactivated) is changed with `change`, not onboarded twice; a shop that was
    uninstalled or redacted, or whose record predates onboarding and lacks what it requires, may be.
    `now` (the deployment's clock) is kept as `onboarded_at`: events received before it text nobody, even
    if they come back later."""
    domain = str(shop).strip().lower()
    if not SHOP_DOMAIN.fullmatch(domain):
        raise SettingsError(
            f"shop: {shop!r} is not a Shopify shop domain (e.g. demo-shop.myshopify.com)", ["shop"]
        )
    if existing is not None and existing.onboarded and existing.status in OPERATOR_STATUSES:
        again = (
            "; `smsflows shop set --activate` ends a deactivation" if existing.status == "deactivated" else ""
        )
        raise SettingsError(
            f"shop: {domain} is onboarded already (status {existing.status}): change it with "
            f"`smsflows shop set`{again}",
            ["shop"],
        )
    _known(settings, allowed=tuple(f for f in SETTABLE_FIELDS if f != "status"), what="`shop add`")
    given = {k: v for k, v in settings.items() if v is not None}
    throughput = given.get("throughput") or {}
    if isinstance(throughput, Throughput):
        throughput = throughput.model_dump(exclude_unset=True)
    if not isinstance(throughput, Mapping):
        raise SettingsError(
            "throughput: give the registration as fields (sender_type=..., ...)", ["throughput"]
        )
    missing = [name for name in REQUIRED_TO_ONBOARD if not _given(name, given, throughput)]
    if missing:
        raise SettingsError(
            f"cannot onboard {domain}: missing {', '.join(missing)} (a shop needs "
            f"{', '.join(REQUIRED_TO_ONBOARD)} before it may text anyone)",
            missing,
        )
    data = {"shop": domain, "status": "active", "onboarded_at": now, **_prepared(given, None),
            "link_key": (existing.link_key if existing is not None else None) or new_link_key()}  # fmt: skip
    return _validated(data)


def new_link_key() -> str:
    """The random key of a shop's short-link codes (domain/analytics/links.py): made once, kept for good."""
    return secrets.token_urlsafe(24)


def change(current: ShopConfig, changes: Mapping[str, Any], unset: Iterable[str] = ()) -> ShopConfig:
    """`current` with `unset` fields back to their defaults, then `changes` applied (a None value is no
    change; throughput and smart_sending_hours merge key by key; `quiet_hours` is a "HH:MM-HH:MM" window
    for every day), then everything checked. Nothing is written: the caller stores what this returns."""
    _changeable(current)
    _known(changes, allowed=SETTABLE_FIELDS, what="`shop set`")
    data = current.model_dump()
    for name in dict.fromkeys(unset):
        _clear(data, name)
    given = {k: v for k, v in changes.items() if v is not None}
    if "status" in given and given["status"] not in OPERATOR_STATUSES:
        raise SettingsError(
            f"status: {given['status']!r} is not a status an operator sets; use one of "
            f"{', '.join(OPERATOR_STATUSES)} (uninstalled and redacted come from Shopify)",
            ["status"],
        )
    prepared = _prepared(given, data)
    if not data.get("link_key"):  # a config stored before short links gets its key at its first change
        data["link_key"] = new_link_key()
    return _validated({**data, **prepared})


def change_flow(
    current: ShopConfig,
    flow: str,
    enabled: bool | None = None,
    offsets: Sequence[int] | str | None = None,
    templates: Mapping[int, str] | None = None,
    codes: Mapping[int, str] | None = None,
    unset: Iterable[str] = (),
    holdout: float | None = None,
) -> ShopConfig:
    """`current` with one flow's settings changed: on/off, its timing (seconds after the trigger, one per
    step, or "1h,1d,3d"), step copy and discount codes by step index; `unset` clears (FLOW_CLEARABLE_FIELDS)
    first. Checked whole, like `change`."""
    _changeable(current)
    definition = definitions.FLOWS.get(str(flow))
    if definition is None:
        raise SettingsError(f"flow: {flow!r} is not a flow; flows: {', '.join(definitions.FLOWS)}", ["flow"])
    settings = current.flow(definition.name).model_dump()
    for name in dict.fromkeys(unset):
        _clear_flow(settings, name, definition)
    if enabled is not None:
        settings["enabled"] = bool(enabled)
    if offsets is not None:
        settings["offsets_s"] = _offsets(offsets)
    if holdout is not None:
        if definition.category != "marketing":
            raise SettingsError(f"holdout: {definition.name} is not a marketing flow: its texts are owed, not "
                                "measured against a holdout", ["holdout"])  # fmt: skip
        settings["holdout"] = holdout
    settings["templates"] = {**settings["templates"], **_by_step(templates or {}, "templates")}
    settings["discount_codes"] = {**settings["discount_codes"], **_by_step(codes or {}, "discount_codes")}
    flows = {name: value.model_dump() for name, value in current.flows.items()}
    flows[definition.name] = settings
    if _valid_flow(settings) and FlowSettings.model_validate(settings) == FlowSettings():
        del flows[definition.name]  # back to the flow's defaults: nothing to keep
    return _validated({**current.model_dump(), "flows": flows})


def require_onboarded(shop: str, config: ShopConfig | None) -> ShopConfig:
    """`config` if there is one to change; SettingsError for a shop never onboarded or redacted."""
    if config is None:
        raise SettingsError(
            f"shop: {shop} is not onboarded: add it first with `smsflows shop add {shop} ...`",
            ["shop"],
        )
    _changeable(config)
    return config


def check(config: ShopConfig) -> None:
    """The rules ShopConfig cannot check alone (they need other capabilities), and what a shop must have
    to text: SettingsError for the first broken one."""
    missing = config.missing_to_onboard()
    if missing:
        fields = [m for m in REQUIRED_TO_ONBOARD if m in missing]
        raise SettingsError(
            f"{', '.join(fields)}: needed before {config.shop} may text anyone; set "
            + ("it" if len(fields) == 1 else "them")
            + " (a shop is never without them)",
            fields,
        )
    for keyword in config.keywords:
        why = _reserved(keyword)
        if why:
            raise SettingsError(
                f"keywords: {keyword} is reserved ({why}) and cannot be an opt-in keyword", ["keywords"]
            )
    _check_quiet_hours(config)
    _check_smart_sending(config)
    for name, settings in config.flows.items():
        _check_flow(name, settings)


def lawful_window_text() -> str:
    """What the law allows, for messages: the federal window and examples of narrower states."""
    federal = quiet_hours.FEDERAL[0]
    assert federal is not None
    examples = "; ".join(
        f"{label} {_week_text(quiet_hours.STATE_RULES[state])}"
        for state, label in (("FL", "Florida"), ("TX", "Texas"), ("RI", "Rhode Island"))
    )
    return (
        f"the law allows {federal.start:%H:%M}–{federal.end:%H:%M} recipient time "
        f"(narrower in some states, e.g. {examples})"
    )


def parse_smart_sending(value: str | Sequence[str] | Mapping[str, Any]) -> dict[str, float]:
    """Parse "winback=16,*=12" (or ["winback=16", "*=12"], or a mapping) -> {"winback": 16.0, "*": 12.0}."""
    if isinstance(value, Mapping):
        pairs = [(str(k), v) for k, v in value.items()]
    else:
        items = value.split(",") if isinstance(value, str) else [p for v in value for p in str(v).split(",")]
        pairs = []
        for item in (i.strip() for i in items):
            flow, sep, hours = item.partition("=")
            if not sep or not flow.strip() or not hours.strip():
                raise SettingsError(
                    f"smart_sending_hours: {item!r} is not FLOW=HOURS (e.g. winback=16, or *=12 for every flow)",
                    ["smart_sending_hours"],
                )
            pairs.append((flow.strip(), hours.strip()))
    out: dict[str, float] = {}
    for flow, hours in pairs:
        try:
            out[flow] = float(hours)
        except (TypeError, ValueError):
            raise SettingsError(
                f"smart_sending_hours: {flow}={hours}: {hours!r} is not a number of hours (e.g. {flow}=16)",
                ["smart_sending_hours"],
            ) from None
    return out


# ---------------------------------------------------------------------------------------------------------
# Merging and clearing


def _changeable(config: ShopConfig) -> None:
    if config.status == "redacted":
        raise SettingsError(
            f"shop: {config.shop} was redacted (Shopify's shop/redact erased its settings): onboard it "
            "again with `smsflows shop add`",
            ["shop"],
        )


def _known(values: Mapping[str, Any], allowed: Sequence[str], what: str) -> None:
    unknown = [k for k in values if k not in allowed]
    if unknown:
        raise SettingsError(
            f"{unknown[0]}: not a setting {what} takes; it takes {', '.join(allowed)}", [str(unknown[0])]
        )


def _given(name: str, given: Mapping[str, Any], throughput: Mapping[str, Any]) -> bool:
    if name.startswith("throughput."):
        return bool(throughput.get(name.split(".", 1)[1]))
    value = given.get(name)
    if isinstance(value, str):
        return bool(value.strip())
    return bool(value)


def _split(value: Any) -> Any:
    """A comma-separated string as the list it names ("JOIN,VIP" -> ["JOIN", "VIP"])."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()] if value.strip() else []
    return value


def _prepared(given: Mapping[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """The given settings in ShopConfig's terms, merged into `current`'s where they merge."""
    out = dict(given)
    for name in ("keywords", "senders", "sms_countries"):
        if name in out:
            out[name] = _split(out[name])
    if "quiet_hours" in out:
        text = out.pop("quiet_hours")
        try:
            window = text if isinstance(text, DayWindow) else parse_window(str(text))
        except ValueError as exc:
            raise SettingsError(str(exc), ["quiet_hours"]) from None
        out["quiet_hours_override"] = tuple([window] * 7)
    if "smart_sending_hours" in out:
        hours = parse_smart_sending(out["smart_sending_hours"])
        out["smart_sending_hours"] = {**((current or {}).get("smart_sending_hours") or {}), **hours}
    if "throughput" in out:  # merged: `--mps 25` keeps the sender type set before
        update = out["throughput"]
        if isinstance(update, Throughput):
            update = update.model_dump(exclude_unset=True)
        if not isinstance(update, Mapping):
            raise SettingsError(
                "throughput: give the registration as fields (sender_type=..., ...)", ["throughput"]
            )
        given_fields = {k: v for k, v in update.items() if v is not None}  # None: not given
        out["throughput"] = {**((current or {}).get("throughput") or {}), **given_fields}
    if "measurement" in out:  # merged the same way: `--click-window 12h` keeps the link domain
        update = out["measurement"]
        if isinstance(update, Measurement):
            update = update.model_dump(exclude_unset=True)
        if not isinstance(update, Mapping):
            raise SettingsError(
                "measurement: give the settings as fields (link_domain=..., ...)", ["measurement"]
            )
        given_fields = {k: v for k, v in update.items() if v is not None}
        out["measurement"] = {**((current or {}).get("measurement") or {}), **given_fields}
    return out


def _default(model: type[Any], name: str) -> Any:
    return model.model_fields[name].get_default(call_default_factory=True)


def _clear(data: dict[str, Any], name: str) -> None:
    if name in ("quiet_hours", "quiet_hours_override"):
        data["quiet_hours_override"] = None
    elif name.startswith("throughput."):
        field = name.split(".", 1)[1]
        if field not in _THROUGHPUT_CLEARABLE:
            _not_clearable(name)
        data["throughput"] = {**data["throughput"], field: _default(Throughput, field)}
    elif name.startswith("measurement."):
        field = name.split(".", 1)[1]
        if field not in Measurement.model_fields:
            _not_clearable(name)
        data["measurement"] = {**(data.get("measurement") or {}), field: _default(Measurement, field)}
    elif name.startswith("smart_sending_hours."):
        flow = name.split(".", 1)[1]
        entries = dict(data.get("smart_sending_hours") or {})
        if flow not in entries:
            raise SettingsError(
                f"unset: smart_sending_hours has no entry for {flow!r} (it has: {', '.join(entries) or 'none'})",
                ["smart_sending_hours"],
            )
        del entries[flow]
        data["smart_sending_hours"] = entries
    elif name in CLEARABLE_FIELDS:
        data[name] = _default(ShopConfig, name)
    else:
        _not_clearable(name)


def _not_clearable(name: str) -> None:
    if name in REQUIRED_TO_ONBOARD:
        raise SettingsError(
            f"unset: {name} is needed before a shop may text anyone and cannot be cleared; change it instead",
            [name],
        )
    if name == "status":
        raise SettingsError(
            f"unset: status cannot be cleared; set it to {', '.join(OPERATOR_STATUSES)}", [name]
        )
    raise SettingsError(f"unset: {name!r} is not a setting that can be cleared; clearable: "
                        f"{', '.join(CLEARABLE_FIELDS)}", [name])  # fmt: skip


def _clear_flow(settings: dict[str, Any], name: str, definition: definitions.FlowDefinition) -> None:
    field, _, step = name.partition(".")
    field = {"codes": "discount_codes", "offsets_s": "offsets"}.get(field, field)
    if field in ("enabled", "offsets") and not step:
        settings["enabled" if field == "enabled" else "offsets_s"] = True if field == "enabled" else None
    elif field in ("templates", "discount_codes") and not step:
        settings[field] = {}
    elif field in ("templates", "discount_codes") and step.isdigit():
        if int(step) not in settings[field]:
            have = ", ".join(str(k) for k in sorted(settings[field])) or "none"
            raise SettingsError(
                f"unset: {definition.name} has no {field} for step {step} (it has: {have})", [field]
            )
        settings[field] = {k: v for k, v in settings[field].items() if k != int(step)}
    else:
        raise SettingsError(f"unset: {name!r} is not a flow setting that can be cleared; clearable: "
                            f"{', '.join(FLOW_CLEARABLE_FIELDS)}", [name])  # fmt: skip


def _offsets(value: Sequence[int] | str) -> tuple[int, ...]:
    if isinstance(value, str):
        try:
            return parse_offsets(value)
        except ValueError as exc:
            raise SettingsError(str(exc), ["offsets"]) from None
    try:
        return tuple(int(v) for v in value)
    except (TypeError, ValueError):
        raise SettingsError(
            f"offsets: {value!r} is not a list of durations; use e.g. 1h,1d,3d", ["offsets"]
        ) from None


def _by_step(values: Mapping[Any, str], field: str) -> dict[int, str]:
    out = {}
    for key, text in values.items():
        try:
            out[int(key)] = str(text)
        except (TypeError, ValueError):
            raise SettingsError(
                f"{field}: {key!r} is not a step number (steps count from 0)", [field]
            ) from None
    return out


def _valid_flow(settings: dict[str, Any]) -> bool:
    try:
        FlowSettings.model_validate(settings)
    except ValidationError:
        return False  # reported by _validated, with the field
    return True


def _validated(data: dict[str, Any]) -> ShopConfig:
    try:
        config = ShopConfig.model_validate(data)
    except ValidationError as exc:
        raise _settings_error(exc) from None
    check(config)
    return config


def _settings_error(exc: ValidationError) -> SettingsError:
    """The first problem, in one line that names the field: our validators' messages start with it."""
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"] if not isinstance(p, int))
    if first["type"] == "value_error" and "error" in (first.get("ctx") or {}):
        message = str(first["ctx"]["error"])
    else:
        message = f"{loc}: {first['input']!r} is not accepted: {first['msg']}"
    return SettingsError(message, [loc.split(".")[0] if loc else ""])


# ---------------------------------------------------------------------------------------------------------
# The rules that need another capability


def _reserved(keyword: str) -> str | None:
    """Why `keyword` cannot be an opt-in keyword: what the inbound classifier reads it as instead (a shop
    keyword that is a STOP word would never opt anyone in, and must never look as if it could)."""
    intent = classify(keyword).intent
    if intent is Intent.OPT_OUT:
        return "opt-out"
    if intent is Intent.HELP:
        return "help"
    if intent is Intent.OPT_IN:
        return "opt-in: START and UNSTOP always subscribe"
    if intent is Intent.CONFIRM:
        return "the answer to a double opt-in request"
    if intent is Intent.RATING:
        return "a review rating"
    if keyword.lower() in TWILIO_KEYWORDS:
        return "one of Twilio's own keywords"
    return None


def _week_text(week: quiet_hours.Week) -> str:
    groups: dict[str, list[str]] = {}
    for day, window in zip(_DAYS, week, strict=True):
        groups.setdefault(f"{window.start:%H:%M}–{window.end:%H:%M}" if window else "none", []).append(day)
    if len(groups) == 1:
        return next(iter(groups))
    return ", ".join(f"{text} {_day_span(days)}" for text, days in groups.items())


def _day_span(days: list[str]) -> str:
    return days[0] if len(days) == 1 else f"{days[0]}–{days[-1]}"


def _check_quiet_hours(config: ShopConfig) -> None:
    if config.quiet_hours_override is None:
        return
    for day, window, lawful in zip(_DAYS, config.quiet_hours_override, quiet_hours.FEDERAL, strict=True):
        if window is None or lawful is None:
            continue
        if window.start < lawful.start or window.end > lawful.end:
            raise SettingsError(
                f"quiet_hours: {format_window(window)} ({day}) would widen the lawful window: "
                f"{lawful_window_text()}; an override may only narrow it",
                ["quiet_hours"],
            )


def _check_smart_sending(config: ShopConfig) -> None:
    marketing = [name for name, f in definitions.FLOWS.items() if f.category == "marketing"]
    for flow in config.smart_sending_hours:
        if flow != "*" and flow not in marketing:
            raise SettingsError(
                f"smart_sending_hours: {flow!r} is not a marketing flow; use one of {', '.join(marketing)} "
                "or * for every flow (e.g. winback=16)",
                ["smart_sending_hours"],
            )


def _check_flow(name: str, settings: FlowSettings) -> None:
    definition = definitions.FLOWS.get(name)
    if definition is None:
        raise SettingsError(
            f"flows: {name!r} is not a flow; flows: {', '.join(definitions.FLOWS)}", ["flows"]
        )
    steps = definition.steps
    listing = ", ".join(f"{i} {step.key}" for i, step in enumerate(steps))
    if settings.offsets_s is not None:
        if definition.runner == "direct":
            raise SettingsError(
                f"offsets: {name} is sent at once when its event arrives: it has no timing to set",
                ["offsets"],
            )
        if len(settings.offsets_s) != len(steps):
            example = ",".join(format_duration(s.offset_s) if s.offset_s else "0" for s in steps)
            raise SettingsError(
                f"offsets: {name} has {len(steps)} steps ({listing}): give {len(steps)} durations, "
                f"e.g. {example}",
                ["offsets"],
            )
        if settings.offsets_s[-1] > MAX_OFFSET_S:
            raise SettingsError(
                f"offsets: {format_duration(settings.offsets_s[-1])} is later than a flow can wait "
                f"(a Step Functions execution runs for at most a year): at most {format_duration(MAX_OFFSET_S)}",
                ["offsets"],
            )
    for field, values in (("templates", settings.templates), ("discount_codes", settings.discount_codes)):
        for index in values:
            if not 0 <= index < len(steps):
                raise SettingsError(f"{field}: {name} has no step {index} (its steps: {listing})", [field])
    for index, text in settings.templates.items():
        try:
            copy.validate(text)
        except copy.TemplateError as exc:
            raise SettingsError(f"templates: {name} step {index}: {exc}", ["templates"]) from None
