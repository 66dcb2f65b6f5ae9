"""`smsflows report` on a seeded data set (issue 16 parts 5 and 6): the terminal tables, --json, --csv and
--html say the same numbers; bad input is one line and exit 2."""

from __future__ import annotations

import csv
import io
import json

import pytest

from smsflows.runtime import deps as deps_module
from tests.report_seed import CAMPAIGN, SHOP, seed
from tests.unit.cli.conftest import run


@pytest.fixture
def seeded(stage):
    return seed(deps_module.get_deps())


def report(*extra: str):
    return run("report", "--shop", SHOP, *extra)


def test_json_holds_the_totals_days_flows_campaigns_lift_and_errors(seeded):
    ran = report("--since", seeded["since"], "--until", seeded["until"], "--json")
    assert ran.code == 0, ran
    built = json.loads(ran.out)
    t = built["totals"]
    for key in ("sent", "delivered", "failed", "conversions", "opt_outs", "replies"):
        assert t[key] == seeded[key], key
    assert t["revenue"] == seeded["revenue"] and t["cost"] == seeded["cost"]
    assert t["cost_estimated"] is True  # the flow texts had no price from Twilio
    assert t["delivery_rate"] == round(seeded["delivered"] / seeded["sent"], 6)
    assert len(built["days"]) == 14 and built["days"][0]["sent"] == 150 and built["days"][10]["sent"] == 1050
    [welcome] = built["flows"]
    assert [s["step"] for s in welcome["steps"]] == [0, 1] and welcome["steps"][1]["opt_outs"] == 14
    [bf] = built["campaigns"]
    assert (bf["campaign"], bf["name"], bf["cost"], bf["cost_estimated"]) == (
        CAMPAIGN,
        "Black <b>Friday</b>",
        7.0,
        False,
    )
    [lift] = built["lift"]
    assert lift["sent"] == {"recipients": 900, "conversions": 45, "revenue": 2250.0}
    assert lift["holdout"] == {"recipients": 100, "conversions": 2, "revenue": 90.0}
    assert (lift["conversion_sent"], lift["conversion_holdout"], lift["lift"]) == (0.05, 0.02, 0.03)
    assert [e["code"] for e in built["errors"]] == [30007, 30003]  # most first
    assert built["attribution"]["rules"] == {"click": 68, "discount_code": 5, "view": 0}


def test_a_flow_or_a_campaign_narrows_the_report_to_it(seeded):
    only = json.loads(
        report("--since", seeded["since"], "--until", seeded["until"], "--campaign", CAMPAIGN, "--json").out
    )
    assert only["totals"]["sent"] == 900 and only["flows"] == [] and len(only["lift"]) == 1
    flow = json.loads(
        report("--since", seeded["since"], "--until", seeded["until"], "--flow", "welcome", "--json").out
    )
    assert flow["totals"]["sent"] == 14 * 150 and flow["campaigns"] == [] and flow["lift"] == []


def test_the_table_says_the_same_numbers_for_a_person(seeded):
    ran = report("--since", seeded["since"], "--until", seeded["until"])
    assert ran.code == 0, ran
    for text in (f"{seeded['sent']}", "Black <b>Friday</b>", "welcome", "step 1", "lift against the holdout",
                 "+3.0 pp", "30007", "Filtered by the carrier", "(est.)", f"{seeded['revenue']:,.2f} USD"):  # fmt: skip
        assert text in ran.out, text


def test_csv_has_a_row_per_day_flow_step_campaign_and_variant(seeded):
    ran = report("--since", seeded["since"], "--until", seeded["until"], "--csv")
    rows = list(csv.DictReader(io.StringIO(ran.out)))
    sections = [r["section"] for r in rows]
    assert sections.count("day") == 14 and sections[0] == "total"
    assert {"flow", "flow_step", "campaign", "campaign_variant"} <= set(sections)
    assert int(rows[0]["sent"]) == seeded["sent"]


def test_html_is_written_as_one_self_contained_page(seeded, tmp_path):
    page = tmp_path / "r.html"
    ran = report("--since", seeded["since"], "--until", seeded["until"], "--html", str(page))
    assert ran.code == 0 and f"wrote {page}" in ran.out
    text = page.read_text()
    assert (
        text.count('data-chart="') >= 5
        and "<script" not in text
        and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    )
    assert "Black &lt;b&gt;Friday&lt;/b&gt;" in text


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ("--shop", "nobody.myshopify.com"),
            "--shop: 'nobody.myshopify.com' is not a shop of this deployment",
        ),
        (("--flow", "nope"), "--flow: 'nope' is not a flow; use one of"),
        (("--campaign", "nope"), "--campaign: 'nope' is not a campaign of"),
        (
            ("--since", "2026-11-30", "--until", "2026-11-01"),
            "--since 2026-11-30 is after --until 2026-11-01",
        ),
        (("--since", "last week"), "--since: 'last week' is not a date; use YYYY-MM-DD"),
        (("--until", "2026-02-30"), "--until: '2026-02-30' is not a date"),
        (("--since", "2024-01-01", "--until", "2026-01-01"), "at most 366"),
        (("--json", "--csv"), "--json and --csv: give one of them"),
        (("--flow", "welcome", "--campaign", CAMPAIGN), "--flow and --campaign: give one of them"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(seeded, unchanged, args, says):
    argv = list(args) if args[0] == "--shop" else ["--shop", SHOP, *args]
    ran = run("report", *argv)
    assert ran.code == 2, ran
    assert len(ran.err_lines) == 1 and says in ran.err_lines[0], ran.err
    unchanged()


def test_a_link_domain_that_is_not_a_host_name_is_refused_and_changes_nothing(stage, unchanged):
    ran = run("shop", "set", SHOP, "--link-domain", "https://sms.example.com")
    assert ran.code == 2 and len(ran.err_lines) == 1
    assert "link_domain: 'https://sms.example.com' is not a host name" in ran.err
    unchanged()
    ok = run("shop", "set", SHOP, "--link-domain", "SMS.Demo-Shop.example", "--click-window", "12h", "--json")
    assert ok.code == 0, ok
    shown = json.loads(ok.out)["measurement"]
    assert (shown["link_domain"], shown["click_window_h"]) == ("sms.demo-shop.example", 12.0)
    assert "link_key" not in json.loads(ok.out)
