"""What the sender does with each provider error code (fixtures: Twilio error codes and the project's
recommended action). Unknown codes are treated as permanent failures for that message only."""

from __future__ import annotations

from typing import Literal

Action = Literal["retry", "suppress_number", "mark_opted_out", "config_error", "content_error", "fail"]

ACTIONS: dict[int, Action] = {
    20429: "retry",  # too many requests: never processed, always safe to retry
    21211: "suppress_number",  # invalid 'To' number
    21614: "suppress_number",  # not a mobile number
    21635: "suppress_number",  # landline
    30004: "suppress_number",  # message blocked by the recipient
    30005: "suppress_number",  # unknown destination handset
    30006: "suppress_number",  # landline or unreachable carrier
    21610: "mark_opted_out",  # the recipient replied STOP to this sender (RULES.md A4.1)
    21408: "config_error",  # permission to send to the region not enabled
    21608: "config_error",  # trial account: unverified number
    30007: "content_error",  # filtered by the carrier: do not retry the same content
}


def action_for(code: int | None) -> Action:
    return ACTIONS.get(code or 0, "fail")
