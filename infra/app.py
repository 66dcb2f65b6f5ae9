#!/usr/bin/env python3
"""CDK app: `cdk synth -c stage=dev|prod` (default dev) -> one stack `Smsflows-<stage>`, cdk-nag always on."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# `python infra/app.py` puts infra/ first on sys.path, where infra/constructs would shadow the `constructs`
# library; import `infra.*` from the repo root instead.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != REPO_ROOT / "infra"]
# The app package need not be installed: the CDK app reads topology and flows straight from the layer source.
for entry in (REPO_ROOT, REPO_ROOT / "layers" / "core" / "python"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from infra import config as stage_config  # noqa: E402
from infra.stacks.smsflows_stack import SmsflowsStack  # noqa: E402

# Stage settings that may be given on the command line: `cdk deploy -c stage=prod -c alarm_email=…`.
CONTEXT_OVERRIDES = (
    "account",
    "region",
    "alarm_email",
    "alarm_https_url",
    "default_shop",
    "create_api_logging_role",
    "domain_name",
    "certificate_arn",
    "hosted_zone_id",
    "hosted_zone_name",
    "link_domains",  # a JSON list of {"domain", "certificate_arn"}: see config.LinkDomain
    "shopify_event_source",  # aws.partner/shopify.com/<app id>/<name>: Shopify webhooks by EventBridge
)


def build(app: cdk.App) -> SmsflowsStack:
    """Add the stage's stack to `app`, with cdk-nag and tags. Shared by this script and the infra tests."""
    config = stage_config.load(
        str(app.node.try_get_context("stage") or "dev"),
        **{key: app.node.try_get_context(key) for key in CONTEXT_OVERRIDES},
    )
    stack = SmsflowsStack(
        app,
        f"Smsflows-{config.stage}",
        config=config,
        repo_root=REPO_ROOT,
        # Tests pass a stand-in; a deployment always ships layers/deps/build from `make layer`.
        deps_layer_dir=_path_or_none(app.node.try_get_context("deps_layer_dir")),
        description=f"smsflows: consent-first SMS automation for Shopify ({config.stage})",
        env=cdk.Environment(
            account=config.account or os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=config.region or os.environ.get("CDK_DEFAULT_REGION"),
        ),
    )
    cdk.Tags.of(app).add("project", "smsflows")
    cdk.Tags.of(app).add("stage", config.stage)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


def _path_or_none(value: object) -> Path | None:
    return Path(str(value)) if value else None


def main() -> None:
    app = cdk.App()
    try:
        build(app)
    except ValueError as exc:  # a stage that is not deployable: one clear line, no traceback
        sys.exit(f"smsflows: {exc}")
    app.synth()


if __name__ == "__main__":
    main()
