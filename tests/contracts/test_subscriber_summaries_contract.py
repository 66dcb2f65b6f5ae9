"""The SubscriberSummaries port (customers/update's part of the segments' summaries): FakeSubscriberSummaries
and DynamoSubscriberSummaries (under moto) to one contract: what a customer update says is recorded for the
phone, and an update older than the one recorded changes nothing ('stale')."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from smsflows.domain import keys
from smsflows.domain.shopify.summary import CustomerSummary
from tests.contracts.conftest import IMPLEMENTATIONS, NOW, OTHER_PHONE, PHONE, SHOP, TABLE, peek


@dataclass
class SummariesUnderTest:
    port: Any
    stored: Callable[[str, str], tuple[int | None, Decimal | None, frozenset[str]] | None]


@pytest.fixture(params=IMPLEMENTATIONS)
def summaries(request: pytest.FixtureRequest) -> SummariesUnderTest:
    from tests.fakes import FakeSubscriberSummaries

    if request.param == "fake":
        fake = FakeSubscriberSummaries()

        def stored_fake(shop: str, phone: str) -> Any:
            c = fake.customers.get((shop, phone))
            return (c.orders_count, c.total_spent, c.tags) if c else None

        return SummariesUnderTest(fake, stored_fake)
    from smsflows.adapters.subscriber_summaries import DynamoSubscriberSummaries

    ddb = request.getfixturevalue("dynamodb")

    def stored_real(shop: str, phone: str) -> Any:
        item = peek(ddb, keys.subscriber(shop, phone))
        if item is None:
            return None
        count = item.get("orders_count")
        return (
            int(count) if count is not None else None,
            item.get("total_spent"),
            frozenset(item.get("tags", ())),
        )

    return SummariesUnderTest(DynamoSubscriberSummaries(ddb, TABLE), stored_real)


def customer(minutes: int = 0, **kw: Any) -> CustomerSummary:
    base: dict[str, Any] = dict(customer_id="1", updated_at=NOW + timedelta(minutes=minutes), orders_count=3,
                                total_spent=Decimal("250.00"), tags=frozenset({"vip", "wholesale"}))  # fmt: skip
    base.update(kw)
    return CustomerSummary(**base)


def test_a_customer_update_is_recorded_for_the_phone(summaries):
    assert summaries.port.note_customer(SHOP, PHONE, customer()) == "ok"
    assert summaries.stored(SHOP, PHONE) == (3, Decimal("250.00"), frozenset({"vip", "wholesale"}))
    assert summaries.stored(SHOP, OTHER_PHONE) is None


def test_a_newer_update_replaces_it_and_an_older_one_changes_nothing(summaries):
    summaries.port.note_customer(SHOP, PHONE, customer(10))
    newer = customer(20, orders_count=4, total_spent=Decimal("300.50"), tags=frozenset())
    assert summaries.port.note_customer(SHOP, PHONE, newer) == "ok"
    assert summaries.stored(SHOP, PHONE) == (4, Decimal("300.50"), frozenset())  # tags removed: none now
    late = customer(15, orders_count=9, tags=frozenset({"late"}))
    assert summaries.port.note_customer(SHOP, PHONE, late) == "stale"
    assert summaries.stored(SHOP, PHONE) == (4, Decimal("300.50"), frozenset())
    # the same update again (a redelivery) is recorded again, to the same effect
    assert summaries.port.note_customer(SHOP, PHONE, newer) == "ok"
    assert summaries.stored(SHOP, PHONE) == (4, Decimal("300.50"), frozenset())
