"""A Shopify segment's Admin API reads as the operator's commands make them (issue 17): `segment` and
`campaign preview`/`schedule` count one, `segment create` finds one, `segment shopify-list` lists them. Every
failure of Shopify's is one Failed line that says why and that nothing changed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from smsflows.admin.errors import Failed, one_line
from smsflows.admin.target import deps


def shopify_source() -> Any:
    """The shop's Shopify segments through the Admin API (adapters/shopify_segment_members.py)."""
    from smsflows.adapters.shopify_segment_members import ShopifySegmentSource

    admin = deps().shopify_admin
    if admin is None:
        raise Failed(
            "no Shopify Admin API for this target: set SHOPIFY_ADMIN_TOKEN_PREFIX from the stack output "
            "ShopifyAdminTokenPrefix (or shopify_admin_token_prefix in the profile); nothing changed"
        )
    return ShopifySegmentSource(admin)


def shopify_failure(exc: Exception, shop: str, doing: str) -> Failed:
    """One line saying why Shopify did not answer, and that nothing changed."""
    from smsflows.runtime.errors import ShopifyAccessDenied, ShopifyNotConnected, TransientError

    if isinstance(exc, ShopifyNotConnected):
        why = f"no Shopify access token is stored for {shop} (`smsflows shop connect --shop {shop}`)"
    elif isinstance(exc, ShopifyAccessDenied):
        why = (f"Shopify denied access: {one_line(exc)} (segments need the read_customers scope and "
               "protected customer data access)")  # fmt: skip
    elif isinstance(exc, TransientError):
        why = f"Shopify is unreachable or throttling ({one_line(exc)}): try again"
    else:
        why = f"Shopify refused it ({one_line(exc)})"
    return Failed(f"{doing}: {why}; nothing changed")


def shopify_count(shop: str, shopify: Mapping[str, Any], country: str | None,
                  progress: Callable[[int], None] | None = None) -> Any:  # fmt: skip
    """A Shopify segment counted now (`shopify_segments.count`): Shopify pages joined with the consent
    store. Failed (one line) when Shopify does not answer."""
    from smsflows.adapters.shopify_segment_members import DynamoShopifySegmentMembers
    from smsflows.domain.campaigns import shopify_segments
    from smsflows.runtime.errors import ShopifyError, TransientError

    found = deps()
    members = DynamoShopifySegmentMembers(found.client("dynamodb"), found.settings.table_name)
    try:
        return shopify_segments.count(
            str(shopify["id"]), shopify_source().fetch(shop, str(shopify["id"])),
            lambda phones: members.states(shop, phones), country, progress=progress,
        )  # fmt: skip
    except (ShopifyError, TransientError) as exc:
        raise shopify_failure(exc, shop, f"cannot count Shopify segment {shopify['id']}") from None
