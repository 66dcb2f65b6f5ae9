"""Example counts that scale with the Hypothesis profile (tests/conftest.py): `@settings(max_examples=...)`
on a test overrides the profile, so a test that needs more examples than the default asks for
`examples(n)`: n under the "ci" profile, proportionally fewer under "dev"."""

from __future__ import annotations

from hypothesis import settings


def examples(ci: int) -> int:
    return max(1, ci * settings.default.max_examples // settings.get_profile("ci").max_examples)
