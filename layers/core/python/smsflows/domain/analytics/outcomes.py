"""What a delivery status, a reply or an opt-out adds to the counters (issue 16 part 3)."""

from __future__ import annotations

from smsflows.domain.analytics import counters
from smsflows.domain.analytics.guard import FILTERED_CODES

FINAL = {"delivered": "delivered", "undelivered": "undelivered", "failed": "undelivered"}


def price_of(text: str | None) -> float | None:
    """Twilio's Price ("-0.00790": what the message cost, as a negative amount) as a cost, or None."""
    if not text:
        return None
    try:
        value = abs(float(text))
    except ValueError:
        return None
    return value if value == value and value < 100 else None  # NaN and nonsense are no price


def delivery(
    status: str, error_code: int | None, price: str | None, cost_est: float | None
) -> dict[str, float]:
    """The counter deltas of a status callback that moved a message to `status` (nothing for interim ones)."""
    final = FINAL.get(status)
    if final is None:
        return {}
    out: dict[str, float] = {"delivered": 1} if final == "delivered" else {"failed": 1}
    if final == "undelivered":
        out[f"{counters.ERR}{error_code or 0}"] = 1
    cost = price_of(price)
    if cost is not None:
        out.update(cost_actual=cost, priced=1, cost_replaced=cost_est or 0.0)
    return out


def campaign_outcomes(status: str, error_code: int | None) -> tuple[str, ...]:
    """The run counters a final status adds to: delivered, or undelivered (and filtered, when a carrier
    filtered it: the guard's measure)."""
    final = FINAL.get(status)
    if final is None:
        return ()
    if final == "undelivered" and error_code in FILTERED_CODES:
        return ("undelivered", "filtered")
    return (final,)
