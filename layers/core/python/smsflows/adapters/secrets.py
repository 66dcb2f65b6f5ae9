"""Secrets Manager: JSON secrets cached per container for a TTL, and re-read early when they stop working.

A rotated value (`aws secretsmanager put-secret-value`) reaches a warm container within `ttl_s`, or at once
when a caller sees the cached one refused (a 401 from Twilio, a signature that does not verify) and asks
for a `refresh`. A refresh is rate limited per secret (`min_refresh_s`): a burst of refusals, or forged
requests, costs at most one Secrets Manager read per secret every `min_refresh_s` per container.

Ages are real time (`time.monotonic`, injectable for tests), never the application clock: the local cloud's
clock may run a day per second, and a secret is not older for that.

Nothing here ever logs a value: only the secret's id, ages and error types.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from smsflows.runtime.observability import logger

DEFAULT_TTL_S = 300.0
# The least age of a cached value before a refusal may re-read it (and between two re-reads).
MIN_REFRESH_S = 30.0

T = TypeVar("T")


@dataclass
class _Entry:
    value: dict[str, Any]
    read_at: float  # monotonic seconds: when `value` was read
    failed_at: float | None = None  # the last re-read that failed (the value was kept)


class SecretsStore:
    def __init__(
        self,
        client_factory: Callable[[], Any],
        ttl_s: float = DEFAULT_TTL_S,
        min_refresh_s: float = MIN_REFRESH_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client_factory = client_factory
        self.ttl_s = ttl_s
        self.min_refresh_s = min_refresh_s
        self._monotonic = monotonic
        self._entries: dict[str, _Entry] = {}
        # One lock for reads too: concurrent senders that all see a 401 make one Secrets Manager call.
        self._lock = threading.Lock()

    def get(self, secret_id: str) -> dict[str, Any]:
        """The secret's JSON object: the cached one while younger than `ttl_s`, else read again. A re-read
        that fails keeps the old value (retried after `min_refresh_s`); a first read that fails raises."""
        with self._lock:
            now = self._monotonic()
            entry = self._entries.get(secret_id)
            if entry is not None and (
                now - entry.read_at < self.ttl_s
                or (entry.failed_at is not None and now - entry.failed_at < self.min_refresh_s)
            ):
                return entry.value
            return self._read(secret_id, entry, now, reason="ttl")[0]

    def refresh(self, secret_id: str, reason: str = "refused") -> dict[str, Any] | None:
        """Read the secret again now, because its cached value was refused (`reason`, for the log); the new
        value, or None when nothing was read: the cached value is younger than `min_refresh_s` (or a read
        failed that recently), or this read failed (the cached value is kept)."""
        with self._lock:
            now = self._monotonic()
            entry = self._entries.get(secret_id)
            if entry is None:
                return self._read(secret_id, entry, now, reason=reason)[0]
            last = entry.read_at if entry.failed_at is None else max(entry.read_at, entry.failed_at)
            if now - last < self.min_refresh_s:
                return None
            value, read = self._read(secret_id, entry, now, reason=reason)
            if not read:  # the read failed, the old value is kept
                return None
            logger.info(
                "secret re-read",
                secret_id=secret_id,
                reason=reason,
                age_s=round(now - entry.read_at, 1),
                changed=value != entry.value,
            )
            return value

    def invalidate(self, secret_id: str) -> None:
        """Forget the cached value: the next `get` reads the secret (no rate limit)."""
        with self._lock:
            self._entries.pop(secret_id, None)

    def age(self, secret_id: str) -> float | None:
        """Seconds since the cached value was read; None when nothing is cached."""
        with self._lock:
            entry = self._entries.get(secret_id)
            return None if entry is None else self._monotonic() - entry.read_at

    def first_verifying(
        self,
        secret_id: str,
        keys: Callable[[dict[str, Any]], Iterable[T]],
        verifies: Callable[[T], bool],
        reason: str = "signature mismatch",
    ) -> T | None:
        """The first of the secret's `keys` (e.g. the current signing secret, then the previous one kept
        during a rotation) that `verifies` accepts. When none of the cached value's keys does, the secret
        may have been rotated since it was read: it is re-read (`refresh`, so at most every `min_refresh_s`)
        and its new keys tried. None: no key verifies."""
        tried = list(keys(self.get(secret_id)))
        for key in tried:
            if verifies(key):
                return key
        fresh = self.refresh(secret_id, reason=reason)
        if fresh is None:
            return None
        for key in keys(fresh):
            if key not in tried and verifies(key):
                return key
        return None

    def _read(
        self, secret_id: str, entry: _Entry | None, now: float, reason: str
    ) -> tuple[dict[str, Any], bool]:
        """The value read now, True; or, when the read fails, the cached one and False (no cached one: raise)."""
        try:
            value = self._fetch(secret_id)
        except Exception as exc:
            if entry is None:
                raise
            entry.failed_at = now
            logger.warning(
                "secret re-read failed: the cached value is kept",
                secret_id=secret_id,
                reason=reason,
                age_s=round(now - entry.read_at, 1),
                error=type(exc).__name__,
            )
            return entry.value, False
        self._entries[secret_id] = _Entry(value, now)
        return value, True

    def _fetch(self, secret_id: str) -> dict[str, Any]:
        raw = self._client_factory().get_secret_value(SecretId=secret_id)["SecretString"]
        value = json.loads(raw)
        if not isinstance(value, dict):
            raise ValueError(f"secret {secret_id} is not a JSON object")
        return value
