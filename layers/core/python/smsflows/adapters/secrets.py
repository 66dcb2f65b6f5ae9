"""Secrets Manager: JSON secrets read once per container and cached."""

from __future__ import annotations

import json
from functools import cache
from typing import Any


class SecretsStore:
    def __init__(self, client_factory: Any) -> None:
        self._client_factory = client_factory
        self.get = cache(self._fetch)

    def _fetch(self, secret_id: str) -> dict[str, Any]:
        raw = self._client_factory().get_secret_value(SecretId=secret_id)["SecretString"]
        value = json.loads(raw)
        if not isinstance(value, dict):
            raise ValueError(f"secret {secret_id} is not a JSON object")
        return value
