"""`smsflows campaign …` against a stage under moto: a draft created, shown, listed and moved through
schedule, pause, resume and cancel, each change in its history with who and when; every bad input one line,
the right exit status, and the table unchanged."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from smsflows.admin.campaigns import (
    COUNT_KEYS,
    CREATE_KEYS,
    LIST_KEYS,
    MOVE_KEYS,
    PREVIEW_KEYS,
    RECORD_KEYS,
    SHOW_KEYS,
)
from smsflows.runtime import deps as deps_module
from tests.unit.cli.conftest import SHOP, run

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday; the deployment's clock starts here
AT = (NOW + timedelta(days=2)).isoformat()
BASE = ["--shop", SHOP, "--name", "Black Friday", "--text", "Demo Shop: 20% off today. Reply STOP to opt out.",
        "--segment", "vip"]  # fmt: skip


@pytest.fixture
def clocked(stage: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The stage, its clock at NOW (running from there, as a deployment's virtual clock does)."""
    monkeypatch.setenv("SMSFLOWS_CLOCK_EPOCH_VIRTUAL", str(NOW.timestamp()))
    monkeypatch.setenv("SMSFLOWS_CLOCK_EPOCH_REAL", str(time.time()))
    deps_module.reset()
    return stage


def subscribe(*phones: str) -> None:
    """Subscribers as the consent writer records them (a keyword opt-in): in the segment index."""
    from smsflows.domain.consent.ledger import ConsentEvent, SubscriberState, apply

    store = deps_module.get_deps().consent_store
    for phone in phones:
        event = ConsentEvent(event_id=f"SM{phone[1:]}", shop=SHOP, phone=phone, kind="opt_in", source="keyword",
                             at=NOW - timedelta(days=9), message_sid=f"SM{phone[1:]}", message_body="JOIN")  # fmt: skip
        store.append(event, apply(SubscriberState(shop=SHOP, phone=phone), event), 0)


@pytest.fixture
def audience(clocked: Any, tmp_path: Any) -> Any:
    """Three subscribers (Chicago, New York, Los Angeles) and the saved segment 'vip' holding them all."""
    subscribe("+13125550101", "+12125550102", "+12135550103")
    doc = tmp_path / "vip.json"
    doc.write_text('{"subscribed": true}')
    ok("segment", "create", "--shop", SHOP, "--name", "vip", "--file", str(doc))
    return clocked


def ok(*argv: str, input: str | None = None) -> str:
    ran = run(*argv, input=input)
    assert ran.code == 0, ran
    assert "Traceback" not in ran.err
    return ran.out


def as_json(*argv: str) -> Any:
    return json.loads(ok(*argv, "--json"))


def refused(code: int, *argv: str, input: str | None = None) -> str:
    """The one line a refused command prints (its exit status `code`)."""
    ran = run(*argv, input=input)
    assert ran.code == code, ran
    assert ran.out.strip() == "" and len(ran.err_lines) == 1, ran
    assert "Traceback" not in ran.err
    return ran.err_lines[0]


def test_create_show_list_schedule_pause_resume_cancel_with_the_history(audience):
    made = as_json("campaign", "create", *BASE, "--variant", "B=Demo Shop: last day! Reply STOP to opt out.",
                   "--split", "A=60,B=40", "--at", AT, "--holdout", "10", "--not-after",
                   (NOW + timedelta(days=3)).isoformat(), "--utm-campaign", "bf_2026", "--smart-sending", "16",
                   "--by", "ana")  # fmt: skip
    assert set(made) == set(CREATE_KEYS) and made["state"] == "draft" and made["id"].startswith("cmp_")
    assert made["warnings"] == []
    cid = made["id"]
    shown = as_json("campaign", "show", cid, "--shop", SHOP)
    assert set(shown) == set(SHOW_KEYS) and {k: shown[k] for k in RECORD_KEYS} == made["campaign"]
    assert shown["runs"] == [] and shown["counts"] == dict.fromkeys(COUNT_KEYS, 0)
    assert [(v["name"], v["weight"], v["encoding"], v["segments"]) for v in shown["variants"]] == [
        ("A", 60, "GSM-7", 1), ("B", 40, "GSM-7", 1)]  # fmt: skip
    assert (shown["holdout_pct"], shown["segment"], shown["utm"]["campaign"], shown["smart_sending_hours"],
            shown["created_by"], shown["version"], shown["history"]) == (10, "vip", "bf_2026", 16.0, "ana", 1, [])  # fmt: skip
    assert shown["send_at"]["kind"] == "at" and datetime.fromisoformat(
        shown["send_at"]["instant"]
    ) == NOW + timedelta(days=2)
    table = ok("campaign", "show", cid, "--shop", SHOP)
    assert cid in table and "GSM-7" in table and "history: none yet" in table

    other = as_json("campaign", "create", "--shop", SHOP, "--name", "Later", "--text", "Hello {first_name}",
                    "--segment", "vip", "--local-time", "10:00", "--date", "2026-11-25")  # fmt: skip
    assert any("brand prefix" in w for w in other["warnings"]) and any(
        "opt-out" in w for w in other["warnings"]
    )
    listed = as_json("campaign", "list", "--shop", SHOP)
    assert [r["id"] for r in listed] == [other["id"], cid]  # newest first
    assert set(listed[0]) == set(LIST_KEYS) and listed[1]["state"] == "draft"
    assert "Black Friday" in ok("campaign", "list", "--shop", SHOP)
    drawn = ok("campaign", "create", "--shop", SHOP, "--name", "Table", "--text", "Hi", "--segment", "vip")
    assert "campaign created" in drawn and "cmp_" in drawn and "no brand prefix" in drawn

    steps = [
        ("schedule", ["--by", "ana"], "draft", "scheduled", "ana"),
        ("pause", ["--by", "bo"], "scheduled", "paused", "bo"),
        ("resume", [], "paused", "scheduled", "ci"),  # $USER
        ("cancel", ["--yes", "--by", "bo"], "scheduled", "cancelled", "bo"),
    ]
    for number, (action, extra, from_, to, by) in enumerate(steps, 1):
        argv = ["campaign", action, cid, "--shop", SHOP, *extra, "--json"]
        ran = run(*argv, env={"USER": "ci"})
        assert ran.code == 0, ran
        moved = json.loads(ran.out)
        assert set(moved) == set(MOVE_KEYS) and moved["state"] == to and moved["version"] == number + 1
        assert moved["warnings"] == []
        last = moved["history"][-1]
        assert (last["from"], last["to"], last["by"]) == (from_, to, by)
        assert (
            NOW <= datetime.fromisoformat(last["at"]) < NOW + timedelta(minutes=5)
        )  # the deployment's clock
    history = as_json("campaign", "show", cid, "--shop", SHOP)["history"]
    assert [(h["from"], h["to"], h["by"]) for h in history] == [(s[2], s[3], s[4]) for s in steps]
    assert "cancelled" in ok("campaign", "show", cid, "--shop", SHOP)


def test_cancel_asks_first_and_a_no_changes_nothing(clocked):
    cid = as_json("campaign", "create", *BASE)["id"]
    before = as_json("campaign", "show", cid, "--shop", SHOP)
    ran = run("campaign", "cancel", cid, "--shop", SHOP, input="n\n")
    assert ran.code == 1 and "not confirmed" in ran.err
    assert as_json("campaign", "show", cid, "--shop", SHOP) == before
    out = ok("campaign", "cancel", cid, "--shop", SHOP, "--json", input="y\n")
    assert json.loads(out[out.index("{") :])["state"] == "cancelled"  # (the test runner echoes the answer)


BAD_CREATE = [
    (["--at", (NOW - timedelta(hours=1)).isoformat()], "send_at:", "in the past"),
    (["--at", "2026-11-27 15:00"], "send_at:", "no time zone"),
    (["--local-time", "22:00", "--date", "2026-11-25"], "send_at:", "federal window"),
    (["--local-time", "10:00"], "send_at:", "--date"),
    (["--variant", "B=Other. Reply STOP", "--split", "A=60,B=50"], "weights:", "add up to 110"),
    (
        ["--at", AT, "--not-after", (NOW + timedelta(days=1)).isoformat()],
        "not_after:",
        "not after the send time",
    ),
    (["--every", "cron(0 * ? * MON *)", "--tz", "America/New_York"], "recurrence.cron:", "fixed hours"),
    (["--every", "cron(0 10 ? * MON *)", "--tz", "Mars/Olympus"], "recurrence.time_zone:", "IANA"),
    (["--every", "cron(0 10 ? * MON *)"], "recurrence.time_zone:", "--tz"),
    (["--holdout", "60"], "holdout:", "0.5"),
    (["--variant", "nonsense"], "variants:", "NAME=TEXT"),
]


@pytest.mark.parametrize(
    ("extra", "field", "says"), BAD_CREATE, ids=[" ".join(b[0])[:40] for b in BAD_CREATE]
)
def test_a_bad_create_is_one_line_naming_the_field_exit_2_nothing_stored(
    clocked, unchanged, extra, field, says
):
    line = refused(2, "campaign", "create", *BASE, *extra)
    assert line.startswith(f"smsflows: {field}") and says in line, line
    unchanged()


def test_a_bad_segment_file_names_the_field(clocked, unchanged, tmp_path):
    bad = tmp_path / "seg.json"
    bad.write_text('{"all": [{"nonsense": 1}]}')
    argv = [a for a in BASE if a not in ("--segment", "vip")]
    line = refused(2, "campaign", "create", *argv, "--segment-file", str(bad))
    assert line.startswith("smsflows: segment_doc:"), line
    assert refused(2, "campaign", "create", *BASE, "--segment-file", str(bad)).startswith(
        "smsflows: segment:"
    )
    unchanged()


def test_an_unknown_id_and_an_unknown_shop_are_failures_exit_1(clocked, unchanged):
    for action in (["show"], ["preview"], ["schedule"], ["pause"], ["resume"], ["cancel", "--yes"]):
        line = refused(1, "campaign", action[0], "cmp_nope", "--shop", SHOP, *action[1:])
        assert "no campaign 'cmp_nope'" in line, line
    assert "not onboarded" in refused(1, "campaign", "list", "--shop", "nobody.myshopify.com")
    assert "not onboarded" in refused(1, "campaign", "create", *BASE[2:], "--shop", "nobody.myshopify.com")
    unchanged()


def test_an_illegal_transition_names_the_states_exit_1_nothing_changed(clocked):
    from tests.unit.cli.conftest import table_items

    cid = as_json("campaign", "create", *BASE, "--at", AT)["id"]
    before = table_items(clocked)
    line = refused(1, "campaign", "pause", cid, "--shop", SHOP)
    assert "a draft campaign cannot become paused" in line and "scheduled" in line, line
    assert "not paused" in refused(1, "campaign", "resume", cid, "--shop", SHOP)
    doc_cid = as_json("campaign", "create", *BASE[:-2], "--segment-file", _everyone(clocked), "--at", AT)[
        "id"
    ]
    before = table_items(clocked)
    assert "matches no subscriber" in refused(2, "campaign", "schedule", doc_cid, "--shop", SHOP)
    assert "segment: 'vip' is not a segment" in refused(2, "campaign", "schedule", cid, "--shop", SHOP)
    assert table_items(clocked) == before
    as_json("campaign", "cancel", cid, "--shop", SHOP, "--yes")
    after_cancel = table_items(clocked)
    assert "a cancelled campaign is not paused" in refused(1, "campaign", "resume", cid, "--shop", SHOP)
    line = refused(1, "campaign", "schedule", cid, "--shop", SHOP)
    assert "a cancelled campaign cannot become scheduled" in line and "final" in line, line
    assert table_items(clocked) == after_cancel


def _everyone(made: Any) -> str:
    """The README's segment of every subscriber (examples/everyone.json)."""
    return str(Path(__file__).resolve().parents[3] / "examples" / "everyone.json")


def schedules(made: Any) -> list[dict[str, Any]]:
    from tests.unit.cli.conftest import client

    group = json.loads(made.env["SMSFLOWS_CAMPAIGN_SCHEDULER"])["group"]
    scheduler = client("scheduler")
    return [scheduler.get_schedule(Name=s["Name"], GroupName=group)
            for s in scheduler.list_schedules(GroupName=group)["Schedules"]]  # fmt: skip


def cursors(made: Any) -> list[dict[str, Any]]:
    from tests.unit.cli.conftest import client

    sqs, found = client("sqs"), []
    while got := sqs.receive_message(QueueUrl=made.env["CAMPAIGN_QUEUE_URL"], MaxNumberOfMessages=10).get(
        "Messages"
    ):
        found += [json.loads(m["Body"]) for m in got]
    return found


def test_preview_counts_the_audience_by_zone_and_estimates_the_run(audience):
    cid = as_json(
        "campaign", "create", *BASE, "--local-time", "10:00", "--date", "2026-11-25", "--holdout", "10"
    )["id"]
    found = as_json("campaign", "preview", cid, "--shop", SHOP)
    assert set(found) == set(PREVIEW_KEYS)
    assert (found["audience"], found["held_out"] + found["texts"]) == (3, 3)
    assert sorted((tuple(z["zones"]), z["count"]) for z in found["by_zone"]) == [
        (("America/Chicago",), 1), (("America/Los_Angeles",), 1), (("America/New_York",), 1)]  # fmt: skip
    assert found["first_release"] == "2026-11-25T15:00:00+00:00"  # 10:00 in New York, the earliest
    assert found["eta"]["lines"][0].startswith("starts 10:00")
    assert found["cost_usd"] > 0 and found["variants"][0]["segments"] == 1
    drawn = ok("campaign", "preview", cid, "--shop", SHOP)
    assert "audience by time zone" in drawn and "America/Chicago" in drawn
    assert as_json("campaign", "show", cid, "--shop", SHOP)["state"] == "draft"  # a preview changes nothing


def test_schedule_starts_the_run_on_the_scheduler_and_cancel_removes_it(audience):
    cid = as_json("campaign", "create", *BASE, "--at", AT)["id"]
    scheduled = as_json("campaign", "schedule", cid, "--shop", SHOP)
    assert scheduled["estimate"]["audience"] == 3 and scheduled["estimate"]["texts"] == 3
    (made,) = schedules(audience)
    assert made["ScheduleExpression"] == f"at({(NOW + timedelta(days=2)):%Y-%m-%dT%H:%M:%S})"
    assert made["ActionAfterCompletion"] == "DELETE"
    assert json.loads(made["Target"]["Input"]) == {"kind": "campaign_step", "shop": SHOP, "campaign": cid,
                                                   "run": "once", "step": 0}  # fmt: skip
    assert made["Target"]["Arn"].endswith("cli-campaign_queue") and "DeadLetterConfig" in made["Target"]
    as_json("campaign", "cancel", cid, "--shop", SHOP, "--yes")
    assert schedules(audience) == []


def test_a_campaign_without_a_send_time_starts_at_once_and_resume_requeues_its_step(audience):
    cid = as_json("campaign", "create", *BASE)["id"]
    as_json("campaign", "schedule", cid, "--shop", SHOP)
    assert schedules(audience) == [] and cursors(audience) == [
        {"kind": "campaign_step", "shop": SHOP, "campaign": cid, "run": "once", "step": 0}]  # fmt: skip
    as_json("campaign", "pause", cid, "--shop", SHOP)
    as_json("campaign", "resume", cid, "--shop", SHOP)
    assert [c["step"] for c in cursors(audience)] == [0]  # the run had not started: its first step again


def test_a_recurring_campaign_gets_a_cron_schedule_in_its_zone(audience):
    cid = as_json("campaign", "create", *BASE, "--every", "cron(0 10 ? * MON *)", "--tz", "America/New_York")[
        "id"
    ]
    as_json("campaign", "schedule", cid, "--shop", SHOP)
    (made,) = schedules(audience)
    assert (made["ScheduleExpression"], made["ScheduleExpressionTimezone"]) == (
        "cron(0 10 ? * MON *)", "America/New_York")  # fmt: skip
    assert json.loads(made["Target"]["Input"])["run"] == "<aws.scheduler.scheduled-time>"


def test_the_preview_counts_each_url_as_the_recipients_short_link_on_the_shops_domain(clocked):
    from smsflows.domain.analytics import links
    from smsflows.domain.sending.encoding import segment_info

    text = "Demo Shop: 20% off today only, see https://demo-shop.example/collections/black-friday-deals-2026"
    cid = as_json(
        "campaign", "create", *BASE[:4], "--text", text, "--segment-file", _everyone(clocked), "--at", AT
    )["id"]
    plain = as_json("campaign", "preview", cid, "--shop", SHOP)["variants"][0]
    assert f"{links.API_BASE_EXAMPLE}{links.PREVIEW_CODE}" in plain["sent_text"]  # no domain: the API's path
    assert "black-friday-deals" not in plain["sent_text"]
    run("shop", "set", SHOP, "--link-domain", "sms.demo-shop.example")
    branded = as_json("campaign", "preview", cid, "--shop", SHOP)["variants"][0]
    assert f"https://sms.demo-shop.example/l/{links.PREVIEW_CODE}" in branded["sent_text"]
    assert branded["segments"] == segment_info(branded["sent_text"]).segments
    assert branded["characters"] < plain["characters"]  # the shop's own host is the shorter link
    shown = as_json("campaign", "show", cid, "--shop", SHOP)["variants"][0]
    assert shown["sent_text"] == branded["sent_text"]
    flow = as_json("flow", "preview", "--flow", "welcome", "--step", "0", "--shop", SHOP)
    assert f"https://sms.demo-shop.example/l/{links.PREVIEW_CODE}" in flow["text"]


def test_a_discount_code_is_checked_and_one_missing_from_a_variant_is_said(clocked):
    made = as_json("campaign", "create", *BASE, "--code", "SAVE20")
    assert any(
        w.startswith("discount_code: SAVE20 is not in the text of variant A") for w in made["warnings"]
    )
    assert as_json("campaign", "show", made["id"], "--shop", SHOP)["discount_code"] == "SAVE20"
    line = refused(2, "campaign", "create", *BASE, "--code", "20% OFF")
    assert "discount_code: '20% OFF' is not a discount code" in line


def _clock_at(at: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The deployment's clock moved on to `at` (as a paused campaign waits)."""
    monkeypatch.setenv("SMSFLOWS_CLOCK_EPOCH_VIRTUAL", str(at.timestamp()))
    monkeypatch.setenv("SMSFLOWS_CLOCK_EPOCH_REAL", str(time.time()))
    deps_module.reset()


def test_a_resume_after_the_send_time_starts_the_run_now_and_says_so_and_none_after_the_expiry(
    audience, monkeypatch
):
    expiry = NOW + timedelta(days=3)
    cid = as_json("campaign", "create", *BASE, "--at", AT, "--not-after", expiry.isoformat())["id"]
    as_json("campaign", "schedule", cid, "--shop", SHOP)
    as_json("campaign", "pause", cid, "--shop", SHOP)
    # while it is paused its schedule fires (the release step finds it paused and stops) and is gone
    (made,) = schedules(audience)
    from tests.unit.cli.conftest import client

    client("scheduler").delete_schedule(Name=made["Name"], GroupName=made["GroupName"])
    _clock_at(NOW + timedelta(days=2, hours=1), monkeypatch)
    resumed = as_json("campaign", "resume", cid, "--shop", SHOP)
    assert resumed["state"] == "scheduled"
    [warning] = resumed["warnings"]
    assert warning.startswith("send time: ") and "passed while the campaign was paused" in warning
    assert "starts now (2026-11-25T16:00" in warning and expiry.isoformat() in warning
    assert cursors(audience)[-1] == {"kind": "campaign_step", "shop": SHOP, "campaign": cid, "run": "once",
                                     "step": 0}  # fmt: skip
    table = ok("campaign", "pause", cid, "--shop", SHOP)
    assert "warning" not in table  # a pause has nothing to warn of
    # past the expiry: nothing more could go, so it is not resumed (and stays paused)
    _clock_at(expiry + timedelta(minutes=1), monkeypatch)
    line = refused(1, "campaign", "resume", cid, "--shop", SHOP)
    assert "not_after" in line and "has passed" in line and "nothing changed" in line
    shown = as_json("campaign", "show", cid, "--shop", SHOP)
    assert shown["state"] == "paused" and shown["history"][-1]["to"] == "paused"
