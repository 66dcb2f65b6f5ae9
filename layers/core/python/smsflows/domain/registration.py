"""A shop's sender registration and what the carriers allow it (RULES.md C): the pacing rate and daily cap.

Kept in the kernel because the shop's configuration holds it; `sending/pacing.py` paces to it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SenderType = Literal["toll_free", "short_code", "10dlc", "sole_proprietor"]
TrustTier = Literal["high", "mid", "low", "low_volume"]

# RULES.md C: total SMS segments per second, and the T-Mobile brand cap (segments/day; None: no cap).
# Low-Volume Standard: sources disagree (12 vs 3.75 MPS); the conservative 3.75 is used.
TEN_DLC: dict[str, tuple[float, int | None]] = {
    "high": (225.0, 200_000),  # trust score 75-100
    "mid": (120.0, 40_000),  # 50-74
    "low": (12.0, 10_000),  # 1-49
    "low_volume": (3.75, 2_000),  # unvetted / low-volume standard
}
DEFAULTS: dict[str, tuple[float, int | None]] = {
    "toll_free": (3.0, None),  # per number, to US/CA; high-throughput toll-free is set explicitly
    "short_code": (100.0, None),
    "sole_proprietor": (1.0, 1_000),
}


class Throughput(BaseModel):
    """A shop's sender registration: what the carriers allow it to send (editable with `shop set`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sender_type: SenderType = "toll_free"
    trust_tier: TrustTier = "low_volume"  # 10DLC only: the TCR trust score band
    segments_per_second: float | None = Field(None, gt=0, le=1000)  # override (e.g. high-throughput TF)
    daily_segment_cap: int | None = Field(None, ge=1)  # override of the brand's T-Mobile daily cap
    brand_id: str | None = None  # the TCR brand: the daily cap is shared by every sender of the brand
    # Pace to this share of the registered rate, so that network jitter cannot push a one-second window
    # over the limit at the carrier.
    headroom: float = Field(0.96, gt=0.5, le=1.0)

    def registered(self) -> tuple[float, int | None]:
        if self.sender_type == "10dlc":
            rate, cap = TEN_DLC[self.trust_tier]
        else:
            rate, cap = DEFAULTS[self.sender_type]
        return (self.segments_per_second or rate, self.daily_segment_cap or cap)

    @property
    def rate(self) -> float:
        """Segments per second we actually pace to."""
        return self.registered()[0] * self.headroom

    @property
    def daily_cap(self) -> int | None:
        return self.registered()[1]
