"""The local demo storefront (`/_local/storefront`): a small shop's pages with the REAL theme app extension and
the REAL web pixel, so a person can open it in a browser and sign up, and the browser tests drive it.

- The blocks (`shopify/extensions/smsflows-optin/blocks/*.liquid`) are rendered with a tiny Liquid renderer
  (below) and their settings' schema defaults; their assets are served from the extension's `assets/`, and
  loaded the way Shopify loads a block's schema `stylesheet` (in the head) and `javascript` (deferred, once).
- It plays Shopify's app proxy: `/_local/storefront/apps/sms/<path>?<q>` becomes `/proxy/<path>?<q>&shop=…&
  logged_in_customer_id=…&path_prefix=/apps/sms&timestamp=…&signature=…`, signed with the local Shopify
  secret (`domain.shopify.app_proxy`), and goes to the front door in-process. The "logged-in customer" is a
  choice on the page (`?customer=<id>`, kept in a cookie; `?customer=` logs out).
- It runs the pixel's `src/index.js` in an emulated sandbox: an import map points
  "@shopify/web-pixels-extension" at a shim whose `register(fn)` calls fn with {analytics, browser, init,
  settings} (settings.endpoint: this cloud's /storefront/events). Shopify runs app pixels in a web worker;
  Chromium has no import maps in workers, so here it runs as a module on the page, which changes nothing the
  pixel can see (it only uses what it is given). A product page publishes `product_viewed` on load; its
  Checkout button publishes `checkout_started`. Event timestamps are on the local cloud's clock.
- `window.Shopify.analytics.visitor` is a stub that records its calls in `window.__smsflowsVisitorCalls`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

from smsflows.domain.shopify.app_proxy import signed_query

OPTIN = "smsflows-optin"
PIXEL = "smsflows-pixel"
PREFIX = "/_local/storefront"
PROXY_PREFIX = (
    "/apps/sms"  # where Shopify mounts the app proxy (shopify.app.toml: prefix "apps", subpath "sms")
)
COOKIE = "smsflows_local_customer"
# Shopify adds these to a proxied request; a visitor's own values for them are dropped, as Shopify does not
# let a storefront request choose its shop or signature.
PROXY_PARAMS = ("shop", "logged_in_customer_id", "path_prefix", "timestamp", "signature")
Response = tuple[int, dict[str, str], bytes]
Forward = Callable[[str, str, dict[str, str], bytes], Response]


class StorefrontUnavailable(RuntimeError):
    """The repository's shopify/ folder is not where the package can find it (an installed wheel)."""


class LiquidError(ValueError):
    """A block uses Liquid this renderer does not know: teach the renderer, or keep the block simpler."""


# A tiny Liquid ---------------------------------------------------------------------------------------------
# What the blocks may use: {{ expr | filter | filter: 'arg' }} with expr a 'string', a number, true/false,
# block.id or block.settings.<id>, and the filters escape, asset_url, t and default; {% if expr %} (Liquid
# truthiness: only nil and false are false; `==`/`!=` with a literal), {% else %}, {% endif %};
# {% comment %}…{% endcomment %}; {% schema %}…{% endschema %}; whitespace control with `-`. Anything else
# raises LiquidError, so that a block never renders here differently from Shopify without anyone noticing.

_TOKEN = re.compile(r"({%-?.*?-?%}|{{-?.*?-?}})", re.S)
_LITERAL = re.compile(r"""^(?:'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?)|(true|false|nil))$""")
_NAME = re.compile(r"^block\.(id|settings\.([a-z_][a-z0-9_]*))$")


@dataclass
class Block:
    html: str
    schema: dict[str, Any]


@dataclass
class LiquidContext:
    settings: dict[str, Any]
    block_id: str
    asset_url: Callable[[str], str]
    translate: Callable[[str], str]


def block_schema(source: str) -> dict[str, Any]:
    found = re.search(r"{%-?\s*schema\s*-?%}(.*?){%-?\s*endschema\s*-?%}", source, re.S)
    if found is None:
        raise LiquidError("the block has no {% schema %}")
    return dict(json.loads(found.group(1)))


def default_settings(schema: dict[str, Any]) -> dict[str, Any]:
    return {s["id"]: s.get("default") for s in schema.get("settings", []) if "id" in s}


def _split_pipes(expr: str) -> list[str]:
    parts, current, quote_char = [], "", ""
    for char in expr:
        if quote_char:
            quote_char = "" if char == quote_char else quote_char
        elif char in "'\"":
            quote_char = char
        elif char == "|":
            parts.append(current.strip())
            current = ""
            continue
        current += char
    parts.append(current.strip())
    return parts


def _value(term: str, ctx: LiquidContext) -> Any:
    literal = _LITERAL.match(term.strip())
    if literal:
        single, double, number, word = literal.groups()
        if number is not None:
            return float(number) if "." in number else int(number)
        if word is not None:
            return {"true": True, "false": False, "nil": None}[word]
        return single if single is not None else double
    name = _NAME.match(term.strip())
    if name is None:
        raise LiquidError(f"unknown variable {term.strip()!r} (only block.id and block.settings.<id>)")
    if name.group(1) == "id":
        return ctx.block_id
    setting = name.group(2)
    if setting not in ctx.settings:
        raise LiquidError(f"block.settings.{setting} is not in the block's schema")
    return ctx.settings[setting]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _evaluate(expr: str, ctx: LiquidContext) -> Any:
    head, *filters = _split_pipes(expr)
    value = _value(head, ctx)
    for spec in filters:
        name, _, arg = spec.partition(":")
        name = name.strip()
        if name == "escape":
            value = html.escape(_text(value), quote=True)
        elif name == "asset_url":
            value = ctx.asset_url(_text(value))
        elif name == "t":
            value = ctx.translate(_text(value))
        elif name == "default":
            value = value if value not in (None, False, "") else _value(arg, ctx)
        else:
            raise LiquidError(f"unknown filter {name!r} (escape, asset_url, t, default)")
    return value


def _condition(expr: str, ctx: LiquidContext) -> bool:
    for op in ("==", "!="):
        if op in expr:
            left, right = expr.split(op, 1)
            same = _value(left, ctx) == _value(right, ctx)
            return same if op == "==" else not same
    value = _value(expr, ctx)
    return value is not None and value is not False


def render_liquid(source: str, ctx: LiquidContext) -> str:
    """The block's HTML (its schema left out)."""
    pieces = _TOKEN.split(source)
    # whitespace control: `{%-`/`{{-` strips the text before, `-%}`/`-}}` the text after
    for i in range(1, len(pieces), 2):
        tag = pieces[i]
        if tag[2] == "-":
            pieces[i - 1] = pieces[i - 1].rstrip()
        if tag[-3] == "-":
            pieces[i + 1] = pieces[i + 1].lstrip()
    out: list[str] = []
    stack: list[tuple[bool, bool]] = []  # (this branch renders, the enclosing one renders)
    skipping_until = ""  # inside {% comment %} or {% schema %}
    for i, piece in enumerate(pieces):
        live = all(branch for branch, _ in stack)
        if i % 2 == 0:
            if live and not skipping_until:
                out.append(piece)
            continue
        inner = piece[2:-2].strip("-").strip()
        if piece.startswith("{%"):
            word, _, rest = inner.partition(" ")
            if skipping_until:
                if word == skipping_until:
                    skipping_until = ""
                continue
            if word in ("comment", "schema"):
                skipping_until = "end" + word
            elif word == "if":
                stack.append((live and _condition(rest, ctx) if live else False, live))
            elif word == "else":
                if not stack:
                    raise LiquidError("{% else %} outside {% if %}")
                branch, outer = stack.pop()
                stack.append((outer and not branch, outer))
            elif word == "endif":
                if not stack:
                    raise LiquidError("{% endif %} without {% if %}")
                stack.pop()
            else:
                raise LiquidError(f"unknown tag {{% {word} %}} (if, else, endif, comment, schema)")
        elif live and not skipping_until:
            out.append(_text(_evaluate(inner, ctx)))
    if stack or skipping_until:
        raise LiquidError("an {% if %}, {% comment %} or {% schema %} is not closed")
    return "".join(out)


def render_block(source: str, ctx: LiquidContext) -> Block:
    return Block(render_liquid(source, ctx), block_schema(source))


# The shop ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    handle: str
    product_id: str
    variant_id: str
    title: str
    variant_title: str
    price: float
    blurb: str


PRODUCTS = (
    Product("linen-shirt", "8123456789012", "44563297927412", "Linen Shirt", "Blue / M", 48.0,
            "A light linen shirt, washed soft. Breathes in the Austin heat; looks better with every wear."),
    Product("brass-compass", "632910392", "808950810", "Brass Compass", "Default Title", 42.0,
            "A solid brass pocket compass with a liquid-damped needle, in a felt-lined box."),
)  # fmt: skip


def shopify_root(start: Path | None = None) -> Path:
    """The repository's shopify/ folder, found by walking up from this file."""
    here = (start or Path(__file__)).resolve()
    for parent in here.parents:
        candidate = parent / "shopify"
        if (candidate / "extensions" / OPTIN / "blocks").is_dir():
            return candidate
    raise StorefrontUnavailable(
        f"no shopify/extensions/{OPTIN} folder above {here}: the demo storefront renders the repository's "
        "theme app extension, so run the local cloud from a source checkout (pip install -e .)"
    )


_THEME_CSS = """
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111;background:#fafaf7}
header{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between;padding:1rem 1.5rem;
background:#fff;border-bottom:1px solid #ddd}
header a{color:inherit}.brand{font-weight:700;font-size:1.25rem;text-decoration:none}
nav{display:flex;gap:1rem}.login{font-size:.875rem}.login input{width:10rem}
main{max-width:60rem;margin:0 auto;padding:1.5rem}
.product{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:2rem}
.photo{width:100%;aspect-ratio:1;background:linear-gradient(135deg,#d9d4c7,#b8b2a3);border-radius:8px}
.price{font-size:1.25rem}.buy{display:block;width:100%;padding:.75rem;margin:.5rem 0;font:inherit;border:1px solid #111;
background:#fff;border-radius:4px;cursor:pointer}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:1rem}
.card{display:block;padding:1rem;background:#fff;border:1px solid #ddd;border-radius:8px;color:inherit;text-decoration:none}
footer{padding:2rem 1.5rem;color:#555;font-size:.875rem}
"""

_SANDBOX = """
const boot = JSON.parse(document.getElementById("smsflows-pixel-boot").textContent);
const started = performance.now();
const subscribers = {};
let seq = 0;
let clientId;
try {
  clientId = localStorage.getItem("smsflows-local:client-id") || crypto.randomUUID();
  localStorage.setItem("smsflows-local:client-id", clientId);
} catch (e) { clientId = crypto.randomUUID(); }
const api = {
  analytics: {subscribe(name, callback) { (subscribers[name] ||= []).push(callback); return Promise.resolve(); }},
  browser: {
    sendBeacon: (url, body) => Promise.resolve(navigator.sendBeacon(url, body)),
    cookie: {get: () => Promise.resolve(""), set: () => Promise.resolve("")},
    localStorage: {getItem: (k) => Promise.resolve(localStorage.getItem(k)),
                   setItem: (k, v) => Promise.resolve(localStorage.setItem(k, v))},
  },
  init: boot.init,
  settings: boot.settings,
  customerPrivacy: {subscribe() {}},
};
const pixel = window.__smsflowsPixel = {
  events: [],
  register(extend) { extend(api); },
  async publish(name, data) {
    // the local cloud's clock (virtual time does not follow the wall clock), as Shopify stamps its own events
    const now = await fetch(boot.clock).then((r) => r.json()).then((state) => state.now, () => null);
    const at = now ? new Date(now) : new Date(Date.parse(boot.now) + (performance.now() - started));
    const event = {id: "sh-" + crypto.randomUUID(), clientId, name, type: "standard", seq: ++seq,
                   timestamp: at.toISOString(), context: boot.init.context, data};
    pixel.events.push(event);
    for (const key of [name, "all_events", "all_standard_events"]) {
      for (const callback of subscribers[key] || []) callback(event);
    }
    return event;
  },
};
await import(boot.pixel);
if (boot.productVariant) pixel.publish("product_viewed", {productVariant: boot.productVariant});
for (const button of document.querySelectorAll("[data-checkout]")) {
  button.addEventListener("click", () => {
    const v = boot.productVariant;
    pixel.publish("checkout_started", {checkout: {token: "local-" + crypto.randomUUID().replaceAll("-", ""),
      currencyCode: "USD", lineItems: [{id: v.id, quantity: 1, title: v.product.title, variant: v}],
      totalPrice: {amount: v.price.amount, currencyCode: "USD"}}});
    button.textContent = "Checkout started";
  });
}
"""

_SHIM = """// The local stand-in for @shopify/web-pixels-extension: register(fn) runs fn with the page's emulated API.
export const EXTENSION_POINT = "WebPixel::Render";
export function register(extend) { return window.__smsflowsPixel.register(extend); }
"""

_VISITOR_STUB = """window.Shopify = window.Shopify || {};
window.Shopify.shop = %s;
window.__smsflowsVisitorCalls = [];
// Shopify's Visitor API as the online store has it: (visitorInfo, options) => boolean. Recorded for the tests.
window.Shopify.analytics = {visitor(info, options) { window.__smsflowsVisitorCalls.push([info, options]); return true; }};
"""


@dataclass
class Storefront:
    """The `/_local/storefront` prefix route of the local cloud's front door."""

    shop: str
    brand: str
    secret: str
    forward: Forward  # (method, path?query, headers, body) on the front door, in-process
    base_url: str
    clock: Callable[[], datetime]
    activity: Callable[[], AbstractContextManager[Any]] = nullcontext
    root: Path | None = None
    _root: Path | None = field(default=None, init=False, repr=False)

    # Routing --------------------------------------------------------------------------------------------
    def route(self, method: str, rest: str, raw_query: str, headers: dict[str, str], body: bytes) -> Response:
        """(method, the path after /_local/storefront, the raw query, the request's headers, its body)."""
        try:
            root = self._shopify()
        except StorefrontUnavailable as exc:
            return _text_response(503, str(exc))
        if rest.startswith(PROXY_PREFIX + "/") or rest == PROXY_PREFIX:
            return self.proxy(method, rest[len(PROXY_PREFIX) :], raw_query, headers, body)
        if method != "GET":
            return 405, {"Content-Type": "application/json", "Allow": "GET, HEAD"}, b'{"error":"GET only"}'
        query = dict(parse_qsl(raw_query, keep_blank_values=True))
        customer, cookie = self._customer(query, headers)
        if rest in ("", "/"):
            return self._page(self.home(customer, query), cookie)
        if rest.startswith("/products/"):
            product = next((p for p in PRODUCTS if p.handle == rest[len("/products/") :]), None)
            if product is None:
                return _text_response(404, f"no product {rest[len('/products/') :]!r} in the demo shop")
            return self._page(self.product_page(product, customer, query), cookie)
        if rest == "/embed":
            return self._page(self.embed_page(), cookie)
        if rest.startswith("/assets/"):
            return _file(root / "extensions" / OPTIN / "assets", rest[len("/assets/") :])
        if rest == "/pixel/index.js":
            return _file(root / "extensions" / PIXEL / "src", "index.js")
        if rest == "/pixel/web-pixels-extension.js":
            return 200, {"Content-Type": "text/javascript; charset=utf-8"}, _SHIM.encode()
        if rest == "/embed/smsflows-signup.js":
            return _file(root / "embed", "smsflows-signup.js")
        return _text_response(404, f"no storefront page {rest!r}")

    def _shopify(self) -> Path:
        if self._root is None:
            self._root = self.root or shopify_root()
        return self._root

    # The app proxy ----------------------------------------------------------------------------------------
    def proxy(self, method: str, path: str, raw_query: str, headers: dict[str, str], body: bytes) -> Response:
        """What Shopify does with a storefront request to /apps/sms/<path>: add the shop, the logged-in customer,
        the prefix and a timestamp, sign them all, and forward to the app's /proxy/<path>."""
        params = [(k, v) for k, v in parse_qsl(raw_query, keep_blank_values=True) if k not in PROXY_PARAMS]
        customer, _ = self._customer({}, headers)
        wanted = {k.lower(): v for k, v in headers.items()}
        passed = {name: wanted[name.lower()] for name in ("Content-Type", "Accept", "User-Agent",
                  "Accept-Language") if name.lower() in wanted}  # fmt: skip
        with self.activity():  # signed and verified on one side of any skip of virtual time
            params += [
                ("shop", self.shop),
                ("logged_in_customer_id", customer),
                ("path_prefix", PROXY_PREFIX),
                ("timestamp", str(int(self.clock().timestamp()))),
            ]
            query = signed_query(params, self.secret.encode())
            return self.forward(method, f"/proxy{path}?{query}", passed, body)

    def _customer(self, query: dict[str, str], headers: dict[str, str]) -> tuple[str, str | None]:
        """The logged-in customer id ('' for none) and the Set-Cookie that keeps a new choice."""
        if "customer" in query:
            chosen = query["customer"].strip()
            if chosen and not re.fullmatch(r"\d{1,20}", chosen):
                raise ValueError(f"customer: {chosen!r} is not a Shopify customer id (digits)")
            cookie = f"{COOKIE}={chosen}; Path={PREFIX}; SameSite=Lax" + ("" if chosen else "; Max-Age=0")
            return chosen, cookie
        jar = SimpleCookie()
        raw = next((v for k, v in headers.items() if k.lower() == "cookie"), "")
        try:
            jar.load(raw)
        except Exception:  # a malformed cookie header: nobody is logged in
            return "", None
        kept = jar[COOKIE].value if COOKIE in jar else ""
        return (kept if re.fullmatch(r"\d{1,20}", kept) else ""), None

    # Pages --------------------------------------------------------------------------------------------------
    def _block(self, name: str, query: dict[str, str], overrides: dict[str, Any]) -> Block:
        source = (self._shopify() / "extensions" / OPTIN / "blocks" / f"{name}.liquid").read_text()
        schema = block_schema(source)
        settings = {**default_settings(schema), **overrides}
        for (
            key,
            value,
        ) in query.items():  # ?setting.popup_delay=0: the theme editor's change, for a demo or test
            if key.startswith("setting."):
                sid = key[len("setting.") :]
                if sid not in settings:
                    raise ValueError(f"{key}: the {name} block has no setting {sid!r}")
                settings[sid] = value
        ctx = LiquidContext(settings, f"{name}-1", self._asset_url, self._translate)
        return render_block(source, ctx)

    def _asset_url(self, name: str) -> str:
        return f"{PREFIX}/assets/{quote(name)}"

    def _translate(self, key: str) -> str:
        strings: Any = json.loads(
            (self._shopify() / "extensions" / OPTIN / "locales" / "en.default.json").read_text()
        )
        for part in key.split("."):
            if not isinstance(strings, dict) or part not in strings:
                raise LiquidError(f"no translation {key!r} in locales/en.default.json")
            strings = strings[part]
        return str(strings)

    def _block_settings(self) -> dict[str, Any]:
        # the merchant's one change: the storefront's root is /_local/storefront, so the proxy is under it
        return {"proxy_prefix": PREFIX + PROXY_PREFIX}

    def _apps(self, query: dict[str, str]) -> bool:
        """Whether the page has the app's extensions (`?extensions=off`: the theme alone, a baseline)."""
        value = query.get("extensions", "on")
        if value not in ("on", "off"):
            raise ValueError(f"extensions: {value!r} is not on or off")
        return value == "on"

    def home(self, customer: str, query: dict[str, str]) -> str:
        embeds = [self._block("optin-embed", query, self._block_settings())] if self._apps(query) else []
        cards = "".join(
            f'<a class="card" href="{PREFIX}/products/{p.handle}"><strong>{html.escape(p.title)}</strong>'
            f"<br>${p.price:.2f}</a>"
            for p in PRODUCTS
        )
        main = f"<h1>Welcome to {html.escape(self.brand)}</h1><p>Small goods, made well.</p><div class=cards>{cards}</div>"
        return self._layout(self.brand, main, embeds, customer, product=None, app_embeds=embeds,
                            pixel=bool(embeds))  # fmt: skip

    def product_page(self, product: Product, customer: str, query: dict[str, str]) -> str:
        apps = self._apps(query)
        blocks = [self._block("optin-inline", query, self._block_settings())] if apps else []
        slot = "".join(
            f'<div id="shopify-block-{inline_id(b)}" class="shopify-app-block">{b.html}</div>' for b in blocks
        )
        main = (
            '<div class="product"><div class="photo" role="img" aria-label="Product photo"></div><div>'
            f"<h1>{html.escape(product.title)}</h1><p class=price>${product.price:.2f}</p>"
            '<button class="buy" type="button">Add to cart</button>'
            '<button class="buy" type="button" data-checkout>Checkout</button>'
            f"{slot}"
            f"</div></div><section><h2>Details</h2><p>{html.escape(product.blurb)}</p>"
            "<p>Free shipping over $75. Returns within 30 days.</p></section>"
        )
        return self._layout(
            f"{product.title} – {self.brand}", main, blocks, customer, product=product, pixel=apps
        )

    def embed_page(self) -> str:
        """The plain snippet for pages outside Shopify, posting to the public POST /subscribe."""
        attrs = {"endpoint": self.base_url, "shop": self.shop, "brand": self.brand,
                 "frequency": "up to 6 msgs/mo", "terms": "https://demo-shop.example/terms",
                 "privacy": "https://demo-shop.example/privacy"}  # fmt: skip
        data = " ".join(f'data-{k}="{html.escape(v, quote=True)}"' for k, v in attrs.items())
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,">'
            f"<title>{html.escape(self.brand)} – texts</title><style>{_THEME_CSS}</style></head><body><main>"
            f"<h1>Texts from {html.escape(self.brand)}</h1><div data-smsflows-signup {data}></div></main>"
            f'<script src="{PREFIX}/embed/smsflows-signup.js" defer></script></body></html>'
        )

    def _layout(
        self,
        title: str,
        main: str,
        blocks: list[Block],
        customer: str,
        product: Product | None,
        app_embeds: list[Block] | None = None,
        pixel: bool = True,
    ) -> str:
        styles: list[str] = []
        scripts: list[str] = []
        for block in blocks:  # Shopify loads each asset once per page, however many blocks use it
            for key, into in (("stylesheet", styles), ("javascript", scripts)):
                name = block.schema.get(key)
                if name and name not in into:
                    into.append(name)
        head_css = "".join(f'<link rel="stylesheet" href="{self._asset_url(n)}">' for n in styles)
        body_js = "".join(f'<script src="{self._asset_url(n)}" defer></script>' for n in scripts)
        embeds = "".join(
            f'<div id="shopify-block-{inline_id(b)}" class="shopify-app-embed">{b.html}</div>'
            for b in app_embeds or []
        )
        boot = {
            "pixel": f"{PREFIX}/pixel/index.js",
            "now": self.clock().isoformat(),
            "clock": "/_local/health",
            "settings": {"endpoint": f"{self.base_url}/storefront/events"},
            "init": self._init(customer),
            "productVariant": _variant(product) if product else None,
        }
        nav = "".join(f'<a href="{PREFIX}/products/{p.handle}">{html.escape(p.title)}</a>' for p in PRODUCTS)
        who = f"Logged in as customer {html.escape(customer)}" if customer else "Not logged in"
        login = (
            f'<form class="login" method="get"><span data-customer="{html.escape(customer)}">{who}</span> '
            '<label>Customer id <input name="customer" inputmode="numeric" pattern="[0-9]*" '
            f'value="{html.escape(customer)}"></label> <button>Log in</button></form>'
        )
        imports = json.dumps(
            {"imports": {"@shopify/web-pixels-extension": f"{PREFIX}/pixel/web-pixels-extension.js"}}
        )
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,">'
            f"<title>{html.escape(title)}</title><style>{_THEME_CSS}</style>{head_css}"
            f"<script>{_VISITOR_STUB % json.dumps(self.shop)}</script>"
            f'<script type="importmap">{imports}</script></head><body>'
            f'<header><a class="brand" href="{PREFIX}">{html.escape(self.brand)}</a><nav>{nav}</nav>{login}</header>'
            f"<main>{main}</main><footer>A local demo shop of smsflows: the theme app extension and the web pixel "
            f"are the repository's own (shopify/extensions/).</footer>{embeds}"
            f'<script type="application/json" id="smsflows-pixel-boot">{_json_in_html(boot)}</script>'
            f"{f'<script type=module>{_SANDBOX}</script>' if pixel else ''}{body_js}</body></html>"
        )

    def _init(self, customer: str) -> dict[str, Any]:
        """The pixel's `init` (RegisterInit): a snapshot of the page; customer null when nobody is logged in."""
        origin = self.base_url
        return {
            "context": {
                "document": {"location": {"origin": origin, "href": origin + PREFIX}, "title": self.brand}
            },
            "data": {
                "customer": {"id": customer} if customer else None,
                "cart": None,
                "shop": {
                    "name": self.brand,
                    "myshopifyDomain": self.shop,
                    "countryCode": "US",
                    "paymentSettings": {"currencyCode": "USD"},
                    "storefrontUrl": origin + PREFIX,
                },
                "purchasingCompany": None,
            },
            "customerPrivacy": {
                "analyticsProcessingAllowed": True,
                "marketingAllowed": True,
                "preferencesProcessingAllowed": False,
                "saleOfDataAllowed": True,
            },
        }

    def _page(self, text: str, cookie: str | None) -> Response:
        headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
        if cookie:
            headers["Set-Cookie"] = cookie
        return 200, headers, text.encode()


def inline_id(block: Block) -> str:
    return (
        re.sub(r"[^a-z0-9-]", "", str(block.schema.get("name", "block")).lower().replace(" ", "-")) or "block"
    )


def _variant(product: Product) -> dict[str, Any]:
    """The page's ProductVariant, in the web pixel's shape (product_viewed's data.productVariant)."""
    return {
        "id": product.variant_id,
        "image": {"src": None},
        "price": {"amount": product.price, "currencyCode": "USD"},
        "product": {
            "id": product.product_id,
            "title": product.title,
            "type": None,
            "untranslatedTitle": product.title,
            "url": f"{PREFIX}/products/{product.handle}",
            "vendor": None,
        },
        "sku": None,
        "title": product.variant_title,
        "untranslatedTitle": product.variant_title,
    }


def _json_in_html(value: Any) -> str:
    """JSON safe inside a <script> element (no `</script>` or `<!--` can close it)."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
}


def _file(folder: Path, name: str) -> Response:
    """A file of `folder` by its plain name (no sub-folders, no way out of it)."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name) or not (folder / name).is_file():
        return _text_response(404, f"no file {name!r}")
    kind = _TYPES.get(Path(name).suffix, "application/octet-stream")
    return 200, {"Content-Type": kind, "Cache-Control": "no-cache"}, (folder / name).read_bytes()


def _text_response(status: int, message: str) -> Response:
    return status, {"Content-Type": "text/plain; charset=utf-8"}, message.encode()
