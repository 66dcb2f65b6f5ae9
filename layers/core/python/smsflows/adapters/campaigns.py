"""A shop's campaigns in DynamoDB (issue 15): `smsflows campaign create|schedule|…` write them.

One item per campaign (`keys.campaign`: partition `CAMPAIGN#<shop>`, so a shop's list is one Query, never a
Scan) holding the campaign as JSON and a `version`. Every put is conditional on the version the writer read
(a new campaign: that none exists): of two operators changing one campaign at once, the second is refused
with `Conflict` and nothing is written, instead of silently undoing the first's change. The item carries
`shop`, so it is in the by_shop index and `shop/redact` erases it with the rest of the shop's data.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import (
    batch_get,
    batch_write,
    error_code,
    from_item,
    query_all,
    to_item,
    translate,
)
from smsflows.domain import keys
from smsflows.domain.campaigns.campaign import Campaign
from smsflows.domain.campaigns.fanout import AssignmentRow, Progress
from smsflows.runtime.errors import Conflict


class StaleCampaign(Conflict):
    """The campaign changed since it was read (or exists already, for a new one): nothing was written."""


def newest_first(campaigns: builtins.list[Campaign]) -> builtins.list[Campaign]:
    """The order of `list`: newest created first, then by id (two created in the same instant)."""
    return sorted(campaigns, key=lambda c: (c.created_at, c.id), reverse=True)


class DynamoCampaigns:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def put(self, campaign: Campaign, version: int = 0) -> int:
        item = {
            **keys.campaign(campaign.shop, campaign.id),
            "type": "campaign",
            "shop": campaign.shop,
            "campaign_id": campaign.id,
            "state": campaign.state,
            "created_at": campaign.created_at.isoformat(),
            "version": version + 1,
            "campaign": campaign.model_dump_json(),
        }
        if version == 0:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "#v = :v",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":v": {"N": str(version)}},
            }
        try:
            self._ddb.put_item(TableName=self._table, Item=to_item(item), **condition)
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise StaleCampaign(_stale(campaign, version)) from None
            raise translate(exc) from exc
        return version + 1

    def get(self, shop: str, campaign_id: str) -> tuple[Campaign, int] | None:
        try:
            out = self._ddb.get_item(
                TableName=self._table, Key=to_item(keys.campaign(shop, campaign_id)), ConsistentRead=True
            )
        except ClientError as exc:
            raise translate(exc) from exc
        plain = from_item(out.get("Item"))
        if not plain:
            return None
        return Campaign.model_validate_json(str(plain["campaign"])), int(plain["version"])

    def list(self, shop: str) -> builtins.list[Campaign]:
        try:
            items = query_all(
                self._ddb,
                TableName=self._table,
                KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                ExpressionAttributeValues={
                    ":p": {"S": keys.campaign(shop, "")["pk"]},
                    ":s": {"S": keys.campaign(shop, "")["sk"]},
                },
                ConsistentRead=True,
            )
        except ClientError as exc:
            raise translate(exc) from exc
        found = [Campaign.model_validate_json(str((from_item(i) or {})["campaign"])) for i in items]
        return newest_first(found)


def _stale(campaign: Campaign, version: int) -> str:
    if version == 0:
        return f"campaign {campaign.id} exists already: nothing was written"
    return (
        f"campaign {campaign.id} changed since it was read (version {version}): nothing was written; "
        "read it again and retry"
    )


OUTCOMES = frozenset(
    {
        "sent",
        "failed",
        "suppressed",
        "skipped",
        "deferred",
        "expired",
        "cancelled",
        "delivered",
        "undelivered",
        "filtered",  # undelivered because a carrier filtered it (domain/analytics/guard.py: FILTERED_CODES)
        "opted_out",  # the recipient answered the campaign's text with an opt-out
    }
)


def _counter(outcome: str) -> str:
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome: {outcome!r} is not counted (one of {', '.join(sorted(OUTCOMES))})")
    return f"n_{outcome}"


class DynamoCampaignRuns:
    """`ports.CampaignRuns` on the table: a run item (`keys.campaign_run`) holding the progress as JSON, its
    `step` (the conditional writes' guard) and one numeric counter per outcome (`n_sent`, ...); one
    assignment item per recipient (`keys.campaign_assignment`)."""

    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def get(self, shop: str, campaign_id: str, run: str) -> tuple[Progress, dict[str, Any]] | None:
        try:
            out = self._ddb.get_item(
                TableName=self._table,
                Key=to_item(keys.campaign_run(shop, campaign_id, run)),
                ConsistentRead=True,
            )
        except ClientError as exc:
            raise translate(exc) from exc
        plain = from_item(out.get("Item"))
        return _run(plain)[1:] if plain else None  # type: ignore[return-value]

    def advance(
        self,
        shop: str,
        campaign_id: str,
        run: str,
        expected_step: int,
        progress: Progress,
        audience: str | None = None,
    ) -> bool:
        """The run's progress, if it is still at `expected_step`; `audience` (the run's segment, as JSON) is
        written the first time only: the run keeps the segment it started with."""
        names = {
            "#s": "step",
            "#p": "progress",
            "#shop": "shop",
            "#t": "type",
            "#c": "campaign_id",
            "#r": "run",
        }
        values = {
            ":s": {"N": str(progress.step)},
            ":e": {"N": str(expected_step)},
            ":p": {"S": json.dumps(progress.to_dict(), separators=(",", ":"))},
            ":shop": {"S": shop},
            ":t": {"S": "campaign_run"},
            ":c": {"S": campaign_id},
            ":r": {"S": run},
        }
        condition = "#s = :e" if expected_step else "attribute_not_exists(#s) OR #s = :e"
        expression = "SET #s = :s, #p = :p, #shop = :shop, #t = :t, #c = :c, #r = :r"
        if audience is not None:
            names["#a"] = "audience"
            values[":a"] = {"S": audience}
            expression += ", #a = if_not_exists(#a, :a)"
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=to_item(keys.campaign_run(shop, campaign_id, run)),
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise translate(exc) from exc
        return True

    def queued(self, shop: str, campaign_id: str, run: str, step: int) -> None:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=to_item(keys.campaign_run(shop, campaign_id, run)),
                UpdateExpression="SET #q = :q",
                ExpressionAttributeNames={"#q": "queued"},
                ExpressionAttributeValues={":q": {"N": str(step)}},
            )
        except ClientError as exc:
            raise translate(exc) from exc

    def count(
        self,
        shop: str,
        campaign_id: str,
        run: str,
        outcome: str,
        n: int = 1,
        at: datetime | None = None,
        also: Sequence[str] = (),
    ) -> dict[str, int]:
        names = {"#n": _counter(outcome), "#shop": "shop"}
        values: dict[str, Any] = {":n": {"N": str(n)}, ":shop": {"S": shop}}
        adds = ["#n :n"] + [f"#n{i} :n" for i, _ in enumerate(dict.fromkeys(also))]
        for i, name in enumerate(dict.fromkeys(also)):
            names[f"#n{i}"] = _counter(name)
        expression = f"ADD {', '.join(adds)} SET #shop = :shop"
        if at is not None:
            names["#at"] = f"last_{outcome}_at"
            values[":at"] = {"S": at.isoformat()}
            expression += ", #at = :at"
        try:
            out = self._ddb.update_item(
                TableName=self._table,
                Key=to_item(keys.campaign_run(shop, campaign_id, run)),
                UpdateExpression=expression,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",  # the counters, for the deliverability guard: no read of its own
            )
        except ClientError as exc:
            raise translate(exc) from exc
        plain = from_item(out.get("Attributes")) or {}
        return {o: int(plain.get(f"n_{o}", 0)) for o in OUTCOMES}

    def assign(self, shop: str, campaign_id: str, run: str, rows: Sequence[AssignmentRow]) -> None:
        requests = [
            {"PutRequest": {"Item": to_item({
                **keys.campaign_assignment(shop, campaign_id, row.phone),
                "type": "campaign_assignment", "shop": shop, "phone": row.phone, "campaign_id": campaign_id,
                "gsi1pk": keys.phone_subject(shop, row.phone), "run": run, "group": row.group,
                "u": Decimal(repr(row.u)), "release_at": row.release_at.isoformat(), "zones": ",".join(row.zones),
            })}}
            for row in {r.phone: r for r in rows}.values()  # one row per phone in a request (DynamoDB's rule)
        ]  # fmt: skip
        batch_write(self._ddb, self._table, requests, "assignment writes")

    def assignments(
        self, shop: str, campaign_id: str, cursor: Mapping[str, str] | None = None, limit: int = 1000
    ) -> tuple[builtins.list[tuple[str, AssignmentRow]], dict[str, str] | None]:
        pk = keys.campaign_assignment(shop, campaign_id, "")["pk"]
        ask: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": pk}},
            "Limit": max(1, min(1000, limit)),
        }
        if cursor is not None:
            if set(cursor) != {"pk", "sk"} or cursor.get("pk") != pk:
                raise ValueError("cursor: not a cursor of this campaign's assignments")
            ask["ExclusiveStartKey"] = {"pk": {"S": cursor["pk"]}, "sk": {"S": cursor["sk"]}}
        try:
            out = self._ddb.query(**ask)
        except ClientError as exc:
            raise translate(exc) from exc
        rows = []
        for item in out.get("Items", []):
            plain = from_item(item) or {}
            rows.append((str(plain["run"]), AssignmentRow(
                phone=str(plain["phone"]), group=str(plain["group"]), u=float(plain["u"]),
                release_at=datetime.fromisoformat(str(plain["release_at"])),
                zones=tuple(z for z in str(plain.get("zones", "")).split(",") if z),
            )))  # fmt: skip
        last = out.get("LastEvaluatedKey")
        return rows, ({"pk": last["pk"]["S"], "sk": last["sk"]["S"]} if last else None)

    def assignments_of(
        self, shop: str, campaign_ids: Sequence[str], phone: str
    ) -> dict[str, tuple[str, AssignmentRow]]:
        """The phone's row in each of the campaigns (those it has one in): one BatchGetItem."""
        found = batch_get(self._ddb, self._table,
                          [to_item(keys.campaign_assignment(shop, c, phone)) for c in campaign_ids])  # fmt: skip
        out = {}
        for item in found:
            plain = from_item(item) or {}
            out[str(plain["campaign_id"])] = (str(plain["run"]), AssignmentRow(
                phone=str(plain["phone"]), group=str(plain["group"]), u=float(plain["u"]),
                release_at=datetime.fromisoformat(str(plain["release_at"])),
                zones=tuple(z for z in str(plain.get("zones", "")).split(",") if z),
            ))  # fmt: skip
        return out

    def runs(self, shop: str, campaign_id: str) -> builtins.list[tuple[str, Progress, dict[str, Any]]]:
        key = keys.campaign_run(shop, campaign_id, "")
        try:
            items = query_all(
                self._ddb,
                TableName=self._table,
                KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                ExpressionAttributeValues={":p": {"S": key["pk"]}, ":s": {"S": key["sk"]}},
                ConsistentRead=True,
            )
        except ClientError as exc:
            raise translate(exc) from exc
        return [_run(from_item(i) or {}) for i in items]


def _run(plain: dict[str, Any]) -> tuple[str, Progress, dict[str, Any]]:
    progress = Progress.from_dict(json.loads(str(plain["progress"]))) if plain.get("progress") else Progress()
    counters: dict[str, Any] = {o: int(plain.get(f"n_{o}", 0)) for o in sorted(OUTCOMES)}
    counters["last_sent_at"] = plain.get("last_sent_at")
    counters["queued"] = int(plain["queued"]) if plain.get("queued") is not None else None
    counters["audience"] = plain.get("audience")  # the run's segment, pinned at its first step (JSON)
    return str(plain.get("sk", "")).rsplit("#", 1)[-1], progress, counters
