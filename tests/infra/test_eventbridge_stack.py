"""Shopify webhooks by EventBridge: with the stage's partner event source (prod in these tests) the partner
bus, a rule on its source and detail-type, the queue as its target with retries and a DLQ, and alarms;
without it (dev), none of them."""

from __future__ import annotations

import pytest
from infra_synth import STAGE_CONTEXT, logical_id, of_type

from infra import config as stage_config
from infra.constructs.shopify_eventbridge import TARGET_RETRY_ATTEMPTS
from smsflows import topology

SOURCE = "aws.partner/shopify.com/1830279/smsflows-prod"


def _enabled(synthesized) -> bool:
    return synthesized.stack.config.shopify_event_source is not None


def test_the_partner_bus_and_rule_exist_only_with_a_partner_event_source(synthesized, resources):
    stage = synthesized.stack.config.stage
    assert _enabled(synthesized) == bool(STAGE_CONTEXT[stage].get("shopify_event_source"))
    buses, rules = of_type(resources, "AWS::Events::EventBus"), of_type(resources, "AWS::Events::Rule")
    if not _enabled(synthesized):
        assert buses == {} and rules == {} and synthesized.stack.shopify_eventbridge is None
        variables = resources[
            logical_id(synthesized, synthesized.stack.functions["shopify_eventbridge"].function)
        ]["Properties"]["Environment"]["Variables"]
        assert "SHOPIFY_EVENT_SOURCE" not in variables  # it accepts nothing: no source is Shopify's
        return
    [bus] = buses.values()
    assert bus["Properties"]["EventSourceName"] == SOURCE and bus["Properties"]["Name"] == SOURCE
    [rule] = rules.values()
    props = rule["Properties"]
    assert props["EventBusName"] == {
        "Ref": logical_id(synthesized, synthesized.stack.shopify_eventbridge.bus)
    }
    assert props["EventPattern"] == {"source": [SOURCE], "detail-type": ["shopifyWebhook"]}
    assert props["State"] == "ENABLED"


def test_the_rule_targets_the_queue_with_a_days_retries_and_the_queues_dlq(synthesized, resources):
    if not _enabled(synthesized):
        pytest.skip("no partner event source in this stage")
    queue = synthesized.stack.queues[topology.SHOPIFY_EVENTBRIDGE_QUEUE]
    [rule] = of_type(resources, "AWS::Events::Rule").values()
    [target] = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [logical_id(synthesized, queue.queue), "Arn"]}
    assert target["RetryPolicy"] == {
        "MaximumRetryAttempts": TARGET_RETRY_ATTEMPTS,
        "MaximumEventAgeInSeconds": 86400,
    }
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [logical_id(synthesized, queue.dlq), "Arn"]}}
    assert (
        "Input" not in target and "InputTransformer" not in target
    )  # the whole event, as the function reads it


def test_only_this_rule_may_send_to_the_queue_and_its_dlq(synthesized, resources):
    if not _enabled(synthesized):
        pytest.skip("no partner event source in this stage")
    queue = synthesized.stack.queues[topology.SHOPIFY_EVENTBRIDGE_QUEUE]
    rule_arn = {"Fn::GetAtt": [logical_id(synthesized, synthesized.stack.shopify_eventbridge.rule), "Arn"]}
    for sqs_queue in (queue.queue, queue.dlq):
        ref = {"Ref": logical_id(synthesized, sqs_queue)}
        [policy] = [
            p
            for p in of_type(resources, "AWS::SQS::QueuePolicy").values()
            if ref in p["Properties"]["Queues"]
        ]
        allows = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
        assert allows and all(s["Principal"] == {"Service": "events.amazonaws.com"} for s in allows)
        assert all(s["Condition"] == {"ArnEquals": {"aws:SourceArn": rule_arn}} for s in allows)
        assert {a for s in allows for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])} <= {
            "sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
        }  # fmt: skip


def test_the_queue_takes_shopifys_largest_inline_payloads_and_retries_for_half_an_hour(
    synthesized, resources
):
    queue = synthesized.stack.queues[topology.SHOPIFY_EVENTBRIDGE_QUEUE]
    for sqs_queue in (queue.queue, queue.dlq):
        assert resources[logical_id(synthesized, sqs_queue)]["Properties"]["MaximumMessageSize"] == 1_048_576
    spec = topology.QUEUES[topology.SHOPIFY_EVENTBRIDGE_QUEUE]
    assert spec.visibility_timeout_s * spec.max_receive_count >= 30 * 60
    [mapping] = [
        m["Properties"] for m in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [logical_id(synthesized, queue.queue), "Arn"]}
    ]  # fmt: skip
    function = synthesized.stack.functions["shopify_eventbridge"].function
    assert mapping["FunctionName"] == {"Ref": logical_id(synthesized, function)}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_function_gets_the_source_and_may_not_read_the_signing_secret(synthesized, resources):
    if not _enabled(synthesized):
        pytest.skip("no partner event source in this stage")
    function = synthesized.stack.functions["shopify_eventbridge"].function
    variables = resources[logical_id(synthesized, function)]["Properties"]["Environment"]["Variables"]
    assert variables["SHOPIFY_EVENT_SOURCE"] == SOURCE
    assert (
        "SHOPIFY_SECRET_ID" not in variables
        and topology.SHOPIFY_SECRET not in topology.function("shopify_eventbridge").uses
    )


def test_a_lost_or_dropped_event_alarms_at_once(synthesized, resources):
    alarms = {
        key: a["Properties"] for key, a in of_type(resources, "AWS::CloudWatch::Alarm").items()
        if "ShopifyEventBridge" in key
    }  # fmt: skip
    if not _enabled(synthesized):
        assert alarms == {}
        return
    by_metric = {a["MetricName"]: a for a in alarms.values()}
    assert set(by_metric) == {"InvocationsFailedToBeSentToDeadLetterQueue", "Webhook_dropped"}
    for alarm in by_metric.values():
        assert (alarm["Threshold"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (0, 1, 1)
        assert alarm["AlarmActions"] and alarm["OKActions"]
    lost = by_metric["InvocationsFailedToBeSentToDeadLetterQueue"]
    assert lost["Namespace"] == "AWS/Events"
    assert {d["Name"] for d in lost["Dimensions"]} == {"EventBusName", "RuleName"}
    # the queue's DLQ (where EventBridge's undeliverable events land too) alarms like every DLQ
    dlq_alarms = [
        k for k in of_type(resources, "AWS::CloudWatch::Alarm") if "ShopifyEventbridgeQueueDlqAlarm" in k
    ]
    assert len(dlq_alarms) == 1


def test_the_partner_bus_is_named_in_the_outputs(synthesized, template):
    outputs = template.to_json()["Outputs"]
    assert ("ShopifyEventBusName" in outputs) == _enabled(synthesized)


@pytest.mark.parametrize(
    "value",
    [
        "aws.partner/shopify.com/x/name",
        "aws.partner/other.com/1/name",
        "aws.partner/shopify.com/1/",
        "shopify",
    ],
)
def test_a_malformed_partner_event_source_is_refused_in_one_line(value):
    with pytest.raises(ValueError, match="shopify_event_source"):
        stage_config.load("dev", shopify_event_source=value)


def test_the_partner_event_source_may_be_given_on_the_command_line():
    assert stage_config.load("dev", shopify_event_source=SOURCE).shopify_event_source == SOURCE
    assert stage_config.load("dev", shopify_event_source="").shopify_event_source is None
