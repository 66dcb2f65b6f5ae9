"""SQS pollers that call consumer handlers as a Lambda event source mapping does, and a scheduler
that fires EventBridge Scheduler one-time schedules (moto stores them but never runs them).

Batches of up to `batch_size`, partial batch responses (`batchItemFailures`), failed messages left
to reappear after the visibility timeout, and the queue's redrive policy moving a message to its DLQ
after maxReceiveCount receives (moto applies the redrive policy on receive).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import logging
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from smsflows import topology

LOG = logging.getLogger("smsflows.local")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    records = []
    for m in messages:
        records.append(
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


class QueuePoller:
    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        function: topology.FunctionSpec,
        invoke: Callable[[str, dict[str, Any]], Any],
        region: str,
    ) -> None:
        self._sqs = sqs
        self._url = queue_url
        self._fn = function
        self._invoke = invoke
        self._region = region
        self._arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"poller-{function.name}", daemon=True)
        self.invocations = 0
        # How long an empty queue is left alone (real seconds) unless `wake()` is called first.
        self.idle_s = 0.05
        # Virtual time: a receive and the handling of what it received count as running work.
        self.activity: Callable[[], contextlib.AbstractContextManager[None]] = contextlib.nullcontext
        # Batches handled at once, as an event source mapping runs concurrent batches (its maximum
        # concurrency). 1: one after another (virtual time keeps this, so that runs are reproducible). More:
        # the next batch is received and prepared while one is still being sent (a paced sender's batch
        # sleeps until its texts' slots; handled one after another, each batch would start late).
        self.max_in_flight = 1
        self._slots = threading.BoundedSemaphore(1)
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._handling = 0  # batches being handled now
        self._count_lock = threading.Lock()

    def start(self) -> QueuePoller:
        if self.max_in_flight > 1:
            self._slots = threading.BoundedSemaphore(self.max_in_flight)
            self._pool = concurrent.futures.ThreadPoolExecutor(
                self.max_in_flight, thread_name_prefix=f"batch-{self._fn.name}"
            )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def wake(self) -> None:
        """Look at the queue now (virtual time moved: delayed messages may be visible)."""
        self._wake.set()

    def poll_once(self) -> int:
        """Receive one batch and hand it to the function; returns how many messages it received."""
        with self.activity():
            return self._poll_once()

    def _poll_once(self) -> int:
        if self._pool is None:
            return self._receive(self._handle)
        self._slots.acquire()  # receive only when a batch can be handled at once (it is invisible meanwhile)
        try:
            received = self._receive(lambda messages: self._pool.submit(self._handle_released, messages))  # type: ignore[union-attr]
        except BaseException:
            self._slots.release()
            raise
        if received == 0:
            self._slots.release()
        return received

    def _receive(self, hand_over: Callable[[list[dict[str, Any]]], Any]) -> int:
        out = self._sqs.receive_message(
            QueueUrl=self._url,
            MaxNumberOfMessages=min(10, self._fn.batch_size),
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = out.get("Messages", [])
        if not messages:
            return 0
        self.invocations += 1
        hand_over(messages)
        return len(messages)

    def _handle_released(self, messages: list[dict[str, Any]]) -> None:
        try:
            self._handle(messages)
        except Exception:
            LOG.exception("handling a batch of %s failed", self._fn.name)
        finally:
            self._slots.release()

    @property
    def queue_name(self) -> str:
        return self._url.rsplit("/", 1)[-1]

    def full(self) -> bool:
        """Whether it handles as many batches as it may: what is visible on its queue waits for one to end
        (for the time keeper: a message it cannot receive yet is not work ready to run)."""
        with self._count_lock:
            return self._handling >= self.max_in_flight

    def _handle(self, messages: list[dict[str, Any]]) -> None:
        with self._count_lock:
            self._handling += 1
        try:
            self._handle_batch(messages)
        finally:
            with self._count_lock:
                self._handling -= 1

    def _handle_batch(self, messages: list[dict[str, Any]]) -> None:
        failed: set[str] = set()
        try:
            result = self._invoke(self._fn.name, sqs_event(messages, self._arn, self._region)) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception:
            # The whole invocation failed: every message returns to the queue, as with Lambda.
            LOG.exception("%s failed; %d message(s) will be retried", self._fn.name, len(messages))
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                received = self.poll_once()
            except Exception:
                LOG.exception("polling %s failed", self._fn.name)
                received = 0
            if received == 0:
                self._wake.wait(self.idle_s)
                self._wake.clear()


def fire_due_schedules(scheduler: Any, sqs: Any, groups: list[str], now: datetime) -> int:
    """Do what EventBridge Scheduler does and moto does not: run every one-time `at(...)` schedule of
    `groups` that is due by `now` (the application's clock), sending its Input to its SQS target, then
    delete it (ActionAfterCompletion DELETE). Returns how many fired."""
    fired = 0
    for group in groups:
        names = [s["Name"] for s in scheduler.list_schedules(GroupName=group).get("Schedules", [])]
        for name in names:
            schedule = scheduler.get_schedule(Name=name, GroupName=group)
            match = _AT.match(schedule.get("ScheduleExpression", ""))
            if not match:
                continue  # cron/rate schedules are not one-time deferrals
            due = datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC)
            if due > now:
                continue
            target = schedule["Target"]
            url = sqs.get_queue_url(QueueName=target["Arn"].rsplit(":", 1)[-1])["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=target.get("Input") or "{}")
            if schedule.get("ActionAfterCompletion") == "DELETE":
                scheduler.delete_schedule(Name=name, GroupName=group)
            fired += 1
    return fired


@functools.lru_cache(maxsize=256)
def _next_occurrence(expression: str, zone: str, since: datetime) -> datetime | None:
    """The time keeper asks for each schedule's next occurrence at every look for idle: the same answer until
    the schedule fires (its `since` moves) or changes (its expression does)."""
    from smsflows.domain.campaigns.cron import next_occurrence

    return next_occurrence(expression, zone, since)


def moto_schedules(groups: list[str]) -> list[Any]:
    """The schedules of `groups`, read from moto's backend in this process (what the keeper reads)."""
    from moto.scheduler.models import scheduler_backends

    found: list[Any] = []
    for regions in list(scheduler_backends.values()):
        for backend in list(regions.values()):
            for name, group in list(backend.schedule_groups.items()):
                if name in groups:
                    found += list(group.schedules.values())
    return found


SCHEDULED_TIME = (
    "<aws.scheduler.scheduled-time>"  # EventBridge Scheduler's context attribute in a target's Input
)
MAX_CATCH_UP = 100  # occurrences fired at once for one schedule (a clock that jumped weeks ahead)


class CronSchedules:
    """Do what EventBridge Scheduler does with a `cron(...)` schedule and moto does not: at each occurrence
    in the schedule's time zone, send its target's Input (with `<aws.scheduler.scheduled-time>` replaced by
    the occurrence, as 2026-12-07T15:00:00Z) to its SQS queue. A recurring campaign's runs start so.

    A schedule counts from when this first sees it (the time keeper looks before every move of the virtual
    clock, so none is missed there; in real time the poller looks twice a second). Start and end dates and
    flexible windows are not applied: the project's schedules use none."""

    def __init__(self, groups: list[str]) -> None:
        self._groups = groups
        self._since: dict[str, datetime] = {}  # schedule ARN -> its last occurrence fired (or first seen)
        self._lock = threading.Lock()

    def _schedules(self) -> list[Any]:
        return [
            s for s in moto_schedules(self._groups)
            if (s.schedule_expression or "").startswith("cron(") and s.state == "ENABLED"
        ]  # fmt: skip

    def _next(self, schedule: Any, now: datetime) -> datetime | None:
        with self._lock:
            since = self._since.setdefault(schedule.arn, now)
        try:
            return _next_occurrence(schedule.schedule_expression, schedule.schedule_expression_timezone, since)
        except Exception:
            LOG.warning("schedule %s: cannot read %r", schedule.name, schedule.schedule_expression)
            return None

    def fire(self, sqs: Any, now: datetime) -> int:
        """Send every occurrence due by `now` that has not been sent; returns how many."""
        fired = 0
        for schedule in self._schedules():
            for _ in range(MAX_CATCH_UP):
                at = self._next(schedule, now)
                if at is None or at > now:
                    break
                target = schedule.target
                body = (target.get("Input") or "{}").replace(
                    SCHEDULED_TIME, at.strftime("%Y-%m-%dT%H:%M:%SZ")
                )
                url = sqs.get_queue_url(QueueName=target["Arn"].rsplit(":", 1)[-1])["QueueUrl"]
                sqs.send_message(QueueUrl=url, MessageBody=body)
                with self._lock:
                    self._since[schedule.arn] = at
                fired += 1
        return fired

    # For the time keeper (epoch seconds)
    def ready(self, now: float) -> bool:
        at = datetime.fromtimestamp(now, UTC)
        return any((due := self._next(s, at)) is not None and due <= at for s in self._schedules())

    def next_due(self, now: float) -> float | None:
        at = datetime.fromtimestamp(now, UTC)
        later = [due.timestamp() for s in self._schedules() if (due := self._next(s, at)) is not None]
        return min(later) if later else None


class SchedulePoller:
    """Fires due one-time schedules, and the occurrences of cron ones, every `interval_s` (real seconds) in a
    thread."""

    def __init__(
        self,
        scheduler: Any,
        sqs: Any,
        groups: list[str],
        clock: Callable[[], datetime],
        interval_s: float = 0.5,
    ) -> None:
        self._args = (scheduler, sqs, groups)
        self.crons = CronSchedules(groups)
        self._clock = clock
        self._interval = interval_s
        self.activity: Callable[[], contextlib.AbstractContextManager[None]] = contextlib.nullcontext
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="poller-scheduler", daemon=True)
        self.fired = 0

    def start(self) -> SchedulePoller:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def wake(self) -> None:
        """Look now (virtual time moved: a schedule may have fallen due)."""
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                with self.activity():
                    now = self._clock()
                    self.fired += fire_due_schedules(*self._args, now)
                    self.fired += self.crons.fire(sqs=self._args[1], now=now)
            except Exception:
                LOG.exception("firing schedules failed")


def schedule_sources(groups: list[str]) -> tuple[Callable[[float], bool], Callable[[float], float | None]]:
    """For the time keeper: whether a one-time schedule of `groups` is due and not yet fired, and the next
    instant one falls due. Read from moto's backend, in this process."""

    def instants() -> list[float]:
        found = []
        for schedule in moto_schedules(groups):
            match = _AT.match(schedule.schedule_expression or "")
            if match:
                found.append(datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC).timestamp())
        return found

    def ready(now: float) -> bool:
        return any(due <= now for due in instants())

    def next_due(now: float) -> float | None:
        later = [due for due in instants() if due > now]
        return min(later) if later else None

    return ready, next_due
