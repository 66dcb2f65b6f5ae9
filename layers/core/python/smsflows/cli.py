"""The `smsflows` command."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time
from datetime import datetime
from pathlib import Path

from smsflows import topology


def _cmd_local(args: argparse.Namespace) -> int:
    from smsflows.local.cloud import LocalCloud, LocalConfig, PortInUse

    start_at = datetime.fromisoformat(args.start) if args.start else None
    config = LocalConfig.from_env(
        port=args.port,
        host=args.host,
        time_scale=args.time_scale,
        start_at=start_at,
        log_level=args.log_level,
        concurrency=args.concurrency,
        provider_faults=args.provider_faults,
        provider_faults_seed=args.provider_faults_seed,
    )
    cloud = LocalCloud(config)
    try:
        cloud.start()
    except PortInUse as exc:
        print(f"smsflows local: {exc}", file=sys.stderr)
        return 2
    # The handler only appends to a list: an Event.set() there could wait forever on the lock that the main
    # thread, interrupted inside Event.wait(), already holds.
    signals: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda number, _frame: signals.append(number))
    print(
        f"smsflows local cloud listening on {cloud.base_url} (time scale {config.time_scale:g})", flush=True
    )
    print(f"  POST {cloud.base_url}/webhooks/shopify   shop {args.shop}", flush=True)
    print(f"  GET  {cloud.base_url}/_local/outbox", flush=True)
    if config.provider_faults:
        print(
            f"  fake Twilio fails {config.provider_faults:.0%} of message creates"
            f" (seed {config.provider_faults_seed}; GET/POST {cloud.base_url}/_local/faults)",
            flush=True,
        )
    try:
        while not signals:
            time.sleep(0.1)
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


def _print_json(value: object) -> None:
    print(json.dumps(value, indent=2, default=str, ensure_ascii=False))


def _admin(args: argparse.Namespace) -> object:
    from smsflows import admin

    if getattr(args, "local", None):
        admin.use_local_cloud(args.local)
    return admin


def _cmd_shop(args: argparse.Namespace) -> int:
    admin = _admin(args)
    if args.action == "show":
        found = admin.shop_show(args.shop)  # type: ignore[attr-defined]
        if found is None:
            print(f"shop {args.shop} is not set up", file=sys.stderr)
            return 1
        _print_json(found)
        return 0
    smart = dict(kv.split("=", 1) for kv in args.smart_sending) if args.smart_sending else None
    changes = {
        "brand_name": args.brand,
        "support_contact": args.support,
        "frequency_text": args.frequency,
        "terms_url": args.terms_url,
        "privacy_url": args.privacy_url,
        "default_country": args.country,
        "keywords": tuple(k.strip().upper() for k in args.keywords.split(",")) if args.keywords else None,
        "senders": tuple(args.sender) if args.sender else None,
        "max_marketing_per_30_days": args.max_per_30_days,
        "smart_sending_hours": {k: float(v) for k, v in smart.items()} if smart else None,
        "support_webhook_url": args.support_webhook,
        "quiet_hours": args.quiet_hours,
        "status": "active" if args.activate else "paused" if args.pause else None,
        "sms_countries": tuple(c.strip() for c in args.sms_countries.split(",")) if args.sms_countries else None,
        "twilio_answers_keywords": {"twilio": True, "smsflows": False}.get(args.keyword_replies or ""),
        "throughput": {
            k: v
            for k, v in {
                "sender_type": args.sender_type,
                "trust_tier": args.trust_tier,
                "segments_per_second": args.mps,
                "daily_segment_cap": args.daily_cap,
                "brand_id": args.brand_id,
            }.items()
            if v is not None
        }
        or None,
    }
    _print_json(admin.shop_set(args.shop, changes))  # type: ignore[attr-defined]
    return 0


def _cmd_shops(args: argparse.Namespace) -> int:
    _print_json(_admin(args).shops_reindex())  # type: ignore[attr-defined]
    return 0


def _cmd_consent(args: argparse.Namespace) -> int:
    admin = _admin(args)
    if args.action == "show":
        _print_json(admin.consent_show(args.shop, args.phone))  # type: ignore[attr-defined]
    else:
        _print_json(admin.consent_opt_out(args.shop, args.phone, args.note))  # type: ignore[attr-defined]
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    admin = _admin(args)
    path = Path(args.file)
    if not path.is_file():
        print(f"import: {path} not found", file=sys.stderr)
        return 2
    try:
        result = admin.import_csv(path, args.shop, args.dry_run)  # type: ignore[attr-defined]
    except ValueError as exc:
        print(f"import: {exc}", file=sys.stderr)
        return 2
    for problem in result.pop("problems"):
        print(f"  {problem}", file=sys.stderr)
    _print_json(result)
    return 1 if result["errors"] else 0


def _pairs(items: list[str] | None, what: str) -> dict[int, str]:
    out: dict[int, str] = {}
    for item in items or []:
        index, sep, value = item.partition("=")
        if not sep or not index.isdigit():
            raise SystemExit(f"--{what} takes STEP=VALUE, e.g. 0=...")
        out[int(index)] = value
    return out


def _cmd_flow(args: argparse.Namespace) -> int:
    admin = _admin(args)
    if args.action == "list":
        from smsflows.domain.flows import definitions

        for definition in definitions.FLOWS.values():
            steps = ", ".join(f"{s.key}@{s.offset_s}s" for s in definition.steps)
            print(f"{definition.name:<20} {definition.category:<13} {definition.runner:<13} {steps}")
            print(f"{'':<20} trigger: {definition.trigger}")
        return 0
    if args.action == "preview":
        _print_json(admin.template_preview(args.shop, args.flow, args.step, args.text))  # type: ignore[attr-defined]
        return 0
    enabled = {"on": True, "off": False}.get(args.enabled or "")
    offsets = [int(x) for x in args.offsets.split(",")] if args.offsets else None
    result = admin.flow_set(  # type: ignore[attr-defined]
        args.shop, args.flow, enabled, offsets, _pairs(args.template, "template"), _pairs(args.code, "code")
    )
    _print_json(result)
    return 0


def _cmd_dlq(args: argparse.Namespace) -> int:
    admin = _admin(args)
    if args.action == "list":
        _print_json(admin.dlq_list())  # type: ignore[attr-defined]
    else:
        _print_json(admin.dlq_replay(args.queue))  # type: ignore[attr-defined]
    return 0


def _cmd_webhooks(args: argparse.Namespace) -> int:
    admin = _admin(args)
    if args.action == "list":
        _print_json(admin.webhooks_list(args.shop, args.state))  # type: ignore[attr-defined]
    else:
        _print_json(admin.webhooks_replay(args.shop, args.id, args.all_unparseable))  # type: ignore[attr-defined]
    return 0


def _cmd_privacy(args: argparse.Namespace) -> int:
    _print_json(_admin(args).privacy_export(args.shop, args.request_id))  # type: ignore[attr-defined]
    return 0


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"a share from 0 to 1 (0.2 fails a fifth), not {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"a whole number of at least 1, not {text!r}")
    return value


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
    p.add_argument(
        "--concurrency",
        type=_positive_int,
        default=10,
        help="concurrent invocations per function, each in its own container (default 10)",
    )
    p.add_argument(
        "--provider-faults",
        type=_share,
        default=0.0,
        metavar="SHARE",
        help="fail this share (0-1) of message creates at the fake Twilio: HTTP 500, 429, 503 or a late answer",
    )
    p.add_argument(
        "--provider-faults-seed",
        type=int,
        default=20261123,
        metavar="N",
        help="seed of the fault draws: the same seed fails the same calls (default 20261123)",
    )
    p.set_defaults(func=_cmd_local)

    p = sub.add_parser("demo", help="a scripted store day on the local cloud, printed as an SMS transcript")
    p.add_argument("--port", type=int, default=0, help="default: a free port")
    p.add_argument("--time-scale", type=float, default=21600.0)
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

    def target(sub_parser: argparse.ArgumentParser) -> None:
        sub_parser.add_argument("--shop", default=os.environ.get("DEFAULT_SHOP", "demo-shop.myshopify.com"))
        sub_parser.add_argument(
            "--local", metavar="URL", help="a running `smsflows local`, e.g. http://127.0.0.1:8787"
        )

    p = sub.add_parser("shop", help="show or change a shop's SMS settings (no redeploy needed)")
    p.add_argument("action", choices=["show", "set"])
    target(p)
    p.add_argument("--brand")
    p.add_argument("--support", help="customer care contact for HELP replies: URL, e-mail or phone")
    p.add_argument("--frequency", help='e.g. "Up to 6 msgs/mo"')
    p.add_argument("--terms-url")
    p.add_argument("--privacy-url")
    p.add_argument("--country", help="default country for local numbers, e.g. US")
    p.add_argument("--keywords", help="text-to-join keywords, comma separated (START and UNSTOP always work)")
    p.add_argument("--sender", action="append", help="a Twilio number or Messaging Service SID of this shop")
    p.add_argument("--max-per-30-days", type=int)
    p.add_argument("--smart-sending", action="append", metavar="FLOW=HOURS")
    p.add_argument("--support-webhook", help="https URL that receives customer replies as JSON")
    p.add_argument(
        "--quiet-hours", metavar="HH:MM-HH:MM", help="narrow the marketing window (never widens it)"
    )
    pause = p.add_mutually_exclusive_group()
    pause.add_argument("--activate", action="store_true", help="mark the shop active again (ends a pause)")
    pause.add_argument(
        "--pause", action="store_true", help="stop the shop's texts at once (STOP and HELP replies still go)"
    )
    p.add_argument("--sms-countries", help="countries whose numbers may sign up, ISO codes: US,CA,PR")
    p.add_argument("--sender-type", choices=["toll_free", "short_code", "10dlc", "sole_proprietor"],
                   help="how the shop's sender is registered: sets its throughput (RULES.md C)")  # fmt: skip
    p.add_argument(
        "--trust-tier", choices=["high", "mid", "low", "low_volume"], help="10DLC trust score band"
    )
    p.add_argument("--mps", type=float, help="segments per second, if not the registration's default")
    p.add_argument("--daily-cap", type=int, help="the brand's T-Mobile segments per day, if not the default")
    p.add_argument("--brand-id", help="the TCR brand: its senders share the daily cap")
    p.add_argument(
        "--keyword-replies",
        choices=["smsflows", "twilio"],
        help="who answers STOP/HELP/START: smsflows (TwiML, default) or twilio (Advanced Opt-Out configured)",
    )
    p.set_defaults(func=_cmd_shop)

    p = sub.add_parser("shops", help="reindex: add shops set up before the list of shops to it (once)")
    p.add_argument("action", choices=["reindex"])
    p.add_argument("--local", metavar="URL", help="a running `smsflows local`, e.g. http://127.0.0.1:8787")
    p.set_defaults(func=_cmd_shops)

    p = sub.add_parser("consent", help="look up a number's consent and proof, or opt it out by hand")
    p.add_argument("action", choices=["show", "optout"])
    p.add_argument("--phone", required=True)
    p.add_argument("--note", default="manual opt-out")
    target(p)
    p.set_defaults(func=_cmd_consent)

    p = sub.add_parser("import", help="import existing subscribers with their consent proof from a CSV file")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
    target(p)
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser(
        "flow", help="list flows; enable, retime or re-copy one per shop; preview a step's text"
    )
    p.add_argument("action", choices=["list", "set", "preview"])
    p.add_argument("--flow", default="welcome")
    p.add_argument("--enabled", choices=["on", "off"])
    p.add_argument("--offsets", help="seconds after the trigger, one per step, comma separated")
    p.add_argument(
        "--template", action="append", metavar="STEP=TEXT", help="new copy for a step (placeholders ok)"
    )
    p.add_argument("--code", action="append", metavar="STEP=CODE", help="discount code for a step")
    p.add_argument("--step", type=int, default=0)
    p.add_argument("--text", help="preview this text instead of the shop's template")
    target(p)
    p.set_defaults(func=_cmd_flow)

    p = sub.add_parser("dlq", help="list dead-lettered messages with their reason, or replay them")
    p.add_argument("action", choices=["list", "replay"])
    p.add_argument("--queue", choices=sorted(topology.QUEUES))
    target(p)
    p.set_defaults(func=_cmd_dlq)

    p = sub.add_parser(
        "webhooks", help="list stored Shopify webhooks (e.g. the unparseable ones) or replay them"
    )
    p.add_argument("action", choices=["list", "replay"])
    p.add_argument("--state", help="list only webhooks in this state, e.g. unparseable")
    p.add_argument("--id", help="the webhook id to replay")
    p.add_argument(
        "--all-unparseable", action="store_true", help="replay every unparseable webhook of the shop"
    )
    target(p)
    p.set_defaults(func=_cmd_webhooks)

    p = sub.add_parser("privacy", help="privacy requests")
    p.add_argument("action", choices=["export"])
    p.add_argument("--request-id", required=True)
    target(p)
    p.set_defaults(func=_cmd_privacy)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("werkzeug", "moto", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
