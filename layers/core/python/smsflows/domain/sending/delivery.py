"""Delivery status from the provider's status callbacks: applied idempotently and in any arrival order.

Twilio reports queued -> sending -> sent -> delivered | undelivered | failed (and accepted/scheduled for
Messaging Services); callbacks may arrive twice or out of order, and without retries (RULES.md D). A
status only moves forward: a late "sent" never overwrites "delivered".
"""

from __future__ import annotations

from dataclasses import dataclass

RANK = {
    "accepted": 1, "scheduled": 1, "queued": 2, "sending": 3, "sent": 4, "receiving": 4, "received": 5,
    "delivered": 6, "undelivered": 6, "failed": 6, "read": 7, "canceled": 6,
}  # fmt: skip
TERMINAL = frozenset({"delivered", "undelivered", "failed", "read", "canceled"})
FAILED = frozenset({"undelivered", "failed"})  # the text did not reach the handset
# Carrier says the number cannot receive texts (fixtures/twilio/error_codes.json: suppress_number).
UNREACHABLE_CODES = frozenset({30003, 30005, 30006, 21211, 21614})


@dataclass(frozen=True)
class StatusUpdate:
    message_id: str
    sid: str
    status: str
    error_code: int | None = None
    segments: int | None = None
    price: str | None = None

    @property
    def rank(self) -> int:
        return RANK.get(self.status, 0)

    @property
    def failed(self) -> bool:
        return self.status in FAILED

    @property
    def unreachable(self) -> bool:
        return self.failed and self.error_code in UNREACHABLE_CODES
