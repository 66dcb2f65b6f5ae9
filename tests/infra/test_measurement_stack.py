"""Measurement (issue 16): shops' branded link domains on the API, the business row of the dashboard, and
the business alarms (a campaign the guard paused, a delivery rate under its floor, a spike of opt-outs)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from infra_synth import LINK_DOMAINS, STAGE_CONTEXT, logical_id, of_type
from pydantic import ValidationError

from infra import config as stage_config
from infra.config import LinkDomain, StageConfig
from infra.constructs.monitoring import BUSINESS_METRICS

ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"


def _link(domain: str, arn: str = ARN) -> dict[str, str]:
    return {"domain": domain, "certificate_arn": arn}


def _rendered(value: Any) -> str:
    """A templated string (a Fn::Join of strings, Refs and GetAtts) with its tokens written as <Ref> and
    <LogicalId.Attribute>."""
    if isinstance(value, str):
        return value
    delimiter, parts = value["Fn::Join"]
    return delimiter.join(
        part
        if isinstance(part, str)
        else f"<{part['Ref']}>"
        if "Ref" in part
        else "<{}.{}>".format(*part["Fn::GetAtt"])
        for part in parts
    )


# Config ----------------------------------------------------------------------------------------------------


def test_link_domains_come_from_the_command_line_as_a_json_list():
    given = json.dumps([_link("sms.shop-a.example"), _link("go.shop-b.example")])
    config = stage_config.load("dev", link_domains=given)
    assert config.link_domains == (
        LinkDomain(domain="sms.shop-a.example", certificate_arn=ARN),
        LinkDomain(domain="go.shop-b.example", certificate_arn=ARN),
    )
    # from cdk.json's context (a list already), the same
    assert stage_config.load("dev", link_domains=json.loads(given)) == config
    assert stage_config.load("dev").link_domains == ()  # none unless given
    assert stage_config.load("dev", link_domains="[]").link_domains == ()


@pytest.mark.parametrize(
    ("link_domains", "complaint"),
    [
        ([_link("sms.shop.example"), _link("sms.shop.example")], "given more than once"),
        ([_link("sms.shop.example", "arn:aws:iam::123456789012:role/not-a-certificate")], "certificate_arn"),
        ([_link("sms.shop.example", "arn:aws:acm:us-east-1:1234:certificate/x")], "certificate_arn"),
        ([_link("https://sms.shop.example/")], "domain"),
        ([_link("SMS.Shop.Example")], "domain"),
        ([{"domain": "sms.shop.example"}], "certificate_arn"),
        ([{**_link("sms.shop.example"), "zone": "Z1"}], "zone"),
        ("sms.shop.example", "JSON list"),
        ('[{"domain": "sms.shop.example",', "JSON list"),
    ],
)
def test_bad_link_domains_are_refused_with_a_reason(link_domains, complaint):
    given = link_domains if isinstance(link_domains, str) else json.dumps(link_domains)
    with pytest.raises(ValueError, match=complaint):
        stage_config.load("dev", link_domains=given)


def test_a_link_domain_cannot_be_the_apis_own_domain():
    with pytest.raises(ValidationError, match="domain_name already"):
        StageConfig(
            stage="dev",
            domain_name="sms.example.com",
            certificate_arn=ARN,
            link_domains=(LinkDomain(domain="sms.example.com", certificate_arn=ARN),),
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("delivery_rate_floor", 0),
        ("delivery_rate_floor", 1.5),
        ("delivery_rate_min_volume", 0),
        ("opt_out_spike_per_hour", 0),
    ],
)
def test_business_alarm_settings_are_bounded(field, value):
    with pytest.raises(ValidationError, match=field):
        StageConfig(stage="dev", **{field: value})


def test_business_alarm_settings_have_the_documented_defaults():
    config = StageConfig(stage="dev")
    assert (config.delivery_rate_floor, config.delivery_rate_min_volume, config.opt_out_spike_per_hour) == (
        0.9,
        50,
        50,
    )
    assert StageConfig(stage="dev", delivery_rate_floor=1).delivery_rate_floor == 1  # 0 < floor <= 1


# Link domains in the template ------------------------------------------------------------------------------


def test_each_link_domain_is_a_regional_tls12_domain_with_the_stage_at_its_root(synthesized, resources):
    config = synthesized.stack.config
    api = synthesized.stack.webhook_api
    expected = {link.domain: link.certificate_arn for link in config.link_domains}
    if config.stage == "prod":  # synthesized with two shops' domains (infra_synth.STAGE_CONTEXT)
        assert expected == {link["domain"]: link["certificate_arn"] for link in LINK_DOMAINS}
    assert set(api.link_domains) == set(expected)
    domains = {
        key: d["Properties"]
        for key, d in of_type(resources, "AWS::ApiGateway::DomainName").items()
        if d["Properties"]["DomainName"] in expected
    }
    assert len(domains) == len(expected)
    mappings = [m["Properties"] for m in of_type(resources, "AWS::ApiGateway::BasePathMapping").values()]
    (stage_id,) = of_type(resources, "AWS::ApiGateway::Stage")
    for domain_id, props in domains.items():
        host = props["DomainName"]
        assert domain_id == logical_id(synthesized, api.link_domains[host])
        assert props["RegionalCertificateArn"] == expected[host]
        assert props["SecurityPolicy"] == "TLS_1_2"
        assert props["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
        (mapping,) = [m for m in mappings if m["DomainName"] == {"Ref": domain_id}]
        assert "BasePath" not in mapping  # https://<link domain>/l/<code>: the stage at the root
        assert mapping["RestApiId"] == {"Ref": logical_id(synthesized, api.api)}
        assert mapping["Stage"] == {"Ref": stage_id}
    # no DNS record for a shop's host: the shop's zone is the shop's (only the API's own alias, if any)
    records = [r["Properties"]["Name"] for r in of_type(resources, "AWS::Route53::RecordSet").values()]
    assert not {f"{host}." for host in expected} & set(records)


def test_link_domain_targets_output_says_where_each_shops_cname_points(synthesized):
    api = synthesized.stack.webhook_api
    outputs = synthesized.json["Outputs"]
    if not api.link_domains:
        assert "LinkDomainTargets" not in outputs
        return
    targets = json.loads(_rendered(outputs["LinkDomainTargets"]["Value"]))
    assert targets == {
        host: f"<{logical_id(synthesized, domain)}.RegionalDomainName>"
        for host, domain in api.link_domains.items()
    }


def test_link_domains_are_given_on_the_command_line_like_the_api_domain():
    from infra.app import CONTEXT_OVERRIDES

    assert {"domain_name", "certificate_arn", "link_domains"} <= set(CONTEXT_OVERRIDES)
    assert json.loads(STAGE_CONTEXT["prod"]["link_domains"]) == LINK_DOMAINS


# Business alarms -------------------------------------------------------------------------------------------


def _alarm(synthesized: Any, resources: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [
        a["Properties"]
        for key, a in of_type(resources, "AWS::CloudWatch::Alarm").items()
        if re.fullmatch(rf"Monitoring{name}[0-9A-F]{{8}}", key)
    ]
    topic = {"Ref": synthesized.stack.get_logical_id(synthesized.stack.monitoring.topic.node.default_child)}
    assert found["AlarmActions"] == [topic] and found["OKActions"] == [topic]
    assert found["TreatMissingData"] == "notBreaching"
    assert found["AlarmDescription"].startswith(f"[smsflows {synthesized.stack.config.stage}] ")
    return found


def _stats(alarm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["Id"]: m["MetricStat"] for m in alarm["Metrics"] if "MetricStat" in m}


def test_a_campaign_the_guard_paused_alarms_on_the_first_one(synthesized, resources):
    alarm = _alarm(synthesized, resources, "CampaignAutoPausedAlarm")
    assert alarm["MetricName"] == "CampaignAutoPaused"
    assert alarm["Namespace"] == synthesized.stack.config.metric_namespace
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "smsflows"}]
    assert (alarm["Statistic"], alarm["Period"]) == ("Sum", 300)
    # > 0 in one 5-minute period: the first paused campaign (>= 1)
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (1, 1)
    description = alarm["AlarmDescription"]
    assert "smsflows campaign show ID --shop S" in description
    assert "resume" in description and "cancel" in description


def test_a_delivery_rate_under_the_floor_alarms_only_when_there_is_volume(synthesized, resources):
    config = synthesized.stack.config
    alarm = _alarm(synthesized, resources, "DeliveryRateFloorAlarm")
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "LessThanThreshold",
        config.delivery_rate_floor,
    )
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (3, 3)
    stats = _stats(alarm)
    assert {s["Metric"]["MetricName"] for s in stats.values()} == {"MessagesDelivered", "MessagesUndelivered"}
    for stat in stats.values():
        assert (stat["Stat"], stat["Period"]) == ("Sum", 900)
        assert stat["Metric"]["Namespace"] == config.metric_namespace
        assert stat["Metric"]["Dimensions"] == [{"Name": "service", "Value": "smsflows"}]
    (expression,) = [m for m in alarm["Metrics"] if "Expression" in m]
    assert expression["ReturnData"] is True
    ids = {stat["Metric"]["MetricName"]: id_ for id_, stat in stats.items()}
    d, u = ids["MessagesDelivered"], ids["MessagesUndelivered"]
    # a rate (delivered / all final reports), judged only with enough reports; 1 (on target) otherwise
    assert expression["Expression"] == (
        f"IF(FILL({d}, 0) + FILL({u}, 0) >= {config.delivery_rate_min_volume}, "
        f"FILL({d}, 0) / (FILL({d}, 0) + FILL({u}, 0)), 1)"
    )


def test_a_spike_of_opt_outs_in_an_hour_alarms(synthesized, resources):
    config = synthesized.stack.config
    alarm = _alarm(synthesized, resources, "OptOutSpikeAlarm")
    assert alarm["MetricName"] == "OptOuts" and alarm["Namespace"] == config.metric_namespace
    assert (alarm["Statistic"], alarm["Period"]) == ("Sum", 3600)
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "GreaterThanThreshold",
        config.opt_out_spike_per_hour,
    )
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (1, 1)


def test_dlq_depth_and_error_rates_already_alarm(synthesized, resources):
    """Issue 16 asks for them too: the DLQ alarms (first message) and the error-rate alarms exist."""
    keys = set(of_type(resources, "AWS::CloudWatch::Alarm"))
    for name in (
        "SendQueueDlqAlarm",
        "TransactionalQueueDlqAlarm",
        "Api5xxRateAlarm",
        "FollowLinkErrorsAlarm",
    ):
        assert any(re.fullmatch(rf"Monitoring{name}[0-9A-F]{{8}}", key) for key in keys), name


# The dashboard's business row ------------------------------------------------------------------------------


def _dashboard_widgets(resources: dict[str, Any]) -> list[dict[str, Any]]:
    (dashboard,) = of_type(resources, "AWS::CloudWatch::Dashboard").values()
    body = _rendered(dashboard["Properties"]["DashboardBody"])
    return json.loads(body)["widgets"]


def test_the_dashboard_opens_with_the_business_row(synthesized, resources):
    config = synthesized.stack.config
    widgets = _dashboard_widgets(resources)
    business = [w for w in widgets if w["y"] < next(w["y"] for w in widgets if "Operations" in json.dumps(w))]
    titles = [w["properties"].get("title") for w in business]
    assert titles[2:] == [
        "Totals for the selected time range",
        "Texts sent, delivered and not delivered (per hour)",
        "Delivery rate (%)",
        "Link clicks and orders from texts (per hour)",
        "Opt-outs and campaigns paused by the guard (per hour)",
    ]
    assert "Business" in business[1]["properties"]["markdown"]
    metrics_named = {
        entry[1]
        for widget in business
        for entry in widget["properties"].get("metrics", [])
        if isinstance(entry, list) and len(entry) > 1 and entry[0] == config.metric_namespace
    }
    assert metrics_named == set(BUSINESS_METRICS)
    (totals,) = [w for w in business if w["type"] == "metric" and w["properties"]["view"] == "singleValue"]
    assert totals["properties"]["setPeriodToTimeRange"] is True
    assert len(totals["properties"]["metrics"]) == len(BUSINESS_METRICS)
    labels = {entry[-1]["label"] for entry in totals["properties"]["metrics"]}
    assert labels == set(BUSINESS_METRICS.values())  # named as a marketer would, not as the code does
    (rate,) = [w for w in business if w["properties"].get("title") == "Delivery rate (%)"]
    (expression,) = [e[0]["expression"] for e in rate["properties"]["metrics"] if "expression" in e[0]]
    assert re.fullmatch(r"100 \* FILL\((\w+), 0\) / \(FILL\(\1, 0\) \+ FILL\((\w+), 0\)\)", expression)
    floor = rate["properties"]["annotations"]["horizontal"][0]
    assert floor["value"] == 100 * config.delivery_rate_floor


@pytest.mark.parametrize(
    "override",
    [
        {"link_throttle_rate": 20},  # dev's stage rate is 20
        {"link_throttle_burst": 41},  # and its burst 40
        {"subscribe_throttle_rate": 25},
        {"storefront_events_throttle_rate": 20},
    ],
)
def test_a_route_throttle_above_the_stages_is_refused(override):
    """The sign-up form's and the short links' own throttles exist to stay under the stage's."""
    with pytest.raises(ValueError, match="below the stage's"):
        stage_config.load("dev", **override)
