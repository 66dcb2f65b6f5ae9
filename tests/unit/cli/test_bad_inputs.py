"""Every command fed its bad inputs: the exit status (2 for a bad value or usage, 1 for a failure), one line on
stderr that names the field and the accepted form, no traceback, and the table exactly as it was."""

from __future__ import annotations

import time

import pytest

from tests.unit.cli.conftest import SHOP, run

AC = ["flow", "set", "--flow", "abandoned_checkout"]  # a three-step flow
GHOST = "ghost.myshopify.com"
ONBOARD = ["--brand", "New Shop", "--support", "help@new-shop.example", "--terms-url", "https://new-shop.example/t",
           "--privacy-url", "https://new-shop.example/p", "--sender", "+18445550100", "--sender-type", "toll_free"]  # fmt: skip

# (argv, exit status, what the one line must say)
REFUSED = [
    # shop settings: each refused with the field it names, the table unchanged
    (["shop", "set", "--quiet-hours", "25:00-19:00"], 2, ["quiet_hours", "25:00", "HH:MM-HH:MM"]),
    (["shop", "set", "--quiet-hours", "19:00-10:00"], 2, ["quiet_hours", "start"]),
    (["shop", "set", "--quiet-hours", "07:00-22:00"], 2, ["quiet_hours", "widen", "the law allows"]),
    (["shop", "set", "--smart-sending", "winback"], 2, ["smart_sending_hours", "FLOW=HOURS"]),
    (["shop", "set", "--smart-sending", "winback=soon"], 2, ["smart_sending_hours", "hours"]),
    (["shop", "set", "--smart-sending", "order_confirmation=4"], 2, ["smart_sending_hours", "marketing flow"]),
    (["shop", "set", "--keywords", "STOP,HELP"], 2, ["keywords", "STOP", "reserved"]),
    (["shop", "set", "--keywords", "JOIN,UNSUBSCRIBE"], 2, ["keywords", "reserved"]),
    (["shop", "set", "--country", "XX"], 2, ["default_country", "XX", "ISO 3166-1"]),
    (["shop", "set", "--sms-countries", "US,UK"], 2, ["sms_countries", "UK"]),
    (["shop", "set", "--support-webhook", "http://support.example/hook"], 2, ["support_webhook_url", "https"]),
    (["shop", "set", "--terms-url", "ftp://x.example/terms"], 2, ["terms_url", "https"]),
    (["shop", "set", "--sender", "hello"], 2, ["senders", "Messaging Service SID"]),
    (["shop", "set", "--sender-type", "carrier_pigeon"], 2, ["--sender-type", "carrier_pigeon"]),
    (["shop", "set", "--trust-tier", "ultra"], 2, ["--trust-tier", "ultra"]),
    (["shop", "set", "--mps", "0"], 2, ["nothing changed", "segments_per_second"]),
    (["shop", "set", "--mps", "fast"], 2, ["--mps", "fast"]),
    (["shop", "set", "--max-per-30-days", "0"], 2, ["max_marketing_per_30_days"]),
    (["shop", "set", "--keyword-replies", "nobody"], 2, ["--keyword-replies", "nobody"]),
    (["shop", "set", "--pause", "--activate"], 2, ["--activate", "--pause"]),
    (["shop", "set"], 2, ["nothing to change", "--unset"]),
    (["shop", "set", "--unset", "brand"], 2, ["brand_name", "cannot be cleared"]),
    (["shop", "set", "--unset", "colour"], 2, ["unset", "colour", "clearable"]),
    (["shop", "set", "--unset", "smart-sending.winback"], 2, ["smart_sending_hours", "winback"]),
    (["shop", "set", SHOP, "--shop", "other.myshopify.com", "--brand", "X"], 2, ["SHOP", "--shop"]),
    (["shop", "add", "new-shop.myshopify.com", "--brand", "New Shop"], 2, ["missing", "support_contact"]),
    (["shop", "add", "not a shop", *ONBOARD], 2, ["shop", "Shopify shop domain"]),
    (["shop", "add", "new-shop.myshopify.com", *ONBOARD, "--keywords", "HELP"], 2, ["keywords", "HELP"]),
    (["shop", "add", SHOP, *ONBOARD], 1, ["onboarded already", "shop set"]),
    (["shop", "add", *ONBOARD], 2, ["SHOP"]),
    (["shop", "delete", "--yes"], 2, ["SHOP"]),
    # a shop that was never onboarded: refused, and no record is created for it
    (["flow", "set", "--shop", GHOST, "--flow", "welcome", "--enabled", "off"], 1,
     [f"shop {GHOST} is not onboarded", f"smsflows shop add {GHOST}"]),
    (["shop", "set", GHOST, "--brand", "Ghost"], 1, ["not onboarded"]),
    (["shop", "show", GHOST], 1, ["not onboarded"]),
    (["shop", "deactivate", GHOST, "--yes"], 1, ["not onboarded"]),
    (["shop", "delete", GHOST, "--yes"], 1, ["not onboarded"]),
    (["import", "FILE", "--shop", GHOST], 2, ["FILE"]),
    # flows
    ([*AC, "--offsets", "1h"], 2, ["offsets", "3 steps", "3 durations"]),
    ([*AC, "--offsets", "1x"], 2, ["offsets", "'1x'", "duration"]),
    ([*AC, "--offsets", "90"], 2, ["offsets", "'90'", "duration"]),
    ([*AC, "--offsets", "-1h,1d,3d"], 2, ["offsets", "-1h"]),
    ([*AC, "--offsets", "1d,1h,3d"], 2, ["offsets", "1h does not come after 1d"]),
    ([*AC, "--offsets", "1h,,3d"], 2, ["offsets"]),
    ([*AC, "--code", "7=SAVE15"], 2, ["discount_codes", "no step 7"]),
    ([*AC, "--code", "SAVE15"], 2, ["--code", "STEP=CODE"]),
    ([*AC, "--template", "9=Hi {shop_name}"], 2, ["templates", "no step 9"]),
    ([*AC, "--template", "0=Hi {firstname}"], 2, ["step 0", "unknown placeholders"]),
    ([*AC, "--unset", "templates.2"], 2, ["templates", "step 2"]),
    ([*AC, "--enabled", "maybe"], 2, ["--enabled", "maybe"]),
    ([*AC], 2, ["nothing to change"]),
    (["flow", "set", "--flow", "nosuch", "--enabled", "off"], 2, ["flow", "nosuch"]),
    (["flow", "set", "--flow", "order_confirmation", "--offsets", "1h"], 2, ["offsets", "at once"]),
    (["flow", "set", "--enabled", "off"], 2, ["--flow"]),
    (["flow", "preview", "--flow", "welcome", "--step", "9"], 2, ["--step", "0 to 2"]),
    (["flow", "preview", "--flow", "nosuch"], 2, ["--flow", "nosuch"]),
    # consent
    (["consent", "optout", "--phone", "12345", "--yes"], 2, ["--phone", "'12345'", "E.164"]),
    (["consent", "show", "--phone", "not-a-number"], 2, ["--phone", "E.164"]),
    (["consent", "optout"], 2, ["--phone"]),
    # dead letters, webhooks, privacy
    (["dlq", "list", "--limit", "0"], 2, ["--limit"]),
    (["dlq", "list", "--queue", "nope"], 2, ["--queue", "nope"]),
    (["webhooks", "replay"], 2, ["--id", "--all-unparseable"]),
    (["webhooks", "replay", "--id", "wh-never"], 1, ["no webhook 'wh-never'"]),
    (["privacy", "export", "--request-id", "nope"], 1, ["no export nope"]),
    # where to run
    (["shop", "show", "--local", "127.0.0.1:8787"], 2, ["--local", "'127.0.0.1:8787'", "http(s)://HOST[:PORT]"]),
    (["shop", "show", "--local", "ftp://127.0.0.1:8787"], 2, ["--local", "http(s)://"]),
    (["shop", "show", "--local", "http://127.0.0.1:9"], 1,
     ["no local cloud answers at http://127.0.0.1:9: connection refused"]),
    (["shop", "show", "--profile", "nope"], 2, ["--profile", "nope"]),
    # the command line itself
    (["shop", "bogus"], 2, ["bogus"]),
    (["shop", "show", "--colour", "red"], 2, ["--colour"]),
]  # fmt: skip


def _id(case: tuple[list[str], int, list[str]]) -> str:
    return " ".join(case[0])[:60]


@pytest.mark.parametrize("argv, code, says", REFUSED, ids=[_id(c) for c in REFUSED])
def test_a_bad_input_is_one_line_naming_the_field_and_changes_nothing(
    stage, unchanged, tmp_path, argv, code, says
):
    argv = [str(tmp_path / "missing.csv") if a == "FILE" else a for a in argv]
    ran = run(*argv)
    assert ran.code == code, ran
    [line] = ran.err_lines
    assert line.startswith("smsflows: ")
    for part in says:
        assert part in line, (part, line)
    assert "Traceback" not in ran.err + ran.out
    unchanged()


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--start", "tomorrow"], ["--start", "'tomorrow'", "ISO 8601", "+00:00"]),
        (["--start", "2026-11-23T15:00:00"], ["--start", "UTC offset"]),
        (["--time-scale", "0"], ["--time-scale", "above 0"]),
        (["--time-scale", "-5"], ["--time-scale", "above 0"]),
        (["--time-scale", "fast"], ["--time-scale", "'fast'"]),
        (["--port", "70000"], ["--port", "0 to 65535"]),
        (["--port", "-1"], ["--port", "0 to 65535"]),
        (["--provider-faults", "1.5"], ["--provider-faults", "0 to 1"]),
        (["--provider-faults", "nan"], ["--provider-faults"]),
        (["--concurrency", "0"], ["--concurrency"]),
        (["--concurrency", "two"], ["--concurrency"]),
        (["--provider-faults-seed", "x"], ["--provider-faults-seed"]),
        (["--log-level", "LOUD"], ["--log-level", "LOUD"]),
    ],
)
def test_local_refuses_a_bad_option_at_once_before_starting_anything(monkeypatch, argv, says):
    from smsflows.local import cloud

    def never(*_a, **_k):
        raise AssertionError("the local cloud was started with a bad option")

    monkeypatch.setattr(cloud, "LocalCloud", never)
    started = time.monotonic()
    ran = run("local", *argv)
    assert time.monotonic() - started < 2
    assert ran.code == 2, ran
    [line] = ran.err_lines
    assert all(part in line for part in says), line
    assert "Traceback" not in ran.err


@pytest.mark.parametrize(
    "argv, code, says",
    [
        (["demo", "--port", "x"], 2, ["--port"]),
        (["simulate", "inbound", "--from", "12345x", "--body", "STOP", "--local", "http://127.0.0.1:9"], 2, ["--from"]),
        (["simulate", "inbound", "--from", "+15125550123", "--body", "HI", "--sid", "nope", "--local", "http://x"], 2,
         ["--sid", "SM and 32 hex"]),
        (["simulate", "inbound", "--from", "+15125550123"], 2, ["--body"]),
        (["simulate", "inbound", "--from", "+15125550123", "--body", "STOP"], 2, ["no URL", "--local", "--url"]),
        (["simulate", "inbound", "--from", "+15125550123", "--body", "STOP", "--url", "https://api.example/v1"], 2,
         ["TWILIO_AUTH_TOKEN"]),
        (["simulate", "inbound", "--from", "+15125550123", "--body", "STOP", "--local", "http://127.0.0.1:9"], 1,
         ["http://127.0.0.1:9", "connection refused"]),
        (["simulate", "status", "--sid", "SM1", "--status", "delivered", "--local", "http://x"], 2, ["--sid"]),
        (["simulate", "status", "--sid", "SM" + "a" * 32, "--status", "lost", "--local", "http://x"], 2, ["--status", "lost"]),
        (["simulate", "status", "--sid", "SM" + "a" * 32, "--status", "failed", "--error-code", "-1", "--local", "http://x"],
         2, ["--error-code"]),
        (["sign-webhook", "nope.json", "--topic", "orders/create", "--secret", "s"], 2, ["FILE", "nope.json"]),
        (["sign-webhook", "-", "--topic", "orders/create"], 2, ["--secret", "SHOPIFY_API_SECRET"]),
        (["sign-webhook", "-", "--topic", "orders/create", "--secret", "s", "--url", "localhost:8787"], 2, ["--url"]),
    ],
)  # fmt: skip
def test_commands_without_a_table_refuse_bad_inputs_in_one_line(monkeypatch, argv, code, says):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "") if "--url" not in argv else monkeypatch.delenv(
        "TWILIO_AUTH_TOKEN", False
    )
    ran = run(*argv, input="{not json")
    assert ran.code == code, ran
    [line] = ran.err_lines
    assert all(part in line for part in says), line
    assert "Traceback" not in ran.err


def test_sign_webhook_refuses_a_body_that_is_not_json_unless_allowed():
    ran = run("sign-webhook", "-", "--topic", "orders/create", "--secret", "s", input="{not json")
    assert ran.code == 2 and ran.err_lines == [
        "smsflows: FILE: the body is not JSON (pass --allow-invalid to sign and send it anyway)"
    ]
    allowed = run(
        "sign-webhook", "-", "--topic", "orders/create", "--secret", "s", "--allow-invalid", input="{x"
    )
    assert allowed.code == 0 and "X-Shopify-Hmac-Sha256: " in allowed.out


def test_no_target_named_is_a_usage_error_that_says_how_to_name_one():
    ran = run("shop", "show")
    assert ran.code == 2
    [line] = ran.err_lines
    assert (
        "--local URL" in line
        and "SMSFLOWS_LOCAL_URL" in line
        and "TABLE_NAME" in line
        and "--profile" in line
    )


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(stage, monkeypatch):
    from smsflows import admin

    def broken(*_a, **_k):
        raise RuntimeError("the table went away")

    monkeypatch.setattr(admin, "shop_show", broken)
    ran = run("shop", "show")
    assert ran.code == 1 and ran.err_lines == [
        "smsflows: RuntimeError: the table went away (run with --debug for the traceback)"
    ]
    debug = run("--debug", "shop", "show")
    assert debug.code == 1 and "Traceback" in debug.err and "the table went away" in debug.err


def test_a_refused_onboarding_writes_nothing_and_names_every_missing_setting(stage, unchanged):
    ran = run("shop", "add", "new-shop.myshopify.com", "--brand", "New Shop")
    assert ran.code == 2
    [line] = ran.err_lines
    for missing in ("support_contact", "terms_url", "privacy_url", "senders"):
        assert missing in line
    unchanged()
    assert run("shop", "show", "new-shop.myshopify.com").code == 1


@pytest.mark.parametrize("answer", [None, "n\n", "\n"])
def test_a_destructive_command_not_confirmed_changes_nothing(stage, unchanged, answer):
    for argv in (["consent", "optout", "--phone", "+15125550123"], ["shop", "deactivate", SHOP],
                 ["shop", "delete", SHOP]):  # fmt: skip
        ran = run(*argv, input=answer)
        assert ran.code == 1, ran
        question, line = ran.err_lines
        assert "--yes skips this question" in question and "[y/N]" in question
        assert line == "smsflows: not confirmed: nothing changed (pass --yes to skip the question)"
    unchanged()
