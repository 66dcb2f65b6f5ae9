"""The materialised members' cursor (adapters/shopify_segment_members.py): only a cursor of this run's own
partition is accepted, so a forged one can never start a Query in another shop's or run's items."""

from __future__ import annotations

import pytest

from smsflows.adapters.shopify_segment_members import checked_cursor
from smsflows.domain import keys

SHOP = "demo-shop.myshopify.com"
PK = keys.shopify_segment_member(SHOP, "cmp_1", "once", "")["pk"]


def test_a_cursor_of_the_runs_partition_is_accepted():
    assert checked_cursor(PK, {"pk": PK, "sk": "PHONE#+15125550123"}) == {
        "pk": PK,
        "sk": "PHONE#+15125550123",
    }


@pytest.mark.parametrize(
    "cursor",
    [
        None,
        {"pk": PK},
        {"pk": PK, "sk": "PHONE#+1", "extra": "x"},
        {
            "pk": keys.shopify_segment_member("other.myshopify.com", "cmp_1", "once", "")["pk"],
            "sk": "PHONE#+1",
        },
        {"pk": keys.shopify_segment_member(SHOP, "cmp_2", "once", "")["pk"], "sk": "PHONE#+1"},
        {"pk": PK, "sk": "STATE"},
        {"pk": PK, "sk": 7},
        {"pk": PK, "sk": "PHONE#" + "1" * 100},
    ],
)
def test_any_other_cursor_is_refused(cursor):
    with pytest.raises(ValueError, match="malformed Shopify segment cursor"):
        checked_cursor(PK, cursor)
