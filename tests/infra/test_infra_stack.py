"""What matters in the synthesized stack: durable hand-offs, partial batches, data safety, least privilege."""

from __future__ import annotations

import json

import pytest
from infra_synth import NagFinding, actions_of, logical_id, of_type, role_statements, statement_actions

from infra.config import STAGES
from smsflows import topology
from smsflows.domain.flows.asl import compile_flow
from smsflows.domain.flows.definitions import STATE_MACHINE_FLOWS as FLOWS


def test_every_queue_has_a_dlq_with_the_topology_max_receive_count(synthesized, resources):
    queues = of_type(resources, "AWS::SQS::Queue")
    assert len(queues) == 2 * len(topology.QUEUES)
    for key, spec in topology.QUEUES.items():
        message_queue = synthesized.stack.queues[key]
        props = queues[logical_id(synthesized, message_queue.queue)]["Properties"]
        assert props["RedrivePolicy"] == {
            "deadLetterTargetArn": {"Fn::GetAtt": [logical_id(synthesized, message_queue.dlq), "Arn"]},
            "maxReceiveCount": spec.max_receive_count,
        }
        assert props["VisibilityTimeout"] == spec.visibility_timeout_s
        assert props["SqsManagedSseEnabled"] is True


def test_every_queue_refuses_requests_without_tls(resources):
    queue_policies = of_type(resources, "AWS::SQS::QueuePolicy")
    assert len(queue_policies) == 2 * len(topology.QUEUES)
    for policy in queue_policies.values():
        statement, *allows = policy["Properties"]["PolicyDocument"]["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        # besides: only an EventBridge rule may send to its target queue and DLQ (test_eventbridge_stack)
        assert all(a["Principal"] == {"Service": "events.amazonaws.com"} for a in allows)


def test_every_sqs_event_source_reports_batch_item_failures(synthesized, resources):
    mappings = of_type(resources, "AWS::Lambda::EventSourceMapping")
    consumed = [(spec, key) for spec in topology.FUNCTIONS for key in spec.consumes]
    assert len(mappings) == len(consumed)
    by_source = {
        (m["Properties"]["FunctionName"]["Ref"], m["Properties"]["EventSourceArn"]["Fn::GetAtt"][0]): m[
            "Properties"
        ]
        for m in mappings.values()
    }
    for spec, key in consumed:
        service = synthesized.stack.functions[spec.name]
        queue = synthesized.stack.queues[key].queue
        props = by_source[(logical_id(synthesized, service.function), logical_id(synthesized, queue))]
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert props["BatchSize"] == spec.batch_size


def test_transactional_texts_have_their_own_queue_and_pollers(synthesized, resources):
    """A broadcast backlog on the bulk queue cannot hold up an order confirmation: separate queue,
    separate event source mapping (its own concurrency), and the router puts each category in its place."""
    assert topology.function("send_message").consumes == (topology.TRANSACTIONAL_QUEUE, topology.SEND_QUEUE)
    assert topology.SEND_QUEUE_FOR == {
        "marketing": topology.SEND_QUEUE,
        "transactional": topology.TRANSACTIONAL_QUEUE,
        "compliance": topology.TRANSACTIONAL_QUEUE,
    }
    sender = logical_id(synthesized, synthesized.stack.functions["send_message"].function)
    sources = [
        m["Properties"]["EventSourceArn"]["Fn::GetAtt"][0]
        for m in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"]["Ref"] == sender
    ]
    queues = synthesized.stack.queues
    assert sorted(sources) == sorted(
        logical_id(synthesized, queues[k].queue) for k in (topology.SEND_QUEUE, topology.TRANSACTIONAL_QUEUE)
    )


def test_deferrals_beyond_15_minutes_use_a_self_deleting_schedule_group_the_sender_alone_may_use(
    synthesized, resources
):
    scheduler = synthesized.stack.campaign_scheduler
    group = synthesized.stack.get_logical_id(scheduler.deferral_group)  # an L1: no default child
    sender = synthesized.stack.functions["send_message"].function
    env = of_type(resources, "AWS::Lambda::Function")[logical_id(synthesized, sender)]["Properties"]
    value = json.dumps(env["Environment"]["Variables"]["DEFERRAL_SCHEDULER"])
    assert group in value and logical_id(synthesized, scheduler.deferral_role) in value
    for key in (topology.SEND_QUEUE, topology.TRANSACTIONAL_QUEUE):  # targets, and their DLQs
        assert logical_id(synthesized, synthesized.stack.queues[key].queue) in value
        assert logical_id(synthesized, synthesized.stack.queues[key].dlq) in value
    policies = [
        st
        for p in of_type(resources, "AWS::IAM::Policy").values()
        if {"Ref": logical_id(synthesized, sender.role)} in p["Properties"]["Roles"]
        for st in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    create = [st for st in policies if st["Action"] == "scheduler:CreateSchedule"]
    assert len(create) == 1 and group in json.dumps(create[0]["Resource"])
    assert any(st["Action"] == "iam:PassRole" for st in policies)
    for spec in topology.FUNCTIONS:  # no other function may create schedules
        if spec.name != "send_message":
            role = synthesized.stack.functions[spec.name].function.role
            for p in of_type(resources, "AWS::IAM::Policy").values():
                if {"Ref": logical_id(synthesized, role)} in p["Properties"]["Roles"]:
                    assert "scheduler:CreateSchedule" not in json.dumps(p["Properties"]["PolicyDocument"])


def test_every_function_is_arm64_traced_json_logged_and_uses_both_layers(synthesized, resources):
    functions = of_type(resources, "AWS::Lambda::Function")
    assert len(functions) == len(topology.FUNCTIONS)
    layers = [{"Ref": logical_id(synthesized, layer)} for layer in synthesized.stack.layers.all]
    untraced = {spec.name for spec in topology.FUNCTIONS if not spec.traced}
    assert untraced == {"twilio_status"}  # two per text, on an API that passes no trace: see topology
    for spec in topology.FUNCTIONS:
        props = resources[logical_id(synthesized, synthesized.stack.functions[spec.name].function)][
            "Properties"
        ]
        assert props["TracingConfig"] == {"Mode": "PassThrough" if spec.name in untraced else "Active"}
    for props in (f["Properties"] for f in functions.values()):
        assert props["Architectures"] == ["arm64"]
        assert props["Runtime"].startswith("python3.1")
        assert props["Handler"] == "handler.handler"
        assert sorted(map(json.dumps, props["Layers"])) == sorted(map(json.dumps, layers))
        assert props["LoggingConfig"]["LogFormat"] == "JSON"
        assert props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "smsflows"


def test_every_function_gets_exactly_the_env_vars_of_what_it_uses(synthesized, resources):
    for spec in topology.FUNCTIONS:
        function = synthesized.stack.functions[spec.name].function
        variables = resources[logical_id(synthesized, function)]["Properties"]["Environment"]["Variables"]
        resource_vars = {name for name in variables if name in topology.ENV.values()}
        assert resource_vars == {topology.ENV[resource] for resource in spec.uses}, spec.name
        assert spec.timeout_s == resources[logical_id(synthesized, function)]["Properties"]["Timeout"]


def test_table_has_pitr_encryption_and_ttl(resources):
    (table,) = of_type(resources, "AWS::DynamoDB::GlobalTable").values()
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert props["Replicas"] and all(
        r["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] for r in props["Replicas"]
    )
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_prod_keeps_its_data_and_dev_can_be_torn_down():
    assert STAGES["prod"].retain_data and STAGES["prod"].deletion_protection
    assert not STAGES["dev"].retain_data


@pytest.mark.parametrize(("route", "spec"), topology.routes(), ids=lambda v: getattr(v, "path", ""))
def test_every_topology_route_is_a_lambda_proxy_method(synthesized, resources, route, spec):
    method = synthesized.stack.webhook_api.methods[route]
    props = resources[logical_id(synthesized, method)]["Properties"]
    assert props["HttpMethod"] == route.method
    assert props["Integration"]["Type"] == "AWS_PROXY"
    function_id = logical_id(synthesized, synthesized.stack.functions[spec.name].function)
    assert {"Fn::GetAtt": [function_id, "Arn"]} in props["Integration"]["Uri"]["Fn::Join"][1]


def test_shopify_route_is_post_webhooks_shopify(resources):
    paths = {r["Properties"]["PathPart"]: r for r in of_type(resources, "AWS::ApiGateway::Resource").values()}
    shopify = paths["shopify"]["Properties"]
    assert shopify["ParentId"] == {"Ref": next(k for k, r in resources.items() if r is paths["webhooks"])}
    shopify_id = next(k for k, r in resources.items() if r is paths["shopify"])
    methods = [
        m["Properties"]
        for m in of_type(resources, "AWS::ApiGateway::Method").values()
        if m["Properties"]["ResourceId"] == {"Ref": shopify_id}
    ]
    assert [(m["HttpMethod"], m["Integration"]["Type"]) for m in methods] == [("POST", "AWS_PROXY")]


def test_short_links_are_get_and_head_on_l_code_and_nothing_else_both_to_follow_link(synthesized, resources):
    paths = {
        r["Properties"]["PathPart"]: (k, r)
        for k, r in of_type(resources, "AWS::ApiGateway::Resource").items()
    }
    (l_id, l_resource), (code_id, code_resource) = paths["l"], paths["{code}"]
    assert l_resource["Properties"]["ParentId"] == {
        "Fn::GetAtt": [logical_id(synthesized, synthesized.stack.webhook_api.api), "RootResourceId"]
    }
    assert code_resource["Properties"]["ParentId"] == {"Ref": l_id}
    methods = of_type(resources, "AWS::ApiGateway::Method").values()
    assert not [m for m in methods if m["Properties"]["ResourceId"] == {"Ref": l_id}]  # no /l listing
    on_code = [m["Properties"] for m in methods if m["Properties"]["ResourceId"] == {"Ref": code_id}]
    assert sorted(m["HttpMethod"] for m in on_code) == ["GET", "HEAD"]
    follow = logical_id(synthesized, synthesized.stack.functions["follow_link"].function)
    for method in on_code:
        assert method["Integration"]["Type"] == "AWS_PROXY"
        assert {"Fn::GetAtt": [follow, "Arn"]} in method["Integration"]["Uri"]["Fn::Join"][1]


def test_api_stage_is_throttled_traced_and_access_logged(resources):
    (stage,) = of_type(resources, "AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    assert props["TracingEnabled"] is True
    assert "DestinationArn" in props["AccessLogSetting"]
    settings = {(m["ResourcePath"], m["HttpMethod"]): m for m in props["MethodSettings"]}
    # the stage's, the sign-up form's, the short links' (GET and HEAD) and the pixel events' own throttles
    assert set(settings) == {
        ("/*", "*"),
        ("/~1subscribe", "POST"),
        ("/~1l~1{code}", "GET"),
        ("/~1l~1{code}", "HEAD"),
        ("/~1storefront~1events", "POST"),
    }
    for method in settings.values():
        assert method["ThrottlingRateLimit"] > 0 and method["ThrottlingBurstLimit"] > 0
        assert method["DataTraceEnabled"] is False


@pytest.mark.parametrize("flow", FLOWS.values(), ids=lambda f: f.name)
def test_flow_state_machine_deploys_the_compiled_asl_with_substitutions(synthesized, resources, flow):
    machine = synthesized.stack.flows.state_machines[flow.name]
    props = resources[logical_id(synthesized, machine)]["Properties"]
    asl = compile_flow(flow)
    definition = props["DefinitionString"]
    resources_used = {":states:::lambda:invoke", ":states:::sqs:sendMessage"}
    if "checkout_completed" in flow.exits:
        resources_used.add(":states:::dynamodb:getItem")
    for resource in resources_used:
        assert resource in definition
    assert json.loads(definition) == asl  # the very document the local cloud runs
    stack = synthesized.stack
    assert props["DefinitionSubstitutions"] == {
        "TableName": {"Ref": logical_id(synthesized, stack.data.table)},
        "SendQueueUrl": {"Ref": logical_id(synthesized, stack.queues[topology.SEND_QUEUE].queue)},
        "FlowStepFunctionArn": {
            "Fn::GetAtt": [logical_id(synthesized, stack.functions["flow_step"].function), "Arn"]
        },
    }
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is False
    assert props.get("StateMachineType", "STANDARD") == "STANDARD"
    assert "StateMachineName" not in props


@pytest.mark.parametrize("flow", FLOWS.values(), ids=lambda f: f.name)
def test_flow_role_may_do_only_what_the_asl_calls(synthesized, resources, flow):
    machine = synthesized.stack.flows.state_machines[flow.name]
    actions = actions_of(role_statements(resources, logical_id(synthesized, machine.role)))
    business = {a for a in actions if not a.startswith(("logs:", "xray:"))}
    assert {"dynamodb:GetItem", "lambda:InvokeFunction", "sqs:SendMessage"} <= business
    assert not {a for a in business if a.startswith("dynamodb:") and a != "dynamodb:GetItem"}


def test_alarm_topic_is_encrypted_and_refuses_plain_http(resources):
    (topic,) = of_type(resources, "AWS::SNS::Topic").values()
    assert "KmsMasterKeyId" in topic["Properties"]
    (policy,) = of_type(resources, "AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s) for s in statements)


def test_schedule_groups_exist_with_roles_that_can_only_send(synthesized, resources):
    assert len(of_type(resources, "AWS::Scheduler::ScheduleGroup")) == 2  # campaigns, deferrals
    scheduler = synthesized.stack.campaign_scheduler
    for role in (scheduler.role, scheduler.deferral_role):
        role_id = logical_id(synthesized, role)
        trust = resources[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert [s["Principal"] for s in trust] == [{"Service": "scheduler.amazonaws.com"}]
        assert actions_of(role_statements(resources, role_id)) <= {
            "sqs:SendMessage",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
        }


def test_template_holds_no_secret_value(synthesized, resources):
    text = json.dumps(synthesized.json)
    assert "local-shopify-secret" not in text
    assert "local-twilio-token" not in text
    secrets = of_type(resources, "AWS::SecretsManager::Secret")
    assert len(secrets) == 2
    for secret in secrets.values():
        props = secret["Properties"]
        assert "SecretString" not in props
        # The sensitive field is generated by Secrets Manager, never templated.
        template_fields = json.loads(props["GenerateSecretString"]["SecretStringTemplate"])
        assert not {"auth_token", "api_secret"} & set(template_fields)
        assert props["GenerateSecretString"]["GenerateStringKey"] in {"auth_token", "api_secret"}


def test_only_process_shop_event_may_start_or_stop_flow_executions(synthesized, resources):
    may_start = set()
    for name, service in synthesized.stack.functions.items():
        actions = actions_of(role_statements(resources, logical_id(synthesized, service.role)))
        if {"states:StartExecution", "states:StopExecution"} & actions:
            may_start.add(name)
    assert may_start == {"process_shop_event"}


def test_shopify_webhook_may_not_start_executions_or_read_twilio_credentials(synthesized, resources):
    service = synthesized.stack.functions["shopify_webhook"]
    statements = role_statements(resources, logical_id(synthesized, service.role))
    assert statements  # it may do something (queue the event, read its secret), and only that
    assert not any(a.startswith("states:") for a in actions_of(statements))
    twilio = {"Ref": logical_id(synthesized, synthesized.stack.secrets.twilio)}
    assert all(s["Resource"] != twilio for s in statements)


def test_functions_use_no_aws_managed_policies(synthesized, resources):
    assert len(synthesized.stack.functions) == len(topology.FUNCTIONS)
    for service in synthesized.stack.functions.values():
        assert "ManagedPolicyArns" not in resources[logical_id(synthesized, service.role)]["Properties"]


def test_stack_outputs_are_stable(template):
    outputs = set(template.to_json()["Outputs"])
    assert {
        "ApiUrl",
        "ShopifyWebhookUrl",
        "TableName",
        "ShopifySecretName",
        "TwilioSecretName",
        "SendQueueUrl",
        "ShopEventsQueueUrl",
        "SendDlqUrl",
        "AlarmTopicArn",
    } <= outputs


def test_cdk_nag_is_active(canary_findings: list[NagFinding]):
    assert {"AwsSolutions-SQS3", "AwsSolutions-SQS4"} <= {f.rule for f in canary_findings}


def test_cdk_nag_finds_nothing_unacknowledged(nag_findings: list[NagFinding]):
    assert nag_findings == []


def test_table_has_the_privacy_indexes_keys_only(resources):
    (table,) = of_type(resources, "AWS::DynamoDB::GlobalTable").values()
    indexes = {i["IndexName"]: i for i in table["Properties"]["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"by_subject", "by_shop", "by_segment"}
    assert all(indexes[n]["Projection"]["ProjectionType"] == "KEYS_ONLY" for n in ("by_subject", "by_shop"))
    assert [k["AttributeName"] for k in indexes["by_subject"]["KeySchema"]] == ["gsi1pk", "pk"]


def test_the_segment_index_is_sparse_and_projects_every_attribute_a_segment_member_is_read_from(resources):
    import dataclasses

    from smsflows.adapters.segment_members import MEMBER_ATTRIBUTES
    from smsflows.domain.campaigns.segments import SegmentMember

    (table,) = of_type(resources, "AWS::DynamoDB::GlobalTable").values()
    index = {i["IndexName"]: i for i in table["Properties"]["GlobalSecondaryIndexes"]}["by_segment"]
    assert [(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]] == [
        ("seg_pk", "HASH"),
        ("pk", "RANGE"),
    ]
    # sparse: its partition key is an attribute of its own, which only a subscribed member's state carries
    # (the consent writer sets and removes it); no other item of the table has it
    assert "seg_pk" not in {k["AttributeName"] for k in table["Properties"]["KeySchema"]}
    assert {"AttributeName": "seg_pk", "AttributeType": "S"} in table["Properties"]["AttributeDefinitions"]
    projection = index["Projection"]
    assert projection["ProjectionType"] == "INCLUDE"
    projected = set(projection["NonKeyAttributes"])
    fields = {f.name for f in dataclasses.fields(SegmentMember)}
    assert set(MEMBER_ATTRIBUTES) == fields  # every field of the member is read from the item
    needed = {a for attributes in MEMBER_ATTRIBUTES.values() for a in attributes}
    assert needed - projected == set()
    # DynamoDB allows 100 projected attributes across all the table's indexes
    assert len(projected) <= 100


@pytest.mark.parametrize(("method", "path"), [("POST", "/subscribe"), ("POST", "/sms/inbound")])
def test_consent_routes_exist(resources, method, path):
    resources_by_id = of_type(resources, "AWS::ApiGateway::Resource")
    parts = [r["Properties"]["PathPart"] for r in resources_by_id.values()]
    assert path.rsplit("/", 1)[1] in parts
    methods = [m["Properties"]["HttpMethod"] for m in of_type(resources, "AWS::ApiGateway::Method").values()]
    assert method in methods


def test_twilio_inbound_reads_twilio_credentials_but_not_the_shopify_secret(synthesized, resources):
    service = synthesized.stack.functions["twilio_inbound"]
    statements = role_statements(resources, logical_id(synthesized, service.role))
    twilio = {"Ref": logical_id(synthesized, synthesized.stack.secrets.twilio)}
    shopify = {"Ref": logical_id(synthesized, synthesized.stack.secrets.shopify)}
    resources_granted = [s["Resource"] for s in statements]
    assert twilio in resources_granted and shopify not in resources_granted
    # it may announce "subscribed" on the shop-events queue, and nothing else on any queue
    sqs_actions = {a for a in actions_of(statements) if a.startswith("sqs:")}
    assert sqs_actions <= {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}


def test_sender_may_requeue_deferred_messages_on_the_send_queue(synthesized, resources):
    service = synthesized.stack.functions["send_message"]
    actions = actions_of(role_statements(resources, logical_id(synthesized, service.role)))
    assert "sqs:SendMessage" in actions


def test_a_daily_schedule_feeds_the_shop_events_queue(synthesized, resources):
    (schedule,) = of_type(resources, "AWS::Scheduler::Schedule").values()
    props = schedule["Properties"]
    assert props["ScheduleExpression"].startswith("cron(")
    queue = synthesized.stack.queues[topology.SHOP_EVENTS_QUEUE].queue
    assert props["Target"]["Arn"] == {"Fn::GetAtt": [logical_id(synthesized, queue), "Arn"]}
    payload = json.loads(props["Target"]["Input"])
    assert payload["topic"] == "smsflows/daily" and payload["body"] == "{}"


def test_campaign_schedules_reach_only_the_campaign_queue_and_its_dlq(synthesized, resources):
    scheduler = synthesized.stack.campaign_scheduler
    queue = synthesized.stack.queues[topology.CAMPAIGN_QUEUE]
    statements = role_statements(resources, logical_id(synthesized, scheduler.role))
    targets = [s["Resource"] for s in statements if "sqs:SendMessage" in actions_of([s])]
    arn = lambda q: {"Fn::GetAtt": [logical_id(synthesized, q), "Arn"]}  # noqa: E731
    assert sorted(map(json.dumps, targets)) == sorted(json.dumps(arn(q)) for q in (queue.queue, queue.dlq))
    settings = synthesized.json["Outputs"]["CampaignSchedulerSettings"]["Value"]
    rendered = json.dumps(settings)
    for part in ("group", "role_arn", "target", "dead_letter"):
        assert part in rendered
    assert {"CampaignQueueUrl", "CampaignDlqUrl", "CampaignSchedulerSettings"} <= set(
        synthesized.json["Outputs"]
    )


def test_the_campaign_release_consumes_its_queue_one_step_at_a_time(synthesized, resources):
    service = synthesized.stack.functions["release_campaign"]
    mappings = [m["Properties"] for m in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
                if m["Properties"]["FunctionName"] == {"Ref": logical_id(synthesized, service.function)}]  # fmt: skip
    (mapping,) = mappings
    assert mapping["BatchSize"] == 1
    queue = synthesized.stack.queues[topology.CAMPAIGN_QUEUE].queue
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [logical_id(synthesized, queue), "Arn"]}
    env = resources[logical_id(synthesized, service.function)]["Properties"]["Environment"]["Variables"]
    assert {"CAMPAIGN_QUEUE_URL", "SEND_QUEUE_URL", "TABLE_NAME"} <= set(env)


def test_only_the_functions_calling_shopify_read_the_admin_tokens_and_only_under_their_prefix(
    synthesized, resources
):
    prefix = synthesized.stack.secrets.admin_token_prefix
    readers = {}
    for name, service in synthesized.stack.functions.items():
        for statement in role_statements(resources, logical_id(synthesized, service.role)):
            if "shopify-admin" in json.dumps(statement["Resource"]):
                readers[name] = (statement_actions(statement), json.dumps(statement["Resource"]))
    expected = {s.name for s in topology.FUNCTIONS if topology.SHOPIFY_ADMIN_TOKENS in s.uses}
    assert "process_shop_event" in expected and set(readers) == expected
    for actions, resource in readers.values():
        assert actions == {"secretsmanager:GetSecretValue"}
        assert resource.endswith(f':secret:{prefix}/*"]]}}')  # the prefix only, never every secret
    assert "ShopifyAdminTokenPrefix" in synthesized.template.to_json()["Outputs"]
