"""The app configuration (shopify/shopify.app.toml) against the consumer, and `smsflows shopify check`'s
findings: every topic the backend handles is subscribed and nothing else, the compliance topics over HTTPS,
the scopes, the placeholders, the URLs of the stage, the live shop-scoped subscriptions."""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from smsflows.admin import shopify_app
from smsflows.domain.shopify.admin_api import WebhookSubscription, topic_enum
from smsflows.domain.shopify.events import shopify_topics

ROOT = Path(__file__).parents[3]
TOML = ROOT / "shopify" / "shopify.app.toml"
BASE = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"


def config() -> dict[str, Any]:
    return tomllib.loads(TOML.read_text())


def filled() -> dict[str, Any]:
    """The repository's file with its two placeholders replaced, as an operator deploys it."""
    text = TOML.read_text().replace("https://smsflows.example.com/prod", BASE)
    text = text.replace('client_id = "' + "0" * 32 + '"', 'client_id = "a61950a2cbd5f32876b0b55587ec7a27"')
    return tomllib.loads(text)


def statuses(findings: list[shopify_app.Finding]) -> dict[str, str]:
    return {f.check: f.status for f in findings}


def test_the_tomls_topics_are_exactly_the_ones_the_consumer_handles():
    declared = set(shopify_app.declared(config()))
    assert declared == set(shopify_topics())
    assert {"orders/create", "customers_marketing_consent/update", "shop/redact"} <= declared


def test_compliance_topics_are_one_https_subscription_and_the_version_is_2026_10():
    cfg = config()
    subs = cfg["webhooks"]["subscriptions"]
    [compliance] = [s for s in subs if "compliance_topics" in s]
    assert set(compliance["compliance_topics"]) == shopify_app.COMPLIANCE
    assert compliance["uri"].startswith("https://")
    assert cfg["webhooks"]["api_version"] == "2026-10"
    assert cfg["app_proxy"]["url"].endswith("/proxy") and cfg["app_proxy"]["subpath"] == "sms"


def test_the_filled_in_file_passes_every_check_against_its_stage():
    findings = shopify_app.check(filled(), BASE)
    assert {f.status for f in findings} == {"ok"}, [f for f in findings if f.status != "ok"]


def test_the_repositorys_file_fails_on_its_placeholders():
    got = statuses(shopify_app.check(config()))
    assert got["client_id"] == "fail" and got["URLs"] == "fail"


def test_a_consumed_topic_left_out_fails_and_an_unconsumed_one_warns():
    cfg = filled()
    subs = cfg["webhooks"]["subscriptions"]
    main = next(s for s in subs if "orders/create" in s.get("topics", []))
    main["topics"] = [t for t in main["topics"] if t != "fulfillments/create"] + ["orders/paid"]
    findings = {f.check: f for f in shopify_app.check(cfg, BASE)}
    assert findings["topics consumed are subscribed"].status == "fail"
    assert "fulfillments/create" in findings["topics consumed are subscribed"].detail
    assert findings["nothing subscribed that nobody consumes"].status == "warn"
    assert "orders/paid" in findings["nothing subscribed that nobody consumes"].detail


def test_a_missing_compliance_topic_or_scope_fails():
    cfg = filled()
    compliance = next(s for s in cfg["webhooks"]["subscriptions"] if "compliance_topics" in s)
    compliance["compliance_topics"] = ["customers/redact", "shop/redact"]
    cfg["access_scopes"]["scopes"] = cfg["access_scopes"]["scopes"].replace(",write_customers", "")
    found = {f.check: f for f in shopify_app.check(cfg, BASE)}
    assert (
        found["compliance topics"].status == "fail"
        and "customers/data_request" in found["compliance topics"].detail
    )
    assert found["access scopes"].status == "fail" and "write_customers" in found["access scopes"].detail


def test_uris_of_another_deployment_fail_and_compliance_over_eventbridge_fails():
    cfg = filled()
    other = "https://other.execute-api.us-east-1.amazonaws.com/prod"
    got = statuses(shopify_app.check(cfg, other))
    assert got["webhook URIs point here"] == "fail" and got["app proxy points here"] == "fail"
    cfg2 = copy.deepcopy(cfg)
    compliance = next(s for s in cfg2["webhooks"]["subscriptions"] if "compliance_topics" in s)
    compliance["uri"] = "arn:aws:events:us-east-1::event-source/aws.partner/shopify.com/1830279/smsflows-prod"
    assert statuses(shopify_app.check(cfg2, BASE))["compliance over HTTPS"] == "fail"


def test_the_eventbridge_option_passes_with_an_arn():
    cfg = filled()
    main = next(s for s in cfg["webhooks"]["subscriptions"] if "orders/create" in s.get("topics", []))
    main["uri"] = "arn:aws:events:us-east-1::event-source/aws.partner/shopify.com/1830279/smsflows-prod"
    findings = shopify_app.check(cfg, BASE)
    assert {f.status for f in findings} == {"ok"}, findings


def test_live_subscriptions_none_is_ok_others_elsewhere_warn():
    cfg = filled()
    assert statuses(shopify_app.check(cfg, BASE, []))["live shop-scoped subscriptions"] == "ok"
    stale = [WebhookSubscription("gid://shopify/WebhookSubscription/1", topic_enum("orders/create"),
                                 "https://old.example.net/webhooks/shopify")]  # fmt: skip
    found = {f.check: f for f in shopify_app.check(cfg, BASE, stale)}
    assert found["live shop-scoped subscriptions"].status == "warn"
    assert "old.example.net" in found["live shop-scoped subscriptions"].detail
    every = [WebhookSubscription(f"gid://{i}", topic_enum(t), BASE + "/webhooks/shopify")
             for i, t in enumerate(sorted(shopify_topics() - shopify_app.COMPLIANCE))]  # fmt: skip
    assert statuses(shopify_app.check(cfg, BASE, every))["live shop-scoped subscriptions"] == "ok"
    partial = statuses(shopify_app.check(cfg, BASE, every[1:]))
    assert partial["live shop-scoped subscriptions"] == "warn"


@pytest.mark.parametrize("folder", ["smsflows-optin", "smsflows-pixel"])
def test_each_extension_has_a_valid_shopify_extension_toml(folder: str):
    ext = tomllib.loads((ROOT / "shopify" / "extensions" / folder / "shopify.extension.toml").read_text())
    assert ext.get("type") in {"theme", "web_pixel_extension"}
    if ext["type"] == "web_pixel_extension":
        assert ext["runtime_context"] == "strict" and "customer_privacy" in ext


def test_the_cli_prints_one_row_per_check_and_fails_on_a_placeholder(tmp_path: Path):
    from tests.unit.cli.conftest import run

    ran = run("shopify", "check", "--json")
    rows = json.loads(ran.out)
    assert ran.code == 1 and {r["check"] for r in rows} >= {"topics consumed are subscribed", "client_id"}
    good = tmp_path / "shopify.app.toml"
    text = TOML.read_text().replace("https://smsflows.example.com/prod", BASE)
    good.write_text(text.replace("0" * 32, "a61950a2cbd5f32876b0b55587ec7a27"))
    assert run("shopify", "check", "--toml", str(good)).code == 0
    missing = run("shopify", "check", "--toml", str(tmp_path / "nope.toml"))
    assert (
        missing.code == 2 and missing.err_lines == [missing.err_lines[0]] and "does not exist" in missing.err
    )
    broken = tmp_path / "broken.toml"
    broken.write_text("name = ")
    assert "not valid TOML" in run("shopify", "check", "--toml", str(broken)).err
