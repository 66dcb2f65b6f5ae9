"""SchedulerDeferrals and StepFunctionsFlowStarter under moto, where the host and the race matter: a
deferral's instant is written in UTC whatever the process's local time zone, and a redaction stops only the
executions about its subject, not one of the shop's that ended between the listing and its description."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from smsflows import topology
from smsflows.adapters.deferrals import SchedulerDeferrals
from smsflows.adapters.flow_starter import StepFunctionsFlowStarter
from smsflows.domain.flows import definitions
from tests.contracts.conftest import OTHER_PHONE, PHONE, SHOP, client


@contextmanager
def local_time_zone(name: str) -> Iterator[None]:
    """The process's local time zone is `name` inside the block (a developer's machine, not Lambda's UTC)."""
    was = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if was is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = was
        time.tzset()


def test_a_deferral_is_scheduled_at_its_instant_in_utc_on_a_host_of_another_time_zone(provisioned):
    cfg = json.loads(provisioned.env[topology.ENV[topology.DEFERRALS]])
    scheduler = client("scheduler")
    deferrals = SchedulerDeferrals(scheduler, cfg["group"], cfg["role_arn"], cfg["targets"])
    with local_time_zone("America/Los_Angeles"):
        assert deferrals.schedule({"message_id": "m-1"}, datetime(2026, 11, 24, 15, 30, tzinfo=UTC), "d-1")
    got = scheduler.get_schedule(Name="d-1", GroupName=cfg["group"])
    assert got["ScheduleExpression"] == "at(2026-11-24T15:30:00)"


# Stopping the flows about a subject ----------------------------------------------------------------------


def start(starter: StepFunctionsFlowStarter, subject: str, phone: str) -> str:
    name = definitions.execution_name(definitions.WELCOME, SHOP, subject)
    payload = {"context": {"shop": SHOP, "phone": phone}, "due": {"s0": "2026-11-25T15:00:00Z"}}
    assert starter.start("welcome", name, payload) is True
    return name


def test_an_execution_of_someone_else_that_ended_meanwhile_is_neither_stopped_nor_counted(provisioned):
    sfn = client("stepfunctions")
    starter = StepFunctionsFlowStarter(sfn, provisioned.state_machines)
    start(starter, "subject", PHONE)
    other = start(starter, "someone-else", OTHER_PHONE)
    describe, stops = sfn.describe_execution, []

    def ended_meanwhile(executionArn: str) -> dict[str, Any]:
        described = describe(executionArn=executionArn)
        if executionArn.endswith(":" + other):  # the other flow finished between the listing and now
            return {**described, "status": "SUCCEEDED"}
        return described

    def stop_execution(**params: Any) -> Any:
        stops.append(params["executionArn"].rsplit(":", 1)[1])
        return real_stop(**params)

    real_stop = sfn.stop_execution
    sfn.describe_execution = ended_meanwhile
    sfn.stop_execution = stop_execution
    assert starter.stop_subject(SHOP, set(), {PHONE}, set(), "customer redacted") == 1
    assert stops == [definitions.execution_name(definitions.WELCOME, SHOP, "subject")]


def test_an_execution_described_without_its_input_is_about_the_subject_only_by_name(provisioned):
    sfn = client("stepfunctions")
    starter = StepFunctionsFlowStarter(sfn, provisioned.state_machines)
    named = start(starter, "by-name", PHONE)
    start(starter, "by-phone", PHONE)
    describe = sfn.describe_execution

    def metadata_only(executionArn: str) -> dict[str, Any]:
        return {k: v for k, v in describe(executionArn=executionArn).items() if k != "input"}

    sfn.describe_execution = metadata_only
    assert starter.stop_subject(SHOP, {named}, {PHONE}, set(), "customer redacted") == 1
    sfn.describe_execution = describe
    assert starter.stop("welcome", named, "again") == 0  # stopped
