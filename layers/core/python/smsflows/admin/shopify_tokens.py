"""A shop's Admin API access token, stored where the functions read it (adapters/shopify_admin.py): the
Secrets Manager secret `<prefix>/<shop>` holding {"access_token": ...}. The token is never printed, logged
or returned; only the secret's name is."""

from __future__ import annotations

import json
import re
from typing import Any

from botocore.exceptions import ClientError

from smsflows.admin.errors import BadValue, Failed
from smsflows.admin.target import deps
from smsflows.domain.shopify.webhooks import SHOP_DOMAIN

TOKEN = re.compile(r"^[\x21-\x7e]{16,512}$")  # printable ASCII, no spaces (shpat_..., shpua_...)
TOKEN_FORM = "the offline access token from the app's install (e.g. shpat_...), printable, without spaces"  # noqa: S105


def shop_connect(shop: str, token: str) -> dict[str, Any]:
    """Create or replace the shop's token secret; {"shop", "secret_name", "created"}. Nothing changes on
    a refusal (a bad shop or token, no token prefix in this deployment)."""
    if not SHOP_DOMAIN.match(shop):
        raise BadValue(f"--shop: {shop!r} is not a shop domain: give NAME.myshopify.com")
    if not TOKEN.match(token):
        raise BadValue(f"the token read from stdin is not {TOKEN_FORM}")
    from smsflows.adapters.shopify_admin import token_secret_id

    found = deps()
    prefix = found.settings.shopify_admin_token_prefix
    if not prefix:
        raise Failed(
            "this deployment names no token prefix: set SHOPIFY_ADMIN_TOKEN_PREFIX (the stack output "
            "ShopifyAdminTokenPrefix) or shopify_admin_token_prefix in the profile"
        )
    name = token_secret_id(prefix, shop)
    value = json.dumps({"access_token": token})
    client = found.client("secretsmanager")
    try:
        client.create_secret(
            Name=name, SecretString=value, Description=f"Shopify Admin API offline access token of {shop}"
        )
        created = True
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceExistsException":
            raise Failed(
                f"could not store the token of {shop}: {exc.response['Error'].get('Code')}"
            ) from None
        client.put_secret_value(SecretId=name, SecretString=value)
        created = False
    return {"shop": shop, "secret_name": name, "created": created}
