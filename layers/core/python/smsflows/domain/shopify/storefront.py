"""The storefront's opt-in through Shopify's app proxy: what the theme extension shows, and its sign-ups.

The extension's script asks `GET {prefix}/config` for the shop's disclosure, keyword and number, and posts
`{prefix}/subscribe`; Shopify forwards both to `/proxy/...` with a signed query (`app_proxy`). The shop is
the signed one, never the body's: a form on one shop cannot sign people up to another. The sign-up itself
is the web form's (`subscriptions.subscribe`): the same checks of the consent shown, the same limits
against SMS pumping, the same double opt-in text.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from smsflows.domain.consent.subscriptions import (
    ConsentDeps,
    ConsentShown,
    SubscribeRequest,
    SubscribeResult,
    shop_config,
    subscribe,
)
from smsflows.domain.shopify.app_proxy import ProxyRequest
from smsflows.runtime.errors import BadRequest


def storefront_config(shop: str, deps: ConsentDeps) -> dict[str, Any]:
    """What the opt-in form shows, from the shop's settings; ShopNotTexting (404) for a shop that texts nobody
    now, so that no form promises a text that never comes."""
    config = shop_config(deps, shop)
    return {
        "shop": shop,
        "brand": config.brand,
        "disclosure": config.signup_disclosure(),
        "keyword": config.keywords[0] if config.keywords else "START",
        "number": config.two_tap_number,
        "terms_url": config.terms_url,
        "privacy_url": config.privacy_url,
        "frequency": config.frequency_text,
        "countries": list(config.texted_countries),
        "default_country": config.default_country,
    }


class ProxySignup(BaseModel):
    """The body the extension posts. `shop` may be left out (the signed one is used) or must be it."""

    model_config = ConfigDict(extra="forbid")

    shop: str | None = Field(None, max_length=100)
    phone: str = Field(min_length=3, max_length=40)
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$")
    consent: ConsentShown
    page_url: str | None = Field(None, max_length=500)
    locale: str | None = Field(None, max_length=20)
    submission_id: str | None = Field(None, max_length=100)
    restock_variant_id: str | None = Field(None, max_length=40, pattern=r"^\d+$")
    restock_product: str | None = Field(None, max_length=200)
    restock_url: str | None = Field(None, max_length=500)


def proxy_subscribe(
    proxied: ProxyRequest, body: dict[str, Any], ip: str | None, user_agent: str | None, deps: ConsentDeps
) -> SubscribeResult:
    """A storefront sign-up for the signed shop; the logged-in customer (if any) is the signed id."""
    signup = ProxySignup.model_validate(body)
    if signup.shop is not None and signup.shop != proxied.shop:
        raise BadRequest("the sign-up names another shop than the storefront it came from")
    customer = proxied.logged_in_customer_id
    request = SubscribeRequest(
        shop=proxied.shop,
        phone=signup.phone,
        country=signup.country,
        source="web_form",
        consent=signup.consent,
        page_url=signup.page_url,
        customer_id=customer if customer and customer.isdigit() and len(customer) <= 40 else None,
        locale=signup.locale,
        submission_id=signup.submission_id,
        restock_variant_id=signup.restock_variant_id,
        restock_product=signup.restock_product,
        restock_url=signup.restock_url,
    )
    return subscribe(request, ip, user_agent, deps)
