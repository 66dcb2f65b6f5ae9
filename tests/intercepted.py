"""A boto3 client with some of its operations intercepted, for the adapters' tests under moto: what moto
cannot show (a parameter it ignores, such as ConsistentRead or a stop's cause), a refusal it never gives
(a throttled write, a cancelled transaction) or a race (another writer between a read and a write)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, NoReturn

from botocore.exceptions import ClientError

Hook = Callable[[dict[str, Any]], Any]


class Intercepted:
    """`client`, except that each operation named in `hooks` first keeps its parameters (`calls[name]`) and
    runs its hook, which may raise (the call is then not made) or change the world before the real call."""

    def __init__(self, client: Any, **hooks: Hook) -> None:
        self._client = client
        self._hooks = hooks
        self.calls: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._client, name)
        hook = self._hooks.get(name)
        if hook is None:
            return real

        def call(**params: Any) -> Any:
            self.calls[name].append(params)
            hook(params)
            return real(**params)

        return call


def kept(params: dict[str, Any]) -> None:
    """A hook that only keeps the call's parameters."""


def refused(code: str, operation: str) -> Hook:
    """A hook that refuses the call as AWS does, with the error `code`."""

    def refuse(params: dict[str, Any]) -> NoReturn:
        raise ClientError({"Error": {"Code": code, "Message": "refused"}}, operation)

    return refuse
