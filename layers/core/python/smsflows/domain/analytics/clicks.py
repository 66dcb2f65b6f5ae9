"""Use case: a short link is followed (GET or HEAD /l/{code}).

A person's click on a live link: one UpdateItem finds the link and counts the click on it (no read before
it), then the click is noted on the customer's touch record (the attribution's last click) and on the day's
counters (clicks, and unique clicks the first time). A link preview, a prefetch or a bot is redirected the
same way after one read, and counted nowhere. An unknown code, or one that expired (counted as expired, and
never attributed), gets the friendly page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from smsflows.domain.analytics import bots, links
from smsflows.domain.analytics.attribution import Touchpoint
from smsflows.domain.analytics.links import Link


class FollowStore(Protocol):
    def follow(self, code: str, now: datetime, person: bool) -> Any: ...  # adapters.measurement.Followed

    def note_click(self, shop: str, phone: str, click: Touchpoint) -> None: ...

    def count(self, shop: str, at: datetime, scope: str, values: Mapping[str, float | int]) -> None: ...


@dataclass(frozen=True)
class Followed:
    kind: Literal["redirect", "unknown", "expired"]
    location: str | None = None
    link: Link | None = None
    counted: str = ""  # "" (not counted), "click", "unique_click"; else why not: head, prefetch, bot…


def follow(code: str, method: str, headers: Mapping[str, str], now: datetime, store: FollowStore,
           on_error: Any = None) -> Followed:  # fmt: skip
    if not links.CODE_FORM.fullmatch(code):
        return Followed("unknown")  # not even a code: no read
    why_not = bots.not_a_person(method, headers)
    found = store.follow(code, now, person=why_not is None)
    link: Link | None = found.link
    if link is None:
        return Followed("unknown")
    if found.expired:
        return Followed("expired", link=link, counted="expired")
    if why_not is not None:
        return Followed("redirect", link.target, link, counted=why_not)
    try:  # best effort: the person gets their page even if a counter cannot be written now
        store.note_click(link.shop, link.phone, Touchpoint(now, link.scope, link.message_id))
        store.count(link.shop, now, link.scope, {"clicks": 1, "unique_clicks": 1 if found.first else 0})
    except Exception as exc:
        if on_error is not None:
            on_error(exc)
    return Followed("redirect", link.target, link, counted="unique_click" if found.first else "click")
