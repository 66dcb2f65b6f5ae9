"""`smsflows consent show|optout` and `smsflows import`: the ledger with its proof, an opt-out by hand, and
existing subscribers imported with a progress bar, one line per bad row."""

from __future__ import annotations

import json

from tests.unit.cli.conftest import SHOP, run

DISCLOSURE = (
    "Yes, text me offers from Demo Shop: recurring automated marketing texts, up to 6 msgs/mo. "
    "Consent is not a condition of purchase. Msg & data rates may apply. Reply HELP for help, STOP to cancel."
)


def write_csv(tmp_path):
    path = tmp_path / "subscribers.csv"
    path.write_text(
        "phone,consent_at,source,disclosure_text,ip,user_agent\n"
        f'(512) 555-0190,2025-05-01T14:03:00Z,web_form,"{DISCLOSURE}",203.0.113.9,Mozilla/5.0\n'
        "512-555-0191,2025-05-02T10:00:00Z,web_form,,,\n"
        "555-555-SHIP,2025-05-02T10:00:00Z,web_form,x,,\n"
    )
    return path


def test_import_checks_every_row_with_a_progress_bar_and_writes_only_good_rows(stage, unchanged, tmp_path):
    path = write_csv(tmp_path)
    dry = run("import", str(path), "--dry-run", "--json")
    assert dry.code == 1  # two bad rows
    result = json.loads(dry.out)
    assert set(result) == {
        "dry_run",
        "shop",
        "rows",
        "imported",
        "already_subscribed",
        "skipped",
        "errors",
        "problems",
    }
    assert (result["dry_run"], result["imported"], result["errors"], result["rows"]) == (True, 1, 2, 3)
    assert "3/3 rows" in dry.err and "row 2: no proof" in dry.err and "row 3: phone '555-555-SHIP'" in dry.err
    unchanged()  # a dry run writes nothing
    real = run("import", str(path))
    assert real.code == 1 and "imported" in real.out
    shown = json.loads(run("consent", "show", "--phone", "+15125550190", "--json").out)
    assert set(shown) == {"shop", "phone", "state", "suppressed", "events"}
    assert shown["state"]["status"] == "subscribed" and shown["events"][0]["ip"] == "203.0.113.9"
    assert json.loads(run("consent", "show", "--phone", "+15125550191", "--json").out)["state"] is None


def test_an_import_file_without_the_required_columns_is_refused_whole(stage, unchanged, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("number,when\n+15125550190,2025-05-01T14:03:00Z\n")
    ran = run("import", str(path))
    assert ran.code == 2
    [line] = ran.err_lines  # the progress bar gives way to the error
    assert line.startswith("smsflows: FILE: the CSV header lacks phone, consent_at")
    unchanged()


def test_consent_optout_asks_records_the_note_and_show_has_the_ledger(stage):
    declined = run("consent", "optout", "--phone", "(512) 555-0123", input="n\n")
    assert declined.code == 1 and "Opt +15125550123 out of demo-shop.myshopify.com's texts?" in declined.err
    ran = run("consent", "optout", "--phone", "(512) 555-0123", "--note", "asked by email", input="y\n")
    assert ran.code == 0, ran
    assert "unsubscribed" in ran.out
    again = run("consent", "optout", "--phone", "+15125550123", "--yes", "--json")
    assert json.loads(again.out) == {"phone": "+15125550123", "status": "unsubscribed", "was": "unsubscribed"}
    shown = json.loads(run("consent", "show", "--phone", "+15125550123", "--shop", SHOP, "--json").out)
    assert shown["suppressed"] is True and "asked by email" in [e.get("note") for e in shown["events"]]
    table = run("consent", "show", "--phone", "+15125550123").out
    assert "unsubscribed" in table and "asked by email" in table and "ledger" in table


def test_an_import_file_that_is_not_text_or_a_shop_not_onboarded_is_refused(stage, unchanged, tmp_path):
    binary = tmp_path / "export.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00 not a csv")
    ran = run("import", str(binary))
    [line] = ran.err_lines
    assert ran.code == 2 and line.startswith("smsflows: FILE: cannot read") and "UTF-8" in line
    ghost = run("import", str(write_csv(tmp_path)), "--shop", "ghost.myshopify.com")
    assert ghost.code == 1 and ghost.err_lines == [
        "smsflows: shop ghost.myshopify.com is not onboarded: run `smsflows shop add ghost.myshopify.com ...` first"
        " (`smsflows shop add --help` lists what a shop needs)"
    ]
    unchanged()
