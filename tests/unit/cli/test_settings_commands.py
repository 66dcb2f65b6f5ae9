"""`smsflows shop …` and `flow …` doing what they say: onboarding, changing and clearing settings, listing,
deactivating, deleting; flows retimed with human durations. Tables for people, JSON with stable keys."""

from __future__ import annotations

import json

from smsflows.domain.shops import ShopConfig
from tests.unit.cli.conftest import SHOP, run

NEW = "new-shop.myshopify.com"
ONBOARD = ["--brand", "New Shop", "--support", "help@new-shop.example", "--terms-url", "https://new-shop.example/t",
           "--privacy-url", "https://new-shop.example/p", "--sender", "+18445550100", "--sender-type", "toll_free"]  # fmt: skip
CONFIG_KEYS = set(ShopConfig.model_fields) - {"link_key"}  # the short links' key is never shown


def ok(*argv: str, input: str | None = None) -> str:
    ran = run(*argv, input=input)
    assert ran.code == 0, ran
    assert "Traceback" not in ran.err
    return ran.out


def as_json(*argv: str) -> object:
    return json.loads(ok(*argv, "--json"))


def test_shop_add_onboards_and_show_reads_it_as_a_table_and_as_json(stage):
    added = as_json("shop", "add", NEW, *ONBOARD, "--keywords", "JOIN,VIP")
    assert set(added) == CONFIG_KEYS
    assert (added["shop"], added["status"], added["brand_name"], added["keywords"]) == (NEW, "active", "New Shop",
                                                                                         ["JOIN", "VIP"])  # fmt: skip
    shown = as_json("shop", "show", NEW)
    assert shown == added
    table = ok("shop", "show", NEW)
    assert f"shop {NEW}" in table and "New Shop" in table and "help@new-shop.example" in table
    listed = as_json("shop", "list")
    assert [r["shop"] for r in listed] == sorted([SHOP, NEW])
    assert set(listed[0]) == {"shop", "status", "brand_name", "senders", "sender_type", "default_country"}
    assert NEW in ok("shop", "list")
    assert (
        as_json("shop", "add", "--shop", "other-shop.myshopify.com", *ONBOARD)["shop"]
        == "other-shop.myshopify.com"
    )


def test_shop_set_changes_and_unset_clears_and_untouched_settings_stay(stage):
    changed = as_json("shop", "set", SHOP, "--quiet-hours", "10:00-19:00", "--smart-sending", "winback=16",
                      "--smart-sending", "*=12", "--max-per-30-days", "8", "--keywords", "join, vip,deals",
                      "--support-webhook", "https://support.demo-shop.example/sms", "--keyword-replies", "twilio")  # fmt: skip
    assert changed["quiet_hours_override"] == [{"start": "10:00:00", "end": "19:00:00"}] * 7
    assert changed["smart_sending_hours"] == {"winback": 16.0, "*": 12.0}
    assert changed["keywords"] == ["JOIN", "VIP", "DEALS"] and changed["twilio_answers_keywords"] is True
    assert changed["brand_name"] == "Demo Shop"  # untouched
    assert "quiet_hours_override" in ok("shop", "set", "--shop", SHOP, "--mps", "50")  # --shop and a table
    cleared = as_json("shop", "set", SHOP, "--unset", "quiet-hours", "--unset", "smart-sending.winback",
                      "--unset", "support_webhook_url", "--unset", "keyword-replies", "--unset", "mps")  # fmt: skip
    assert cleared["quiet_hours_override"] is None and cleared["smart_sending_hours"] == {"*": 12.0}
    assert cleared["support_webhook_url"] is None and cleared["twilio_answers_keywords"] is False
    assert cleared["throughput"]["segments_per_second"] is None
    assert cleared["throughput"]["sender_type"] == "10dlc"  # the registration stays
    assert as_json("shop", "show")["max_marketing_per_30_days"] == 8  # the deployment's default shop


def test_pause_activate_and_deactivate_set_the_status(stage):
    assert as_json("shop", "set", SHOP, "--pause")["status"] == "paused"
    assert as_json("shop", "set", SHOP, "--activate")["status"] == "active"
    gone = as_json("shop", "deactivate", SHOP, "--yes")
    assert (gone["shop"], gone["status"]) == (SHOP, "deactivated")
    assert as_json("shop", "show", SHOP)["status"] == "deactivated"
    assert as_json("shop", "set", SHOP, "--activate")["status"] == "active"
    ran = run("shop", "deactivate", SHOP, input="y\n")  # asked, and agreed
    assert ran.code == 0 and "Deactivate demo-shop.myshopify.com?" in ran.err
    assert as_json("shop", "show", SHOP)["status"] == "deactivated"


def test_shop_delete_removes_the_record_and_add_onboards_it_again(stage):
    as_json("shop", "add", NEW, *ONBOARD)
    deleted = as_json("shop", "delete", NEW, "--yes")
    assert deleted["shop"] == NEW and deleted["deleted"] is True
    assert run("shop", "show", NEW).code == 1
    assert [r["shop"] for r in as_json("shop", "list")] == [SHOP]
    assert as_json("shop", "add", NEW, *ONBOARD)["status"] == "active"


def test_flow_set_takes_human_durations_and_list_shows_the_shops_timing(stage):
    out = as_json("flow", "set", "--flow", "abandoned_checkout", "--offsets", "30m,1d,3d", "--code", "1=SAVE15",
                  "--template", "0={shop_name}: {first_name}, your cart is waiting: {checkout_url}")  # fmt: skip
    assert set(out) == {"shop", "flow", "enabled", "offsets_s", "templates", "discount_codes", "holdout"}
    assert out["offsets_s"] == [1800, 86400, 259200] and out["discount_codes"] == {"1": "SAVE15"}
    listed = {r["flow"]: r for r in as_json("flow", "list", "--shop", SHOP)}
    steps = listed["abandoned_checkout"]["steps"]
    assert [(s["offset_s"], s["offset"]) for s in steps] == [(1800, "30m"), (86400, "1d"), (259200, "3d")]
    assert set(steps[0]) == {"step", "key", "label", "offset_s", "offset"}
    assert set(listed["welcome"]) == {"flow", "category", "runner", "trigger", "shop", "enabled", "steps"}
    assert "+30m" in ok("flow", "list", "--shop", SHOP)
    preview = as_json("flow", "preview", "--flow", "abandoned_checkout", "--step", "0")
    assert (
        preview["text"].startswith("Demo Shop: Ada, your cart is waiting:") and preview["encoding"] == "GSM-7"
    )
    assert set(preview) == {"shop", "flow", "step", "text", "encoding", "segments", "characters", "warnings"}
    off = as_json("flow", "set", "--flow", "welcome", "--enabled", "off")
    assert off["enabled"] is False
    assert {r["flow"]: r["enabled"] for r in as_json("flow", "list", "--shop", SHOP)}["welcome"] is False
    back = as_json("flow", "set", "--flow", "abandoned_checkout", "--unset", "offsets", "--unset", "template.0",
                   "--unset", "codes")  # fmt: skip
    assert back["offsets_s"] is None and back["templates"] == {} and back["discount_codes"] == {}


def test_flow_list_and_preview_need_no_deployment():
    listed = json.loads(ok("flow", "list", "--json"))
    assert listed[0]["flow"] == "welcome" and listed[0]["shop"] is None
    assert "abandoned_checkout" in ok("flow", "list")
    shown = json.loads(
        ok("flow", "preview", "--flow", "welcome", "--text", "{shop_name}: It’s here… 😀", "--json")
    )
    assert (
        shown["text"].startswith("Demo Shop: It's here...")
        and shown["encoding"] == "UCS-2"
        and shown["warnings"]
    )


def test_shops_reindex_prints_its_counts(stage):
    counts = as_json("shops", "reindex")
    assert set(counts) == {"configs", "added", "updated", "unchanged", "changed_meanwhile"}
    assert counts["configs"] == 1
