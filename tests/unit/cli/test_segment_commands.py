"""`smsflows segment …` against a stage under moto: a segment created from a JSON file, listed, and counted
over the subscribers the real writers put in the by_segment index (total, time-zone groups with the strictest
zone first, warnings); the backfill of subscribers from before segments, resumable and idempotent; every bad
input one line naming the field, the right exit status, and the table unchanged."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from smsflows.admin.segments import BACKFILL_KEYS, COUNT_KEYS, CREATE_KEYS, GROUP_KEYS, LIST_KEYS
from smsflows.domain import keys
from tests.unit.cli.conftest import SHOP, client, run, table_items

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
MIAMI, AUSTIN, SEATTLE, ANCHORAGE = "+13055550100", "+15125550123", "+12065550100", "+19075550100"
VIP = {"all": [{"repeat": {}}, {"high_value": {"min_total": "30"}}]}


def ok(*argv: str) -> str:
    ran = run(*argv)
    assert ran.code == 0, ran
    assert "Traceback" not in ran.err
    return ran.out


def as_json(*argv: str) -> Any:
    return json.loads(ok(*argv, "--json"))


def refused(code: int, *argv: str) -> str:
    ran = run(*argv)
    assert ran.code == code, ran
    assert ran.out.strip() == "" and len(ran.err_lines) == 1, ran
    assert "Traceback" not in ran.err
    return ran.err_lines[0]


def document(tmp_path: Path, doc: Any, name: str = "segment.json") -> str:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return str(path)


def table_name(stage: Any) -> str:
    return str(stage.env["TABLE_NAME"])


def subscribe(stage: Any, phone: str, kind: str = "opt_in", shop: str = SHOP, minutes: int = 0) -> None:
    from smsflows.adapters.consent_store import DynamoConsentStore
    from smsflows.domain.consent.ledger import ConsentEvent
    from smsflows.domain.consent.subscriptions import record

    event = ConsentEvent(event_id=f"{kind}-{phone}-{minutes}", shop=shop, phone=phone, kind=kind, source="keyword",
                         at=NOW + timedelta(minutes=minutes))  # fmt: skip
    record(DynamoConsentStore(client("dynamodb"), table_name(stage)), event)


def ordered(stage: Any, phone: str, order_id: str, total: str, places: tuple = ()) -> None:
    from smsflows.adapters.shop_data import DynamoShopData
    from smsflows.domain.profiles import ProfileRecord
    from smsflows.domain.shopify.records import OrderRecord

    order = OrderRecord(shop=SHOP, order_id=order_id, name=f"#{order_id}", customer_key=f"phone:{phone}", phone=phone,
                        total_price=total, created_at=NOW)  # fmt: skip
    profile = ProfileRecord(
        shop=SHOP, customer_key=f"phone:{phone}", phone=phone, phone_status="usable", updated_at=NOW
    )
    DynamoShopData(client("dynamodb"), table_name(stage)).save_order(order, profile, places)


def test_create_list_and_replace_a_segment(stage, tmp_path):
    made = as_json(
        "segment", "create", "--shop", SHOP, "--name", "vip", "--file", document(tmp_path, VIP), "--by", "ana"
    )
    assert set(made) == set(CREATE_KEYS)
    assert (made["name"], made["created_by"], made["replaced"], made["warnings"]) == ("vip", "ana", False, [])
    assert made["describe"] == "repeat buyers (2+ orders) and total spent ≥ 30 (shop currency)"
    assert made["document"] == {"all": [{"repeat": {"min_orders": 2}}, {"high_value": {"min_total": "30"}}]}
    drawn = ok("segment", "create", "--shop", SHOP, "--name", "lapsed", "--file",
               document(tmp_path, {"lapsed": {"days": 90}}, "lapsed.json"))  # fmt: skip
    assert "segment created" in drawn and "last order more than 90 days ago" in drawn
    listed = as_json("segment", "list", "--shop", SHOP)
    assert [r["name"] for r in listed] == ["lapsed", "vip"] and set(listed[0]) == set(LIST_KEYS)
    assert "repeat buyers" in ok("segment", "list", "--shop", SHOP)
    line = refused(1, "segment", "create", "--shop", SHOP, "--name", "vip", "--file",
                   document(tmp_path, {"first_time": {}}, "first.json"))  # fmt: skip
    assert "exists" in line and "--replace" in line and "nothing stored" in line
    assert as_json("segment", "list", "--shop", SHOP)[1]["describe"].startswith("repeat buyers")
    again = as_json("segment", "create", "--shop", SHOP, "--name", "vip", "--replace", "--by", "bo", "--file",
                    document(tmp_path, {"first_time": {}}, "first.json"))  # fmt: skip
    assert (again["replaced"], again["created_by"], again["document"]) == (True, "ana", {"first_time": {}})


BAD_CREATE = [
    (
        {"all": [{"lapsed": {"days": 0}}]},
        ["--name", "x"],
        2,
        "all[0].lapsed.days: must be a whole number ≥ 1",
    ),
    (
        {"all": [{"bought": {"product": ["abc"]}}]},
        ["--name", "x"],
        2,
        "all[0].bought.product[0]: must be a Shopify id",
    ),
    ({"shoe_size": {}}, ["--name", "x"], 2, "segment: unknown condition 'shoe_size'"),
    ("{not json", ["--name", "x"], 2, "segment: not JSON"),
    (VIP, ["--name", "has space"], 2, "--name: 'has space' is not a segment name"),
    (None, ["--name", "x"], 2, "--file: cannot read"),
    (VIP, ["--name", "x", "--shop", "nobody.myshopify.com"], 1, "is not onboarded"),
]


@pytest.mark.parametrize(("doc", "extra", "code", "expected"), BAD_CREATE)
def test_a_bad_segment_is_one_line_naming_the_field_and_nothing_is_stored(stage, unchanged, tmp_path, doc, extra,
                                                                          code, expected):  # fmt: skip
    path = document(tmp_path, doc) if doc is not None else str(tmp_path / "missing.json")
    argv = ["segment", "create", "--file", path, *extra]
    if "--shop" not in extra:
        argv += ["--shop", SHOP]
    line = refused(code, *argv)
    assert expected in line, line
    unchanged()


def test_count_pages_the_subscribers_through_the_segment_by_time_zone_group(stage, tmp_path):
    for phone in (MIAMI, AUSTIN, SEATTLE, ANCHORAGE):
        subscribe(stage, phone)
    subscribe(stage, SEATTLE, "opt_out", minutes=1)  # out of the index in the same write
    subscribe(stage, "+14155550100", "opt_in_requested")  # pending: not a member
    subscribe(stage, "+16175550100", shop="other-shop.myshopify.com")
    ordered(stage, MIAMI, "1", "20", places=(("US", "TX", "shipping_address"),))
    ordered(stage, MIAMI, "2", "15")
    ordered(stage, AUSTIN, "3", "500")
    ok(
        "segment",
        "create",
        "--shop",
        SHOP,
        "--name",
        "everyone",
        "--file",
        document(tmp_path, {"subscribed": {}}),
    )
    ok("segment", "create", "--shop", SHOP, "--name", "vip", "--file", document(tmp_path, VIP, "vip.json"))
    counted = as_json("segment", "count", "everyone", "--shop", SHOP)
    assert set(counted) == set(COUNT_KEYS) and all(set(g) == set(GROUP_KEYS) for g in counted["groups"])
    assert counted["total"] == 3 and counted["describe"] == "all subscribers"
    groups = {g["label"]: g["count"] for g in counted["groups"]}
    # a Miami number with a Texas address may be in Mountain, Central or Eastern time: the latest local time
    # (where a local send time comes last) first
    assert groups == {"America/Denver + America/Chicago + America/New_York": 1, "America/Chicago": 1,
                      "America/Adak + America/Anchorage": 1}  # fmt: skip
    vip = as_json("segment", "count", "vip", "--shop", SHOP)
    assert (vip["total"], [g["zones"] for g in vip["groups"]]) == (
        1, [["America/Denver", "America/Chicago", "America/New_York"]],
    )  # fmt: skip
    drawn = ok("segment", "count", "everyone", "--shop", SHOP)
    assert "America/Adak + America/Anchorage" in drawn and "warnings: none" in drawn


def test_count_says_what_a_segment_cannot_see_yet(stage, tmp_path):
    subscribe(stage, AUSTIN)
    doc = {"any": [{"engaged": {"clicked_days": 7}}, {"bought": {"collection": ["42"]}}]}
    made = as_json(
        "segment", "create", "--shop", SHOP, "--name", "clickers", "--file", document(tmp_path, doc)
    )
    counted = as_json("segment", "count", "clickers", "--shop", SHOP)
    assert counted["total"] == 0 and counted["groups"] == []
    assert made["warnings"] == counted["warnings"]
    assert not any("clicked_days" in w for w in counted["warnings"])  # clicks are recorded (issue 16)
    assert any("bought.collection matches nobody" in w for w in counted["warnings"])
    assert "no segment 'nope'" in refused(1, "segment", "count", "nope", "--shop", SHOP)


def strip_segments(stage: Any, phone: str) -> None:
    """The state item as the consent writer left it before segments: no seg_pk, no zones."""
    client("dynamodb").update_item(
        TableName=table_name(stage), Key={k: {"S": v} for k, v in keys.subscriber(SHOP, phone).items()},
        UpdateExpression="REMOVE seg_pk, zones, place_country, place_state",
    )  # fmt: skip


def test_backfill_indexes_the_subscribers_from_before_segments_resumably_and_once(
    stage, tmp_path, monkeypatch
):
    for phone in (MIAMI, AUSTIN, SEATTLE):
        subscribe(stage, phone)
        strip_segments(stage, phone)
    subscribe(stage, "+14155550100", "opt_in_requested")
    ok(
        "segment",
        "create",
        "--shop",
        SHOP,
        "--name",
        "everyone",
        "--file",
        document(tmp_path, {"subscribed": {}}),
    )
    assert as_json("segment", "count", "everyone", "--shop", SHOP)["total"] == 0

    from smsflows.adapters import segment_members

    real_page, calls = segment_members.backfill_page, []

    def fails_on_the_third_page(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("throttled")
        return real_page(*args, **kwargs)

    monkeypatch.setattr(segment_members, "backfill_page", fails_on_the_third_page)
    line = refused(1, "segment", "backfill", "--shop", SHOP, "--page-size", "1", "--rate", "0")
    assert line.startswith("smsflows: backfill stopped after 2 pages: throttled; resume with --cursor ")
    token = line.rsplit(" ", 1)[1]
    monkeypatch.setattr(segment_members, "backfill_page", real_page)
    resumed = as_json("segment", "backfill", "--shop", SHOP, "--cursor", token, "--rate", "0")
    assert set(resumed) == set(BACKFILL_KEYS) and resumed["cursor"] is None
    # what was read before it stopped is not read again (a state item shares its partition with its ledger)
    at = json.loads(base64.urlsafe_b64decode(token))["pk"]
    states = [keys.subscriber(SHOP, p)["pk"] for p in (MIAMI, AUSTIN, SEATTLE, "+14155550100")]
    assert 4 - resumed["states"] in (sum(pk < at for pk in states), sum(pk <= at for pk in states))
    assert resumed["states"] < 4
    assert as_json("segment", "count", "everyone", "--shop", SHOP)["total"] == 3
    again = as_json("segment", "backfill", "--shop", SHOP)
    assert (again["states"], again["subscribed"], again["updated"], again["already"]) == (4, 3, 0, 3)
    assert "backfilled" in ok("segment", "backfill", "--shop", SHOP)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--cursor", "bm9wZQ"], "--cursor: 'bm9wZQ' is not a cursor"),
        (["--cursor", base64.urlsafe_b64encode(json.dumps(
            {"shop": "other-shop.myshopify.com", "pk": "SUB#other-shop.myshopify.com#+1", "sk": "STATE"}).encode()
        ).decode()], "is not a cursor `segment backfill --shop demo-shop.myshopify.com` printed"),
        (["--page-size", "0"], "--page-size: 0 is not accepted: give 1 to 100"),
        (["--rate", "-1"], "--rate: -1 is not accepted"),
    ],
)  # fmt: skip
def test_backfill_refuses_a_bad_value_and_changes_nothing(stage, extra, expected):
    subscribe(stage, AUSTIN)
    strip_segments(stage, AUSTIN)
    before = table_items(stage)
    line = refused(2, "segment", "backfill", "--shop", SHOP, *extra)
    assert expected in line, line
    assert table_items(stage) == before
