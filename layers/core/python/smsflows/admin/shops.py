"""Onboarding a shop and changing its settings (the rules are in `domain/shopify/shop_settings.py`)."""

from __future__ import annotations

from typing import Any

from smsflows.admin.errors import BadValue, Failed, NotOnboarded, one_line
from smsflows.admin.target import deps, shop_configs


def _invalid(exc: BaseException, what: str = "shop settings") -> BadValue:
    return BadValue(f"invalid {what}, nothing changed: {one_line(exc)}")


def current(shop: str) -> Any:
    """The shop's stored configuration; NotOnboarded if it has none."""
    config = shop_configs().get(shop)
    if config is None:
        raise NotOnboarded(shop)
    return config


def shop_add(shop: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Onboard a shop: `settings` are what `onboard` takes (ShopConfig's fields, `quiet_hours` as text,
    lists as comma-separated text). Nothing is written unless everything a shop needs is there and valid;
    a shop that is onboarded already is refused (Failed: change it with `shop set`)."""
    from smsflows.domain.shopify import shop_settings

    configs = shop_configs()
    existing = configs.get(shop) or configs.get(shop.strip().lower())  # onboard stores the domain lowercased
    try:
        config = shop_settings.onboard(
            shop, {k: v for k, v in settings.items() if v is not None}, existing=existing, now=deps().clock()
        )
    except ValueError as exc:  # SettingsError, or pydantic's ValidationError
        if existing is not None and "shop" in getattr(exc, "fields", ()):
            raise Failed(one_line(exc)) from None  # onboarded already: not a bad value, a conflict
        raise _invalid(exc) from None
    configs.put(config)
    return dict(config.model_dump(mode="json", exclude={"link_key"}))


def shop_set(shop: str, changes: dict[str, Any], unset: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """Change an onboarded shop's settings (None values are left as they are) after clearing the `unset`
    ones, as `change` takes them. Nothing is written on a refusal."""
    from smsflows.domain.shopify import shop_settings

    config = current(shop)
    try:
        changed = shop_settings.change(
            config, {k: v for k, v in changes.items() if v is not None}, list(unset)
        )
    except ValueError as exc:
        raise _invalid(exc) from None
    shop_configs().put(changed)
    return dict(changed.model_dump(mode="json", exclude={"link_key"}))


def shop_show(shop: str) -> dict[str, Any]:
    return dict(current(shop).model_dump(mode="json", exclude={"link_key"}))


def summary(config: Any) -> dict[str, Any]:
    """One line of `shop list` (stable keys)."""
    return {
        "shop": config.shop,
        "status": config.status,
        "brand_name": config.brand_name,
        "senders": list(config.senders),
        "sender_type": config.throughput.sender_type,
        "default_country": config.default_country,
    }


def shop_list() -> list[dict[str, Any]]:
    return [summary(c) for c in shop_configs().all()]


def shop_deactivate(shop: str) -> dict[str, Any]:
    """Status "deactivated": the shop texts nobody; its record and history stay (`shop set --activate`)."""
    from smsflows.domain.shopify import shop_settings

    config = current(shop)
    try:
        changed = shop_settings.change(config, {"status": "deactivated"}, [])
    except ValueError as exc:
        raise _invalid(exc) from None
    shop_configs().put(changed)
    return summary(changed)


def shop_delete(shop: str) -> dict[str, Any]:
    """Remove the shop's configuration record and its entry in the list of shops. Its senders stay its own
    (a STOP sent to one of its numbers is still recorded under it), and so do consent records, orders and
    the message log: `shop/redact` erases those."""
    config = current(shop)
    shop_configs().delete(shop)
    return {**summary(config), "deleted": True}


def shops_reindex() -> dict[str, int]:
    """One-off, after deploying the list of shops: give every shop config written before it its entry (the
    daily job reads the list; a shop missing from it gets no win-back or birthday texts). Idempotent."""
    from smsflows.adapters.shop_configs import reindex

    found = deps()
    return dict(reindex(found.client("dynamodb"), found.settings.table_name))
