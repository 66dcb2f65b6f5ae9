"""A stack safe to deploy, on both stages: bounded public routes, alarms that arrive, retries that outlast an
incident, a daily job with a DLQ, stages apart, evidence kept, operable logs and URLs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from infra_synth import STAGE_CONTEXT, logical_id, of_type, role_statements, statement_actions

from infra import config as stage_config
from infra.constructs import monitoring
from infra.constructs.webhook_api import ACCESS_LOG_FIELDS, ANONYMOUS, SIGNED, SIGNED_BODIES
from smsflows import topology


def alarms(resources: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["Properties"] for a in of_type(resources, "AWS::CloudWatch::Alarm").values()]


def metric_names(alarm: dict[str, Any]) -> set[str]:
    """Every metric an alarm reads, plain or inside its math expression."""
    if "MetricName" in alarm:
        return {alarm["MetricName"]}
    return {m["MetricStat"]["Metric"]["MetricName"] for m in alarm["Metrics"] if "MetricStat" in m}


def dimensions_of(alarm: dict[str, Any]) -> list[Any]:
    if "Dimensions" in alarm:
        return [alarm["Dimensions"]]
    return [m["MetricStat"]["Metric"].get("Dimensions") for m in alarm["Metrics"] if "MetricStat" in m]


def the_alarm(resources: dict[str, Any], metric: str, dimension_value: Any = None) -> dict[str, Any]:
    found = [
        a
        for a in alarms(resources)
        if metric in metric_names(a)
        and (dimension_value is None or dimension_value in json.dumps(dimensions_of(a)))
    ]
    assert len(found) == 1, (metric, dimension_value, len(found))
    return found[0]


def is_loss_alarm(alarm: dict[str, Any]) -> bool:
    return (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"], alarm["Threshold"]) == (1, 1, 0)


def is_persistent_alarm(alarm: dict[str, Any]) -> bool:
    return (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (3, 2)


def is_floor_alarm(alarm: dict[str, Any]) -> bool:
    """A rate that must stay up: below its threshold in all of 3 periods."""
    return (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"], alarm["ComparisonOperator"]) == (
        3,
        3,
        "LessThanThreshold",
    )


def is_spike_alarm(alarm: dict[str, Any]) -> bool:
    """A count over one long period (an hour) above a threshold of its own."""
    return (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (1, 1) and alarm["Threshold"] > 0


# 1. No SMS pumping through /subscribe ------------------------------------------------------------------


def test_a_web_acl_guards_the_stage_with_managed_rules_and_a_per_ip_sign_up_limit(synthesized, resources):
    config = synthesized.stack.config
    (acl_id, acl), *more = of_type(resources, "AWS::WAFv2::WebACL").items()
    assert not more
    props = acl["Properties"]
    assert props["Scope"] == "REGIONAL" and props["DefaultAction"] == {"Allow": {}}
    (association,) = of_type(resources, "AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    (stage_id,) = of_type(resources, "AWS::ApiGateway::Stage")
    assert stage_id in json.dumps(association["Properties"]["ResourceArn"])
    rules = {rule["Name"]: rule for rule in props["Rules"]}
    assert set(rules) == {
        "SubscribePerIp",
        "StorefrontEventsPerIp",
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesCommonRuleSet",
    }
    assert len({rule["Priority"] for rule in props["Rules"]}) == len(rules)
    pixel = rules["StorefrontEventsPerIp"]
    assert pixel["Action"] == {"Block": {}}
    per_ip = pixel["Statement"]["RateBasedStatement"]
    assert per_ip["AggregateKeyType"] == "IP" and per_ip["Limit"] == config.waf_storefront_events_per_ip_5min
    scope = per_ip["ScopeDownStatement"]["ByteMatchStatement"]
    assert (scope["PositionalConstraint"], scope["SearchString"]) == ("ENDS_WITH", "/storefront/events")
    rate = rules["SubscribePerIp"]
    assert rate["Action"] == {"Block": {}}
    statement = rate["Statement"]["RateBasedStatement"]
    assert statement["AggregateKeyType"] == "IP" and statement["Limit"] == config.waf_subscribe_per_ip_5min
    sign_up, proxied = statement["ScopeDownStatement"]["AndStatement"]["Statements"]
    match = sign_up["ByteMatchStatement"]
    assert (match["PositionalConstraint"], match["SearchString"]) == ("ENDS_WITH", "/subscribe")
    # the app proxy's sign-ups come from Shopify's addresses (many shoppers each): not limited per IP here
    left_out = proxied["NotStatement"]["Statement"]["ByteMatchStatement"]
    assert (left_out["PositionalConstraint"], left_out["SearchString"]) == ("ENDS_WITH", "/proxy/subscribe")
    for name in ("AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesCommonRuleSet"):
        group = rules[name]["Statement"]["ManagedRuleGroupStatement"]
        assert (group["VendorName"], group["Name"]) == ("AWS", name)
        assert rules[name]["OverrideAction"] == {"None": {}}  # the group's own actions: blocks block


def test_the_common_rules_skip_the_signed_bodies_and_only_count_oversized_ones(resources):
    (acl,) = of_type(resources, "AWS::WAFv2::WebACL").values()
    (common,) = [r for r in acl["Properties"]["Rules"] if r["Name"] == "AWSManagedRulesCommonRuleSet"]
    group = common["Statement"]["ManagedRuleGroupStatement"]
    assert group["RuleActionOverrides"] == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]
    skipped = group["ScopeDownStatement"]["NotStatement"]["Statement"]["OrStatement"]["Statements"]
    assert sorted(s["ByteMatchStatement"]["SearchString"] for s in skipped) == sorted(
        r.path for r in SIGNED_BODIES
    )


def test_subscribe_has_a_throttle_of_its_own_below_the_stage(synthesized, resources):
    config = synthesized.stack.config
    (stage,) = of_type(resources, "AWS::ApiGateway::Stage").values()
    settings = {(m["ResourcePath"], m["HttpMethod"]): m for m in stage["Properties"]["MethodSettings"]}
    own = settings[("/~1subscribe", "POST")]
    assert own["ThrottlingRateLimit"] == config.subscribe_throttle_rate
    assert own["ThrottlingBurstLimit"] == config.subscribe_throttle_burst
    assert own["ThrottlingRateLimit"] < settings[("/*", "*")]["ThrottlingRateLimit"]


def test_short_links_have_a_throttle_of_their_own_below_the_stage(synthesized, resources):
    """A burst of clicks, or of guessed codes, cannot take the capacity webhooks and inbound texts need."""
    config = synthesized.stack.config
    (stage,) = of_type(resources, "AWS::ApiGateway::Stage").values()
    settings = {(m["ResourcePath"], m["HttpMethod"]): m for m in stage["Properties"]["MethodSettings"]}
    for method in ("GET", "HEAD"):
        own = settings[("/~1l~1{code}", method)]
        assert own["ThrottlingRateLimit"] == config.link_throttle_rate
        assert own["ThrottlingBurstLimit"] == config.link_throttle_burst
        assert own["ThrottlingRateLimit"] < settings[("/*", "*")]["ThrottlingRateLimit"]
        assert own["DataTraceEnabled"] is False and own["MetricsEnabled"] is True


def test_the_pixels_events_have_a_throttle_of_their_own_below_the_stage(synthesized, resources):
    """Anonymous and unsigned: a flood of pixel events cannot take the capacity webhooks and inbound texts need."""
    config = synthesized.stack.config
    (stage,) = of_type(resources, "AWS::ApiGateway::Stage").values()
    settings = {(m["ResourcePath"], m["HttpMethod"]): m for m in stage["Properties"]["MethodSettings"]}
    own = settings[("/~1storefront~1events", "POST")]
    assert own["ThrottlingRateLimit"] == config.storefront_events_throttle_rate
    assert own["ThrottlingBurstLimit"] == config.storefront_events_throttle_burst
    assert own["ThrottlingRateLimit"] < settings[("/*", "*")]["ThrottlingRateLimit"]
    assert own["DataTraceEnabled"] is False and own["MetricsEnabled"] is True


def test_nag_authorization_acknowledgements_are_per_method_and_say_which_kind_of_caller(synthesized):
    api = synthesized.stack.webhook_api
    api_rules = {
        rule
        for entry in api.api.node.metadata
        if entry.type == "aws:cdk:acknowledged-rules"
        for rule in entry.data
    }
    assert not {r for r in api_rules if "APIG4" in r or "COG4" in r or "APIG3" in r}  # nothing stack-wide
    assert set(api.methods) == set(SIGNED) | set(ANONYMOUS)
    for route, method in api.methods.items():
        reasons = {
            rule: reason
            for entry in method.node.metadata
            if entry.type == "aws:cdk:acknowledged-rules"
            for rule, reason in entry.data.items()
        }
        assert set(reasons) == {"Annotation::AwsSolutions-APIG4", "Annotation::AwsSolutions-COG4"}
        for reason in reasons.values():
            assert reason.startswith(f"{route.method} {route.path}: ")
            assert ("signs it" in reason) == (route in SIGNED)


# 2. Alarms arrive ----------------------------------------------------------------------------------------


def test_cloudwatch_may_publish_to_the_alarm_topic_for_this_account_only(synthesized, resources):
    (policy,) = of_type(resources, "AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"} and allow["Action"] == "sns:Publish"
    topic = {"Ref": synthesized.stack.get_logical_id(synthesized.stack.monitoring.topic.node.default_child)}
    assert allow["Resource"] == topic
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert ":alarm:*" in json.dumps(allow["Condition"]["ArnLike"]["aws:SourceArn"])
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s) for s in statements)


def test_prod_refuses_to_synthesize_without_an_alarm_subscriber():
    with pytest.raises(ValueError, match="alarm_email"):
        stage_config.load("prod")
    assert stage_config.load("prod", alarm_email="ops@example.com").alarm_email == "ops@example.com"
    assert stage_config.load("prod", alarm_https_url="https://pager.example/hook").alarm_https_url
    assert stage_config.load("dev").alarm_email is None  # dev may go without


def test_prod_alarms_reach_the_subscriber(synthesized, resources):
    subscriptions = [s["Properties"] for s in of_type(resources, "AWS::SNS::Subscription").values()]
    if synthesized.stack.config.stage == "prod":
        assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [
            ("email", STAGE_CONTEXT["prod"]["alarm_email"])
        ]
    else:
        assert subscriptions == []


def test_every_alarm_notifies_when_it_fires_and_when_it_is_ok_again(synthesized, resources):
    topic = {"Ref": synthesized.stack.get_logical_id(synthesized.stack.monitoring.topic.node.default_child)}
    found = alarms(resources)
    assert len(found) == len(synthesized.stack.monitoring.alarms) > 0
    for alarm in found:
        assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic]
        assert alarm["TreatMissingData"] == "notBreaching"
        kinds = (is_loss_alarm, is_persistent_alarm, is_floor_alarm, is_spike_alarm)
        assert [kind(alarm) for kind in kinds].count(True) == 1, alarm["AlarmDescription"]
        # only a floor alarms when its metric is low; everything else when it is high
        assert (alarm["ComparisonOperator"] == "LessThanThreshold") == is_floor_alarm(alarm)
        assert alarm["ComparisonOperator"] in {"GreaterThanThreshold", "LessThanThreshold"}


def test_every_dlq_alarms_on_its_first_message(synthesized, resources):
    for message_queue in synthesized.stack.queues.values():
        dlq_name = logical_id(synthesized, message_queue.dlq)
        alarm = the_alarm(resources, "ApproximateNumberOfMessagesVisible", dlq_name)
        assert is_loss_alarm(alarm) and alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_every_queue_alarms_when_its_oldest_message_is_late(synthesized, resources):
    for key, message_queue in synthesized.stack.queues.items():
        alarm = the_alarm(
            resources, "ApproximateAgeOfOldestMessage", logical_id(synthesized, message_queue.queue)
        )
        assert is_persistent_alarm(alarm) and alarm["Threshold"] == topology.QUEUES[key].age_alarm_s


def test_every_function_alarms_on_its_error_and_throttle_rates(synthesized, resources):
    for spec in topology.FUNCTIONS:
        function = logical_id(synthesized, synthesized.stack.functions[spec.name].function)
        for metric, threshold in (
            ("Errors", monitoring.FUNCTION_ERROR_RATE_PCT),
            ("Throttles", monitoring.THROTTLE_RATE_PCT),
        ):
            alarm = the_alarm(resources, metric, function)
            assert is_persistent_alarm(alarm) and alarm["Threshold"] == threshold
            assert metric_names(alarm) == {metric, "Invocations"}  # a rate, not a count
            (expression,) = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]
            assert "100 *" in expression and "/" in expression


def test_the_api_alarms_on_5xx_rate_latency_and_a_spike_of_sign_ups(synthesized, resources):
    config = synthesized.stack.config
    server = the_alarm(resources, "5XXError")
    assert is_persistent_alarm(server) and server["Statistic"] == "Average"
    assert server["Threshold"] == monitoring.API_5XX_RATE
    latency = the_alarm(resources, "Latency")
    assert is_persistent_alarm(latency) and latency["ExtendedStatistic"] == "p99"
    spike = the_alarm(resources, "Count", "/subscribe")
    assert is_persistent_alarm(spike) and spike["Threshold"] == config.subscribe_alarm_per_5min
    assert {"Name": "ApiName", "Value": config.api_name} in spike["Dimensions"]


def test_every_flow_alarms_on_failures_at_once_and_on_throttling_when_it_persists(synthesized, resources):
    for machine in synthesized.stack.flows.state_machines.values():
        arn = {"Ref": logical_id(synthesized, machine)}
        mine = [a for a in alarms(resources) if json.dumps(arn) in json.dumps(dimensions_of(a))]
        by_metrics = {frozenset(metric_names(a)): a for a in mine}
        assert set(by_metrics) == {
            frozenset({"ExecutionsFailed", "ExecutionsTimedOut"}),
            frozenset({"ExecutionThrottled"}),
        }
        assert is_loss_alarm(by_metrics[frozenset({"ExecutionsFailed", "ExecutionsTimedOut"})])
        assert is_persistent_alarm(by_metrics[frozenset({"ExecutionThrottled"})])


def test_table_throttles_and_scheduler_errors_and_drops_alarm(synthesized, resources):
    throttles = the_alarm(resources, "ReadThrottleEvents")
    assert metric_names(throttles) == {"ReadThrottleEvents", "WriteThrottleEvents"}
    assert is_persistent_alarm(throttles)
    scheduler = synthesized.stack.campaign_scheduler
    for group in (scheduler.group, scheduler.deferral_group):
        group_id = synthesized.stack.get_logical_id(group)
        assert is_persistent_alarm(the_alarm(resources, "TargetErrorCount", group_id))
        dropped = the_alarm(resources, "InvocationDroppedCount", group_id)
        assert metric_names(dropped) == {
            "InvocationDroppedCount",
            "InvocationsFailedToBeSentToDeadLetterCount",
        }
        assert is_loss_alarm(dropped)


def test_a_spike_of_delivery_failures_alarms_once_there_are_enough_reports(synthesized, resources):
    config = synthesized.stack.config
    alarm = the_alarm(resources, "Delivery_failed")
    assert metric_names(alarm) == {"Delivery_delivered", "Delivery_failed", "Delivery_undelivered"}
    assert is_persistent_alarm(alarm) and alarm["Threshold"] == monitoring.DELIVERY_FAILURE_RATE_PCT
    namespaces = {m["MetricStat"]["Metric"]["Namespace"] for m in alarm["Metrics"] if "MetricStat" in m}
    assert namespaces == {config.metric_namespace}
    (expression,) = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]
    assert f">= {monitoring.DELIVERY_FAILURE_MIN_STATUSES}" in expression


def test_provider_errors_that_need_a_person_alarm_at_once(synthesized, resources):
    alarm = the_alarm(resources, "ProviderNeedsOperator")
    assert alarm["Namespace"] == synthesized.stack.config.metric_namespace and is_loss_alarm(alarm)


# 3. Retries outlast a provider blip ------------------------------------------------------------------------


def test_the_template_keeps_the_retry_window_the_unit_tests_check(synthesized, resources):
    # tests/unit/sending/test_retry_window.py proves 12 receives with the default backoff span >= 30 min;
    # here: the deployed queues redrive after exactly those receives, and no function overrides the backoff
    queues = of_type(resources, "AWS::SQS::Queue")
    for key, spec in topology.QUEUES.items():
        props = queues[logical_id(synthesized, synthesized.stack.queues[key].queue)]["Properties"]
        assert props["RedrivePolicy"]["maxReceiveCount"] == spec.max_receive_count == 12
    for function in of_type(resources, "AWS::Lambda::Function").values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert not {"SMSFLOWS_RETRY_BASE_S", "SMSFLOWS_RETRY_CAP_S"} & set(variables)


def test_the_deployed_flows_retry_their_sqs_and_dynamodb_tasks(synthesized, resources):
    for machine in synthesized.stack.flows.state_machines.values():
        definition = json.loads(resources[logical_id(synthesized, machine)]["Properties"]["DefinitionString"])
        tasks = [s for s in definition["States"].values() if s["Type"] == "Task"]
        service = [t for t in tasks if ":states:::lambda:invoke" not in t["Resource"]]
        assert service and all(t["Retry"][0]["ErrorEquals"] == ["States.TaskFailed"] for t in service)


# 4. The daily job has a DLQ ----------------------------------------------------------------------------


def test_the_daily_schedule_dead_letters_what_it_cannot_deliver(synthesized, resources):
    (schedule,) = of_type(resources, "AWS::Scheduler::Schedule").values()
    target = schedule["Properties"]["Target"]
    dlq = synthesized.stack.queues[topology.SHOP_EVENTS_QUEUE].dlq
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [logical_id(synthesized, dlq), "Arn"]}}
    role = target["RoleArn"]["Fn::GetAtt"][0]
    granted = role_statements(resources, role)
    assert any(logical_id(synthesized, dlq) in json.dumps(st["Resource"]) for st in granted)


# 6. Stages apart ---------------------------------------------------------------------------------------


def test_names_carry_the_stage(synthesized, resources):
    config = synthesized.stack.config
    (api,) = of_type(resources, "AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["Name"] == f"smsflows-{config.stage}"
    (dashboard,) = of_type(resources, "AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == f"smsflows-{config.stage}"
    for function in of_type(resources, "AWS::Lambda::Function").values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == f"smsflows/{config.stage}"


def test_the_stage_is_pinned_to_its_account_and_region_when_configured(synthesized):
    stack = synthesized.stack
    if stack.config.stage == "prod":
        assert (stack.account, stack.region) == ("123456789012", "us-east-1")
    with pytest.raises(ValueError):
        stage_config.StageConfig(stage="x1", account="12345")


def test_the_account_wide_api_logging_role_is_created_only_when_asked(synthesized, resources):
    accounts = of_type(resources, "AWS::ApiGateway::Account")
    roles = [r for r in of_type(resources, "AWS::IAM::Role").values() if "apigateway" in json.dumps(r)]
    if synthesized.stack.config.create_api_logging_role:
        (account,) = accounts.values()
        assert account["DeletionPolicy"] == "Retain"
        assert len(roles) == 1 and roles[0]["DeletionPolicy"] == "Retain"
    else:
        assert accounts == {} and roles == []


def test_prod_keeps_queues_dlqs_schedule_groups_and_tables_on_replacement(synthesized, resources):
    retained = synthesized.stack.config.retain_data
    kinds = ("AWS::SQS::Queue", "AWS::Scheduler::ScheduleGroup", "AWS::DynamoDB::GlobalTable")
    for kind in kinds:
        found = of_type(resources, kind)
        assert found
        for resource in found.values():
            assert (resource.get("DeletionPolicy") == "Retain") == retained, kind
            assert (resource.get("UpdateReplacePolicy") == "Retain") == retained, kind


def test_secrets_have_generated_names(resources):
    secrets = of_type(resources, "AWS::SecretsManager::Secret")
    assert len(secrets) == 2 and all("Name" not in s["Properties"] for s in secrets.values())


def test_sender_concurrency_is_bounded_per_queue_and_reserved_in_prod(synthesized, resources):
    config = synthesized.stack.config
    stack = synthesized.stack
    sender = logical_id(synthesized, stack.functions["send_message"].function)
    per_queue = config.queue_max_concurrency["send_message"]
    mappings = [
        m["Properties"]
        for m in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"]["Ref"] == sender
    ]
    assert [m["ScalingConfig"]["MaximumConcurrency"] for m in mappings] == [per_queue] * 2
    reserved = resources[sender]["Properties"].get("ReservedConcurrentExecutions")
    if config.stage == "prod":
        assert reserved == 2 * per_queue  # enough for both queues' pollers: none is throttled into its DLQ
    shop_events = logical_id(synthesized, stack.functions["process_shop_event"].function)
    (mapping,) = [
        m["Properties"]
        for m in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"]["Ref"] == shop_events
    ]
    assert (
        mapping["ScalingConfig"]["MaximumConcurrency"] == config.queue_max_concurrency["process_shop_event"]
    )


def test_the_readme_states_the_senders_concurrency_the_template_has():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for name in ("dev", "prod"):
        config = stage_config.STAGES[name]
        per_queue = config.queue_max_concurrency["send_message"]
        phrase = f"at most {per_queue} concurrent invocations per queue ({2 * per_queue} in all"
        assert phrase in readme, (name, phrase)
    prod = stage_config.STAGES["prod"]
    assert f"reserved concurrency {prod.reserved_concurrency['send_message']}" in readme


# 7. Evidence kept as long as the README promises ---------------------------------------------------------


def test_prod_backs_the_table_up_for_ten_years_in_a_locked_vault(synthesized, resources):
    config = synthesized.stack.config
    plans = of_type(resources, "AWS::Backup::BackupPlan")
    if not config.backup_retention_days:
        assert plans == {}
        return
    assert config.backup_retention_days >= 3650
    (vault,) = of_type(resources, "AWS::Backup::BackupVault").values()
    assert vault["DeletionPolicy"] == "Retain"
    lock = vault["Properties"]["LockConfiguration"]
    assert lock["ChangeableForDays"] == 3 and lock["MinRetentionDays"] <= 35
    (plan,) = plans.values()
    rules = {r["RuleName"]: r for r in plan["Properties"]["BackupPlan"]["BackupPlanRule"]}
    assert rules["MonthlyEvidence"]["Lifecycle"]["DeleteAfterDays"] == config.backup_retention_days
    assert rules["Daily"]["Lifecycle"]["DeleteAfterDays"] >= lock["MinRetentionDays"]
    (selection,) = of_type(resources, "AWS::Backup::BackupSelection").values()
    table = logical_id(synthesized, synthesized.stack.data.table)
    assert table in json.dumps(selection["Properties"]["BackupSelection"]["Resources"])


# 8. Operable ---------------------------------------------------------------------------------------------


def test_access_logs_carry_errors_integration_latency_and_user_agent(resources):
    (stage,) = of_type(resources, "AWS::ApiGateway::Stage").values()
    fields = json.loads(stage["Properties"]["AccessLogSetting"]["Format"])
    assert fields == {name: str(field) for name, field in ACCESS_LOG_FIELDS.items()}
    for variable in (
        "$context.error.responseType",
        "$context.error.message",
        "$context.integrationLatency",
        "$context.integrationErrorMessage",
        "$context.identity.userAgent",
    ):
        assert variable in fields.values()


def test_a_custom_domain_gives_the_public_urls_and_survives_the_api(synthesized, resources):
    config = synthesized.stack.config
    outputs = synthesized.json["Outputs"]
    variables = [
        f["Properties"]["Environment"]["Variables"]["PUBLIC_BASE_URL"]
        for f in of_type(resources, "AWS::Lambda::Function").values()
    ]
    domains = {
        key: d
        for key, d in of_type(resources, "AWS::ApiGateway::DomainName").items()
        if d["Properties"]["DomainName"] not in {link.domain for link in config.link_domains}
    }  # the shops' link domains: tests/infra/test_measurement.py
    if config.domain_name:
        ((domain_id, domain),) = domains.items()
        assert domain["Properties"]["DomainName"] == config.domain_name
        assert domain["Properties"]["RegionalCertificateArn"] == config.certificate_arn
        assert domain["Properties"]["SecurityPolicy"] == "TLS_1_2"
        (mapping,) = [
            m
            for m in of_type(resources, "AWS::ApiGateway::BasePathMapping").values()
            if m["Properties"]["DomainName"] == {"Ref": domain_id}
        ]
        assert "BasePath" not in mapping["Properties"]  # the stage at the root of the domain
        (record,) = of_type(resources, "AWS::Route53::RecordSet").values()
        assert record["Properties"]["HostedZoneId"] == config.hosted_zone_id
        base = f"https://{config.domain_name}"
        assert set(variables) == {base}
        assert outputs["ShopifyWebhookUrl"]["Value"] == f"{base}/webhooks/shopify"
        assert outputs["TwilioInboundUrl"]["Value"] == f"{base}/sms/inbound"
    else:
        assert domains == {}
        assert all("execute-api" in json.dumps(v) for v in variables)


# 5. Least privilege ------------------------------------------------------------------------------------


def dynamodb_grants(resources: dict[str, Any], role_id: str) -> list[tuple[set[str], Any]]:
    grants = [(statement_actions(st), st["Resource"]) for st in role_statements(resources, role_id)]
    return [
        (actions, resource) for actions, resource in grants if any(a.startswith("dynamodb:") for a in actions)
    ]


@pytest.mark.parametrize("spec", topology.FUNCTIONS, ids=lambda s: s.name)
def test_each_role_may_make_exactly_the_dynamodb_calls_its_code_makes(synthesized, resources, spec):
    service = synthesized.stack.functions[spec.name]
    grants = dynamodb_grants(resources, logical_id(synthesized, service.role))
    table = logical_id(synthesized, synthesized.stack.data.table)
    on_table = [actions for actions, resource in grants if resource == {"Fn::GetAtt": [table, "Arn"]}]
    on_indexes = [(actions, resource) for actions, resource in grants if "/index/" in json.dumps(resource)]
    assert len(on_table) + len(on_indexes) == len(grants)  # nothing on any other resource, no wildcard
    assert set().union(*on_table) == {f"dynamodb:{a}" for a in spec.table_actions}
    granted_indexes = {
        part.rsplit("/index/", 1)[1]
        for _, resource in on_indexes
        for entry in (resource if isinstance(resource, list) else [resource])
        for part in entry["Fn::Join"][1]
        if isinstance(part, str) and "/index/" in part
    }
    assert granted_indexes == set(spec.table_indexes)
    assert all(actions == {"dynamodb:Query"} for actions, _ in on_indexes)
    assert "*" not in json.dumps([r for _, r in grants])
    if spec.name == "subscribe":  # the public route: no bulk or destructive call at all
        assert not {"Scan", "DeleteItem", "BatchWriteItem", "Query"} & spec.table_actions
