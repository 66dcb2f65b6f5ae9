"""Token buckets and daily counters in DynamoDB (the TokenBuckets port of domain/pacing.py).

Each operation is one conditional UpdateItem in the common case: a busy bucket is advanced with
`SET tat = tat + :d`, an idle one is restarted at `now`. DynamoDB cannot take max(tat, now) in an
expression, so the adapter remembers which case it saw last per bucket and tries that one first.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from smsflows.adapters._dynamo import error_code, to_item, translate
from smsflows.domain import keys


def _n(value: float) -> dict[str, str]:
    return {"N": f"{value:.6f}"}


class DynamoTokenBuckets:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table
        self._busy: dict[str, bool] = {}  # per bucket: was it booked ahead of now last time?

    def _update(
        self, key: dict[str, str], expression: str, condition: str, values: dict[str, Any]
    ) -> dict[str, Any] | None:
        try:
            out = self._ddb.update_item(
                TableName=self._table,
                Key=to_item(key),
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                ExpressionAttributeNames={"#t": "type"},
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return None
            raise translate(exc) from exc
        return dict(out.get("Attributes") or {})

    def _advance(self, key: dict[str, str], attr: str, seconds: float, floor: float, limit: float | None,
                 hint: str) -> float | None:  # fmt: skip
        """Take `seconds` from the pointer `attr`: from its value if it is in [floor, limit], from
        `floor` if it is behind it; the start of the span, or None if it is beyond `limit`."""
        busy_condition = f"{attr} >= :floor" + (f" AND {attr} <= :limit" if limit is not None else "")
        kind = {":type": {"S": "pacing"}}  # operational: no personal data, shared by the sender's shops
        limit_value = {":limit": _n(limit)} if limit is not None else {}
        busy_values = {":d": _n(seconds), ":floor": _n(floor), **limit_value, **kind}
        order = [True, False] if self._busy.get(hint, False) else [False, True]
        for _ in range(2):  # a racing writer can move the pointer between the two cases once
            for busy in order:
                if busy:
                    got = self._update(
                        key, f"SET {attr} = {attr} + :d, #t = :type", busy_condition, busy_values
                    )
                    if got is not None:
                        self._busy[hint] = True
                        return float(got[attr]["N"]) - seconds
                else:
                    got = self._update(key, *_restart(attr, floor, floor + seconds))
                    if got is not None:
                        self._busy[hint] = False
                        return floor
            if limit is not None:
                self._busy[hint] = True
                return None  # neither idle nor within the horizon: booked ahead
        raise RuntimeError("pacing pointer moved on every attempt")  # pragma: no cover

    def give_back(self, bucket: str, start: float, end: float) -> None:
        self._update(
            keys.pace_bucket(bucket),
            "SET tat = :start, #t = :type",
            "tat = :end",
            {":start": _n(start), ":end": _n(end), ":type": {"S": "pacing"}},
        )

    def looks_idle(self, bucket: str) -> bool:
        return not self._busy.get(f"tat:{bucket}", False)

    def note_busy(self, bucket: str) -> None:
        self._busy[f"tat:{bucket}"] = True

    def reserve(self, bucket: str, seconds: float, now: float, horizon: float) -> float | None:
        limit = now + horizon - seconds  # the reserved span must end within the horizon
        return self._advance(keys.pace_bucket(bucket), "tat", seconds, now, limit, f"tat:{bucket}")

    def ticket(self, bucket: str, seconds: float, floor: float) -> float:
        start = self._advance(keys.pace_bucket(bucket), "backlog", seconds, floor, None, f"backlog:{bucket}")
        assert start is not None
        return start

    def count_daily(self, brand: str, day: str, segments: int, cap: int) -> bool:
        return self._update(keys.daily_counter(brand, day), *_daily_count(day, segments, cap)) is not None


def _expiry(day: str) -> int:
    from datetime import date, datetime, time, timedelta

    from smsflows.domain.sending.pacing import PACIFIC

    # kept two days after the Pacific day ends (nothing reads it after midnight)
    end = datetime.combine(date.fromisoformat(day) + timedelta(days=3), time(), tzinfo=PACIFIC)
    return int(end.timestamp())


Expression = tuple[str, str, dict[str, Any]]  # update expression, condition, values


def _restart(attr: str, start: float, end: float) -> Expression:
    """An idle pointer (behind `start`, or never set) restarts: the span [start, end) is taken."""
    return (
        f"SET {attr} = :end, #t = :type",
        f"attribute_not_exists({attr}) OR {attr} < :floor",
        {":end": _n(end), ":floor": _n(start), ":type": {"S": "pacing"}},
    )


def _daily_count(day: str, segments: int, cap: int) -> Expression:
    """Add `segments` to the day's counter unless that passes `cap`."""
    return (
        "ADD used :n SET expires_at = if_not_exists(expires_at, :exp), #t = :type",
        # a fresh day has no counter: the first count must fit the cap too (a block larger than the cap)
        "attribute_not_exists(used) OR used <= :max" if segments <= cap else "used <= :max",
        {
            ":n": {"N": str(segments)},
            ":max": {"N": str(cap - segments)},
            ":exp": {"N": str(_expiry(day))},
            ":type": {"S": "daily_counter"},
        },
    )


def _transact_update(table: str, key: dict[str, str], expression: Expression) -> dict[str, Any]:
    update, condition, values = expression
    return {
        "Update": {
            "TableName": table,
            "Key": to_item(key),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#t": "type"},
            "ExpressionAttributeValues": values,
        }
    }


def fold_items(table: str, fold: Any) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """TransactWriteItems entries for a folded reservation (domain.pacing.Fold): the bucket's idle case
    and, with a cap, the daily count: the very expressions reserve() and count_daily() use."""
    bucket = _transact_update(table, keys.pace_bucket(fold.bucket), _restart("tat", fold.start, fold.end))
    if fold.daily is None:
        return bucket, None
    brand, day, segments, cap = fold.daily
    return bucket, _transact_update(table, keys.daily_counter(brand, day), _daily_count(day, segments, cap))
