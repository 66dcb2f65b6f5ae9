"""DynamoDB plumbing shared by the adapters (private to this package): items to and from plain values,
update expressions, paginated queries, and ClientError translated into domain errors."""

from __future__ import annotations

import random
import time
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from smsflows.runtime.errors import TransientError

_ser = TypeSerializer()
_de = TypeDeserializer()

_TRANSIENT = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
}


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in values.items() if v is not None}


def from_item(item: dict[str, Any] | None) -> dict[str, Any] | None:
    """Plain values from DynamoDB JSON (as GetItem, or a Step Functions getItem task, returns it)."""
    if not item:
        return None
    return {k: _de.deserialize(v) for k, v in item.items()}


def set_expression(values: dict[str, Any], remove: tuple[str, ...] = ()) -> dict[str, Any]:
    """UpdateItem arguments that SET `values` (None values skipped), every name escaped (DynamoDB has
    hundreds of reserved words: state, segments, name ...)."""
    names: dict[str, str] = {}
    attr_values: dict[str, Any] = {}
    sets: list[str] = []
    for i, (name, value) in enumerate(v for v in values.items() if v[1] is not None):
        names[f"#a{i}"] = name
        attr_values[f":v{i}"] = value
        sets.append(f"#a{i} = :v{i}")
    expression = "SET " + ", ".join(sets)
    if remove:
        for j, name in enumerate(remove):
            names[f"#r{j}"] = name
        expression += " REMOVE " + ", ".join(f"#r{j}" for j in range(len(remove)))
    return {
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": to_item(attr_values),
    }


def query_all(ddb: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """Every item a Query returns, following LastEvaluatedKey."""
    items: list[dict[str, Any]] = []
    while True:
        out = ddb.query(**kwargs)
        items += out.get("Items", [])
        if "LastEvaluatedKey" not in out:
            return items
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]


BATCH_WRITE = 25  # BatchWriteItem's limit
UNPROCESSED_BACKOFF_S = 0.05  # the first wait before asking again for keys a batch read left unprocessed


def batch_get(
    ddb: Any,
    table: str,
    keys: list[dict[str, Any]],
    *,
    projection: str | None = None,
    names: dict[str, str] | None = None,
    rounds: int = 3,
) -> list[dict[str, Any]]:
    """Consistent BatchGetItem of `keys` (raw), deduplicated and 100 at a time; the raw items found. Keys
    DynamoDB leaves unprocessed (it throttled part of the batch, which is not an error the client retries)
    are asked again after a jittered backoff, as AWS advises; still unprocessed after `rounds`:
    TransientError (the caller's retry, e.g. SQS's, helps)."""
    unique = list({(k["pk"]["S"], k["sk"]["S"]): k for k in keys}.values())
    found: list[dict[str, Any]] = []
    for i in range(0, len(unique), 100):
        ask: dict[str, Any] = {"Keys": unique[i : i + 100], "ConsistentRead": True}
        if projection:
            ask["ProjectionExpression"] = projection
        if names:
            ask["ExpressionAttributeNames"] = names
        pending: dict[str, Any] = {table: ask}
        try:
            for round_ in range(rounds):
                if round_:
                    time.sleep(random.uniform(0, UNPROCESSED_BACKOFF_S * 2 ** (round_ - 1)))
                got = ddb.batch_get_item(RequestItems=pending)
                found += got["Responses"].get(table, [])
                pending = got.get("UnprocessedKeys") or {}
                if not pending:
                    break
        except ClientError as exc:
            raise translate(exc) from exc
        if pending:
            raise TransientError("DynamoDB left keys unprocessed")
    return found


def batch_write(ddb: Any, table: str, requests: list[dict[str, Any]], what: str, *, rounds: int = 5) -> None:
    """BatchWriteItem of `requests` (PutRequest/DeleteRequest), 25 at a time; the requests DynamoDB leaves
    unprocessed are sent again after a jittered backoff; still unprocessed after `rounds`: TransientError
    naming `what` (the caller's retry, e.g. SQS's, helps: the writes are idempotent puts)."""
    for i in range(0, len(requests), BATCH_WRITE):
        pending: dict[str, Any] = {table: requests[i : i + BATCH_WRITE]}
        for round_ in range(rounds):
            if round_:
                time.sleep(random.uniform(0, UNPROCESSED_BACKOFF_S * 2 ** (round_ - 1)))
            try:
                out = ddb.batch_write_item(RequestItems=pending)
            except ClientError as exc:
                raise translate(exc) from exc
            pending = out.get("UnprocessedItems") or {}
            if not pending:
                break
        if pending:
            raise TransientError(f"DynamoDB left {what} unprocessed")


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate(exc: ClientError) -> Exception:
    if error_code(exc) in _TRANSIENT:
        return TransientError(f"DynamoDB {error_code(exc)}")
    return exc


class Update:
    """An UpdateItem (or a transaction's Update) built clause by clause, every name and value escaped:
    SET, SET if_not_exists, ADD, REMOVE and a condition made of `name()`/`value()` placeholders."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._values: dict[str, Any] = {}
        self._sets: list[str] = []
        self._adds: list[str] = []
        self._removes: list[str] = []
        self._conditions: list[str] = []

    def name(self, attribute: str) -> str:
        for placeholder, known in self._names.items():
            if known == attribute:
                return placeholder
        placeholder = f"#n{len(self._names)}"
        self._names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self._values)}"
        self._values[placeholder] = _ser.serialize(value)
        return placeholder

    def set(self, attribute: str, value: Any) -> Update:
        """SET the attribute (None: nothing)."""
        if value is not None:
            self._sets.append(f"{self.name(attribute)} = {self.value(value)}")
        return self

    def set_if_absent(self, attribute: str, value: Any) -> Update:
        """SET the attribute only where the item has none (None: nothing)."""
        if value is not None:
            n = self.name(attribute)
            self._sets.append(f"{n} = if_not_exists({n}, {self.value(value)})")
        return self

    def add(self, attribute: str, value: Any) -> Update:
        """ADD a number to the attribute, or elements to a set (None or an empty set: nothing)."""
        if value is not None and value != set():
            self._adds.append(f"{self.name(attribute)} {self.value(value)}")
        return self

    def remove(self, attribute: str) -> Update:
        self._removes.append(self.name(attribute))
        return self

    def where(self, condition: str) -> Update:
        """AND a condition (written with this update's `name()` and `value()` placeholders)."""
        self._conditions.append(f"({condition})")
        return self

    @property
    def empty(self) -> bool:
        return not (self._sets or self._adds or self._removes)

    def build(self) -> dict[str, Any]:
        clauses = []
        if self._sets:
            clauses.append("SET " + ", ".join(self._sets))
        if self._adds:
            clauses.append("ADD " + ", ".join(self._adds))
        if self._removes:
            clauses.append("REMOVE " + ", ".join(self._removes))
        out: dict[str, Any] = {
            "UpdateExpression": " ".join(clauses),
            "ExpressionAttributeNames": dict(self._names),
        }
        if self._values:
            out["ExpressionAttributeValues"] = dict(self._values)
        if self._conditions:
            out["ConditionExpression"] = " AND ".join(self._conditions)
        return out
