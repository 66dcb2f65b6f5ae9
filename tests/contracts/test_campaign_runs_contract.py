"""The campaign runs port: FakeCampaignRuns and DynamoCampaignRuns (under moto) to one contract. A run's
progress moves only from the step it was read at (so a duplicated cursor message cannot run a step twice
into the record), counters add up and refuse an outcome nobody counts, assignments page in a stable order
with a cursor that cannot be forged across campaigns, and a shop's runs stay its own."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from smsflows.domain.campaigns.fanout import AssignmentRow, Progress
from tests.contracts.conftest import IMPLEMENTATIONS, NOW, OTHER_SHOP, SHOP, TABLE, peek

CID = "cmp_0123456789abcdef"


@pytest.fixture(params=IMPLEMENTATIONS)
def runs(request: pytest.FixtureRequest) -> Any:
    from tests.fakes import FakeCampaignRuns

    if request.param == "fake":
        return FakeCampaignRuns()
    from smsflows.adapters.campaigns import DynamoCampaignRuns

    return DynamoCampaignRuns(request.getfixturevalue("dynamodb"), TABLE)


def progress(step: int, **fields: Any) -> Progress:
    return Progress(step=step, started_at=NOW, phase=NOW, **fields)


def test_progress_moves_only_from_the_step_it_was_read_at(runs):
    assert runs.get(SHOP, CID, "once") is None
    assert runs.advance(SHOP, CID, "once", 0, progress(1, enqueued=10, variants={"A": 10}))
    assert not runs.advance(SHOP, CID, "once", 0, progress(1, enqueued=99))  # the duplicate cursor
    got, _ = runs.get(SHOP, CID, "once")
    assert got == progress(1, enqueued=10, variants={"A": 10})
    assert runs.advance(SHOP, CID, "once", 1, progress(2, enqueued=20, after={"pk": "x", "sk": "y"}, shard=3))
    assert not runs.advance(SHOP, CID, "once", 1, progress(2))
    assert not runs.advance(SHOP, CID, "once", 5, progress(6))
    got, _ = runs.get(SHOP, CID, "once")
    assert (got.step, got.enqueued, got.shard, got.after) == (2, 20, 3, {"pk": "x", "sk": "y"})


def test_the_runs_audience_is_pinned_by_its_first_advance_and_never_replaced(runs):
    assert runs.advance(SHOP, CID, "once", 0, progress(1))  # a step without one (an older run) pins nothing
    assert runs.get(SHOP, CID, "once")[1]["audience"] is None
    assert runs.advance(SHOP, CID, "once", 1, progress(2), audience='{"document":{"subscribed":true}}')
    assert not runs.advance(SHOP, CID, "once", 1, progress(2), audience='{"document":{}}')  # stale: nothing
    assert runs.advance(SHOP, CID, "once", 2, progress(3), audience='{"document":{"not":{}}}')
    progress_now, counters = runs.get(SHOP, CID, "once")
    assert progress_now.step == 3 and counters["audience"] == '{"document":{"subscribed":true}}'


def test_counters_add_up_and_note_the_last_send(runs):
    runs.count(SHOP, CID, "once", "sent", at=NOW)
    runs.count(SHOP, CID, "once", "sent", 2, at=NOW + timedelta(seconds=5))
    runs.count(SHOP, CID, "once", "suppressed")
    runs.count(SHOP, CID, "once", "delivered", 3)
    _, counters = runs.get(SHOP, CID, "once")
    assert (counters["sent"], counters["suppressed"], counters["delivered"], counters["failed"]) == (
        3,
        1,
        3,
        0,
    )
    assert counters["last_sent_at"] == (NOW + timedelta(seconds=5)).isoformat()
    # counting before any progress is stored (a text outruns its step's record) still leaves step 0 open
    assert runs.advance(SHOP, CID, "once", 0, progress(1))
    assert runs.get(SHOP, CID, "once")[1]["sent"] == 3
    with pytest.raises(ValueError, match="not counted"):
        runs.count(SHOP, CID, "once", "duplicate")


def test_assignments_page_in_order_and_a_rewrite_replaces(runs):
    rows = [AssignmentRow(f"+1512555{i:04d}", "holdout" if i % 5 == 0 else "A", i / 100, NOW, ("America/Chicago",))
            for i in range(23)]  # fmt: skip
    runs.assign(SHOP, CID, "once", rows[:12])
    runs.assign(SHOP, CID, "once", rows[10:])
    runs.assign(SHOP, CID, "r2", [replace(rows[0], group="B")])
    seen, cursor, pages = [], None, 0
    while True:
        page, cursor = runs.assignments(SHOP, CID, cursor, limit=5)
        pages += 1
        seen += page
        if cursor is None:
            break
    assert pages == 5 and [r.phone for _, r in seen] == sorted(r.phone for r in rows)
    first_run, first = seen[0]
    assert (first_run, first.group) == ("r2", "B")
    assert seen[1][1] == rows[1] and seen[1][0] == "once"
    assert runs.assignments(OTHER_SHOP, CID)[0] == []
    with pytest.raises(ValueError):
        runs.assignments(SHOP, "cmp_other", {"pk": f"CAMPASSIGN#{SHOP}#{CID}", "sk": "PHONE#+1"})


def test_runs_of_a_campaign_and_only_its_own(runs):
    runs.advance(SHOP, CID, "20261207T150000Z", 0, progress(1))
    runs.advance(SHOP, CID, "20261214T150000Z", 0, progress(1, done=True))
    runs.advance(SHOP, "cmp_other", "once", 0, progress(1))
    runs.advance(OTHER_SHOP, CID, "once", 0, progress(1))
    got = runs.runs(SHOP, CID)
    assert [r for r, _, _ in got] == ["20261207T150000Z", "20261214T150000Z"]
    assert [p.done for _, p, _ in got] == [False, True]


def test_the_real_items_are_found_by_both_redactions(dynamodb):
    """Not a contract (a fake has no indexes): the stored layout the privacy code finds items by."""
    from smsflows.adapters.campaigns import DynamoCampaignRuns
    from smsflows.domain import keys

    real = DynamoCampaignRuns(dynamodb, TABLE)
    real.advance(SHOP, CID, "once", 0, progress(1))
    real.assign(SHOP, CID, "once", [AssignmentRow("+15125550123", "A", 0.5, NOW, ("America/Chicago",))])
    assigned = peek(dynamodb, keys.campaign_assignment(SHOP, CID, "+15125550123"))
    run = peek(dynamodb, keys.campaign_run(SHOP, CID, "once"))
    assert assigned is not None and run is not None
    assert assigned["gsi1pk"] == f"PHONE#{SHOP}#+15125550123" and assigned["type"] == "campaign_assignment"
    assert assigned["shop"] == SHOP and run["shop"] == SHOP and run["type"] == "campaign_run"


def test_a_queued_successor_is_noted(runs):
    runs.advance(SHOP, CID, "once", 0, progress(1))
    assert runs.get(SHOP, CID, "once")[1]["queued"] is None
    runs.queued(SHOP, CID, "once", 1)
    assert runs.get(SHOP, CID, "once")[1]["queued"] == 1
