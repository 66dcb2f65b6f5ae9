"""A Shopify customer segment as a campaign's audience (domain/campaigns/shopify_segments.py and its steps in
release.py), every port a fake: ids as operators type them, Shopify's members mapped to E.164 phones (no
phone and invalid phones counted, never texted), cursor paging bounded per release step and resumed, the
count of who is textable (smsflows' consent, not Shopify's marketing state), and a run that materialises its
members first, texts exactly the subscribed ones, retries a throttled step and pauses on access denied."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smsflows.domain.campaigns import campaign as C
from smsflows.domain.campaigns import release as R
from smsflows.domain.campaigns import shopify_segments as S
from smsflows.domain.campaigns.fanout import ONCE, Progress
from smsflows.domain.campaigns.segments import SegmentMember
from smsflows.runtime.errors import (
    BadRequest,
    ShopifyAccessDenied,
    ShopifyThrottled,
    ShopifyUnavailable,
    TransientError,
)
from tests.fakes import (
    FakeCampaignRuns,
    FakeCampaigns,
    FakeSegments,
    FakeShopConfigs,
    MovableClock,
    onboarded_shop,
)

SHOP = "demo-shop.myshopify.com"
CONFIG = onboarded_shop(SHOP, throughput={"sender_type": "toll_free"})
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
GID = "gid://shopify/Segment/210588551"
AUSTIN = frozenset({"America/Chicago"})


def phone(i: int) -> str:
    return f"+1512{2_000_000 + i:07d}"


class FakeShopify:
    """customerSegmentMembers over a list: cursor = index of the last member given, as text; every call
    recorded with the page size asked; `fail` raises on the calls whose number (1-based) it names."""

    def __init__(self, members: list[S.ShopifyMember], fail: dict[int, Exception] | None = None) -> None:
        self.members = members
        self.fail = fail or {}
        self.calls: list[tuple[str | None, int]] = []

    def fetch(self, shop: str, segment_id: str) -> S.Fetch:
        assert (shop, segment_id) == (SHOP, GID)

        def one(after: str | None, first: int) -> S.MembersPage:
            self.calls.append((after, first))
            if len(self.calls) in self.fail:
                raise self.fail[len(self.calls)]
            start = int(after) if after else 0
            end = min(len(self.members), start + first)
            return S.MembersPage(len(self.members), tuple(self.members[start:end]), str(end) if end else None,
                                 end < len(self.members))  # fmt: skip

        return one


@dataclass
class Materialised:
    """The runs' members in memory, joined with the consent states at each page (as the adapter does)."""

    states: dict[str, SegmentMember]
    items: dict[tuple[str, str, str], set[str]] = field(default_factory=dict)
    writes: list[int] = field(default_factory=list)

    def write(self, shop: str, campaign_id: str, run: str, phones: Any, expires_at: datetime) -> None:
        assert expires_at > NOW
        self.writes.append(len(phones))
        self.items.setdefault((shop, campaign_id, run), set()).update(phones)

    def page(self, shop: str, campaign_id: str, run: str, cursor: Any, limit: int) -> Any:
        ordered = sorted(self.items.get((shop, campaign_id, run), ()))
        start = int(cursor["i"]) if cursor else 0
        end = min(len(ordered), start + limit)
        members = [self.states.get(p) or SegmentMember(phone=p) for p in ordered[start:end]]
        return members, ({"i": str(end)} if end < len(ordered) else None)


def subscribed(p: str) -> SegmentMember:
    return SegmentMember(phone=p, status="subscribed", candidate_zones=AUSTIN)


# ---------------------------------------------------------------------------------------------------------
# Ids and mapping


@pytest.mark.parametrize("typed", ["210588551", " 210588551 ", GID, 210588551])
def test_a_segment_id_is_its_gid_whether_typed_as_digits_or_gid(typed):
    assert S.segment_gid(typed) == GID


@pytest.mark.parametrize(
    "typed", ["", "vip", "0", "-5", "gid://shopify/Customer/7", "12 34", True, None, "1" * 21]
)
def test_anything_else_is_refused_naming_the_option_and_the_form(typed):
    with pytest.raises(BadRequest, match=r"--shopify-segment: .* is not a Shopify segment id: digits or"):
        S.segment_gid(typed)


def test_members_map_to_e164_phones_and_the_skipped_are_counted():
    mapped = S.map_members(
        [S.ShopifyMember("+1 (512) 200-0001", "SUBSCRIBED"), S.ShopifyMember(None, None),
         S.ShopifyMember("5122000002", "UNSUBSCRIBED"), S.ShopifyMember("not a phone", "SUBSCRIBED"),
         S.ShopifyMember("+15122000001", "NOT_SUBSCRIBED"), S.ShopifyMember("  ", None)],
        "US",
    )  # fmt: skip
    assert mapped.phones == (phone(1), phone(2))  # in order; a number listed twice once
    assert (mapped.no_phone, mapped.invalid_phone, mapped.shopify_subscribed) == (2, 1, 2)


def test_pages_follow_the_cursor_and_stop_at_a_cursor_that_repeats():
    shopify = FakeShopify([S.ShopifyMember(phone(i)) for i in range(5)])
    got = list(S.pages(shopify.fetch(SHOP, GID), first=2))
    assert [len(p.members) for p in got] == [2, 2, 1] and shopify.calls == [(None, 2), ("2", 2), ("4", 2)]

    stuck = S.MembersPage(9, (S.ShopifyMember(phone(1)),), "same", True)
    calls = []
    assert len(list(S.pages(lambda after, first: calls.append(after) or stuck, "same"))) == 1


def test_a_refresh_round_trips_through_the_progress_json():
    r = S.Refresh(GID, after="abc", pages=3, members=750, phones=700, no_phone=40, invalid_phone=10,
                  shopify_subscribed=5, total=1000, started_at=NOW)  # fmt: skip
    assert S.Refresh.from_dict(r.to_dict()) == r
    p = Progress(step=3, shopify=r.to_dict())
    assert Progress.from_dict(p.to_dict()) == p


# ---------------------------------------------------------------------------------------------------------
# The bounded refresh


def test_a_refresh_step_reads_at_most_its_bound_and_the_next_goes_on_from_shopifys_cursor():
    members = [S.ShopifyMember(phone(i), "SUBSCRIBED") for i in range(1200)] + [S.ShopifyMember(None)] * 30
    shopify, written = FakeShopify(members), []
    fetch = shopify.fetch(SHOP, GID)
    r = S.Refresh(GID)
    steps = 0
    while not r.done:
        before = len(shopify.calls)
        r = S.refresh_step(r, fetch, written.extend, "US", NOW, max_members=500, page_size=200).refresh
        steps += 1
        assert sum(first for _, first in shopify.calls[before:]) <= 500  # never more than the bound a step
    assert steps == 3 and r.done and r.finished_at == NOW and r.started_at == NOW
    assert sorted(written) == sorted(phone(i) for i in range(1200))  # each read once, none skipped
    assert (r.members, r.phones, r.no_phone, r.total) == (1230, 1200, 30, 1230)
    assert S.refresh_step(r, fetch, written.extend, "US", NOW).refresh == r  # done: nothing more is read


def test_a_throttle_on_the_steps_first_page_fails_the_step_and_later_keeps_what_was_read():
    members = [S.ShopifyMember(phone(i)) for i in range(10)]
    with pytest.raises(TransientError):
        S.refresh_step(S.Refresh(GID), FakeShopify(members, {1: ShopifyThrottled("x")}).fetch(SHOP, GID),
                       lambda _: None, "US", NOW)  # fmt: skip
    written: list[str] = []
    shopify = FakeShopify(members, {2: ShopifyUnavailable("502")})
    result = S.refresh_step(S.Refresh(GID), shopify.fetch(SHOP, GID), written.extend, "US", NOW, page_size=4)
    assert result.throttled and not result.refresh.done
    assert (result.refresh.after, result.refresh.members, written) == ("4", 4, [phone(i) for i in range(4)])


def test_access_denied_is_not_a_transient_error():
    shopify = FakeShopify([], {1: ShopifyAccessDenied("ACCESS_DENIED")})
    with pytest.raises(ShopifyAccessDenied):
        S.refresh_step(S.Refresh(GID), shopify.fetch(SHOP, GID), lambda _: None, "US", NOW)
    assert not isinstance(ShopifyAccessDenied("x"), TransientError)


# ---------------------------------------------------------------------------------------------------------
# The count


def test_only_members_subscribed_in_smsflows_are_textable_whatever_shopify_says():
    members = [
        S.ShopifyMember(phone(1), "SUBSCRIBED"),  # subscribed here: textable
        S.ShopifyMember(phone(2), "SUBSCRIBED"),  # Shopify says subscribed, smsflows has nothing: not
        S.ShopifyMember(phone(3), "NOT_SUBSCRIBED"),  # subscribed here (e.g. by keyword): textable
        S.ShopifyMember(phone(4), "SUBSCRIBED"),  # opted out here: not
        S.ShopifyMember(None),
        S.ShopifyMember("12"),
        S.ShopifyMember(phone(1), "SUBSCRIBED"),  # a second customer with the same phone, on the next page
    ]
    states = {phone(1): subscribed(phone(1)), phone(3): SegmentMember(phone(3), "subscribed"),
              phone(4): SegmentMember(phone(4), "unsubscribed")}  # fmt: skip
    asked: list[tuple[str, ...]] = []

    def read(phones: tuple[str, ...]) -> dict[str, SegmentMember]:
        asked.append(phones)
        return {p: states[p] for p in phones if p in states}

    done: list[int] = []
    got = S.count(GID, FakeShopify(members).fetch(SHOP, GID), read, "US", page_size=3, progress=done.append)
    assert got.textable == 2 and got.not_subscribed == 2 and (got.no_phone, got.invalid_phone) == (1, 1)
    assert (got.shopify_total, got.members, got.phones, got.shopify_subscribed) == (7, 7, 4, 4)
    assert got.by_zones == {("America/Chicago",): 2}  # 512 is Austin's: zones from the number when unknown
    assert done == [3, 3, 1] and sum(len(a) for a in asked) == 4  # the repeated phone is not read again
    assert set(got.summary()) >= {"textable", "shopify_total", "no_phone", "not_subscribed"}


# ---------------------------------------------------------------------------------------------------------
# A campaign run on a Shopify segment


@dataclass
class World:
    deps: R.ReleaseDeps
    clock: MovableClock
    campaigns: FakeCampaigns
    runs: FakeCampaignRuns
    shopify: FakeShopify
    stored: Materialised
    id: str = ""
    texts: list[tuple[dict[str, Any], int]] = field(default_factory=list)
    cursors: list[tuple[dict[str, Any], int]] = field(default_factory=list)

    def drive(self, limit: int = 1000) -> list[R.StepOutcome]:
        outcomes = []
        while self.cursors and len(outcomes) < limit:
            body, delay = self.cursors.pop(0)
            self.clock.now += timedelta(seconds=delay)
            try:
                outcomes.append(R.handle(body, self.deps))
            except TransientError:
                self.cursors.insert(0, (body, 0))  # the record failed: SQS delivers it again
                outcomes.append(R.StepOutcome("failed"))
        return outcomes


def world(members: list[S.ShopifyMember], states: dict[str, SegmentMember], **fail: Any) -> World:
    clock = MovableClock(NOW)
    campaigns, runs, segments = FakeCampaigns(), FakeCampaignRuns(), FakeSegments()
    segments.put(SHOP, "vip", S.DOCUMENT, "ana", NOW, shopify={"id": GID, "name": "VIP", "query": "x"})
    made, _ = C.create(CONFIG, name="VIP sale", variants={"A": "Demo Shop: VIP20. Reply STOP to opt out."},
                       segment="vip", now=NOW - timedelta(days=1), by="ana")  # fmt: skip
    campaigns.put(made.transition("scheduled", "ana", NOW - timedelta(hours=1)))

    class Index:  # the shop's whole index: a Shopify campaign must never read it
        shards = 2

        def page(self, *args: Any) -> Any:
            raise AssertionError("a Shopify segment's run read the shop's segment index")

    shopify, stored = FakeShopify(members, fail.get("fail")), Materialised(states)
    w = World(R.ReleaseDeps(campaigns=campaigns, runs=runs, members=Index(), segments=segments,
                            shops=FakeShopConfigs(CONFIG), send=lambda texts: w.texts.extend(texts),
                            requeue=lambda body, delay: w.cursors.append((dict(body), delay)), clock=clock,
                            shopify=shopify, shopify_members=stored),
              clock, campaigns, runs, shopify, stored, made.id)  # fmt: skip
    w.cursors.append((R.cursor(SHOP, made.id, ONCE, 0), 0))
    return w


def test_a_run_materialises_the_segment_in_bounded_steps_then_texts_exactly_the_subscribed_members():
    n = S.MAX_REFRESH * 2 + 100  # three refresh steps
    members = [S.ShopifyMember(phone(i), "SUBSCRIBED") for i in range(n)] + [S.ShopifyMember(None)] * 5
    states = {phone(i): subscribed(phone(i)) for i in range(0, n, 50)}  # every 50th subscribed here
    states[phone(50)] = SegmentMember(phone(50), "unsubscribed", candidate_zones=AUSTIN)
    w = world(members, states)
    outcomes = w.drive()
    kinds = [o.outcome for o in outcomes]
    assert kinds[:3] == ["refreshing", "refreshing", "refreshed"] and kinds[-1] == "done"
    assert max(w.stored.writes) <= S.MAX_REFRESH
    expected = {p for p, m in states.items() if m.status == "subscribed"}
    assert sorted(t["to"] for t, _ in w.texts) == sorted(expected)  # each once, nobody else
    progress, _ = w.runs.get(SHOP, w.id, ONCE)
    refresh = S.Refresh.from_dict(progress.shopify or {})
    assert refresh.done and (refresh.members, refresh.no_phone, refresh.total) == (n + 5, 5, n + 5)
    assert progress.targeted == len(expected) and progress.read == n
    assert w.campaigns.get(SHOP, w.id)[0].state == "completed"


def test_a_throttled_refresh_step_is_retried_and_the_run_goes_on():
    members = [S.ShopifyMember(phone(i)) for i in range(20)]
    w = world(members, {phone(3): subscribed(phone(3))}, fail={1: ShopifyThrottled("Throttled")})
    outcomes = w.drive()
    assert [o.outcome for o in outcomes][:2] == ["failed", "refreshed"] and outcomes[-1].outcome == "done"
    assert [t["to"] for t, _ in w.texts] == [phone(3)]


def test_access_denied_pauses_the_campaign_with_the_reason_and_resume_goes_on_from_the_same_step():
    members = [S.ShopifyMember(phone(i)) for i in range(20)]
    w = world(members, {phone(3): subscribed(phone(3))}, fail={1: ShopifyAccessDenied("ACCESS_DENIED")})
    outcomes = w.drive()
    assert [o.outcome for o in outcomes] == ["stopped"] and "ACCESS_DENIED" in outcomes[0].detail
    made, version = w.campaigns.get(SHOP, w.id)
    assert made.state == "paused" and GID in (made.paused_because or "") and w.texts == []
    assert w.runs.get(SHOP, w.id, ONCE) is None  # nothing recorded of the run

    w.campaigns.put(made.transition(made.resumes_to(), "ana", w.clock.now), version)  # access granted
    w.cursors.append((R.cursor(SHOP, w.id, ONCE, 0), 0))
    assert w.drive()[-1].outcome == "done" and [t["to"] for t, _ in w.texts] == [phone(3)]


def test_without_shopify_access_configured_the_run_pauses_instead_of_texting_anyone():
    w = world([S.ShopifyMember(phone(1))], {phone(1): subscribed(phone(1))})
    w.deps.shopify = None
    assert [o.outcome for o in w.drive()] == ["stopped"]
    assert w.campaigns.get(SHOP, w.id)[0].state == "paused" and w.texts == []


def test_a_run_that_began_on_the_index_stays_on_it_when_its_segment_becomes_a_shopify_one():
    w = world([S.ShopifyMember(phone(1))], {phone(1): subscribed(phone(1))})
    assert w.runs.advance(
        SHOP, w.id, ONCE, 0, Progress(step=0, started_at=NOW, phase=NOW)
    )  # begun on the index
    with pytest.raises(AssertionError, match="read the shop's segment index"):
        w.drive()
    assert w.shopify.calls == [] and w.stored.writes == []
