"""SchedulerDeferrals under moto, the schedule as EventBridge Scheduler keeps it: a deferred text goes back to
its own category's queue (an order text never behind a broadcast), as the sender reads it back (the body,
compact JSON), exactly once at its instant in UTC (no flexible window), retried for a day and then sent to
that queue's dead-letter queue (never silently gone), and the schedule deletes itself after it ran. A retry
of the same deferral finds its schedule there and schedules nothing more; any other refusal is raised."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from smsflows import topology
from smsflows.adapters.deferrals import SchedulerDeferrals
from tests.contracts.conftest import client
from tests.intercepted import Intercepted, refused

AT = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)


def deferrals(provisioned: Any, scheduler: Any = None) -> tuple[SchedulerDeferrals, dict[str, Any]]:
    cfg = json.loads(provisioned.env[topology.ENV[topology.DEFERRALS]])
    made = SchedulerDeferrals(scheduler or client("scheduler"), cfg["group"], cfg["role_arn"], cfg["targets"],
                              cfg["dead_letters"])  # fmt: skip
    return made, cfg


@pytest.mark.parametrize(
    ("category", "queue"),
    [("marketing", topology.SEND_QUEUE), ("transactional", topology.TRANSACTIONAL_QUEUE),
     ("compliance", topology.TRANSACTIONAL_QUEUE)],
)  # fmt: skip
def test_a_deferral_goes_back_to_its_categorys_queue_once_at_its_instant_then_deletes_itself(
    provisioned, category, queue
):
    made, cfg = deferrals(provisioned)
    body = {"message_id": "m-1", "category": category, "body": "Demo Shop: hi", "deferred": 2}
    assert made.schedule(body, AT, "d-1") is True
    got = client("scheduler").get_schedule(Name="d-1", GroupName=cfg["group"])
    assert got["ScheduleExpression"] == "at(2026-11-24T15:30:00)"
    assert got["ScheduleExpressionTimezone"] == "UTC"
    assert got["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert got["ActionAfterCompletion"] == "DELETE"
    target = got["Target"]
    assert target["Arn"] == cfg["targets"][queue] and target["RoleArn"] == cfg["role_arn"]
    assert target["Input"] == json.dumps(body, separators=(",", ":"))  # compact: as the sender reads it
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}
    assert target["DeadLetterConfig"] == {"Arn": cfg["dead_letters"][queue]}


def test_a_body_without_a_category_goes_to_the_marketing_queue(provisioned):
    made, cfg = deferrals(provisioned)
    assert made.schedule({"message_id": "m-1"}, AT, "d-1") is True
    got = client("scheduler").get_schedule(Name="d-1", GroupName=cfg["group"])
    assert got["Target"]["Arn"] == cfg["targets"][topology.SEND_QUEUE]


def test_a_queue_without_a_dead_letter_queue_schedules_without_one(provisioned):
    cfg = json.loads(provisioned.env[topology.ENV[topology.DEFERRALS]])
    made = SchedulerDeferrals(client("scheduler"), cfg["group"], cfg["role_arn"], cfg["targets"])
    assert made.schedule({"message_id": "m-1", "category": "marketing"}, AT, "d-1") is True
    got = client("scheduler").get_schedule(Name="d-1", GroupName=cfg["group"])
    assert "DeadLetterConfig" not in got["Target"]


def test_a_retry_of_the_same_deferral_finds_its_schedule_and_makes_no_other(provisioned):
    made, cfg = deferrals(provisioned)
    assert made.schedule({"message_id": "m-1", "category": "marketing"}, AT, "d-1") is True
    assert made.schedule({"message_id": "m-1", "category": "marketing"}, AT, "d-1") is False
    listed = client("scheduler").list_schedules(GroupName=cfg["group"])["Schedules"]
    assert [s["Name"] for s in listed] == ["d-1"]


def test_any_other_refusal_is_raised_for_the_sender_to_retry(provisioned):
    made, _ = deferrals(
        provisioned,
        Intercepted(client("scheduler"), create_schedule=refused("ThrottlingException", "CreateSchedule")),
    )
    with pytest.raises(ClientError) as raised:
        made.schedule({"message_id": "m-1"}, AT, "d-1")
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    conflict, _ = deferrals(
        provisioned,
        Intercepted(client("scheduler"), create_schedule=refused("ConflictException", "CreateSchedule")),
    )
    assert conflict.schedule({"message_id": "m-1"}, AT, "d-1") is False
