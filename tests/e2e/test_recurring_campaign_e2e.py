"""A recurring campaign end to end on the local cloud (`smsflows local --virtual`, real HTTP, the CLI in its own
process): `campaign create --every "cron(0 10 ? * TUE,THU *)" --tz America/Chicago`, scheduled on Monday, runs
at 10:00 Chicago on Tuesday and on Thursday (the local cloud fires a cron schedule's occurrences as
EventBridge Scheduler does), one run per occurrence, each subscriber texted once a run; a cancel stops the
next occurrence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import running_local
from tests.e2e.test_campaign_e2e import DISCLOSURE, _everyone, campaign_texts, cli, clock

SECRET = "e2e-recurring-secret"
START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # Monday 08:00 in Chicago
CHICAGO = ZoneInfo("America/Chicago")
PHONES = [f"+1312555{i:04d}" for i in range(6)]
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory):
    with running_local("--start", START.isoformat(), secret=SECRET) as (running, _):
        base = running.base_url
        clock(base, hold=True)
        rows = ["phone,consent_at,source,disclosure_text"]
        rows += [f'{p},2026-10-01T14:00:00Z,web_form,"{DISCLOSURE}"' for p in PHONES]
        csv_file = tmp_path_factory.mktemp("recurring") / "subscribers.csv"
        csv_file.write_text("\n".join(rows) + "\n")
        assert cli(base, "import", str(csv_file))["imported"] == len(PHONES)
        yield base


def test_a_recurring_campaign_runs_at_each_occurrence_in_its_zone_and_a_cancel_stops_the_next(cloud):
    base = cloud
    shop = "demo-shop.myshopify.com"
    made = cli(base, "campaign", "create", "--shop", shop, "--name", "Twice weekly",
               "--text", "Demo Shop: TWICEWEEKLY picks for you. Reply STOP to opt out.",
               "--segment-file", _everyone(), "--every", "cron(0 10 ? * TUE,THU *)", "--tz", "America/Chicago")  # fmt: skip
    cid = made["id"]
    assert cli(base, "campaign", "schedule", cid, "--shop", shop)["state"] == "scheduled"

    # Tuesday 09:59 Chicago: nothing yet
    clock(base, to=datetime(2026, 11, 24, 15, 59, tzinfo=UTC).isoformat())
    assert campaign_texts(base, "TWICEWEEKLY") == []
    # Wednesday: Tuesday's run went out at 10:00 Chicago, to each subscriber once
    clock(base, to=datetime(2026, 11, 25, 12, 0, tzinfo=UTC).isoformat())
    tuesday = campaign_texts(base, "TWICEWEEKLY")
    assert sorted(m["to"] for m in tuesday) == PHONES
    for m in tuesday:
        local = datetime.fromisoformat(m["at"]).astimezone(CHICAGO)
        assert (local.date().isoformat(), local.hour) == ("2026-11-24", 10), local
    # Friday: Thursday's run too, a run of its own
    clock(base, to=datetime(2026, 11, 27, 12, 0, tzinfo=UTC).isoformat())
    both = campaign_texts(base, "TWICEWEEKLY")
    thursday = [m for m in both if m not in tuesday]
    assert sorted(m["to"] for m in thursday) == PHONES
    for m in thursday:
        local = datetime.fromisoformat(m["at"]).astimezone(CHICAGO)
        assert (local.date().isoformat(), local.hour) == ("2026-11-26", 10), local
    shown = cli(base, "campaign", "show", cid, "--shop", shop)
    runs = shown["runs"]
    assert len(runs) == 2 and all(run["done"] for run in runs)
    assert shown["counts"]["sent"] == 2 * len(PHONES)

    # a cancel before next Tuesday: that occurrence sends nothing
    cli(base, "campaign", "cancel", cid, "--shop", shop, "--yes")
    clock(base, to=(datetime(2026, 12, 1, 16, 0, tzinfo=UTC) + timedelta(hours=2)).isoformat())
    assert len(campaign_texts(base, "TWICEWEEKLY")) == 2 * len(PHONES)
    assert cli(base, "campaign", "show", cid, "--shop", shop)["state"] == "cancelled"
