"""The local cloud fires a cron schedule's occurrences as EventBridge Scheduler does (moto stores them only)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
from moto import mock_aws

from smsflows.local.pollers import SCHEDULED_TIME, CronSchedules

MONDAY = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 08:00 in Chicago


@mock_aws
def test_each_occurrence_is_sent_once_with_its_scheduled_time_and_the_keeper_knows_the_next():
    sqs = boto3.client("sqs", region_name="us-east-1")
    scheduler = boto3.client("scheduler", region_name="us-east-1")
    url = sqs.create_queue(QueueName="campaigns")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    scheduler.create_schedule_group(Name="smsflows-campaigns")
    target = {"Arn": arn, "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
              "Input": json.dumps({"campaign": "c-1", "run": SCHEDULED_TIME})}  # fmt: skip
    scheduler.create_schedule(Name="c-1", GroupName="smsflows-campaigns", ScheduleExpression="cron(0 10 ? * TUE,THU *)",
                              ScheduleExpressionTimezone="America/Chicago", FlexibleTimeWindow={"Mode": "OFF"},
                              Target=target)  # fmt: skip
    scheduler.create_schedule(Name="once", GroupName="smsflows-campaigns", ScheduleExpression="at(2026-11-24T00:00:00)",
                              FlexibleTimeWindow={"Mode": "OFF"}, Target=target)  # fmt: skip
    crons = CronSchedules(["smsflows-campaigns"])

    def received() -> list[str]:
        out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        for m in out:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return [json.loads(m["Body"])["run"] for m in out]

    tuesday = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # 10:00 in Chicago
    assert crons.next_due(MONDAY.timestamp()) == tuesday.timestamp()  # seen on Monday: counts from then
    assert not crons.ready(MONDAY.timestamp()) and crons.fire(sqs, MONDAY) == 0
    assert crons.ready(tuesday.timestamp())
    assert crons.fire(sqs, tuesday) == 1  # the one-time schedule is not this one's to fire
    assert received() == ["2026-11-24T16:00:00Z"]
    assert crons.fire(sqs, tuesday) == 0 and not crons.ready(tuesday.timestamp())  # once
    assert crons.next_due(tuesday.timestamp()) == datetime(2026, 11, 26, 16, 0, tzinfo=UTC).timestamp()
    # a clock that jumped a week: every occurrence on the way, in order
    assert crons.fire(sqs, datetime(2026, 12, 2, tzinfo=UTC)) == 2
    assert sorted(received()) == ["2026-11-26T16:00:00Z", "2026-12-01T16:00:00Z"]
    # a deleted schedule (a cancelled campaign) fires no more
    scheduler.delete_schedule(Name="c-1", GroupName="smsflows-campaigns")
    assert crons.next_due(datetime(2026, 12, 2, tzinfo=UTC).timestamp()) is None
    assert crons.fire(sqs, datetime(2026, 12, 9, tzinfo=UTC)) == 0
