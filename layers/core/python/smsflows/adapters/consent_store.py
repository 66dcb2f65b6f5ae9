"""The consent store in DynamoDB: the ledger, the subscriber state and the hashed suppression list."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import Update, error_code, from_item, query_all, to_item, translate
from smsflows.domain import keys
from smsflows.domain.consent.ledger import ConsentEvent, SubscriberState, suppression_key
from smsflows.domain.shopify.summary import PlaceSummary, place_summary

_STATE_FIELDS = (
    "status", "since", "version", "last_event_id", "opt_in_source", "pending_request", "review", "customer_id",
    "country", "program",
)  # fmt: skip


def state_from_item(item: dict[str, Any] | None) -> SubscriberState | None:
    """The state an item holds; None when it holds neither consent nor places: only a summary for segments
    (what an order or a customers/update of a phone with no consent yet wrote), which says nothing of
    consent."""
    plain = from_item(item)
    if plain is None or not ({"version", "status", "addresses"} & set(plain)):
        return None
    plain["addresses"] = tuple(tuple(a) for a in json.loads(plain.get("addresses") or "[]"))
    plain["version"] = int(plain.get("version", 0))
    return SubscriberState.model_validate(
        {k: v for k, v in plain.items() if k in SubscriberState.model_fields}
    )


def _segment_membership(update: Update, event: ConsentEvent, new_state: SubscriberState) -> None:
    """The segments' part of a consent write (docs/segments.md): `seg_pk` while subscribed, so the member is
    in the by_segment index exactly while the state says so, and removed in the same write otherwise; and
    where the phone's owner may be, from the addresses read with the state, unless a writer of addresses
    (an order, a customers/update) has said it since: theirs is the newer."""
    if new_state.status == "subscribed":
        update.set("seg_pk", keys.segment_partition(event.shop, event.phone))
    else:
        update.remove("seg_pk")
    place = place_summary(event.phone, new_state.addresses)
    for name, value in place_attributes(place).items():
        update.set_if_absent(name, value)


def place_attributes(place: PlaceSummary) -> dict[str, Any]:
    """Where the phone's owner may be, as the state item holds it for segments (None: not written). Not
    `country`: that is the consent projection's own (the sign-up's country)."""
    return {"zones": set(place.zones), "place_country": place.country, "place_state": place.state}


class DynamoConsentStore:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def state(self, shop: str, phone: str) -> SubscriberState | None:
        try:
            out = self._ddb.get_item(
                TableName=self._table, Key=to_item(keys.subscriber(shop, phone)), ConsistentRead=True
            )
        except ClientError as exc:
            raise translate(exc) from exc
        return state_from_item(out.get("Item"))

    def append(self, event: ConsentEvent, new_state: SubscriberState, expected_version: int) -> str:
        ledger = {
            **keys.consent_event(event.shop, event.phone, event.event_id),
            "type": "consent_event",
            "gsi1pk": keys.phone_subject(event.shop, event.phone),
            **event.model_dump(mode="json", exclude_none=True),
        }
        ledger.setdefault("recorded_at", event.at.isoformat())
        fields = {k: v for k, v in new_state.model_dump(mode="json").items() if k in _STATE_FIELDS}
        fields.update(type="subscriber", shop=event.shop, phone=event.phone, gsi1pk=ledger["gsi1pk"])
        # A field the new state clears (a pending request after YES or STOP) is removed, so that the item
        # stays the ledger's projection. customer_id and country are also written by orders: never removed.
        cleared = tuple(k for k, v in fields.items() if v is None and k not in ("customer_id", "country"))
        update = Update()
        for name, value in fields.items():
            update.set(name, value)
        for name in cleared:
            update.remove(name)
        _segment_membership(update, event, new_state)
        version = update.name("version")
        expected = update.value(expected_version)
        # a first event finds no version (the item may hold an order's places already); any later one must
        # find the version it read, also if the item was erased since
        update.where(
            f"attribute_not_exists({version}) OR {version} = {expected}"
            if expected_version == 0
            else f"{version} = {expected}"
        )
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(ledger),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": to_item(keys.subscriber(event.shop, event.phone)),
                    **update.build(),
                }
            },
        ]
        hashed = keys.suppression(suppression_key(event.shop, event.phone))
        if event.kind == "opt_out":
            # No TTL: kept >= 10 years (RULES.md A8.2, Virginia) and through a customer redaction.
            entry = {
                **hashed,
                "type": "suppression",
                "shop": event.shop,
                "since": event.at.isoformat(),
                "reason": event.classifier or event.source,
            }
            items.append({"Put": {"TableName": self._table, "Item": to_item(entry)}})
        elif event.kind in ("opt_in", "opt_in_confirmed"):
            items.append({"Delete": {"TableName": self._table, "Key": to_item(hashed)}})
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise translate(exc) from exc
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return "duplicate"
            if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                return "conflict"
            raise translate(exc) from exc
        return "ok"

    def events(self, shop: str, phone: str) -> list[ConsentEvent]:
        pk = keys.subscriber(shop, phone)["pk"]
        items = query_all(
            self._ddb,
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :e)",
            ExpressionAttributeValues={":pk": {"S": pk}, ":e": {"S": "EVENT#"}},
            ConsistentRead=True,
        )
        out = []
        for item in items:
            plain = from_item(item) or {}
            out.append(
                ConsentEvent.model_validate(
                    {k: v for k, v in plain.items() if k in ConsentEvent.model_fields}
                )
            )
        return out

    def is_suppressed(self, shop: str, phone: str) -> bool:
        out = self._ddb.get_item(
            TableName=self._table, Key=to_item(keys.suppression(suppression_key(shop, phone)))
        )
        return "Item" in out
