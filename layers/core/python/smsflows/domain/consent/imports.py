"""`smsflows import FILE.csv`: existing subscribers with their consent proof, row by row, all or nothing per row."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

from pydantic import ValidationError

from smsflows.domain.consent import ledger
from smsflows.domain.consent.ledger import ConsentEvent
from smsflows.domain.phones import normalize_phone

REQUIRED = ("phone", "consent_at")
COLUMNS = (
    "phone", "consent_at", "source", "disclosure_text", "checkbox_default", "ip", "user_agent", "page_url",
    "message_sid", "message_body", "customer_id", "country", "locale",
)  # fmt: skip
SOURCES = {"web_form", "checkout", "keyword", "import"}
UNCHECKED = {"unchecked", "false", "no", "0"}  # how the box stood before the person ticked it
PRE_CHECKED = {"checked", "true", "yes", "1"}


@dataclass(frozen=True)
class RowResult:
    row: int  # 1-based data row (the header is row 0)
    event: ConsentEvent | None
    error: str | None


def read_rows(handle: TextIO, shop: str, now: datetime, default_country: str = "US") -> Iterator[RowResult]:
    reader = csv.DictReader(handle)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValueError(f"the CSV header lacks {', '.join(missing)} (columns: {', '.join(COLUMNS)})")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise ValueError(f"unknown columns {', '.join(unknown)} (columns: {', '.join(COLUMNS)})")
    for number, raw in enumerate(reader, start=1):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        try:
            yield RowResult(number, _event(row, shop, now, default_country), None)
        except (ValueError, ValidationError) as exc:
            message = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            yield RowResult(number, None, message)


def _event(row: dict[str, str], shop: str, now: datetime, default_country: str) -> ConsentEvent:
    phone = normalize_phone(row.get("phone"), row.get("country") or default_country)
    if not phone.usable or phone.e164 is None:
        raise ValueError(f"phone {row.get('phone')!r} is not a valid number")
    try:
        at = datetime.fromisoformat(row["consent_at"].replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"consent_at {row['consent_at']!r} is not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise ValueError("consent_at needs a UTC offset (e.g. 2025-05-01T14:03:00Z)")
    at = at.astimezone(UTC)
    if at > now:
        raise ValueError("consent_at is in the future")
    source = row.get("source") or "import"
    if source not in SOURCES:
        raise ValueError(f"source {source!r} is not one of {sorted(SOURCES)}")
    disclosure = row.get("disclosure_text") or None
    sid, body = row.get("message_sid") or None, row.get("message_body") or None
    if not disclosure and not (sid and body):
        raise ValueError(
            "no proof: give disclosure_text (web/checkout) or message_sid and message_body (keyword)"
        )
    box = (row.get("checkbox_default") or "unchecked").strip().lower()
    if box in PRE_CHECKED:
        raise ValueError(f"checkbox_default is {box!r}: pre-checked consent is not consent")
    if box not in UNCHECKED:
        raise ValueError(f"checkbox_default: {box!r} is neither unchecked (unchecked, false, no) nor checked")
    return ConsentEvent(
        event_id=f"import:{ledger.disclosure_version(shop + phone.e164 + at.isoformat())[:24]}",
        shop=shop,
        phone=phone.e164,
        kind="opt_in",
        source="import",
        at=at,
        recorded_at=now,
        disclosure_text=disclosure,
        disclosure_version=ledger.disclosure_version(disclosure) if disclosure else None,
        checkbox_default="unchecked" if disclosure else None,
        ip=row.get("ip") or None,
        user_agent=row.get("user_agent") or None,
        page_url=row.get("page_url") or None,
        message_sid=sid,
        message_body=body,
        shopify_customer_id=row.get("customer_id") or None,
        country=(row.get("country") or None),
        locale=row.get("locale") or None,
        note=f"imported; original source {source}",
    )
