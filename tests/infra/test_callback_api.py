"""Twilio's status callbacks on an HTTP API of their own (infra/constructs/callback_api.py)."""

from __future__ import annotations

import json

from infra_synth import logical_id, of_type

from infra.constructs.callback_api import ACCESS_LOG_FIELDS
from smsflows import topology


def test_each_callback_route_is_an_http_api_route_with_the_rest_proxy_payload_to_its_function(
    synthesized, resources
):
    api_id = logical_id(synthesized, synthesized.stack.callback_api.api)
    routes = of_type(resources, "AWS::ApiGatewayV2::Route")
    integrations = of_type(resources, "AWS::ApiGatewayV2::Integration")
    owners = {route: spec for route, spec in topology.routes() if route in topology.CALLBACK_ROUTES}
    assert owners and {r["Properties"]["RouteKey"] for r in routes.values()} == {
        f"{route.method} {route.path}" for route in owners
    }
    for route, spec in owners.items():
        (props,) = [
            r["Properties"]
            for r in routes.values()
            if r["Properties"]["RouteKey"] == f"{route.method} {route.path}"
        ]
        assert props["ApiId"] == {"Ref": api_id}
        assert props.get("AuthorizationType", "NONE") == "NONE"  # signed: the function verifies it
        integration_id = props["Target"]["Fn::Join"][1][1]["Ref"]
        integration = integrations[integration_id]["Properties"]
        assert integration["IntegrationType"] == "AWS_PROXY"
        # version 1.0: the REST proxy's event shape, the one the function's resolver reads
        assert integration["PayloadFormatVersion"] == "1.0"
        function_id = logical_id(synthesized, synthesized.stack.functions[spec.name].function)
        assert integration["IntegrationUri"] == {"Fn::GetAtt": [function_id, "Arn"]}
        # API Gateway may invoke the function, from this API's route only (else every callback is a 500)
        allowed = [
            p["Properties"]
            for p in of_type(resources, "AWS::Lambda::Permission").values()
            if {"Ref": api_id} in p["Properties"].get("SourceArn", {}).get("Fn::Join", ["", []])[1]
        ]
        assert [(a["FunctionName"], a["Principal"], a["Action"]) for a in allowed] == [
            ({"Fn::GetAtt": [function_id, "Arn"]}, "apigateway.amazonaws.com", "lambda:InvokeFunction")
        ]
        assert allowed[0]["SourceArn"]["Fn::Join"][1][-1] == f"/*/*{route.path}"


def test_the_rest_api_keeps_the_callback_routes_for_texts_sent_before_the_callback_api(
    synthesized, resources
):
    """Twilio reports to the URL a text was sent with, for up to 72 hours: an upgraded stage's texts of the
    day before still report on the REST API (the senders' env above asks for the callback API only)."""
    rest = synthesized.stack.webhook_api.methods
    assert set(rest) >= topology.CALLBACK_ROUTES
    for route in topology.CALLBACK_ROUTES:
        owner = next(s for r, s in topology.routes() if r == route)
        props = resources[logical_id(synthesized, rest[route])]["Properties"]
        function_id = logical_id(synthesized, synthesized.stack.functions[owner.name].function)
        assert {"Fn::GetAtt": [function_id, "Arn"]} in props["Integration"]["Uri"]["Fn::Join"][1]


def test_the_callback_stage_is_throttled_and_logged_and_no_waf_is_asked_of_it(synthesized, resources):
    config = synthesized.stack.config
    (stage,) = of_type(resources, "AWS::ApiGatewayV2::Stage").values()
    props = stage["Properties"]
    assert props["StageName"] == "$default" and props["AutoDeploy"] is True
    assert props["DefaultRouteSettings"]["ThrottlingRateLimit"] == config.callback_throttle_rate
    assert props["DefaultRouteSettings"]["ThrottlingBurstLimit"] == config.callback_throttle_burst
    logs_id = logical_id(synthesized, synthesized.stack.callback_api.access_logs)
    assert props["AccessLogSettings"]["DestinationArn"] == {"Fn::GetAtt": [logs_id, "Arn"]}
    assert json.loads(props["AccessLogSettings"]["Format"]) == ACCESS_LOG_FIELDS
    assert "$context.identity.sourceIp" in ACCESS_LOG_FIELDS.values()
    # the one web ACL guards the REST stage only (an HTTP API cannot have one)
    (association,) = of_type(resources, "AWS::WAFv2::WebACLAssociation").values()
    assert "ApiGatewayV2" not in json.dumps(association["Properties"]["ResourceArn"])


def test_the_senders_ask_for_callbacks_at_the_callback_api_and_its_own_function_is_not_told(
    synthesized, resources
):
    api_id = logical_id(synthesized, synthesized.stack.callback_api.api)
    on_callback_api = {s.name for r, s in topology.routes() if r in topology.CALLBACK_ROUTES}
    for spec in topology.FUNCTIONS:
        fn = resources[logical_id(synthesized, synthesized.stack.functions[spec.name].function)]
        env = fn["Properties"]["Environment"]["Variables"]
        if spec.name in on_callback_api:
            assert "STATUS_CALLBACK_BASE_URL" not in env
        else:
            assert env["STATUS_CALLBACK_BASE_URL"] == {"Fn::GetAtt": [api_id, "ApiEndpoint"]}
    outputs = synthesized.json["Outputs"]
    assert outputs["StatusCallbackBaseUrl"]["Value"] == {"Fn::GetAtt": [api_id, "ApiEndpoint"]}


def test_refused_and_failed_callbacks_raise_alarms_that_reach_the_topic(synthesized, resources):
    api_id = logical_id(synthesized, synthesized.stack.callback_api.api)
    alarms = {
        k: a["Properties"]
        for k, a in of_type(resources, "AWS::CloudWatch::Alarm").items()
        if k.startswith("MonitoringCallbackApi")
    }
    assert len(alarms) == 2
    for props in alarms.values():
        assert props["AlarmActions"] and props["TreatMissingData"] == "notBreaching"
        stats = [m["MetricStat"]["Metric"] for m in props["Metrics"] if "MetricStat" in m]
        assert {m["MetricName"] for m in stats} in ({"Count", "5xx"}, {"Count", "4xx"})
        for metric in stats:
            assert metric["Namespace"] == "AWS/ApiGateway"
            assert metric["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": api_id}}]
