"""Lambda task of the flow state machines: decide whether a step sends, and render its text."""

from __future__ import annotations

from typing import Any

from smsflows.adapters.ddb_json import item as from_item
from smsflows.domain.flow_steps import render_step
from smsflows.runtime.deps import get_deps
from smsflows.runtime.observability import logger


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    order = from_item((event.get("order") or {}).get("Item"))
    result = render_step(event, order, get_deps().clock())
    logger.info(
        "flow step",
        flow=event.get("flow"),
        step=event.get("step"),
        send=result["send"],
        reason=result["reason"],
    )
    return result
