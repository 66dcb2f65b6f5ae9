"""A web sign-up's proof and its restock wish, as recorded: the ledger's request names the version (the
sha256) of the exact disclosure shown (RULES.md A8.1), and a second sign-up while the first one's
confirmation is pending still adds that product's back-in-stock wish, for the same number."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from smsflows.domain.consent import ledger
from smsflows.domain.consent.subscriptions import ConsentShown, SubscribeRequest, subscribe
from tests.fakes import SIGN_UP_DISCLOSURE, onboarded_shop, sign_up_deps
from tests.fakes import MovableClock as Clock

SHOP = "demo-shop.myshopify.com"
PHONE = "+15125550123"
NOW = datetime(2026, 11, 23, 17, 0, 40, tzinfo=UTC)


def request(**overrides: Any) -> SubscribeRequest:
    shown = ConsentShown(checked=True, default_checked=False, disclosure_text=SIGN_UP_DISCLOSURE)
    return SubscribeRequest(**{"shop": SHOP, "phone": "(512) 555-0123", "consent": shown, **overrides})


def test_the_request_in_the_ledger_names_the_exact_disclosure_shown():
    d = sign_up_deps(onboarded_shop(SHOP), clock=Clock(NOW))
    subscribe(request(submission_id="s1"), "198.51.100.7", "ua", d)
    [requested] = d.store.events(SHOP, PHONE)
    assert requested.kind == "opt_in_requested"
    assert requested.disclosure_version == ledger.disclosure_version(SIGN_UP_DISCLOSURE)
    assert requested.disclosure_text == SIGN_UP_DISCLOSURE


def test_a_second_sign_up_while_the_first_is_pending_still_adds_its_restock_wish():
    d = sign_up_deps(onboarded_shop(SHOP), clock=Clock(NOW))
    first = request(submission_id="s1", restock_variant_id="111", restock_product="Compass",
                    restock_url="https://demo-shop.example/p/compass")  # fmt: skip
    second = request(submission_id="s2", restock_variant_id="222", restock_product="Sextant",
                     restock_url="https://demo-shop.example/p/sextant")  # fmt: skip
    subscribe(first, "198.51.100.7", "ua", d)
    subscribe(second, "198.51.100.7", "ua", d)
    assert d.restocks.restocks[(SHOP, "111")] == {
        PHONE: {"phone": PHONE, "product": "Compass", "url": "https://demo-shop.example/p/compass"}
    }
    assert d.restocks.restocks[(SHOP, "222")] == {
        PHONE: {"phone": PHONE, "product": "Sextant", "url": "https://demo-shop.example/p/sextant"}
    }


def test_sign_ups_are_counted_per_source_in_whole_hours():
    """The limits are asked for this hour's window (from its start, one hour long: what the adapter keys
    and expires the count by) and five sign-ups per source in it."""
    from datetime import timedelta

    from tests.fakes import FakeOptInLimits

    class Recording(FakeOptInLimits):
        def __init__(self) -> None:
            super().__init__()
            self.asked: list[tuple[Any, ...]] = []

        def count_source(
            self, shop: str, source: str, window_start: datetime, window: timedelta, limit: int
        ) -> bool:
            self.asked.append((shop, window_start, window, limit))
            return super().count_source(shop, source, window_start, window, limit)

    d = sign_up_deps(onboarded_shop(SHOP), clock=Clock(NOW))
    d.opt_in_limits = Recording()
    subscribe(request(submission_id="s1"), "198.51.100.7", "ua", d)
    assert d.opt_in_limits.asked == [(SHOP, datetime(2026, 11, 23, 17, 0, tzinfo=UTC), timedelta(hours=1), 5)]
