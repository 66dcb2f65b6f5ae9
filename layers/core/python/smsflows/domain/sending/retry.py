"""Backoff for retryable failures (provider 429/5xx/timeouts, DynamoDB throttling): exponential, capped,
with jitter so that a provider outage does not end in every message retrying at the same instant."""

from __future__ import annotations

import math
import random
from collections.abc import Callable


def backoff_s(attempt: int, base_s: float, cap_s: float, rng: Callable[[], float] = random.random) -> int:
    """Seconds to wait before attempt `attempt + 1` (attempt >= 1): "equal jitter", between half and all
    of min(cap, base * 2^(attempt-1)), rounded up to SQS's whole seconds."""
    ceiling = min(cap_s, base_s * 2 ** max(0, attempt - 1))
    return math.ceil(ceiling / 2 + rng() * ceiling / 2)


def shortest_retry_window_s(max_receives: int, base_s: float, cap_s: float) -> int:
    """The least time between a message's first receive and its last one before the DLQ when every attempt
    fails transiently and sets this backoff, every jitter draw being the smallest (half of each ceiling).
    A provider outage shorter than this never dead-letters a text."""
    return sum(math.ceil(min(cap_s, base_s * 2 ** (attempt - 1)) / 2) for attempt in range(1, max_receives))
