"""The SegmentMembers port: FakeSegmentMembers and DynamoSegmentMembers (the by_segment index under moto,
filled by the real consent writer) to one contract: a shop's subscribed members and nobody else, each in its
one shard, paged in a stable order whose cursor resumes exactly where it stopped, and any cursor this store
did not make for that shop's shard refused with a ValueError."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from smsflows.domain import keys
from smsflows.domain.campaigns.segments import SegmentMember
from tests.contracts.conftest import IMPLEMENTATIONS, NOW, OTHER_SHOP, SHOP

PHONES = [f"+1512555{n:04d}" for n in range(40)]


@dataclass
class MembersUnderTest:
    port: Any
    subscribe: Callable[[str, str, int], None]  # (shop, phone, minutes after NOW)
    leave: Callable[[str, str, str], None]  # (shop, phone, kind: opt_out or opt_in_requested)


@pytest.fixture(params=IMPLEMENTATIONS)
def members(request: pytest.FixtureRequest) -> MembersUnderTest:
    from tests.fakes import FakeSegmentMembers

    if request.param == "fake":
        fake = FakeSegmentMembers()

        def subscribe_fake(shop: str, phone: str, minutes: int) -> None:
            at = NOW + timedelta(minutes=minutes)
            fake.put(shop, SegmentMember(phone, "subscribed", "keyword", at))

        def leave_fake(shop: str, phone: str, kind: str) -> None:
            fake.put(shop, SegmentMember(phone, "unsubscribed" if kind == "opt_out" else "pending"))

        return MembersUnderTest(fake, subscribe_fake, leave_fake)
    from smsflows.adapters.consent_store import DynamoConsentStore
    from smsflows.adapters.segment_members import DynamoSegmentMembers
    from smsflows.domain.consent.ledger import ConsentEvent
    from smsflows.domain.consent.subscriptions import record

    ddb = request.getfixturevalue("dynamodb")
    consent = DynamoConsentStore(ddb, "contract-data")

    def write(shop: str, phone: str, kind: str, minutes: int) -> None:
        at = NOW + timedelta(minutes=minutes)
        event_id = f"{kind}-{phone}-{minutes}"
        record(
            consent,
            ConsentEvent(event_id=event_id, shop=shop, phone=phone, kind=kind, source="keyword", at=at),
        )

    return MembersUnderTest(
        DynamoSegmentMembers(ddb, "contract-data"),
        lambda shop, phone, minutes: write(shop, phone, "opt_in", minutes),
        lambda shop, phone, kind: write(shop, phone, kind, 99),
    )


def read_shard(port: Any, shop: str, shard: int, limit: int) -> tuple[list[SegmentMember], int]:
    """Every member of one shard, following the cursors; and how many pages it took."""
    found: list[SegmentMember] = []
    cursor, pages = None, 0
    while True:
        page, cursor = port.page(shop, shard, cursor, limit)
        assert len(page) <= limit
        found += page
        pages += 1
        if cursor is None:
            return found, pages


def read_all(port: Any, shop: str, limit: int = 7) -> dict[int, list[SegmentMember]]:
    return {shard: read_shard(port, shop, shard, limit)[0] for shard in range(port.shards)}


def seen(member: SegmentMember) -> tuple[str, str, str | None, Any]:
    return (member.phone, member.status, member.opt_in_source, member.subscribed_at)


def test_every_subscribed_member_is_listed_once_in_its_own_shard(members):
    assert members.port.shards == keys.SEGMENT_SHARDS == 16
    for i, phone in enumerate(PHONES):
        members.subscribe(SHOP, phone, i)
    by_shard = read_all(members.port, SHOP)
    listed = [m.phone for page in by_shard.values() for m in page]
    assert sorted(listed) == sorted(PHONES)  # each once
    for shard, found in by_shard.items():
        assert all(keys.segment_shard(SHOP, m.phone) == shard for m in found)
        # the index's order: the member's key, so a cursor is stable
        assert [m.phone for m in found] == sorted(m.phone for m in found)
    first = next(m for page in by_shard.values() for m in page if m.phone == PHONES[3])
    assert seen(first) == (PHONES[3], "subscribed", "keyword", NOW + timedelta(minutes=3))
    assert len({keys.segment_shard(SHOP, p) for p in PHONES}) > 8  # spread over the shards


def test_only_subscribed_members_of_the_shop_are_in_it(members):
    for i, phone in enumerate(PHONES[:6]):
        members.subscribe(SHOP, phone, i)
    members.subscribe(OTHER_SHOP, PHONES[10], 0)
    members.leave(SHOP, PHONES[0], "opt_out")  # out in the same write as the opt-out
    members.leave(SHOP, PHONES[11], "opt_in_requested")  # pending: not a member yet
    listed = sorted(m.phone for page in read_all(members.port, SHOP).values() for m in page)
    assert listed == sorted(PHONES[1:6])
    assert all(m.status == "subscribed" for page in read_all(members.port, SHOP).values() for m in page)
    assert [m.phone for page in read_all(members.port, OTHER_SHOP).values() for m in page] == [PHONES[10]]
    assert all(page == [] for page in read_all(members.port, "nobody.myshopify.com").values())
    members.subscribe(SHOP, PHONES[0], 200)  # back in when they opt in again
    assert PHONES[0] in [m.phone for page in read_all(members.port, SHOP).values() for m in page]


def test_a_cursor_resumes_exactly_where_the_page_stopped(members):
    for i, phone in enumerate(PHONES):
        members.subscribe(SHOP, phone, i)
    shard = max(range(16), key=lambda s: sum(keys.segment_shard(SHOP, p) == s for p in PHONES))
    whole, _ = read_shard(members.port, SHOP, shard, 1000)
    assert len(whole) >= 3
    one_by_one, pages = read_shard(members.port, SHOP, shard, 1)
    assert [m.phone for m in one_by_one] == [m.phone for m in whole]
    assert pages in (len(whole), len(whole) + 1)  # a full last page may be followed by an empty one
    first, cursor = members.port.page(SHOP, shard, None, 2)
    again, same = members.port.page(SHOP, shard, None, 2)
    assert ([m.phone for m in first], cursor) == ([m.phone for m in again], same)  # stable
    assert cursor is not None and all(isinstance(v, str) for v in cursor.values())
    rest, _ = members.port.page(SHOP, shard, dict(cursor), 1000)
    assert [m.phone for m in first + rest] == [m.phone for m in whole]


def test_a_cursor_it_did_not_make_for_that_shard_is_refused(members):
    for i, phone in enumerate(PHONES):
        members.subscribe(SHOP, phone, i)
        members.subscribe(OTHER_SHOP, phone, i)
    shard = keys.segment_shard(SHOP, PHONES[0])
    _, cursor = members.port.page(SHOP, shard, None, 1)
    assert cursor is not None
    _, theirs = members.port.page(OTHER_SHOP, keys.segment_shard(OTHER_SHOP, PHONES[0]), None, 1)
    other_shard = (shard + 1) % 16
    bad = [
        theirs,  # another shop's
        {**cursor, "seg_pk": keys.segment_shard_partition(SHOP, other_shard)},  # another shard's
        {**cursor, "pk": keys.subscriber(OTHER_SHOP, PHONES[0])["pk"]},
        {**cursor, "sk": "EVENT#1"},
        {**cursor, "extra": "x"},
        {k: v for k, v in cursor.items() if k != "sk"},
        {**cursor, "pk": 7},
        {**cursor, "pk": ""},
        "SUB#x",
        ["seg_pk", "pk", "sk"],
    ]
    for wrong in bad:
        with pytest.raises(ValueError):
            members.port.page(SHOP, shard, wrong, 10)
    for wrong_shard in (-1, 16):
        with pytest.raises(ValueError):
            members.port.page(SHOP, wrong_shard, None, 10)
    for limit in (0, 2001):
        with pytest.raises(ValueError):
            members.port.page(SHOP, shard, None, limit)
