"""The local cloud: moto (with Step Functions execution), the real handlers, pollers, a fake Twilio."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smsflows import topology
from smsflows.domain.durations import parse_duration
from smsflows.local import moto_patches
from smsflows.local.fake_shopify import FakeShopify
from smsflows.local.fake_twilio import DEFAULT_FAULT_SEED, FAULT_KINDS, FakeTwilio
from smsflows.local.front_door import FrontDoor, LocalRoute, json_route, post_route, query_route
from smsflows.local.lambda_runtime import DEFAULT_CONCURRENCY, LocalLambdas
from smsflows.local.pollers import QueuePoller, SchedulePoller, schedule_sources
from smsflows.local.provision import LOCAL_SHOPIFY_ADMIN_TOKEN, LOCAL_TWILIO_SID, Provisioned, provision
from smsflows.local.storefront import Storefront
from smsflows.local.virtual_time import NotSettled, TimeKeeper
from smsflows.runtime import deps as deps_module
from smsflows.runtime.clock import Clock, SimClock, install_sim_clock, scaled_clock

LOG = logging.getLogger("smsflows.local")
REGION = "us-east-1"
DEFAULT_SHOP = "demo-shop.myshopify.com"


class PortInUse(RuntimeError):
    pass


@dataclass(frozen=True)
class LocalConfig:
    port: int = 8787
    host: str = "127.0.0.1"
    time_scale: float = 1.0
    start_at: datetime | None = None  # virtual start time; default: now
    # The documented local defaults (DESIGN.md): not secrets, they only sign loopback traffic.
    shopify_secret: str = "local-shopify-secret"  # noqa: S105
    twilio_token: str = "local-twilio-token"  # noqa: S105
    log_level: str = "WARNING"
    concurrency: int = DEFAULT_CONCURRENCY  # concurrent invocations per function (containers)
    provider_faults: float = 0.0  # share of message creates the fake Twilio fails (0: none)
    provider_faults_seed: int = DEFAULT_FAULT_SEED
    # Virtual time (`smsflows local --virtual`, the demo, the e2e suite): work takes no time and the clock
    # skips to the next due instant whenever the system is idle; `time_scale` is then unused.
    virtual_time: bool = False
    # The fake Shopify posts the customers_marketing_consent/update webhook that echoes each consent write to
    # this cloud's /webhooks/shopify (signed with `shopify_secret`): the echo suppression, end to end.
    shopify_echo: bool = True

    @classmethod
    def from_env(cls, **overrides: Any) -> LocalConfig:
        """Local defaults, with the documented environment variables for the two secrets."""
        values: dict[str, Any] = {
            "shopify_secret": os.environ.get("SHOPIFY_API_SECRET", "local-shopify-secret"),
            "twilio_token": os.environ.get("TWILIO_AUTH_TOKEN", "local-twilio-token"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


POLLER_CONCURRENCY = 2  # batches handled at once per queue in real time (a dev stage's MaximumConcurrency)


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _check_port(host: str, port: int) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise PortInUse(
                f"port {port} on {host} is already in use: stop what uses it or pass --port"
            ) from exc


class LocalCloud:
    """Start with `start()` (or as a context manager); everything stops with `stop()`."""

    def __init__(self, config: LocalConfig) -> None:
        self.config = config
        self.epoch_real = time.time()
        self.epoch_virtual = config.start_at.timestamp() if config.start_at else self.epoch_real
        self.clock: Clock = scaled_clock(config.time_scale, self.epoch_real, self.epoch_virtual)
        self._moto: Any = None
        self.twilio: FakeTwilio | None = None
        self.shopify: FakeShopify | None = None
        self.door: FrontDoor | None = None
        self.pollers: list[QueuePoller | SchedulePoller] = []
        # Real time: concurrent batches per queue, as a dev stage's event source mappings run them; virtual
        # time handles one at a time (reproducible runs).
        per_source = 1 if config.virtual_time else POLLER_CONCURRENCY
        self.lambdas = LocalLambdas(max_concurrency=config.concurrency, per_source=per_source)
        self.keeper: TimeKeeper | None = None
        if config.virtual_time:
            self.keeper = TimeKeeper(SimClock(self.epoch_virtual))
            self.clock = self.keeper.clock
            self.lambdas.activity = self.keeper.busy
        self.resources: Provisioned | None = None
        self._saved_env: dict[str, str | None] = {}
        self._moto_config: dict[str, Any] = {}

    # Lifecycle ---------------------------------------------------------------------------------
    def start(self) -> LocalCloud:
        cfg = self.config
        _check_port(cfg.host, cfg.port)
        logging.getLogger("smsflows.local").setLevel(cfg.log_level)
        for noisy in ("werkzeug", "moto"):
            logging.getLogger(noisy).setLevel(logging.ERROR)
        # moto's ASL interpreter logs an ERROR for a Choice `IsPresent` on a missing path, which is the
        # normal "checkout not completed" case of the abandoned-checkout flow: not an error here.
        logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component").setLevel(logging.CRITICAL)
        moto_port = _free_port("127.0.0.1")
        # The Step Functions interpreter calls other services at localhost:$MOTO_PORT (LOCAL_AWS.md §2).
        self._set_env({"MOTO_PORT": str(moto_port), "TZ": "UTC"})
        from moto.server import ThreadedMotoServer

        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
        self._moto.start()
        endpoint = f"http://127.0.0.1:{moto_port}"
        _wait_http(f"{endpoint}/moto-api/")
        from moto.core.config import default_user_config

        # moto keeps this setting for the whole process (the server runs in it): put it back on stop, so that
        # whatever runs in this process afterwards (another test) sees moto as it was.
        self._moto_config = {k: dict(default_user_config[k]) for k in ("stepfunctions", "lambda")}  # type: ignore[literal-required]
        _post_json(
            f"{endpoint}/moto-api/config",
            {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}},
        )
        scale = 1.0 if self.keeper else cfg.time_scale
        moto_patches.install(
            self.lambdas.invoke, time_scale=scale, clock=lambda: self.clock(), keeper=self.keeper
        )

        self.twilio = FakeTwilio(LOCAL_TWILIO_SID, cfg.twilio_token, clock=lambda: self.clock()).start()
        self.twilio.activity = self.keeper
        self.shopify = FakeShopify(clock=lambda: self.clock()).start()
        self.shopify.activity = self.keeper
        self.shopify.add_token(DEFAULT_SHOP, LOCAL_SHOPIFY_ADMIN_TOKEN)  # the token provision() stores
        if cfg.shopify_echo:
            self.shopify.echo_webhooks(f"{self.base_url}/webhooks/shopify", cfg.shopify_secret.encode())
        self._set_env(
            {
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_SESSION_TOKEN": "local",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "SMSFLOWS_AWS_ENDPOINT_URL": endpoint,
                "SMSFLOWS_TWILIO_API_BASE": self.twilio.base_url,
                "SMSFLOWS_SHOPIFY_API_BASE": self.shopify.base_url,
                "PUBLIC_BASE_URL": f"http://{cfg.host}:{cfg.port}",
                "POWERTOOLS_SERVICE_NAME": "smsflows",
                "POWERTOOLS_METRICS_NAMESPACE": "smsflows",
                "POWERTOOLS_METRICS_DISABLED": "true",
                "POWERTOOLS_LOG_LEVEL": cfg.log_level,
                "SMSFLOWS_SHOP_CONFIG_CACHE_S": "0",  # `smsflows shop/flow set` applies at once locally
                "SMSFLOWS_CAMPAIGN_STATE_CACHE_S": "0",  # a cancel is seen by the very next text
            }
        )
        deps_module.reset()
        # A "late" fault answers after the provider client gave up (its timeout, the application's setting).
        late_s = deps_module.get_deps().settings.provider_timeout_s + 1.0
        self.twilio.provider_faults.configure(
            share=cfg.provider_faults, seed=cfg.provider_faults_seed, late_s=late_s
        )
        from smsflows.runtime.observability import logger as app_logger

        app_logger.setLevel(cfg.log_level)  # in case the app's logger was created before the env was set
        client = deps_module.get_deps().client
        self.resources = provision(
            client,
            prefix="smsflows-local",
            shopify_secret=cfg.shopify_secret,
            twilio_token=cfg.twilio_token,
            queue_visibility_scale=scale,
        )
        self._warm()
        if self.keeper is not None:
            install_sim_clock(self.keeper.clock)
            self._set_env({**self.resources.env, "SMSFLOWS_TIME_SCALE": "1.0", "SMSFLOWS_CLOCK": "local"})
        else:
            # Scaled time starts now that the cloud is ready (provisioning must not eat scaled hours).
            self.epoch_real = time.time()
            self.clock = scaled_clock(cfg.time_scale, self.epoch_real, self.epoch_virtual)
            self._set_env(
                {
                    **self.resources.env,
                    "SMSFLOWS_TIME_SCALE": repr(float(cfg.time_scale)),
                    "SMSFLOWS_CLOCK_EPOCH_REAL": repr(self.epoch_real),
                    "SMSFLOWS_CLOCK_EPOCH_VIRTUAL": repr(self.epoch_virtual),
                }
            )
        deps_module.reset()  # settings now see the provisioned names and the clock

        sqs = deps_module.get_deps().client("sqs")
        activity = self.keeper.busy if self.keeper else contextlib.nullcontext
        for spec in topology.FUNCTIONS:
            for queue in spec.consumes:
                poller = QueuePoller(sqs, self.resources.queue_urls[queue], spec, self.lambdas.invoke, REGION)
                poller.activity = activity
                if self.keeper is not None:
                    # Virtual time: a poller looks when a message is sent or made visible, and after a skip;
                    # nothing else makes one visible (time stands still in between).
                    poller.idle_s = 1.0
                    moto_patches.sqs_listeners.append(poller.wake)
                else:
                    # Real time: concurrent batches per queue, as a dev stage's event source mappings run
                    # them (MaximumConcurrency 2).
                    poller.max_in_flight = POLLER_CONCURRENCY
                self.pollers.append(poller.start())
        deferrals = json.loads(self.resources.env[topology.ENV[topology.DEFERRALS]])
        scheduler = deps_module.get_deps().client("scheduler")
        groups = [
            deferrals["group"],
            json.loads(self.resources.env[topology.CAMPAIGN_SCHEDULER_ENV])["group"],
        ]
        schedules = SchedulePoller(scheduler, sqs, groups, self.clock, interval_s=0.5)  # one-time and cron
        schedules.activity = activity
        self.pollers.append(schedules.start())
        if self.keeper is not None:
            consumed = sorted(
                {
                    self.resources.queue_urls[q].rsplit("/", 1)[-1]
                    for spec in topology.FUNCTIONS
                    for q in spec.consumes
                }
            )
            queue_pollers = [p for p in self.pollers if isinstance(p, QueuePoller)]

            def occupied() -> set[str]:
                return {p.queue_name for p in queue_pollers if p.full()}

            sources = (
                moto_patches.queue_sources(consumed, occupied),
                schedule_sources(groups),
                (schedules.crons.ready, schedules.crons.next_due),
            )
            for ready, due in sources:
                self.keeper.pending_sources.append(ready)
                self.keeper.due_sources.append(due)
            self.keeper.on_skip += [poller.wake for poller in self.pollers]
            self.keeper.start()

        self.door = FrontDoor(
            cfg.host,
            cfg.port,
            self.lambdas.invoke,
            {
                "/_local/outbox": json_route(self.twilio.outbox),
                "/_local/health": json_route(lambda: {"status": "ok", "now": self.clock().isoformat()}),
                "/_local/executions": json_route(self.executions),
                "/_local/dlq": json_route(self.dead_letters),
                "/_local/consent": query_route(self.consent),
                "/_local/enqueue": post_route(self.enqueue),
                "/_local/env": json_route(self.client_env),
                "/_local/message": query_route(self.message),
                "/_local/daily": post_route(self.run_daily),
                "/_local/faults": self._faults_route(),
                "/_local/clock": self._clock_route(),
                "/_local/ignored": json_route(self.ignored),
                "/_local/eventbridge": post_route(self.put_eventbridge),
                **self._shopify_routes(),
            },
            local_prefixes={"/_local/storefront": self._storefront().route},
        )
        self.door.serve_in_thread()
        return self

    def stop(self) -> None:
        if self.keeper is not None:
            self.keeper.stop()
            moto_patches.sqs_listeners.clear()
        for poller in self.pollers:
            poller.stop()
        self.pollers = []
        if self.resources is not None:
            self._stop_running_executions()
        if self.door is not None:
            self.door.stop()
            self.door = None
        if self.twilio is not None:
            self.twilio.stop()
            self.twilio = None
        if self.shopify is not None:
            self.shopify.stop()
            self.shopify = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        if self._moto_config:
            from moto.core.config import default_user_config

            default_user_config.update(self._moto_config)  # type: ignore[typeddict-item]
            self._moto_config = {}
        if self.keeper is not None:
            moto_patches.uninstall_keeper()
            install_sim_clock(None)
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env = {}
        deps_module.reset()

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Inspection -------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.config.port}"

    def executions(self) -> list[dict[str, Any]]:
        sfn = deps_module.get_deps().client("stepfunctions")
        out = []
        for flow, arn in (self.resources.state_machines if self.resources else {}).items():
            for ex in sfn.list_executions(stateMachineArn=arn)["executions"]:
                out.append({"flow": flow, "name": ex["name"], "status": ex["status"]})
        return out

    def dead_letters(self) -> dict[str, int]:
        sqs = deps_module.get_deps().client("sqs")
        counts = {}
        for key, url in (self.resources.dlq_urls if self.resources else {}).items():
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
            counts[key] = int(attrs["Attributes"]["ApproximateNumberOfMessages"])
        return counts

    def consent(self, args: dict[str, str]) -> dict[str, Any]:
        """The subscriber state and its ledger (with proof) for ?phone=+1...&shop=..."""
        shop = args.get("shop", DEFAULT_SHOP)
        phone = args["phone"]
        store = deps_module.get_deps().consent_store
        state = store.state(shop, phone)
        return {
            "state": state.model_dump(mode="json") if state else None,
            "suppressed": store.is_suppressed(shop, phone),
            "events": [e.model_dump(mode="json", exclude_none=True) for e in store.events(shop, phone)],
        }

    def ignored(self) -> list[dict[str, Any]]:
        """The webhooks kept and answered that texted nobody: their shop is not onboarded, or was deactivated,
        uninstalled or redacted (shop, webhook_id, topic, received_at, reason), newest first."""
        return deps_module.get_deps().webhook_inbox.ignored()  # type: ignore[no-any-return]

    def message(self, args: dict[str, str]) -> dict[str, Any] | None:
        """The message log entry (claim, state, reason, sid) for ?id=<message_id>."""
        return deps_module.get_deps().message_log.claim(args["id"])  # type: ignore[no-any-return]

    def put_eventbridge(self, event: Any) -> dict[str, str]:
        """What the partner event bus's rule does with a Shopify webhook delivered by EventBridge: the event
        on the shopify_eventbridge queue. The body is the event's `detail` ({"payload", "metadata"}), put in
        an envelope from the local partner event source, or a whole event (`detail-type` ...) as it is."""
        import uuid

        from smsflows.local.provision import ACCOUNT, LOCAL_SHOPIFY_EVENT_SOURCE

        if not isinstance(event, dict) or not (
            "detail-type" in event or (isinstance(event.get("metadata"), dict) and "payload" in event)
        ):
            raise ValueError('send {"payload": {...}, "metadata": {"X-Shopify-Topic": ...}} or a whole event')
        if "detail-type" not in event:
            event = {
                "version": "0", "id": str(uuid.uuid4()), "detail-type": "shopifyWebhook",
                "source": LOCAL_SHOPIFY_EVENT_SOURCE, "account": ACCOUNT,
                "time": self.clock().strftime("%Y-%m-%dT%H:%M:%SZ"), "region": REGION, "resources": [],
                "detail": event,
            }  # fmt: skip
        assert self.resources is not None
        deps_module.get_deps().client("sqs").send_message(
            QueueUrl=self.resources.queue_urls[topology.SHOPIFY_EVENTBRIDGE_QUEUE],
            MessageBody=json.dumps(event, ensure_ascii=False, separators=(",", ":")),
        )
        return {"status": "put", "id": str(event.get("id"))}

    def run_daily(self, _: Any) -> dict[str, str]:
        """What the deployed EventBridge schedule does once a day (moto stores schedules, never fires them)."""
        now = self.clock().isoformat()
        deps_module.get_deps().shop_events_queue.send(
            {
                "shop": "*",
                "topic": "smsflows/daily",
                "webhook_id": f"daily-{now}",
                "received_at": now,
                "body": "{}",
            }
        )
        return {"status": "queued", "at": now}

    def enqueue(self, message: Any) -> dict[str, str]:
        """Put an OutboundMessage on the send queue, as a flow or campaign would (local testing only)."""
        from smsflows.domain.messages import OutboundMessage

        parsed = OutboundMessage.model_validate({"created_at": self.clock().isoformat(), **message})
        deps_module.get_deps().send_queue.send(parsed.model_dump(mode="json"))
        return {"status": "queued", "message_id": parsed.message_id}

    def faults(self) -> dict[str, Any]:
        """The fake Twilio's fault injection: share, seed, kinds, and the calls and faults so far."""
        assert self.twilio is not None
        return self.twilio.provider_faults.as_json()

    def set_faults(self, settings: Any) -> dict[str, Any]:
        """`{"share": 0.2}` fails a fifth of message creates from now on, `{"share": 0}` none. Each setting
        is whole: `seed` defaults to `--provider-faults-seed`, `kinds` (a subset of 500, 429, 503, late) to
        all four, and the draws restart from the seed, so the same POST always gives the same faults."""
        assert self.twilio is not None
        if not isinstance(settings, dict) or "share" not in settings:
            raise ValueError('send a JSON object with a share, e.g. {"share": 0.2}')
        unknown = set(settings) - {"share", "seed", "kinds"}
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return self.twilio.provider_faults.configure(
            share=settings["share"],
            seed=settings.get("seed", self.config.provider_faults_seed),
            kinds=settings.get("kinds", FAULT_KINDS),
        )

    def clock_state(self) -> dict[str, Any]:
        """The clock: now, and with virtual time whether the system is idle, what falls due next, the horizon."""
        if self.keeper is None:
            return {"now": self.clock().isoformat(), "mode": "scaled", "time_scale": self.config.time_scale}
        return self.keeper.state()

    def move_clock(self, request: Any) -> dict[str, Any]:
        """Virtual time only. `{"to": ISO}` or `{"by": "1h"}`: let time run there (everything due on the way
        happens, in order), hold it, answer once idle. `{"settle": true}`: answer once idle with nothing due
        before the horizon. `{"hold": true}`: stop time now. `{"release": true}`: let it run free."""
        if self.keeper is None:
            raise ValueError("the clock is scaled real time: start the cloud with --virtual to move it")
        request = dict(request) if isinstance(request, dict) else request
        wait = request.pop("timeout_s", 60) if isinstance(request, dict) else 60
        if not isinstance(request, dict) or len(request) != 1:
            raise ValueError('send one of {"to": ISO 8601}, {"by": "1h"}, {"settle": true}, {"hold": true}, '
                             '{"release": true} (to, by and settle may add "timeout_s": real seconds, 1-3600)')  # fmt: skip
        if isinstance(wait, bool) or not isinstance(wait, int | float) or not 1 <= wait <= 3600:
            raise ValueError(f"timeout_s: {wait!r} is not a number of real seconds from 1 to 3600")
        ((what, value),) = request.items()
        keeper = self.keeper
        if what == "to":
            at = datetime.fromisoformat(str(value))
            if at.tzinfo is None:
                raise ValueError(f"to: {value!r} has no UTC offset (e.g. 2026-11-23T09:00:00-06:00)")
            return keeper.advance(at.timestamp(), timeout_s=float(wait))
        if what == "by":
            return keeper.advance(
                keeper.clock.time() + parse_duration(str(value), field="by"), timeout_s=float(wait)
            )
        if what == "settle":
            return keeper.settle(float(wait))
        if what == "hold":
            keeper.hold()
            return keeper.state()
        if what == "release":
            keeper.release()
            return keeper.state()
        raise ValueError(f"unknown clock request {what!r}: to, by, settle, hold or release")

    def _clock_route(self) -> LocalRoute:
        move = post_route(self.move_clock)

        def change(
            method: str, query: dict[str, list[str]], body: bytes
        ) -> tuple[int, dict[str, str], bytes]:
            try:
                return move(method, query, body)
            except NotSettled as exc:
                return 504, {"Content-Type": "application/json"}, json.dumps({"error": str(exc)}).encode()

        return _get_or_post(json_route(self.clock_state), change)

    def _storefront(self) -> Storefront:
        """The demo storefront (local/storefront.py): the real theme extension and pixel, playing the app proxy."""

        def forward(
            method: str, target: str, headers: dict[str, str], body: bytes
        ) -> tuple[int, dict[str, str], bytes]:
            assert self.door is not None
            return self.door.handle(method, target, headers, body, "127.0.0.1")

        return Storefront(
            shop=DEFAULT_SHOP,
            brand="Demo Shop",
            secret=self.config.shopify_secret,
            forward=forward,
            base_url=self.base_url,
            clock=lambda: self.clock(),
            activity=self.keeper.busy if self.keeper else contextlib.nullcontext,
        )

    def _shopify_routes(self) -> dict[str, LocalRoute]:
        """The fake Shopify Admin API: what it was asked to write, and its customers, segments, orders and
        webhook subscriptions to seed (GET lists them for ?shop=, default the demo shop)."""
        fake = self.shopify
        assert fake is not None

        def shop_of(args: Any) -> str:
            shop = (args.get("shop") or DEFAULT_SHOP) if isinstance(args, dict) else DEFAULT_SHOP
            if not isinstance(shop, str):
                raise ValueError("shop must be a shop domain")
            return shop

        def body(value: Any) -> dict[str, Any]:
            if not isinstance(value, dict):
                raise ValueError("send a JSON object")
            return value

        def add_customer(value: Any) -> dict[str, str]:
            given = body(value)
            unknown = set(given) - {"shop", "phone", "first_name", "last_name", "email", "id"}
            if unknown:
                raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
            fields = {k: given.get(k) for k in ("phone", "first_name", "last_name", "email")}
            return {"id": fake.add_customer(shop_of(given), **fields, customer_id=given.get("id"))}

        def add_segment(value: Any) -> dict[str, str]:
            given = body(value)
            if not isinstance(given.get("name"), str) or not isinstance(given.get("members", []), list):
                raise ValueError('send {"name": ..., "members": [phone or customer gid, ...]}')
            return {"id": fake.add_segment(shop_of(given), given["name"], [str(m) for m in given.get("members", [])],
                                           query=str(given.get("query") or ""), segment_id=given.get("id"))}  # fmt: skip

        def add_order(value: Any) -> dict[str, str]:
            given = body(value)
            return {"id": fake.add_order(shop_of(given), given.get("order", given))}

        def add_subscription(value: Any) -> dict[str, str]:
            given = body(value)
            return {
                "id": fake.add_webhook_subscription(shop_of(given), str(given["topic"]), str(given["uri"]))
            }

        def throttle(value: Any) -> dict[str, Any]:
            given = body(value)
            fake.throttle_next(int(given.get("next", 1)), int(given.get("status", 200)))
            return fake.summary()

        return {
            "/_local/shopify": json_route(fake.summary),
            "/_local/shopify/consent_writes": json_route(fake.consent_writes),
            "/_local/shopify/customers": _get_or_post(query_route(lambda a: fake.customers(shop_of(a))),
                                                      post_route(add_customer)),
            "/_local/shopify/segments": _get_or_post(query_route(lambda a: fake.segments(shop_of(a))),
                                                     post_route(add_segment)),
            "/_local/shopify/orders": post_route(add_order),
            "/_local/shopify/webhook_subscriptions": post_route(add_subscription),
            "/_local/shopify/throttle": post_route(throttle),
        }  # fmt: skip

    def _faults_route(self) -> LocalRoute:
        return _get_or_post(json_route(self.faults), post_route(self.set_faults))

    def client_env(self) -> dict[str, str]:
        """What a CLI needs to talk to this cloud's AWS services (moto) like to a deployed stage."""
        keep = ("SMSFLOWS_AWS_ENDPOINT_URL", "AWS_REGION", "TABLE_NAME", "SEND_QUEUE_URL", "SHOP_EVENTS_QUEUE_URL",
                "TRANSACTIONAL_QUEUE_URL", "CAMPAIGN_QUEUE_URL", "SMSFLOWS_CAMPAIGN_SCHEDULER", "FLOW_STATE_MACHINES",
                "DEFAULT_SHOP", "SMSFLOWS_TIME_SCALE", "SHOPIFY_ADMIN_TOKEN_PREFIX", "SMSFLOWS_SHOPIFY_API_BASE",
                "SMSFLOWS_CLOCK_EPOCH_REAL", "SMSFLOWS_CLOCK_EPOCH_VIRTUAL")  # fmt: skip
        env = {k: os.environ[k] for k in keep if k in os.environ}
        if self.keeper is not None:  # another process reads this cloud's virtual clock over HTTP
            env["SMSFLOWS_CLOCK_URL"] = f"{self.base_url}/_local/clock"
        return env

    # Internals ----
    def _warm(self) -> None:
        """Load every handler and client once, as warm Lambda containers would be, so that cold starts
        do not eat hours of compressed time."""
        for spec in topology.FUNCTIONS:
            self.lambdas.module(spec.name)
        deps = deps_module.get_deps()
        for service in ("dynamodb", "sqs", "stepfunctions", "secretsmanager"):
            deps.client(service)
        import twilio.rest  # noqa: F401

    def _set_env(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def _stop_running_executions(self) -> None:
        """Stop what is still waiting, so no execution outlives the cloud. Never hangs shutdown."""
        try:
            sfn = deps_module.get_deps().client("stepfunctions")
            arns = list(self.resources.state_machines.values()) if self.resources else []
            running = [
                ex
                for arn in arns
                for ex in sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
            ]
        except Exception:
            LOG.warning("could not list running executions", exc_info=True)
            return
        for ex in running:
            try:
                sfn.stop_execution(executionArn=ex["executionArn"], cause="local cloud shutting down")
            except Exception:
                LOG.warning("could not stop %s", ex["name"], exc_info=True)


def _get_or_post(show: LocalRoute, change: LocalRoute) -> LocalRoute:
    """A local route that shows on GET (and HEAD) and changes on POST; 405 with Allow otherwise."""

    def route(method: str, query: dict[str, list[str]], body: bytes) -> tuple[int, dict[str, str], bytes]:
        if method == "POST":
            return change(method, query, body)
        if method == "GET":
            return show(method, query, body)
        return (
            405,
            {"Content-Type": "application/json", "Allow": "GET, HEAD, POST"},
            b'{"error":"GET or POST"}',
        )

    return route


def _wait_http(url: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback only
                return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer from {url} within {timeout:g} s; last error: {exc}") from exc
            time.sleep(0.02)


def _post_json(url: str, payload: dict[str, Any]) -> None:
    req = urllib.request.Request(  # noqa: S310 - loopback only
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=5):  # noqa: S310
        pass
