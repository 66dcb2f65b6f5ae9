"""The `smsflows` command."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path


def _cmd_local(args: argparse.Namespace) -> int:
    from smsflows.local.cloud import LocalCloud, LocalConfig, PortInUse

    start_at = datetime.fromisoformat(args.start) if args.start else None
    config = LocalConfig.from_env(
        port=args.port,
        host=args.host,
        time_scale=args.time_scale,
        start_at=start_at,
        log_level=args.log_level,
    )
    cloud = LocalCloud(config)
    try:
        cloud.start()
    except PortInUse as exc:
        print(f"smsflows local: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(
        f"smsflows local cloud listening on {cloud.base_url} (time scale {config.time_scale:g})", flush=True
    )
    print(f"  POST {cloud.base_url}/webhooks/shopify   shop {args.shop}", flush=True)
    print(f"  GET  {cloud.base_url}/_local/outbox", flush=True)
    try:
        stop.wait()
    finally:
        print("shutting down…", flush=True)
        cloud.stop()
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from smsflows.local.demo import DemoFailed, run_demo

    try:
        run_demo(sys.stdout, port=args.port, time_scale=args.time_scale)
    except DemoFailed as exc:
        print(f"demo FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


def _cmd_sign_webhook(args: argparse.Namespace) -> int:
    from smsflows.local import client

    body = Path(args.file).read_bytes() if args.file != "-" else sys.stdin.buffer.read()
    try:
        json.loads(body)
    except ValueError:
        print("sign-webhook: the body is not JSON (sent anyway only with --allow-invalid)", file=sys.stderr)
        if not args.allow_invalid:
            return 2
    if not args.secret:
        print("sign-webhook: pass --secret or set SHOPIFY_API_SECRET", file=sys.stderr)
        return 2
    headers = client.shopify_headers(
        body, secret=args.secret, topic=args.topic, shop=args.shop, webhook_id=args.webhook_id
    )
    if not args.url:
        for key, value in headers.items():
            print(f"{key}: {value}")
        return 0
    result = client.request("POST", args.url, body, headers)
    print(f"HTTP {result.status} {result.body.decode(errors='replace')}")
    return 0 if result.status < 400 else 1


def build_parser() -> argparse.ArgumentParser:
    import os

    parser = argparse.ArgumentParser(prog="smsflows", description="Consent-first SMS automation for Shopify.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "local", help="run the whole system on this machine (moto, fake Twilio, real handlers)"
    )
    p.add_argument("--port", type=int, default=8787)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--time-scale", type=float, default=1.0, help="86400 makes a day last one second")
    p.add_argument("--start", help="virtual start time, ISO 8601 with offset (default: now)")
    p.add_argument("--shop", default="demo-shop.myshopify.com")
    p.add_argument("--log-level", default="WARNING")
    p.set_defaults(func=_cmd_local)

    p = sub.add_parser("demo", help="a scripted store day on the local cloud, printed as an SMS transcript")
    p.add_argument("--port", type=int, default=0, help="default: a free port")
    p.add_argument("--time-scale", type=float, default=3600.0)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("sign-webhook", help="sign a Shopify webhook body (and POST it with --url)")
    p.add_argument("file", help="JSON body file, or - for stdin")
    p.add_argument("--topic", required=True)
    p.add_argument("--shop", default="demo-shop.myshopify.com")
    p.add_argument("--secret", default=os.environ.get("SHOPIFY_API_SECRET"))
    p.add_argument("--webhook-id")
    p.add_argument("--url", help="e.g. http://127.0.0.1:8787/webhooks/shopify")
    p.add_argument("--allow-invalid", action="store_true")
    p.set_defaults(func=_cmd_sign_webhook)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("werkzeug", "moto", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
