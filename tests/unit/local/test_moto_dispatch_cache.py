"""moto's server tells a service from a host by listing its own package folder on every request; the local
cloud lists it once (moto_patches). The cached answer must be the listing itself, and read no folder again."""

from __future__ import annotations

import os

import pytest

from smsflows.local import moto_patches


def test_moto_service_folders_are_listed_once_and_answer_as_the_listing_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from moto import backends

    uncached = getattr(backends.list_of_moto_modules, "__wrapped__", None)
    listed_before = sorted(uncached() if uncached else backends.list_of_moto_modules())
    moto_patches._cache_moto_modules()
    moto_patches._cache_moto_modules()  # twice is once: the cache is not wrapped in another
    first = backends.list_of_moto_modules()
    assert sorted(first) == listed_before
    assert {"dynamodb", "sqs", "stepfunctions", "events"} <= set(first)

    def no_listing(path: str) -> list[str]:
        raise AssertionError(f"moto's folder was listed again: {path}")

    monkeypatch.setattr(os, "listdir", no_listing)
    assert backends.list_of_moto_modules() == first
