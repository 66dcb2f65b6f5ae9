"""GET|HEAD /l/{code}: a short link. 302 to the target with its UTM parameters; a person's click counted
once per recipient and link, link previews and bots redirected but not counted; an unknown or expired code
the friendly page (404), never a 5xx for either."""

from __future__ import annotations

import html
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

from smsflows.domain.analytics.clicks import follow
from smsflows.runtime.deps import get_deps
from smsflows.runtime.observability import logger, metrics

app = APIGatewayRestResolver()
_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">
<title>{title}</title><style>body{{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;
display:flex;min-height:100vh;align-items:center;justify-content:center;background:#f6f7f9;color:#1f2933}}
main{{max-width:28rem;padding:2rem;text-align:center}}h1{{font-size:1.4rem}}p{{color:#52606d}}</style></head>
<body><main><h1>{title}</h1><p>{text}</p></main></body></html>"""
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def _page(title: str, text: str) -> Response:
    body = _PAGE.format(title=html.escape(title), text=html.escape(text))
    return Response(
        status_code=404, content_type="text/html; charset=utf-8", body=body, headers=dict(_HEADERS)
    )


def _follow(code: str) -> Response:
    deps = get_deps()
    event = app.current_event
    method = str(event.raw_event.get("httpMethod") or "GET")
    headers = {str(k): str(v) for k, v in (event.headers or {}).items()}
    try:
        outcome = follow(code, method, headers, deps.clock(), deps.measurement,
                         on_error=lambda exc: logger.warning("click not counted", error=type(exc).__name__))  # fmt: skip
    except Exception:
        logger.exception("short link lookup failed")
        page = _page(
            "This link is resting", "We could not open this link just now. Please try again in a minute."
        )
        page.status_code = 503
        page.headers["Retry-After"] = "30"
        return page
    metrics.add_metric(name=f"Link_{outcome.kind}", unit=MetricUnit.Count, value=1)
    if outcome.counted in ("click", "unique_click"):
        metrics.add_metric(name="LinkClicks", unit=MetricUnit.Count, value=1)
    logger.info("short link", kind=outcome.kind, counted=outcome.counted, code=code[:12])
    if outcome.kind == "unknown":
        return _page(
            "Link not found", "This link does not exist. Check the text you received, or visit the shop."
        )
    if outcome.kind == "expired":
        return _page("This link has expired", "The offer behind this link is no longer available.")
    return Response(status_code=302, content_type="text/plain", body="",
                    headers={**_HEADERS, "Location": str(outcome.location)})  # fmt: skip


@app.get("/l/<code>")
def get_link(code: str) -> Response:
    return _follow(code)


@app.head("/l/<code>")
def head_link(code: str) -> Response:
    return _follow(code)


@app.exception_handler(Exception)
def handle_error(exc: Exception) -> Response:
    logger.exception("short link failed")
    return _page(
        "Link not found", "This link does not exist. Check the text you received, or visit the shop."
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
