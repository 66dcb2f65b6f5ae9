"""app/uninstalled for a shop that is not marked uninstalled: what the webhook inbox records says which case it
was (never onboarded, or redacted), so an operator reading it knows why nothing was marked."""

from __future__ import annotations

import pytest

from smsflows.domain.shops import ShopConfig
from tests.unit.shopify.test_not_onboarded_events import SHOP, arrive, make_deps


@pytest.mark.parametrize(
    ("configs", "state"),
    [
        pytest.param((), "not onboarded", id="never-onboarded"),
        pytest.param((ShopConfig(shop=SHOP, status="redacted"),), "redacted", id="redacted"),
    ],
)
def test_the_inbox_says_why_an_uninstall_marked_nothing(configs, state):
    deps = make_deps(*configs)
    outcome = arrive(deps, {}, "app/uninstalled", webhook_id="wh-u")
    said = f"shop {state}: nothing to mark, 0 flows stopped"
    assert (outcome.outcome, outcome.detail) == ("processed", said)
    record = deps.inbox.get(SHOP, "wh-u")  # type: ignore[attr-defined]
    assert (record.state, record.reason) == ("processed", said)
