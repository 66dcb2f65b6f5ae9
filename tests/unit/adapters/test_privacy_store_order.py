"""DynamoPrivacyStore under moto, where the order of the items read must not matter: a shop redaction
erases every item of the shop however the kept evidence (consent events, the hashed suppression, the
shop's config) is interleaved with the rest, and counts what it erased; a customer redaction scrubs every
webhook that mentions them however many that do not come between; a data export is found by the shop's
redaction; and the campaign cursors of the subject are moved wherever the other runs sort."""

from __future__ import annotations

import gzip
import json
from typing import Any

from smsflows.adapters._dynamo import to_item
from smsflows.adapters.privacy_store import DynamoPrivacyStore
from smsflows.domain import keys
from tests.contracts.conftest import OTHER_PHONE, PHONE, SHOP, TABLE, peek


def put(ddb: Any, item: dict[str, Any]) -> dict[str, str]:
    ddb.put_item(TableName=TABLE, Item=to_item(item))
    return {"pk": item["pk"], "sk": item["sk"]}


def test_a_shop_redaction_erases_everything_but_the_evidence_whatever_the_order(dynamodb):
    kept, erased = [], []
    for n in range(12):  # kept and erased kinds alternate, in key order and in the index
        kind = ["consent_event", "order", "suppression", "checkout", "shop_config", "profile"][n % 6]
        key = put(dynamodb, {"pk": f"K#{n:02d}", "sk": "X", "type": kind, "shop": SHOP})
        (kept if kind in ("consent_event", "suppression", "shop_config") else erased).append(key)
    other = put(dynamodb, {"pk": "K#99", "sk": "X", "type": "order", "shop": "other-shop.myshopify.com"})
    assert DynamoPrivacyStore(dynamodb, TABLE).erase_shop(SHOP) == len(erased) == 6
    assert all(peek(dynamodb, k) is None for k in erased)
    assert all(peek(dynamodb, k) is not None for k in [*kept, other])


def test_a_data_export_is_erased_by_the_shops_redaction(dynamodb):
    store = DynamoPrivacyStore(dynamodb, TABLE)
    store.save_export(SHOP, "9999", {"shop": SHOP, "customer_id": None, "data": {"phone": PHONE}})
    assert store.load_export(SHOP, "9999") is not None
    assert store.erase_shop(SHOP) == 1
    assert store.load_export(SHOP, "9999") is None


def webhook(ddb: Any, n: int, body: str) -> dict[str, str]:
    key = keys.webhook(SHOP, f"w{n:02d}")
    return put(ddb, {**key, "shop": SHOP, "type": "webhook", "webhook_id": f"w{n:02d}",
                     "body_gz": gzip.compress(body.encode())})  # fmt: skip


def test_every_webhook_that_mentions_the_subject_is_scrubbed_however_many_that_do_not_come_between(dynamodb):
    mentioning, others = [], []
    for n in range(12):
        if n % 3 == 1:
            mentioning.append(webhook(dynamodb, n, json.dumps({"phone": PHONE})))
        else:
            others.append(webhook(dynamodb, n, json.dumps({"phone": OTHER_PHONE})))
    assert DynamoPrivacyStore(dynamodb, TABLE).erase_subject(SHOP, None, [], [], mentions=[PHONE]) == 4
    assert all(peek(dynamodb, k)["redacted"] is True for k in mentioning)  # type: ignore[index]
    assert all("body_gz" in peek(dynamodb, k) for k in others)  # type: ignore[operator]


def test_the_subjects_campaign_cursor_moves_whatever_runs_sort_before_it(dynamodb):
    def run(campaign: str, phone: str) -> dict[str, str]:
        after = {"seg_pk": "x", **keys.subscriber(SHOP, phone)}
        return put(dynamodb, {**keys.campaign_run(SHOP, campaign, "once"), "type": "campaign_run", "shop": SHOP,
                              "progress": json.dumps({"step": 1, "after": after})})  # fmt: skip

    before = [run(f"cmp_{n}", OTHER_PHONE) for n in range(3)]  # sort before the subject's run
    theirs = run("cmp_9", PHONE)
    assert DynamoPrivacyStore(dynamodb, TABLE).erase_subject(SHOP, None, [PHONE], []) == 1
    moved = json.loads(peek(dynamodb, theirs)["progress"])["after"]  # type: ignore[index]
    assert moved["pk"] == keys.subscriber(SHOP, PHONE)["pk"][:-1]
    assert all(json.loads(peek(dynamodb, k)["progress"])["after"]["pk"].endswith(OTHER_PHONE) for k in before)  # type: ignore[index]
