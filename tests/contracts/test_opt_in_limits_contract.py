"""The OptInLimits port (POST /subscribe against SMS pumping): each number's one opt-in request per hold,
taken by one request id; each source's count of sign-ups per fixed window, up to a limit. Both atomic, and
neither depends on TTL having deleted an ended record; the real records carry the table's TTL attribute."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from smsflows.domain import keys
from tests.contracts.conftest import IMPLEMENTATIONS, NOW, OTHER_PHONE, OTHER_SHOP, PHONE, SHOP, TABLE, peek

DAY = timedelta(hours=24)
HOUR = timedelta(hours=1)
US = timedelta(microseconds=1)


@pytest.fixture(params=IMPLEMENTATIONS)
def opt_in_limits(request: pytest.FixtureRequest) -> Any:
    from tests.fakes import FakeOptInLimits

    if request.param == "fake":
        return FakeOptInLimits()
    from smsflows.adapters.optin_limits import DynamoOptInLimits

    return DynamoOptInLimits(request.getfixturevalue("dynamodb"), TABLE)


# The number's opt-in request -------------------------------------------------------------------------


def test_a_free_number_is_taken_and_then_refused_to_any_other_request(opt_in_limits):
    assert opt_in_limits.take_request(SHOP, PHONE, "web_form:a", NOW, DAY) is True
    assert opt_in_limits.take_request(SHOP, PHONE, "web_form:b", NOW, DAY) is False
    assert opt_in_limits.take_request(SHOP, PHONE, "web_form:c", NOW + timedelta(hours=23), DAY) is False


def test_the_same_request_retried_still_holds_it_and_keeps_its_end(opt_in_limits):
    assert opt_in_limits.take_request(SHOP, PHONE, "web_form:a", NOW, DAY) is True
    assert opt_in_limits.take_request(SHOP, PHONE, "web_form:a", NOW + HOUR, DAY) is True  # a retry
    # the retry did not push the end out: the hold still ends 24 h after the first request
    assert opt_in_limits.take_request(SHOP, PHONE, "web_form:b", NOW + DAY, DAY) is True


def test_the_hold_ends_exactly_after_its_length(opt_in_limits):
    assert opt_in_limits.take_request(SHOP, PHONE, "web_form:a", NOW, DAY) is True
    assert opt_in_limits.take_request(SHOP, PHONE, "web_form:b", NOW + DAY - US, DAY) is False
    assert opt_in_limits.take_request(SHOP, PHONE, "web_form:b", NOW + DAY, DAY) is True
    # the new hold is b's: a's retry no longer passes, and it runs 24 h from b
    assert opt_in_limits.take_request(SHOP, PHONE, "web_form:a", NOW + DAY, DAY) is False
    assert opt_in_limits.take_request(SHOP, PHONE, "web_form:c", NOW + 2 * DAY - US, DAY) is False
    assert opt_in_limits.take_request(SHOP, PHONE, "web_form:c", NOW + 2 * DAY, DAY) is True


def test_holds_are_per_number_and_per_shop(opt_in_limits):
    assert opt_in_limits.take_request(SHOP, PHONE, "web_form:a", NOW, DAY) is True
    assert opt_in_limits.take_request(SHOP, OTHER_PHONE, "web_form:b", NOW, DAY) is True
    assert opt_in_limits.take_request(OTHER_SHOP, PHONE, "web_form:c", NOW, DAY) is True
    assert opt_in_limits.take_request(SHOP, PHONE, "web_form:d", NOW, DAY) is False


def test_of_requests_racing_for_one_number_exactly_one_takes_it(opt_in_limits):
    results: list[bool] = []
    start = threading.Barrier(8)

    def attempt(i: int) -> None:
        start.wait()
        results.append(opt_in_limits.take_request(SHOP, PHONE, f"web_form:race-{i}", NOW, DAY))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]


# A source's sign-ups per window ----------------------------------------------------------------------


def test_a_source_is_counted_up_to_the_limit_and_refused_past_it(opt_in_limits):
    assert [opt_in_limits.count_source(SHOP, "src-a", NOW, HOUR, 3) for _ in range(5)] == [True] * 3 + [
        False
    ] * 2


def test_counts_are_per_window_per_source_and_per_shop(opt_in_limits):
    for _ in range(2):
        assert opt_in_limits.count_source(SHOP, "src-a", NOW, HOUR, 2) is True
    assert opt_in_limits.count_source(SHOP, "src-a", NOW, HOUR, 2) is False
    assert opt_in_limits.count_source(SHOP, "src-a", NOW + HOUR, HOUR, 2) is True  # the next window
    assert opt_in_limits.count_source(SHOP, "src-b", NOW, HOUR, 2) is True
    assert opt_in_limits.count_source(OTHER_SHOP, "src-a", NOW, HOUR, 2) is True


def test_a_limit_below_one_counts_nothing(opt_in_limits):
    assert opt_in_limits.count_source(SHOP, "src-a", NOW, HOUR, 0) is False
    assert opt_in_limits.count_source(SHOP, "src-a", NOW, HOUR, 1) is True  # the refusal took nothing


def test_of_sign_ups_racing_from_one_source_exactly_the_limit_pass(opt_in_limits):
    results: list[bool] = []
    start = threading.Barrier(8)

    def attempt() -> None:
        start.wait()
        results.append(opt_in_limits.count_source(SHOP, "src-a", NOW, HOUR, 5))

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 3 + [True] * 5


# What the real adapter stores -------------------------------------------------------------------------


def test_the_records_expire_by_the_tables_ttl_and_the_hold_is_found_by_its_phone(dynamodb, table_spec):
    from smsflows.adapters.optin_limits import DynamoOptInLimits

    limits = DynamoOptInLimits(dynamodb, TABLE)
    ttl = table_spec["ttl_attribute"]
    limits.take_request(SHOP, PHONE, "web_form:a", NOW, DAY)
    hold = peek(dynamodb, keys.opt_in_request(SHOP, PHONE))
    assert hold is not None and int(hold[ttl]) == int((NOW + DAY).timestamp())
    assert (
        hold["gsi1pk"] == keys.phone_subject(SHOP, PHONE) and hold["shop"] == SHOP
    )  # erased with the person
    limits.count_source(SHOP, "src-a", NOW, HOUR, 5)
    count = peek(dynamodb, keys.opt_in_source(SHOP, "src-a", int(NOW.timestamp())))
    assert count is not None and int(count[ttl]) == int((NOW + HOUR).timestamp()) and count["requests"] == 1
    assert count["shop"] == SHOP and "gsi1pk" not in count  # no person's data: erased with the shop only


def test_an_ended_hold_that_ttl_has_not_deleted_yet_is_free(dynamodb):
    from smsflows.adapters.optin_limits import DynamoOptInLimits

    limits = DynamoOptInLimits(dynamodb, TABLE)
    assert limits.take_request(SHOP, PHONE, "web_form:a", NOW, DAY) is True
    # TTL deletes within days, not at the second: the item is still there a week later
    assert peek(dynamodb, keys.opt_in_request(SHOP, PHONE)) is not None
    assert limits.take_request(SHOP, PHONE, "web_form:b", NOW + 7 * DAY, DAY) is True
