"""The flows, a shop's changes to one (on/off, timing, copy, codes), and a step's text as it would be sent.
The rules of a change are in `domain/shopify/shop_settings.py` (`change_flow`)."""

from __future__ import annotations

from typing import Any

from smsflows.admin.errors import BadValue, one_line
from smsflows.admin.shops import current
from smsflows.admin.target import shop_configs
from smsflows.runtime import deps as deps_module


def _definition(flow: str) -> Any:
    from smsflows.domain.flows import definitions

    found = definitions.FLOWS.get(flow)
    if found is None:
        raise BadValue(f"--flow: no flow {flow!r}; flows: {', '.join(definitions.FLOWS)}")
    return found


def flow_list(shop: str | None = None) -> list[dict[str, Any]]:
    """Every flow with its steps; with `shop`, that shop's timing and whether it has the flow on."""
    from smsflows.domain.durations import format_duration
    from smsflows.domain.flows import definitions

    config = current(shop) if shop else None
    rows = []
    for definition in definitions.FLOWS.values():
        offsets = (
            definitions.offsets(config, definition) if config else [s.offset_s for s in definition.steps]
        )
        rows.append(
            {
                "flow": definition.name,
                "category": definition.category,
                "runner": definition.runner,
                "trigger": definition.trigger,
                "shop": shop,
                "enabled": config.flow_enabled(definition.name) if config else True,
                "steps": [
                    {
                        "step": i,
                        "key": s.key,
                        "label": s.label,
                        "offset_s": offset,
                        "offset": format_duration(offset),
                    }
                    for i, (s, offset) in enumerate(zip(definition.steps, offsets, strict=True))
                ],
            }
        )
    return rows


def flow_set(
    shop: str,
    flow: str,
    enabled: bool | None,
    offsets: tuple[int, ...] | list[int] | str | None,
    templates_: dict[int, str],
    codes: dict[int, str],
    unset: list[str] | tuple[str, ...] = (),
    holdout_pct: float | None = None,
) -> dict[str, Any]:
    """Enable/disable, retime (one duration after the trigger per step: seconds, or text like "1h,1d,3d"),
    re-copy or clear (`unset`) one flow of one onboarded shop. Nothing is written on a refusal."""
    from smsflows.domain.flows import templates
    from smsflows.domain.shopify import shop_settings

    for index, text in templates_.items():  # a broken character is named before anything is read
        try:
            templates.validate(text)
        except templates.TemplateError as exc:
            raise BadValue(f"step {index}: {one_line(exc)}") from None
    config = current(shop)
    try:
        changed = shop_settings.change_flow(
            config,
            flow,
            enabled,
            offsets if offsets is None or isinstance(offsets, str) else tuple(offsets),
            dict(templates_),
            dict(codes),
            list(unset),
            None if holdout_pct is None else holdout_pct / 100,
        )
    except ValueError as exc:
        raise BadValue(f"invalid flow settings, nothing changed: {one_line(exc)}") from None
    shop_configs().put(changed)
    return {"shop": shop, "flow": flow, **changed.flow(flow).model_dump(mode="json")}


def _link_base(config: Any, from_target: bool) -> str:
    """The text's URLs as the sender will send them: the shop's short links (its link domain, else the
    deployment's API, else an API URL of the usual length)."""
    from smsflows.domain.analytics import links

    api = deps_module.get_deps().settings.public_base_url or None if from_target else None
    return links.base_url(config.measurement.link_domain, api) or links.API_BASE_EXAMPLE


def template_preview(
    shop: str, flow: str, step: int, text: str | None, from_target: bool | None = None
) -> dict[str, Any]:
    """The rendered text of a step with sample values, its encoding and segment count. The shop's own copy
    and codes when a deployment is named (`from_target`; default: when one is), else the defaults."""
    from smsflows.domain.flows import definitions, steps, templates
    from smsflows.domain.shops import ShopConfig

    definition = _definition(flow)
    if not 0 <= step < len(definition.steps):
        raise BadValue(f"--step: {flow} has steps 0 to {len(definition.steps) - 1}, not {step}")
    if from_target is None:
        from_target = bool(deps_module.get_deps().settings.table_name)
    config = current(shop) if from_target else ShopConfig(shop=shop)
    sample = {
        "first_name": "Ada",
        "order_name": "#1001",
        "product": "Brass Compass",
        "product_url": f"{config.storefront()}/products/brass-compass",
        "checkout_url": f"{config.storefront()}/checkouts/abc123/recover",
        "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
        "tracking_company": "UPS",
    }
    values = steps.values_for(config, definition, step, sample)
    try:
        preview = templates.preview(
            text or definitions.template(config, definition, step),
            values,
            brand=config.brand,
            marketing=definition.category == "marketing",
            link_base=_link_base(config, from_target),
        )
    except templates.TemplateError as exc:
        raise BadValue(one_line(exc)) from None
    return {
        "shop": shop,
        "flow": flow,
        "step": step,
        "text": preview.text,
        "encoding": preview.encoding,
        "segments": preview.segments,
        "characters": preview.characters,
        "warnings": list(preview.warnings),
    }
