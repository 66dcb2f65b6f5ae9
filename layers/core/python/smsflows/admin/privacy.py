"""The exports that `customers/data_request` stored."""

from __future__ import annotations

from typing import Any

from smsflows.admin.errors import Failed
from smsflows.admin.target import deps


def privacy_export(shop: str, request_id: str) -> dict[str, Any]:
    export = deps().privacy.store.load_export(shop, request_id)
    if export is None:
        raise Failed(f"no export {request_id} for {shop} (has its customers/data_request arrived?)")
    return dict(export)
