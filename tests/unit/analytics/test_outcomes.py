"""What a status callback adds to the counters and to a campaign run (issue 16 part 3)."""

from __future__ import annotations

import hashlib

import pytest

from smsflows.domain.analytics.lift import flow_group
from smsflows.domain.analytics.outcomes import campaign_outcomes, delivery, price_of


@pytest.mark.parametrize(("text", "cost"), [("-0.00790", 0.0079), ("0.0083", 0.0083), ("-99.99", 99.99),
                                            ("-100", None), ("100", None), ("nan", None), ("", None), (None, None),
                                            ("free", None)])  # fmt: skip
def test_twilios_price_is_a_cost_or_nothing(text, cost):
    assert price_of(text) == cost


def test_a_final_status_counts_once_with_its_error_code_and_its_price():
    assert delivery("sent", None, None, 0.0083) == {}
    assert delivery("delivered", None, None, 0.0083) == {"delivered": 1}
    assert delivery("undelivered", 30007, None, 0.0083) == {"failed": 1, "err#30007": 1}
    assert delivery("failed", None, None, None) == {"failed": 1, "err#0": 1}
    assert delivery("delivered", None, "-0.0079", 0.0083) == {"delivered": 1, "cost_actual": 0.0079, "priced": 1,
                                                              "cost_replaced": 0.0083}  # fmt: skip
    assert delivery("delivered", None, "-0.0079", None)["cost_replaced"] == 0.0


def test_a_campaign_run_counts_filtering_apart():
    assert campaign_outcomes("delivered", None) == ("delivered",)
    assert campaign_outcomes("delivered", 30007) == ("delivered",)
    assert campaign_outcomes("failed", 30007) == ("undelivered", "filtered")
    assert campaign_outcomes("undelivered", 30003) == ("undelivered",)
    assert campaign_outcomes("sent", None) == ()


def test_a_flows_holdout_is_the_hash_of_flow_and_phone():
    phones = [f"+1512555{i:04d}" for i in range(200)]

    def u(phone: str) -> float:  # written out again here: the assignment must not change under anyone
        digest = hashlib.sha256(f"flow:welcome\x1f{phone}".encode()).digest()
        return (int.from_bytes(digest[:8], "big") >> 11) / float(1 << 53)

    assert [flow_group("welcome", p, 0.3) for p in phones] == [
        "holdout" if u(p) < 0.3 else "sent" for p in phones
    ]
    assert {flow_group("welcome", p, 0.0) for p in phones} == {"sent"}
    assert flow_group("winback", phones[0], 0.5) in ("holdout", "sent")
