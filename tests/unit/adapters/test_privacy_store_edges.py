"""DynamoPrivacyStore under moto, on items as they are stored: what an export holds (every kind, values as
JSON), how many records an erasure reports, and items of no known kind (no `type`), which are neither
evidence nor a config, so they go with the subject or the shop."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from smsflows.adapters._dynamo import to_item
from smsflows.adapters.privacy_store import DynamoPrivacyStore
from smsflows.domain import keys
from tests.contracts.conftest import PHONE, SHOP, TABLE, peek

CUSTOMER = "7000000001001"


def put(ddb: Any, key: dict[str, str], **values: Any) -> dict[str, str]:
    ddb.put_item(TableName=TABLE, Item=to_item({**key, **values}))
    return key


def customer_item(ddb: Any, key: dict[str, str], **values: Any) -> dict[str, str]:
    return put(ddb, key, shop=SHOP, gsi1pk=keys.customer_subject(SHOP, CUSTOMER), **values)


def phone_item(ddb: Any, key: dict[str, str], **values: Any) -> dict[str, str]:
    return put(ddb, key, shop=SHOP, gsi1pk=keys.phone_subject(SHOP, PHONE), **values)


# The export ------------------------------------------------------------------------------------------


def test_an_export_keeps_json_values_as_json_and_sets_as_their_members(dynamodb):
    customer_item(
        dynamodb, keys.profile(SHOP, f"customer:{CUSTOMER}"), type="profile", phone=PHONE,
        accepts_marketing=True, tags=["vip", "wholesale"], note=None, orders_count=3,
        segments={"winback", "browse"},
    )  # fmt: skip
    got = DynamoPrivacyStore(dynamodb, TABLE).collect(SHOP, CUSTOMER, [], [])
    [profile] = got["profile"]
    assert profile["accepts_marketing"] is True
    assert profile["tags"] == ["vip", "wholesale"]
    assert profile["orders_count"] == "3"  # a DynamoDB number, written as its decimal digits
    assert isinstance(profile["segments"], str)  # a set has no JSON form: written out, members and all
    assert "winback" in profile["segments"] and "browse" in profile["segments"]
    assert not {"pk", "sk", "gsi1pk"} & profile.keys()


def test_an_item_of_no_known_kind_is_exported_as_other(dynamodb):
    customer_item(dynamodb, keys.profile(SHOP, "legacy:1"), phone=PHONE)
    got = DynamoPrivacyStore(dynamodb, TABLE).collect(SHOP, CUSTOMER, [], [])
    assert got == {"other": [{"shop": SHOP, "phone": PHONE}]}


def test_an_export_payload_with_values_read_from_dynamodb_is_saved_as_strings(dynamodb):
    store = DynamoPrivacyStore(dynamodb, TABLE)
    made = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    store.save_export(SHOP, "dr-1", {"customer_id": CUSTOMER, "made_at": made, "total": Decimal("12.50")})
    assert store.load_export(SHOP, "dr-1") == {
        "customer_id": CUSTOMER, "made_at": str(made), "total": "12.50",
    }  # fmt: skip


def test_a_second_data_request_of_a_customer_exports_despite_the_first_export(dynamodb):
    """The first export is stored under the customer (so that a redaction erases it): the next data
    request finds it and lists it, without its gzipped content (a copy of the data exported anyway).
    It used to fail for good: str() of the stored Binary raised TypeError."""
    store = DynamoPrivacyStore(dynamodb, TABLE)
    store.save_export(SHOP, "dr-1", {"customer_id": CUSTOMER, "data": {}})
    got = store.collect(SHOP, CUSTOMER, [], [])
    assert [e["request_id"] for e in got["privacy_export"]] == ["dr-1"]
    assert "export_gz" not in got["privacy_export"][0]


# Erasure ---------------------------------------------------------------------------------------------


def test_erasing_a_subject_reports_each_record_erased_or_redacted_and_keeps_the_evidence(dynamodb):
    profile = customer_item(dynamodb, keys.profile(SHOP, f"customer:{CUSTOMER}"), type="profile")
    order = put(dynamodb, keys.order(SHOP, "1001"), type="order", shop=SHOP)
    message = phone_item(dynamodb, keys.message("m-1"), type="message", to=PHONE, state="sent")
    event = phone_item(dynamodb, keys.consent_event(SHOP, PHONE, "e-1"), type="consent_event")
    erased = DynamoPrivacyStore(dynamodb, TABLE).erase_subject(SHOP, CUSTOMER, [PHONE], ["1001"])
    assert erased == 3
    assert peek(dynamodb, profile) is None and peek(dynamodb, order) is None
    redacted = peek(dynamodb, message)
    assert (redacted["redacted"], redacted["state"]) == (True, "sent")
    assert "to" not in redacted and "gsi1pk" not in redacted
    assert peek(dynamodb, event) is not None


def test_erasing_a_subject_with_nothing_to_scrub_counts_only_its_records(dynamodb):
    phone_item(dynamodb, keys.frequency(SHOP, PHONE), type="frequency")
    assert DynamoPrivacyStore(dynamodb, TABLE).erase_subject(SHOP, None, [PHONE], [], mentions=()) == 1


def test_erasing_a_subject_erases_an_item_of_no_known_kind(dynamodb):
    legacy = customer_item(dynamodb, keys.profile(SHOP, "legacy:1"), phone=PHONE)
    assert DynamoPrivacyStore(dynamodb, TABLE).erase_subject(SHOP, CUSTOMER, [], []) == 1
    assert peek(dynamodb, legacy) is None


def test_erasing_a_shop_erases_an_item_of_no_known_kind_but_keeps_evidence_and_config(dynamodb):
    legacy = put(dynamodb, keys.profile(SHOP, "legacy:1"), shop=SHOP, phone=PHONE)
    config = put(dynamodb, keys.shop_config(SHOP), type="shop_config", shop=SHOP)
    event = phone_item(dynamodb, keys.consent_event(SHOP, PHONE, "e-1"), type="consent_event")
    assert DynamoPrivacyStore(dynamodb, TABLE).erase_shop(SHOP) == 1
    assert peek(dynamodb, legacy) is None
    assert peek(dynamodb, config) is not None and peek(dynamodb, event) is not None
