"""Which deployment a command talks to: a running `smsflows local`, or a stage in AWS.

Each setting comes from the first of: its flag (`--local URL`, `--shop`, `--url`), its environment
variable, the profile. The kind of target is decided the same way: the first of those layers that names one
(`--local`; SMSFLOWS_LOCAL_URL or TABLE_NAME; the profile's local_url or table_name) decides it. A profile
is a `[profiles.NAME]` table of $XDG_CONFIG_HOME/smsflows/config.toml (default ~/.config/smsflows/), chosen
with `--profile NAME` or SMSFLOWS_PROFILE, else `[profiles.default]` if there is one.
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from smsflows import admin
from smsflows.admin.errors import BadValue, NoTarget
from smsflows.cli._core import err
from smsflows.runtime import deps as deps_module

LOG = logging.getLogger("smsflows.cli")
# profile key: the environment variable it stands in for
PROFILE_KEYS = {
    "local_url": "SMSFLOWS_LOCAL_URL",
    "table_name": "TABLE_NAME",
    "shop_events_queue_url": "SHOP_EVENTS_QUEUE_URL",
    "send_queue_url": "SEND_QUEUE_URL",
    "transactional_queue_url": "TRANSACTIONAL_QUEUE_URL",
    "campaign_queue_url": "CAMPAIGN_QUEUE_URL",  # `campaign schedule|resume` start a run
    "campaign_scheduler": "SMSFLOWS_CAMPAIGN_SCHEDULER",  # the stack output CampaignSchedulerSettings
    # `smsflows dlq` for webhooks delivered by EventBridge: the stack output ShopifyEventBridgeQueueUrl
    "shopify_eventbridge_queue_url": "SHOPIFY_EVENTBRIDGE_QUEUE_URL",
    "region": "AWS_REGION",
    "aws_profile": "AWS_PROFILE",
    "public_base_url": "PUBLIC_BASE_URL",
    # `simulate status` on a stage: Twilio's status callbacks have an API of their own (StatusCallbackBaseUrl)
    "status_callback_base_url": "STATUS_CALLBACK_BASE_URL",
    "shop": "SMSFLOWS_SHOP",
    "shopify_admin_token_prefix": "SHOPIFY_ADMIN_TOKEN_PREFIX",  # the stack output ShopifyAdminTokenPrefix
}
STAGE_KEYS = (
    "table_name",
    "shop_events_queue_url",
    "send_queue_url",
    "transactional_queue_url",
    "campaign_queue_url",
    "campaign_scheduler",
    "shopify_eventbridge_queue_url",
    "region",
    "aws_profile",
    "public_base_url",
    "shopify_admin_token_prefix",
)
SHOP_FORM = 'pass --shop SHOP.myshopify.com, set SMSFLOWS_SHOP, or put shop = "..." in the profile'


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "smsflows" / "config.toml"


@dataclass(frozen=True)
class Profile:
    name: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    chosen_by: str | None = None  # "--profile", "SMSFLOWS_PROFILE"; None: [profiles.default] or none


def load_profile(name: str | None) -> Profile:
    """The profile `name` (else SMSFLOWS_PROFILE's, else `default` if the file has it); BadValue if a named
    one is missing or the file is not what the help describes."""
    chosen_by = "--profile" if name else None
    if not name and os.environ.get("SMSFLOWS_PROFILE"):
        name, chosen_by = os.environ["SMSFLOWS_PROFILE"], "SMSFLOWS_PROFILE"
    path = config_path()
    if not path.is_file():
        if name:
            raise BadValue(f"{chosen_by}: no profile {name!r}: {path} does not exist (see `smsflows --help`)")
        return Profile()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise BadValue(f"{path}: not a TOML file smsflows can read: {exc}") from None
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise BadValue(f"{path}: `profiles` must be tables: [profiles.NAME]")
    if not name:
        if "default" not in profiles:
            return Profile()
        name = "default"
    if name not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise BadValue(f"{chosen_by or 'profile'}: no profile {name!r} in {path} (profiles: {known})")
    table = profiles[name]
    if not isinstance(table, dict):
        raise BadValue(f"{path}: profiles.{name} must be a table: [profiles.{name}]")
    for key, value in table.items():
        if key not in PROFILE_KEYS:
            raise BadValue(
                f"{path}: [profiles.{name}] has no setting {key!r} (settings: {', '.join(PROFILE_KEYS)})"
            )
        if not isinstance(value, str) or not value:
            raise BadValue(f'{path}: [profiles.{name}] {key} must be a non-empty string, e.g. {key} = "..."')
    return Profile(name, dict(table), chosen_by)


@dataclass
class Target:
    """The `--local` and `--profile` a command was given; `connect()` points this process at the target."""

    local: str | None = None
    profile_name: str | None = None
    _profile: Profile | None = None
    connected: str | None = None  # "local" | "stage" once connected

    @property
    def profile(self) -> Profile:
        if self._profile is None:
            self._profile = load_profile(self.profile_name)
        return self._profile

    def kind(self) -> tuple[str | None, str | None, str]:
        """(kind, local URL, where it was named): the first layer naming a target decides."""
        if self.local:
            return "local", self.local, "--local"
        env_local, env_table = os.environ.get("SMSFLOWS_LOCAL_URL"), os.environ.get("TABLE_NAME")
        if env_local and env_table and self.connected is None:
            raise BadValue("SMSFLOWS_LOCAL_URL and TABLE_NAME are both set: unset one, or pass --local URL")
        if env_local:
            return "local", env_local, "SMSFLOWS_LOCAL_URL"
        if env_table:
            return "stage", None, "TABLE_NAME"
        values = self.profile.values
        where = f"profile {self.profile.name}"
        if values.get("local_url") and values.get("table_name"):
            raise BadValue(f"{where} names both local_url and table_name: keep one")
        if values.get("local_url"):
            return "local", values["local_url"], f"{where} local_url"
        if values.get("table_name"):
            return "stage", None, where
        return None, None, ""

    def named(self) -> bool:
        """Whether a target is named at all (flag, environment or profile)."""
        return self.kind()[0] is not None

    def connect(self) -> str:
        """Point this process at the target; NoTarget if none is named, Failed if nothing answers."""
        if self.connected:
            return self.connected
        kind, url, where = self.kind()
        if kind is None:
            raise NoTarget(
                "no deployment named: pass --local URL (a running `smsflows local`), set SMSFLOWS_LOCAL_URL, "
                "or TABLE_NAME and the queue URLs (stack outputs), or choose a profile with --profile NAME (`smsflows --help`)"
            )
        if kind == "local":
            assert url is not None
            admin.use_local_cloud(admin.check_url(url, where))
            LOG.info("the local cloud at %s (from %s)", url, where)
        else:
            self._apply_stage_profile()
            LOG.info("the stage with table %s (from %s)", os.environ.get("TABLE_NAME"), where)
        self.connected = kind
        return kind

    def _apply_stage_profile(self) -> None:
        profile = self.profile
        for key in STAGE_KEYS:
            value, env = profile.values.get(key), PROFILE_KEYS[key]
            if value is None:
                continue
            current = os.environ.get(env)
            if current is None:
                os.environ[env] = value
                if key == "region":
                    os.environ["AWS_DEFAULT_REGION"] = value
            elif current != value and profile.chosen_by:
                err().print(f"smsflows: {env} from the environment overrides {key} of profile {profile.name}")
        deps_module.reset()

    def shop_or_none(self, flag: str | None) -> str | None:
        """The shop a command acts on: --shop, SMSFLOWS_SHOP, the profile's `shop`, then the deployment's
        DEFAULT_SHOP (the local cloud's demo shop)."""
        for value in (flag, os.environ.get("SMSFLOWS_SHOP"), self.profile.values.get("shop"),
                      os.environ.get("DEFAULT_SHOP")):  # fmt: skip
            if value:
                return value
        return None

    def shop(self, flag: str | None) -> str:
        """`shop_or_none`, or BadValue when no shop is named anywhere."""
        found = self.shop_or_none(flag)
        if found is None:
            raise BadValue(f"--shop: no shop named: {SHOP_FORM}")
        return found

    def public_url(self, url_flag: str | None, callbacks: bool = False) -> tuple[str, bool]:
        """(base URL of the API, whether it is a local cloud) for the Twilio test events. With `callbacks`
        (status callbacks), a stage's URL is its callback API's (the stack output StatusCallbackBaseUrl)."""
        values = self.profile.values
        stage_key, stage_env = (
            ("status_callback_base_url", "STATUS_CALLBACK_BASE_URL") if callbacks
            else ("public_base_url", "PUBLIC_BASE_URL")
        )  # fmt: skip
        for value, local, where in (
            (url_flag, False, "--url"), (self.local, True, "--local"),
            (os.environ.get("SMSFLOWS_LOCAL_URL"), True, "SMSFLOWS_LOCAL_URL"),
            (os.environ.get(stage_env), False, stage_env),
            (values.get("local_url"), True, f"profile {self.profile.name} local_url"),
            (values.get(stage_key), False, f"profile {self.profile.name} {stage_key}"),
        ):  # fmt: skip
            if value:
                return admin.check_url(value, where), local
        if callbacks:
            raise NoTarget(
                "no URL to post to: pass --local URL (a running `smsflows local`) or --url (a stage's stack output "
                "StatusCallbackBaseUrl, e.g. https://abc123.execute-api.us-east-1.amazonaws.com), or set "
                "status_callback_base_url in a profile"
            )
        raise NoTarget(
            "no URL to post to: pass --local URL (a running `smsflows local`) or --url (a stage's public base URL,"
            " e.g. https://abc123.execute-api.us-east-1.amazonaws.com/v1), or set them in a profile"
        )


def _check_local(value: str | None) -> str | None:
    return admin.check_url(value, "--local") if value else value


LocalOpt = Annotated[
    str | None,
    typer.Option(
        "--local",
        metavar="URL",
        parser=_check_local,
        help="A running `smsflows local`, e.g. http://127.0.0.1:8787 (else SMSFLOWS_LOCAL_URL, the profile's "
        "local_url, or a stage from TABLE_NAME…).",
        show_default="none",
        rich_help_panel="Target",
    ),
]
ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile",
        metavar="NAME",
        help=escape(
            "A [profiles.NAME] table of the config file (else SMSFLOWS_PROFILE, else [profiles.default])."
        ),
        show_default="none",
        rich_help_panel="Target",
    ),
]
ShopOpt = Annotated[
    str | None,
    typer.Option(
        "--shop",
        metavar="SHOP",
        help="The shop, e.g. your-shop.myshopify.com (else SMSFLOWS_SHOP, the profile's shop, the "
        "deployment's DEFAULT_SHOP: the local cloud's demo-shop.myshopify.com).",
        show_default="none",
    ),
]
JsonOpt = Annotated[
    bool,
    typer.Option("--json", help="Print JSON for scripts (the keys are listed below) instead of a table."),
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do it without asking first.")]


def connect_shop(local: str | None, profile: str | None, shop: str | None) -> str:
    """Point this process at the target (--local, --profile or the environment); the shop it acts on."""
    target = Target(local, profile)
    target.connect()
    return target.shop(shop)
