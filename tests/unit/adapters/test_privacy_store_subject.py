"""DynamoPrivacyStore under moto, two parts of a customer redaction: the phones a customer id leads to (each
once, only this shop's and this customer's), and the campaign runs whose place in the index is the subject's
key: it moves to just before that key, in the index's cursor (`pk`) or a Shopify segment's (`sk`), while the
other runs, the other phones' and the other shops' stay as they were. A run that moved on between the read
and the write is left as its step wrote it; any other refusal is raised."""

from __future__ import annotations

import json
from typing import Any

import pytest

from smsflows.adapters._dynamo import to_item
from smsflows.adapters.privacy_store import DynamoPrivacyStore
from smsflows.domain import keys
from smsflows.runtime.errors import TransientError
from tests.contracts.conftest import OTHER_PHONE, PHONE, SHOP, TABLE, peek
from tests.intercepted import Intercepted, kept, refused

CUSTOMER = "7001"
OTHER_SHOP = "other-shop.myshopify.com"


def put(ddb: Any, item: dict[str, Any]) -> None:
    ddb.put_item(TableName=TABLE, Item=to_item(item))


def about(shop: str, customer: str, n: int, **fields: Any) -> dict[str, Any]:
    """An item found by a customer's subject (an order, a checkout, a profile: what carries their id)."""
    return {"pk": f"ITEM#{shop}#{customer}#{n}", "sk": "X", "gsi1pk": keys.customer_subject(shop, customer),
            "shop": shop, **fields}  # fmt: skip


def test_a_customers_phones_are_each_of_their_items_phone_once_in_order(dynamodb):
    for item in [about(SHOP, CUSTOMER, 1, phone=PHONE), about(SHOP, CUSTOMER, 2, phone=OTHER_PHONE),
                 about(SHOP, CUSTOMER, 3, phone=PHONE), about(SHOP, CUSTOMER, 4),
                 about(SHOP, "7002", 5, phone="+15125550111"), about(OTHER_SHOP, CUSTOMER, 6, phone="+15125550122")]:  # fmt: skip
        put(dynamodb, item)
    store = DynamoPrivacyStore(dynamodb, TABLE)
    assert store.phones_of(SHOP, CUSTOMER) == sorted([PHONE, OTHER_PHONE])
    assert store.phones_of(SHOP, "7003") == []


def run(ddb: Any, shop: str, campaign: str, after: dict[str, str] | None) -> dict[str, str]:
    key = keys.campaign_run(shop, campaign, "once")
    item: dict[str, Any] = {**key, "type": "campaign_run", "shop": shop}
    if after is not None:
        item["progress"] = json.dumps({"step": 3, "after": after}, separators=(",", ":"))
    put(ddb, item)
    return key


def after_of(ddb: Any, key: dict[str, str]) -> dict[str, str] | None:
    got = peek(ddb, key)
    assert got is not None
    return json.loads(got["progress"])["after"] if "progress" in got else None


def test_the_runs_at_the_subjects_key_move_to_just_before_it_and_no_other_run_moves(dynamodb):
    index_place = {"seg_pk": f"SEG#{SHOP}#00", **keys.subscriber(SHOP, PHONE)}  # the phone is in `pk`
    segment_place = keys.shopify_segment_member(SHOP, "cmp_b", "once", PHONE)  # ... in `sk`
    assert index_place["pk"].endswith(f"#{PHONE}") and segment_place["sk"].endswith(f"#{PHONE}")
    at_index = run(dynamodb, SHOP, "cmp_a", index_place)
    at_segment = run(dynamodb, SHOP, "cmp_b", segment_place)
    elsewhere = run(
        dynamodb, SHOP, "cmp_c", {"seg_pk": f"SEG#{SHOP}#00", **keys.subscriber(SHOP, OTHER_PHONE)}
    )
    not_started = run(dynamodb, SHOP, "cmp_d", None)
    other_shop = run(dynamodb, OTHER_SHOP, "cmp_a", {"seg_pk": "x", **keys.subscriber(OTHER_SHOP, PHONE)})

    assert DynamoPrivacyStore(dynamodb, TABLE).erase_subject(SHOP, None, [PHONE], []) == 2
    assert after_of(dynamodb, at_index) == {**index_place, "pk": index_place["pk"][:-1]}
    assert after_of(dynamodb, at_segment) == {**segment_place, "sk": segment_place["sk"][:-1]}
    assert after_of(dynamodb, elsewhere) == {"seg_pk": f"SEG#{SHOP}#00", **keys.subscriber(SHOP, OTHER_PHONE)}
    assert after_of(dynamodb, not_started) is None
    assert after_of(dynamodb, other_shop) == {"seg_pk": "x", **keys.subscriber(OTHER_SHOP, PHONE)}
    assert json.loads(peek(dynamodb, at_index)["progress"])["step"] == 3  # type: ignore[index]  # only the place


def test_a_redaction_without_phones_moves_no_run(dynamodb):
    place = {"seg_pk": "x", **keys.subscriber(SHOP, PHONE)}
    key = run(dynamodb, SHOP, "cmp_a", place)
    assert DynamoPrivacyStore(dynamodb, TABLE).erase_subject(SHOP, None, [], []) == 0
    assert after_of(dynamodb, key) == place


def test_a_run_that_moved_on_meanwhile_is_left_as_its_step_wrote_it(dynamodb):
    moved_on = {
        "seg_pk": "x",
        **keys.subscriber(SHOP, "+15125550177"),
    }  # past the subject: no phone of theirs
    first = run(dynamodb, SHOP, "cmp_a", {"seg_pk": "x", **keys.subscriber(SHOP, PHONE)})
    second = run(dynamodb, SHOP, "cmp_b", {"seg_pk": "x", **keys.subscriber(SHOP, PHONE)})

    def step_moves_first_on(params: dict[str, Any]) -> None:
        if params["Key"]["sk"]["S"] == first["sk"]:
            run(dynamodb, SHOP, "cmp_a", moved_on)

    store = DynamoPrivacyStore(Intercepted(dynamodb, update_item=step_moves_first_on), TABLE)
    assert store.erase_subject(SHOP, None, [PHONE], []) == 1
    assert after_of(dynamodb, first) == moved_on
    assert after_of(dynamodb, second) == {
        "seg_pk": "x",
        "pk": keys.subscriber(SHOP, PHONE)["pk"][:-1],
        "sk": "STATE",
    }


def test_a_throttled_cursor_write_is_raised_for_the_redaction_to_be_retried(dynamodb):
    run(dynamodb, SHOP, "cmp_a", {"seg_pk": "x", **keys.subscriber(SHOP, PHONE)})

    throttled = Intercepted(
        dynamodb, update_item=refused("ProvisionedThroughputExceededException", "UpdateItem")
    )
    with pytest.raises(TransientError):
        DynamoPrivacyStore(throttled, TABLE).erase_subject(SHOP, None, [PHONE], [])


def test_the_runs_are_read_consistently_so_a_step_just_written_is_not_missed(dynamodb):
    recording = Intercepted(dynamodb, query=kept)
    DynamoPrivacyStore(recording, TABLE).erase_subject(SHOP, None, [PHONE], [])
    [runs] = [q for q in recording.calls["query"] if "IndexName" not in q]  # the shop's campaign runs
    assert runs["ConsistentRead"] is True and runs["ProjectionExpression"] == "pk, sk, progress"
