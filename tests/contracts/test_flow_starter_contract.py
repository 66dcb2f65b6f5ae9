"""The FlowStarter port: flow executions named deterministically (a redelivered trigger starts nothing
twice), stopped one by one or all of a shop's at once (an uninstall). `stop_subject` has its own tests."""

from __future__ import annotations

import pytest

from smsflows.domain.flows import definitions
from tests.contracts.conftest import OTHER_SHOP, PHONE, SHOP, adapter_finding

WELCOME, CHECKOUT = definitions.WELCOME, definitions.ABANDONED_CHECKOUT


def name(flow=WELCOME, shop=SHOP, subject="s1") -> str:
    return definitions.execution_name(flow, shop, subject)


def payload(**context) -> dict:
    return {"context": {"shop": SHOP, "phone": PHONE, **context}, "due": {"s0": "2026-11-23T15:00:00Z"}}


def test_start_is_idempotent_by_name(flow_starter):
    assert flow_starter.start("welcome", name(), payload(started_at="2026-11-23T15:00:00")) is True
    # the trigger is redelivered later: same name, the input differs (started_at)
    assert flow_starter.start("welcome", name(), payload(started_at="2026-11-23T15:00:07")) is False
    assert flow_starter.start("welcome", name(subject="s2"), payload()) is True
    assert flow_starter.stop("welcome", name(), "test") == 1  # one execution of that name, running


def test_a_redelivery_with_the_very_same_input_starts_nothing_either(flow_starter, request):
    adapter_finding(
        request,
        "flow_starter",
        "StepFunctionsFlowStarter.start: StartExecution of a STANDARD state machine is idempotent, with the "
        "same name and input as a RUNNING execution it succeeds (returns it) instead of raising "
        "ExecutionAlreadyExists, so start() says True for a redelivery whose input is identical",
    )
    assert flow_starter.start("welcome", name(), payload()) is True
    assert flow_starter.start("welcome", name(), payload()) is False


def test_a_name_is_never_reused_even_after_a_stop(flow_starter):
    assert flow_starter.start("welcome", name(), payload(n=1)) is True
    assert flow_starter.stop("welcome", name(), "opted out") == 1
    assert flow_starter.start("welcome", name(), payload(n=2)) is False


def test_start_of_a_flow_without_a_state_machine_is_an_error(flow_starter):
    with pytest.raises(LookupError):
        flow_starter.start("order_confirmation", name(definitions.FLOWS["order_confirmation"]), payload())


def test_stop_stops_a_running_execution_once(flow_starter):
    flow_starter.start("abandoned_checkout", name(CHECKOUT, subject="tok1"), payload())
    assert flow_starter.stop("abandoned_checkout", name(CHECKOUT, subject="tok1"), "order placed") == 1
    assert flow_starter.stop("abandoned_checkout", name(CHECKOUT, subject="tok1"), "order placed") == 0


def test_stop_of_an_unknown_execution_stops_nothing(flow_starter):
    assert flow_starter.stop("welcome", name(), "never started") == 0
    assert flow_starter.stop("not_a_flow", name(), "no such state machine") == 0
    flow_starter.start("welcome", name(), payload())
    # an execution is stopped under its own flow only
    assert flow_starter.stop("abandoned_checkout", name(), "wrong flow") == 0
    assert flow_starter.stop("welcome", name(), "right flow") == 1


def test_stop_all_for_shop_stops_every_running_flow_of_that_shop_only(flow_starter):
    mine = [("welcome", name(WELCOME, SHOP, "a")), ("abandoned_checkout", name(CHECKOUT, SHOP, "tok1")),
            ("abandoned_checkout", name(CHECKOUT, SHOP, "tok2"))]  # fmt: skip
    theirs = ("welcome", name(WELCOME, OTHER_SHOP, "a"))
    for flow, execution in [*mine, theirs]:
        assert flow_starter.start(flow, execution, payload()) is True
    assert flow_starter.stop("abandoned_checkout", mine[2][1], "replaced") == 1
    assert flow_starter.stop_all_for_shop(SHOP, "uninstalled") == 2  # the two still running
    assert flow_starter.stop_all_for_shop(SHOP, "uninstalled") == 0
    assert [flow_starter.stop(f, n, "check") for f, n in mine] == [0, 0, 0]
    assert flow_starter.stop(*theirs, "check") == 1  # the other shop's flow was running still
