"""Each test computes its windows afresh: `week_for`, the strictest-state week and the number's locations are
cached for the warm Lambda, and a cache filled by an earlier test (or at collection) would hide a broken
`intersect` from the tests that follow it — and from the mutation run, whose mutants would never execute."""

import pytest

from smsflows.domain.compliance import locations, quiet_hours


@pytest.fixture(autouse=True)
def _fresh_caches():
    for cached in (
        quiet_hours.week_for,
        quiet_hours._strictest_state,
        locations.number_locations,
        locations._country_locations,
    ):
        cached.cache_clear()
    yield
