"""The demo storefront without a browser or a cloud: its tiny Liquid renders the real blocks as Shopify would
(and refuses what it does not know), its app proxy signs what Shopify signs and drops what a visitor may not
choose, its files stay inside their folders, and the front door hands it every path under its prefix."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from smsflows.domain.shopify.app_proxy import verify_query
from smsflows.local.front_door import FrontDoor
from smsflows.local.storefront import (
    LiquidContext,
    LiquidError,
    Storefront,
    StorefrontUnavailable,
    block_schema,
    default_settings,
    render_liquid,
    shopify_root,
)

NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
SECRET = "unit-shopify-secret"
ROOT = shopify_root()


def ctx(**settings: Any) -> LiquidContext:
    return LiquidContext(settings, "b1", lambda name: f"/assets/{name}", lambda key: f"<{key}>")


class Forwarded:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, str], bytes]] = []

    def __call__(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Any:
        self.calls.append((method, target, headers, body))
        return 200, {"Content-Type": "application/json"}, b"{}"


def storefront(forward: Forwarded) -> Storefront:
    return Storefront(shop="demo-shop.myshopify.com", brand="Demo Shop", secret=SECRET, forward=forward,
                      base_url="http://127.0.0.1:8787", clock=lambda: NOW)  # fmt: skip


def test_the_real_blocks_render_with_their_schema_defaults_and_load_assets_from_the_schema():
    for name, mode in (("optin-embed", "popup"), ("optin-inline", "inline")):
        source = (ROOT / "extensions" / "smsflows-optin" / "blocks" / f"{name}.liquid").read_text()
        schema = block_schema(source)
        assert schema["javascript"] == "smsflows-optin.js" and schema["stylesheet"] == "smsflows-optin.css"
        assert schema["target"] == ("body" if mode == "popup" else "section")
        out = render_liquid(source, ctx(**default_settings(schema)))
        assert f'data-smsflows-optin="{mode}"' in out and 'data-proxy="/apps/sms"' in out
        assert "{%" not in out and "{{" not in out and "schema" not in out
        assert 'data-t-submit="&lt;optin.submit&gt;"' in out  # translated, then escaped


def test_every_translation_a_block_uses_exists_in_the_locale_file():
    strings = json.loads((ROOT / "extensions" / "smsflows-optin" / "locales" / "en.default.json").read_text())
    page = storefront(Forwarded()).home("", {})
    assert strings["optin"]["submit"] in page and "smsflows-optin.js" in page


def test_settings_are_escaped_and_liquid_truthiness_holds():
    source = (
        '<p title="{{ block.settings.t | escape }}">{% if block.settings.on %}on{% else %}off{% endif %}</p>'
    )
    assert (
        render_liquid(source, ctx(t='"><script>', on=False)) == '<p title="&quot;&gt;&lt;script&gt;">off</p>'
    )
    assert render_liquid(source, ctx(t="", on="")).endswith(
        ">on</p>"
    )  # "" is true in Liquid, only nil/false not
    assert render_liquid("{%- if block.settings.n == 5 -%}  five  {%- endif -%}", ctx(n=5)) == "five"
    assert render_liquid("{{ block.settings.x | default: 'none' }}", ctx(x=None)) == "none"


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("{{ product.title }}", "unknown variable"),
        ("{{ block.settings.nope }}", "not in the block's schema"),
        ("{{ 'x' | upcase }}", "unknown filter"),
        ("{% for x in y %}{% endfor %}", "unknown tag"),
        ("{% if block.settings.a %}open", "not closed"),
    ],
)
def test_liquid_it_does_not_know_is_refused_not_rendered_differently(source, says):
    with pytest.raises(LiquidError, match=says):
        render_liquid(source, ctx(a=True))


def test_the_proxy_signs_like_shopify_and_drops_what_a_visitor_may_not_choose():
    forward = Forwarded()
    shop = storefront(forward)
    query = "x=1&shop=evil-shop.myshopify.com&signature=abc&logged_in_customer_id=1"
    shop.route("POST", "/apps/sms/subscribe", query, {"Content-Type": "application/json",
               "Cookie": "smsflows_local_customer=7000000000061", "X-Other": "no"}, b'{"phone": "x"}')  # fmt: skip
    [(method, target, headers, body)] = forward.calls
    parts = urlsplit(target)
    assert method == "POST" and parts.path == "/proxy/subscribe" and body == b'{"phone": "x"}'
    assert headers == {"Content-Type": "application/json"}
    signed = verify_query(parts.query, SECRET.encode(), NOW)
    assert signed.shop == "demo-shop.myshopify.com" and signed.logged_in_customer_id == "7000000000061"
    assert signed.path_prefix == "/apps/sms" and signed.timestamp == int(NOW.timestamp())
    assert [k for k, _ in parse_qsl(parts.query)].count("shop") == 1 and signed.params["x"] == "1"


def test_a_customer_choice_is_kept_in_a_cookie_and_a_bad_one_is_refused():
    shop = storefront(Forwarded())
    status, headers, page = shop.route("GET", "", "customer=7000000000061", {}, b"")
    assert status == 200 and headers["Set-Cookie"].startswith("smsflows_local_customer=7000000000061;")
    assert b"Logged in as customer 7000000000061" in page
    _, out, _ = shop.route("GET", "", "customer=", {}, b"")
    assert "Max-Age=0" in out["Set-Cookie"]
    with pytest.raises(ValueError, match="not a Shopify customer id"):
        shop.route("GET", "", "customer=1%20OR%201", {}, b"")
    with pytest.raises(ValueError, match="no setting 'nope'"):
        shop.route("GET", "", "setting.nope=1", {}, b"")


@pytest.mark.parametrize(
    "path", ["/assets/../blocks/optin-embed.liquid", "/assets/.hidden", "/assets/nope.js"]
)
def test_files_are_served_by_plain_name_only(path):
    assert storefront(Forwarded()).route("GET", path, "", {}, b"")[0] == 404


def test_assets_and_the_real_pixel_are_served():
    shop = storefront(Forwarded())
    status, headers, js = shop.route("GET", "/assets/smsflows-optin.js", "", {}, b"")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript") and b"/subscribe" in js
    pixel = shop.route("GET", "/pixel/index.js", "", {}, b"")[2]
    assert b'from "@shopify/web-pixels-extension"' in pixel


def test_without_the_repositorys_shopify_folder_it_says_so(tmp_path: Path):
    with pytest.raises(StorefrontUnavailable, match="shopify/extensions/smsflows-optin"):
        shopify_root(tmp_path / "a" / "b.py")


def test_the_front_door_hands_every_path_under_a_prefix_to_its_route():
    seen = []

    def under(method: str, rest: str, query: str, headers: dict[str, str], body: bytes) -> Any:
        seen.append((method, rest, query))
        return 200, {}, b"ok"

    door = FrontDoor("127.0.0.1", 0, lambda *_: None, {}, local_prefixes={"/_local/storefront": under})
    door.serve_in_thread()
    try:
        assert door.handle("GET", "/_local/storefront", {}, b"", "127.0.0.1")[0] == 200
        assert door.handle("POST", "/_local/storefront/apps/sms/x?a=1&a=2", {}, b"", "127.0.0.1")[0] == 200
        assert door.handle("GET", "/_local/storefrontX", {}, b"", "127.0.0.1")[0] == 404  # not under it
    finally:
        door.stop()
    assert seen == [("GET", "", ""), ("POST", "/apps/sms/x", "a=1&a=2")]
