"""A deferral beyond SQS's 15 minutes is a one-time EventBridge Scheduler schedule (issue 10: the mutants that
survived in adapters/deferrals.py): on the send queue of the text's category, at the instant in UTC, with no
flexible window, deleting itself after it ran, retrying for a day into the queue's DLQ; a retry of the same
deferral finds its schedule and makes no second one."""

import json
from datetime import UTC, datetime, timedelta, timezone

from smsflows import topology


def test_a_schedule_puts_the_text_back_on_its_categorys_queue_at_the_instant_in_utc(cloud):
    from smsflows.runtime.deps import get_deps

    deps = get_deps()
    cfg = deps.settings.deferral_scheduler
    scheduler = cloud.client("scheduler")
    at = datetime(2026, 11, 24, 9, 30, tzinfo=timezone(timedelta(hours=-6)))  # 15:30 UTC
    bodies = {
        "transactional": {"message_id": "t-1", "category": "transactional", "body": "Demo Shop: shipped"},
        "marketing": {"message_id": "m-1", "category": "marketing", "body": "Demo Shop: 10% off"},
    }
    for category, body in bodies.items():
        assert deps.deferrals.schedule(body, at, f"defer-{category}") is True
        got = scheduler.get_schedule(Name=f"defer-{category}", GroupName=cfg["group"])
        queue = topology.SEND_QUEUE_FOR[category]
        assert got["Target"]["Arn"] == cfg["targets"][queue]
        assert json.loads(got["Target"]["Input"]) == body and '", "' not in got["Target"]["Input"]  # compact
        assert got["ScheduleExpression"] == "at(2026-11-24T15:30:00)"
        assert got["ScheduleExpressionTimezone"] == "UTC"
        assert got["FlexibleTimeWindow"] == {"Mode": "OFF"} and got["ActionAfterCompletion"] == "DELETE"
        assert got["Target"]["RetryPolicy"] == {
            "MaximumRetryAttempts": 185,
            "MaximumEventAgeInSeconds": 86400,
        }
        if cfg.get("dead_letters", {}).get(queue):
            assert got["Target"]["DeadLetterConfig"] == {"Arn": cfg["dead_letters"][queue]}
    assert topology.SEND_QUEUE_FOR["transactional"] != topology.SEND_QUEUE_FOR["marketing"]


def test_a_text_of_no_known_category_goes_to_the_send_queue(cloud):
    from smsflows.runtime.deps import get_deps

    deps = get_deps()
    cfg = deps.settings.deferral_scheduler
    deps.deferrals.schedule({"message_id": "x-1"}, datetime(2026, 11, 24, 15, 0, tzinfo=UTC), "defer-x")
    got = cloud.client("scheduler").get_schedule(Name="defer-x", GroupName=cfg["group"])
    assert got["Target"]["Arn"] == cfg["targets"][topology.SEND_QUEUE]


def test_the_same_deferral_twice_makes_one_schedule(cloud):
    from smsflows.runtime.deps import get_deps

    deps = get_deps()
    at = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    body = {"message_id": "m-1", "category": "marketing"}
    assert deps.deferrals.schedule(body, at, "defer-twice") is True
    assert deps.deferrals.schedule(body, at, "defer-twice") is False
    group = deps.settings.deferral_scheduler["group"]
    names = [s["Name"] for s in cloud.client("scheduler").list_schedules(GroupName=group)["Schedules"]]
    assert names.count("defer-twice") == 1
