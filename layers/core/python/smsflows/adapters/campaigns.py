"""A shop's campaigns in DynamoDB (issue 15): `smsflows campaign create|schedule|…` write them.

One item per campaign (`keys.campaign`: partition `CAMPAIGN#<shop>`, so a shop's list is one Query, never a
Scan) holding the campaign as JSON and a `version`. Every put is conditional on the version the writer read
(a new campaign: that none exists): of two operators changing one campaign at once, the second is refused
with `Conflict` and nothing is written, instead of silently undoing the first's change. The item carries
`shop`, so it is in the by_shop index and `shop/redact` erases it with the rest of the shop's data.
"""

from __future__ import annotations

import builtins
from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import error_code, from_item, query_all, to_item, translate
from smsflows.domain import keys
from smsflows.domain.campaigns.campaign import Campaign
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
