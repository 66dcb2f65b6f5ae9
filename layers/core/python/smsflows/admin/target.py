"""Which deployment the operator commands talk to: a running `smsflows local`, or a stage in AWS.

A stage is read from the environment (TABLE_NAME, the queue URLs, AWS_REGION and credentials: what the
stack outputs name), through `runtime.settings` like the functions. The local cloud tells a client those
values itself (`GET /_local/env`), so `use_local_cloud(URL)` is all it takes.
"""

from __future__ import annotations

import http.client
import os
import socket
import urllib.error
from typing import Any
from urllib.parse import urlsplit

from smsflows.admin.errors import BadValue, Failed, NoTarget
from smsflows.runtime import deps as deps_module

URL_FORM = "http(s)://HOST[:PORT], e.g. http://127.0.0.1:8787"


def check_url(url: str, what: str = "--local") -> str:
    """`url` without a trailing slash, if it is an http(s) URL with a host; BadValue naming `what` if not."""
    try:
        parts = urlsplit(url.strip())
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = urlsplit(""), False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise BadValue(f"{what}: {url!r} is not a URL: give {URL_FORM}")
    return url.strip().rstrip("/")


def unreachable_reason(exc: BaseException) -> str:
    """'connection refused', 'timed out', 'unknown host' ...: why nothing answered, in a few words."""
    reason: Any = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(reason, socket.gaierror):
        return "unknown host"
    text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    return text[:1].lower() + text[1:]


def use_local_cloud(url: str) -> None:
    """Point this process at a running `smsflows local` (its moto endpoint and resource names)."""
    from smsflows.local import client

    base = check_url(url)
    try:
        result = client.request("GET", base + "/_local/env", timeout=5)
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise Failed(f"no local cloud answers at {base}: {unreachable_reason(exc)}") from None
    if result.status != 200:
        raise Failed(f"no local cloud answers at {base}: GET /_local/env gave HTTP {result.status}")
    try:
        env = result.json()
    except ValueError:
        env = None
    if not isinstance(env, dict) or not env.get("TABLE_NAME"):
        raise Failed(f"{base} answers, but not as a local cloud (GET /_local/env names no table)")
    os.environ.update({str(k): str(v) for k, v in env.items()})
    os.environ.pop(
        "AWS_PROFILE", None
    )  # moto takes any key; a profile's SSO session would only get in the way
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "local")
    deps_module.reset()


def deps() -> Any:
    """The composition root of the deployment named by the environment; NoTarget when none is named."""
    found = deps_module.get_deps()
    if not found.settings.table_name:
        raise NoTarget(
            "no deployment named: pass --local URL, set SMSFLOWS_LOCAL_URL, or TABLE_NAME (and the queue URLs)"
            " from the stack outputs, or choose a profile with --profile NAME (`smsflows --help`)"
        )
    return found


def shop_configs() -> Any:
    """The shop configurations, uncached: an operator reads what is stored now."""
    from smsflows.adapters.shop_configs import DynamoShopConfigs

    found = deps()
    return DynamoShopConfigs(found.client("dynamodb"), found.settings.table_name)
