import json

import pytest

from smsflows.domain import flows
from smsflows.domain.flow_steps import render_step

VALUES = {
    "TableName": "t",
    "SendQueueUrl": "https://sqs/q",
    "FlowStepFunctionArn": "arn:aws:lambda:x:1:function:flow_step",
}


@pytest.mark.parametrize("flow", list(flows.FLOWS.values()), ids=lambda f: f.name)
def test_every_flow_compiles_to_a_closed_state_graph(flow):
    asl = flows.compile_flow(flow)
    states = asl["States"]
    assert asl["StartAt"] in states
    for name, state in states.items():
        assert len(name) <= 80
        targets = [state.get("Next"), state.get("Default")] + [c["Next"] for c in state.get("Choices", [])]
        for target in filter(None, targets):
            assert target in states, f"{name} -> {target}"
        assert state["Type"] in {"Wait", "Task", "Choice", "Pass", "Succeed"}
    # every state is reachable from StartAt
    seen, todo = set(), [asl["StartAt"]]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        s = states[name]
        todo += [
            t for t in [s.get("Next"), s.get("Default")] + [c["Next"] for c in s.get("Choices", [])] if t
        ]
    assert seen >= {n for n, s in states.items() if s["Type"] != "Succeed"}


def test_order_followup_waits_two_hours_then_checks_renders_and_enqueues():
    asl = flows.compile_flow(flows.ORDER_FOLLOWUP)
    kinds = [(s["Type"], s.get("Resource", "")) for s in asl["States"].values()]
    assert ("Wait", "") in kinds
    assert [s["Seconds"] for s in asl["States"].values() if s["Type"] == "Wait"] == [7200]
    resources = {r for _, r in kinds if r}
    assert resources == {
        "arn:aws:states:::dynamodb:getItem",
        "arn:aws:states:::lambda:invoke",
        "arn:aws:states:::sqs:sendMessage",
    }


def test_substitution_fills_every_placeholder_and_refuses_missing_ones():
    text = flows.substitute(flows.compile_flow(flows.ORDER_FOLLOWUP), VALUES)
    assert "${" not in text and "https://sqs/q" in text
    with pytest.raises(KeyError):
        flows.substitute(flows.compile_flow(flows.ORDER_FOLLOWUP), {"TableName": "t"})
    json.loads(text)


def test_execution_names_are_deterministic_valid_and_short():
    a = flows.execution_name(flows.ORDER_FOLLOWUP, "a.myshopify.com", "123")
    assert a == flows.execution_name(flows.ORDER_FOLLOWUP, "a.myshopify.com", "123")
    assert a != flows.execution_name(flows.ORDER_FOLLOWUP, "b.myshopify.com", "123")
    long = flows.execution_name(flows.ORDER_FOLLOWUP, "a.myshopify.com", "x/y z" * 40)
    assert len(long) <= 80 and " " not in long and "/" not in long


def event(**kw):
    return {
        "flow": "order_followup",
        "step": 1,
        "execution": "ex-1",
        "context": {"shop": "demo-shop.myshopify.com"},
        **kw,
    }


def test_render_step_builds_the_followup_from_the_stored_order():
    from datetime import UTC, datetime

    result = render_step(
        event(), {"name": "#1001", "phone": "+15125550123"}, datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert result["send"] is True
    message = json.loads(result["message"])
    assert message["message_id"] == "flow:order_followup:ex-1:1"
    assert "#1001" in message["body"] and message["body"].startswith("Demo Shop:")


@pytest.mark.parametrize(
    ("order", "reason"),
    [
        (None, "order_not_found"),
        ({"name": "#1", "phone": "+15125550123", "cancelled": True}, "order_cancelled"),
        ({"name": "#1"}, "no_usable_phone"),
    ],
)
def test_render_step_exits_when_the_order_is_gone_cancelled_or_unreachable(order, reason):
    from datetime import UTC, datetime

    result = render_step(event(), order, datetime(2026, 1, 1, tzinfo=UTC))
    assert result == {"send": False, "reason": reason, "message": ""}
