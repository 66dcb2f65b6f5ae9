"""`smsflows segment shopify-list` and the Shopify segment forms of `segment create|list|count`, against a
stage under moto and the fake Shopify on loopback (the real Admin API adapter, the shop's token in Secrets
Manager): the shop's Shopify segments listed; a segment made from one by id or gid; its size in Shopify and
who of it is textable (subscribed in smsflows, not by Shopify's word); and Shopify unreachable, without a
token or denying access: one line that says so, exit 1, and the table unchanged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smsflows.admin.segments import (
    COUNT_KEYS,
    CREATE_KEYS,
    LIST_KEYS,
    SHOPIFY_COUNT_KEYS,
    SHOPIFY_LIST_KEYS,
    SHOPIFY_SEGMENT_KEYS,
)
from smsflows.local.fake_shopify import FakeShopify
from smsflows.local.provision import LOCAL_SHOPIFY_ADMIN_TOKEN
from smsflows.runtime import deps as deps_module
from tests.unit.cli.conftest import SHOP, client, run, table_items

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
GID = "gid://shopify/Segment/210588551"
AUSTIN, MIAMI, STRANGER, LEFT = "+15125550123", "+13055550100", "+12065550100", "+19075550100"


def ok(*argv: str) -> str:
    ran = run(*argv)
    assert ran.code == 0, ran
    assert "Traceback" not in ran.err
    return ran.out


def as_json(*argv: str) -> Any:
    return json.loads(ok(*argv, "--json"))


def refused(code: int, *argv: str) -> str:
    """The one error line: the Admin API adapter's own warnings are shown with --verbose only."""
    ran = run(*argv)
    assert ran.code == code, ran
    lines = ran.err_lines
    assert ran.out.strip() == "" and len(lines) == 1, ran
    assert "Traceback" not in ran.err
    return lines[0]


@pytest.fixture
def shopify(stage: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeShopify]:
    fake = FakeShopify().start()
    fake.add_token(SHOP, LOCAL_SHOPIFY_ADMIN_TOKEN)
    monkeypatch.setenv("SMSFLOWS_SHOPIFY_API_BASE", fake.base_url)
    deps_module.reset()
    try:
        yield fake
    finally:
        fake.stop()


def subscribe(stage: Any, phone: str, kind: str = "opt_in", minutes: int = 0) -> None:
    from smsflows.adapters.consent_store import DynamoConsentStore
    from smsflows.domain.consent.ledger import ConsentEvent
    from smsflows.domain.consent.subscriptions import record

    event = ConsentEvent(event_id=f"{kind}-{phone}", shop=SHOP, phone=phone, kind=kind, source="keyword",
                         at=NOW + timedelta(minutes=minutes))  # fmt: skip
    record(DynamoConsentStore(client("dynamodb"), stage.env["TABLE_NAME"]), event)


@pytest.fixture
def vip(stage: Any, shopify: FakeShopify) -> str:
    for phone in (AUSTIN, MIAMI, LEFT):
        subscribe(stage, phone)
    subscribe(stage, LEFT, "opt_out", minutes=5)
    no_phone = shopify.add_customer(SHOP, email="grace@example.com")
    shopify.add_segment(SHOP, "Repeat buyers", [MIAMI], "number_of_orders >= 2", segment_id=210588550)
    return shopify.add_segment(SHOP, "VIP", [AUSTIN, STRANGER, LEFT, no_phone], "amount_spent > 500",
                               segment_id=210588551)  # fmt: skip


def test_shopify_list_shows_the_shops_segments_to_pick_from(vip):
    listed = as_json("segment", "shopify-list", "--shop", SHOP)
    assert listed == [
        {"id": "gid://shopify/Segment/210588550", "name": "Repeat buyers", "query": "number_of_orders >= 2"},
        {"id": GID, "name": "VIP", "query": "amount_spent > 500"},
    ]
    assert all(tuple(r) == SHOPIFY_SEGMENT_KEYS for r in listed)
    drawn = ok("segment", "shopify-list", "--shop", SHOP)
    assert "Shopify segments of" in drawn and "amount_spent > 500" in drawn and GID in drawn


@pytest.mark.parametrize("typed", ["210588551", GID])
def test_a_segment_made_from_a_shopify_segment_counts_only_the_members_subscribed_here(vip, typed):
    made = as_json(
        "segment", "create", "--shop", SHOP, "--name", "vip", "--shopify-segment", typed, "--by", "ana"
    )
    assert set(made) == set(CREATE_KEYS) and made["source"] == "shopify" and made["warnings"] == []
    assert made["shopify"] == {"id": GID, "name": "VIP", "query": "amount_spent > 500"}
    assert made["document"] == {"subscribed": {}} and "Shopify segment 'VIP'" in made["describe"]

    listed = as_json("segment", "list", "--shop", SHOP)
    assert set(listed[0]) == set(LIST_KEYS) and set(listed[0]["shopify"]) == set(SHOPIFY_LIST_KEYS)
    assert {k: listed[0]["shopify"][k] for k in ("total", "unavailable", "textable")} == {
        "total": 4, "unavailable": None, "textable": None,
    }  # fmt: skip

    counted = as_json("segment", "count", "vip", "--shop", SHOP)
    assert set(counted) == set(COUNT_KEYS) and set(counted["shopify"]) == set(SHOPIFY_COUNT_KEYS)
    assert counted["total"] == 1  # AUSTIN: the stranger has no subscription here, LEFT opted out
    assert [g["zones"] for g in counted["groups"]] == [["America/Chicago"]]
    got = counted["shopify"]
    assert (got["shopify_total"], got["textable"], got["not_subscribed"], got["no_phone"]) == (4, 1, 2, 1)

    assert as_json("segment", "list", "--shop", SHOP)[0]["shopify"]["textable"] == 1  # the last count, kept
    drawn = ok("segment", "list", "--shop", SHOP)
    assert "4 in Shopify; 1 textable at" in drawn and "shopify" in drawn
    drawn = ok("segment", "count", "vip", "--shop", SHOP)
    assert "2 not subscribed in smsflows, 1 without a phone" in drawn


@pytest.mark.parametrize(
    "args, code, says",
    [
        (["--shopify-segment", "vip"], 2, "--shopify-segment: 'vip' is not a Shopify segment id"),
        (["--shopify-segment", "gid://shopify/Customer/7"], 2, "--shopify-segment"),
        (["--shopify-segment", "999"], 1, "the shop has no Shopify segment gid://shopify/Segment/999"),
        ([], 2, "give --file F.json (a segment document) or --shopify-segment ID, exactly one"),
        (["--shopify-segment", "1", "--file", "x.json"], 2, "exactly one"),
    ],
)
def test_a_bad_shopify_segment_is_one_line_and_stores_nothing(vip, unchanged, args, code, says):
    line = refused(code, "segment", "create", "--shop", SHOP, "--name", "vip", *args)
    assert says in line
    unchanged()


def test_shopify_unreachable_without_a_token_or_denying_access_is_one_line_and_changes_nothing(
    stage, vip, shopify
):
    ok("segment", "create", "--shop", SHOP, "--name", "vip", "--shopify-segment", "210588551")
    before_all = table_items(stage)
    shopify.add_token(SHOP, "shpat_revoked")  # the stored token no longer works
    line = refused(1, "segment", "shopify-list", "--shop", SHOP)
    assert "cannot list the shop's Shopify segments: Shopify denied access" in line and "401" in line
    verbose = run("--verbose", "segment", "shopify-list", "--shop", SHOP)  # the warning, as it happened
    assert verbose.code == 1 and any("shopify refused the access token" in ln for ln in verbose.err_lines)

    client("secretsmanager").delete_secret(
        SecretId=f"{stage.env['SHOPIFY_ADMIN_TOKEN_PREFIX']}/{SHOP}", ForceDeleteWithoutRecovery=True
    )
    deps_module.reset()
    line = refused(1, "segment", "create", "--shop", SHOP, "--name", "vip2", "--shopify-segment", "210588551")
    assert "no Shopify access token is stored" in line and "smsflows shop connect" in line

    shopify.stop()  # Shopify unreachable
    before = as_json("segment", "list", "--shop", SHOP)  # the list still lists, and says why it has no size
    line = refused(1, "segment", "count", "vip", "--shop", SHOP)
    assert "cannot count Shopify segment" in line and "nothing changed" in line
    assert (
        before[0]["shopify"]["total"] is None
        and "no Shopify access token" in before[0]["shopify"]["unavailable"]
    )
    assert table_items(stage) == before_all  # no segment stored, no count kept


def test_a_segment_list_says_when_shopify_cannot_give_a_size(vip, shopify):
    ok("segment", "create", "--shop", SHOP, "--name", "vip", "--shopify-segment", "210588551")
    shopify.stop()
    row = as_json("segment", "list", "--shop", SHOP)[0]
    assert row["shopify"]["total"] is None and "unreachable" in row["shopify"]["unavailable"]
    assert "size unknown (Shopify is unreachable" in ok("segment", "list", "--shop", SHOP)
    line = refused(1, "segment", "shopify-list", "--shop", SHOP)
    assert "Shopify is unreachable or throttling" in line and "try again" in line
