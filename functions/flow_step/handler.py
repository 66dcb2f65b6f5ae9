"""Lambda task of the flow state machines: exit, wait for quiet hours, or send (rendered) — one step."""

from __future__ import annotations

from typing import Any

from smsflows.domain.flows.steps import plan
from smsflows.runtime.deps import get_deps
from smsflows.runtime.observability import logger


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("action") != "plan":
        raise ValueError(f"unknown action {event.get('action')!r}")
    result = plan(event, get_deps().flow_deps)
    logger.info(
        "flow step",
        flow=event.get("flow"),
        step=event.get("step"),
        decision=result["decision"],
        reason=result["reason"],
    )
    return result
