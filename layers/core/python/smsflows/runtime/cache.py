"""A small read-through cache for rarely changing lookups (shop configs), per container."""

from __future__ import annotations

import threading
import time
from typing import Any


class TtlCache:
    """Wraps an object with `get(key)`, `put(value)` and other methods; caches what `get` and
    `shop_for_sender` found for `ttl_s` seconds (not what they did not find) and forgets it on `put`."""

    def __init__(self, inner: Any, ttl_s: float = 60.0) -> None:
        self._inner = inner
        self._ttl = ttl_s
        self._values: dict[tuple[str, str], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def _cached(self, method: str, key: str) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._values.get((method, key))
            if hit and now - hit[0] < self._ttl:
                return hit[1]
        value = getattr(self._inner, method)(key)
        if value is None:
            # Not found is not kept: a shop onboarded (or a sender claimed) a moment ago is seen at once,
            # so its first webhooks after `smsflows shop add` are not ignored as "not onboarded".
            return None
        with self._lock:
            self._values[(method, key)] = (now, value)
        return value

    def get(self, key: str) -> Any:
        return self._cached("get", key)

    def shop_for_sender(self, sender: str) -> Any:
        return self._cached("shop_for_sender", sender)

    def all(self) -> Any:
        return self._inner.all()

    def put(self, value: Any) -> None:
        self._inner.put(value)
        with self._lock:
            self._values.clear()
