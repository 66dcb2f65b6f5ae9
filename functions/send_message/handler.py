"""send SQS consumer (transactional and bulk queues): the last step before the provider; one message id
is sent at most once, paced to its sender's registered throughput."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from smsflows import topology
from smsflows.domain.messages import OutboundMessage
from smsflows.domain.sending.encoding import segment_info
from smsflows.domain.sending.retry import backoff_s
from smsflows.domain.sending.send import Prepared, SendOutcome, finish, pace, prepare
from smsflows.domain.sending.tally import Tally
from smsflows.runtime.deps import get_deps
from smsflows.runtime.errors import ProviderError, SmsflowsError, TransientError
from smsflows.runtime.observability import correlation_id, logger, mask_phone, metrics

# One batch's state, local to its invocation (the local cloud runs invocations concurrently in threads).
# Phase one, for the whole batch before anything is sent: each record's outcome (deferred, suppressed,
# ...), the message ready to go at its paced slot, or the error to report for it. Phase two sends the
# ready ones (concurrently) and leaves each record's outcome or error for its record handler.
Batch = dict[str, SendOutcome | Prepared | Exception]


def record_handler(
    record: SQSRecord,
    batch: Batch | None = None,
    tally: Tally | None = None,
) -> None:
    deps = get_deps()
    message = OutboundMessage.model_validate_json(record.body)
    token = correlation_id.set(message.correlation_id or message.message_id)
    try:
        _send_one(record, message, deps, batch, tally)
    finally:
        correlation_id.reset(token)


def _send_one(
    record: SQSRecord,
    message: OutboundMessage,
    deps: Any,
    batch: Batch | None,
    tally: Tally | None,
) -> None:
    try:
        ready = (batch or {}).pop(record.message_id, None) or prepare(
            message, deps.send_deps, want=segment_info(message.body).segments
        )
        if isinstance(ready, Exception):
            raise ready
        outcome = ready if isinstance(ready, SendOutcome) else finish(ready, deps.send_deps, tally)
    except TransientError as exc:
        if _last_receive(record):
            _dead_letter(record, message, exc)
        _back_off(record, str(exc))
        raise
    except Exception as exc:
        logger.exception("send failed", message_id=message.message_id, to=mask_phone(message.to))
        if _last_receive(record):
            _dead_letter(record, message, exc)
        raise
    logger.info(
        "message " + outcome.outcome,
        message_id=message.message_id,
        to=mask_phone(message.to),
        sid=outcome.sid,
        segments=outcome.segments,
        category=message.category,
        detail=outcome.detail,
        until=outcome.until.isoformat() if outcome.until else None,
    )
    metrics.add_metric(name=f"Message_{outcome.outcome}", unit=MetricUnit.Count, value=1)
    if message.campaign and message.run and outcome.outcome != "duplicate":
        _count_for_campaign(message, outcome.outcome, tally)
    if outcome.detail.startswith(("config_error", "content_error")):
        metrics.add_metric(name="ProviderNeedsOperator", unit=MetricUnit.Count, value=1)
    if outcome.segments:
        metrics.add_metric(name="SegmentsSent", unit=MetricUnit.Count, value=outcome.segments)


def _count_for_campaign(message: OutboundMessage, outcome: str, tally: Tally | None = None) -> None:
    """The outcome on the campaign run's counters (`campaign show`): added to the batch's tally, or written
    at once without one. Best effort: the text's own record in the message log is the truth; a lost count
    must not make SQS deliver a sent text again."""
    assert message.campaign is not None and message.run is not None
    try:
        deps = get_deps()
        at = deps.clock() if outcome == "sent" else None
        if tally is not None:
            tally.run(message.shop, message.campaign, message.run, outcome, at=at)
            return
        deps.campaign_runs.count(message.shop, message.campaign, message.run, outcome, at=at)
    except Exception:
        logger.warning("could not count the campaign outcome", message_id=message.message_id, outcome=outcome)


def _source_queue(record: SQSRecord) -> tuple[str | None, str | None]:
    """(topology queue key, queue URL) of the send queue the record came from; (None, None) if unknown."""
    settings = get_deps().settings
    name = (record.event_source_arn or "").rsplit(":", 1)[-1]
    for key, url in (
        (topology.SEND_QUEUE, settings.send_queue_url),
        (topology.TRANSACTIONAL_QUEUE, settings.transactional_queue_url),
    ):
        if url and url.rstrip("/").rsplit("/", 1)[-1] == name:
            return key, url
    return None, None


def _last_receive(record: SQSRecord) -> bool:
    """Whether this is the record's last receive: if it fails, SQS moves it to the DLQ (after
    maxReceiveCount receives, with no code of ours running), so it must be recorded as dead-lettered now."""
    key, _ = _source_queue(record)
    limit = get_deps().settings.max_receives.get(key or "")
    return limit is not None and int(record.attributes.approximate_receive_count or 1) >= limit


def _dead_letter(record: SQSRecord, message: OutboundMessage, exc: Exception) -> None:
    """Record the message as dead-lettered, with why its last attempt failed, before the failure is
    reported. A provider failure was recorded by the attempt itself (the release or the claim in doubt);
    anything else (a DynamoDB or SQS error, a claim busy elsewhere) is recorded here. Best effort: if the
    log cannot be written, the message is still reported failed, and its record says what it said."""
    deps = get_deps()
    if isinstance(exc.__cause__, ProviderError):
        reason = None
    elif isinstance(exc, SmsflowsError):
        reason = str(exc)[:300]
    else:
        reason = f"{type(exc).__name__}: {exc}"[:300]
    try:
        marked = deps.message_log.dead_letter(message.message_id, reason, deps.clock())
    except Exception:
        logger.warning("could not record the dead letter", message_id=message.message_id, exc_info=True)
        return
    logger.warning(
        "dead-lettered",
        message_id=message.message_id,
        receives=record.attributes.approximate_receive_count,
        reason=reason,
        recorded=marked,
    )
    metrics.add_metric(name="Message_dead_lettered", unit=MetricUnit.Count, value=1)


def _back_off(record: SQSRecord, reason: str) -> None:
    """Make the failed message visible again after an exponential, jittered delay instead of the queue's
    fixed visibility timeout. Best effort: if this fails, the visibility timeout applies."""
    deps = get_deps()
    attempt = int(record.attributes.approximate_receive_count or 1)
    # In virtual time (the local cloud at --time-scale N) the wait is the same span of that time: N times
    # shorter on the wall clock, as its queues' visibility timeouts are; in AWS the scale is 1.
    delay = max(
        1,
        math.ceil(
            backoff_s(attempt, deps.settings.retry_base_s, deps.settings.retry_cap_s)
            / deps.settings.time_scale
        ),
    )
    _, url = _source_queue(record)
    logger.warning(
        "retrying later", message_id=record.message_id, attempt=attempt, delay_s=delay, reason=reason
    )
    if url is None:
        return
    try:
        deps.client("sqs").change_message_visibility(
            QueueUrl=url, ReceiptHandle=record.receipt_handle, VisibilityTimeout=delay
        )
    except Exception:
        logger.warning("could not set the retry delay", message_id=record.message_id)


def _prepare_batch(event: dict[str, Any]) -> Batch:
    """Read every recipient's consent, caps and suppressions in one call, then check and pace every
    message before sending any (slots booked for the batch at once, in record order)."""
    deps = get_deps()
    batch: Batch = {}
    messages = []
    for record in event.get("Records", []):
        try:
            messages.append(
                (record["messageId"], OutboundMessage.model_validate_json(record.get("body") or ""))
            )
        except ValidationError:
            continue  # reported by its record handler
    snapshots: dict[tuple[str, str], Any] = {}
    claimed: dict[str, str] = {}
    if len(messages) > 1:
        try:
            snapshots, claimed = deps.message_log.snapshots(
                [(m.shop, m.to) for _, m in messages], [m.message_id for _, m in messages]
            )
        except TransientError:
            logger.warning("batch read failed; reading per message")
    seen: set[tuple[str, str]] = set()
    for record_id, message in messages:
        key = (message.shop, message.to)
        if key in seen:
            # A second text to the same person in this batch: its record handler prepares and sends it
            # after the first is done (the first may have taken a frequency-cap slot).
            continue
        seen.add(key)
        try:
            batch[record_id] = prepare(
                message,
                deps.send_deps,
                snapshots.get(key),
                claimed=claimed.get(message.message_id),
                book=False,
            )
        except Exception as exc:  # reported for this record alone, by its record handler
            batch[record_id] = exc
    # Then the slots, once every message is checked (the first slot is not spent on the checks of the rest)
    # and the provider's client is ready (a cold container's first send would be late for its slot):
    # each shop's first block is sized to the segments it is about to send in this batch.
    if any(isinstance(ready, Prepared) for ready in batch.values()):
        deps.send_deps.provider.warm()
    demand: dict[str, int] = {}
    for ready in batch.values():
        if isinstance(ready, Prepared):
            demand[ready.message.shop] = demand.get(ready.message.shop, 0) + _segments(ready)
    for record_id, ready in batch.items():
        if not isinstance(ready, Prepared):
            continue
        want = demand[ready.message.shop]
        demand[ready.message.shop] -= _segments(ready)
        try:
            batch[record_id] = pace(ready, deps.send_deps, want=want)
        except Exception as exc:  # reported for this record alone, by its record handler
            batch[record_id] = exc
    return batch


def _segments(ready: Prepared) -> int:
    return segment_info(ready.sent.body).segments


def _finish_batch(batch: Batch, tally: Tally | None = None) -> None:
    """Send the batch's ready messages concurrently, each at its own slot: a block of slots is spent in
    time however long one provider call takes (sequential sends would fall behind a fast sender's slots)."""
    deps = get_deps()
    ready = [(rid, p) for rid, p in batch.items() if isinstance(p, Prepared)]

    def run(prepared: Prepared) -> SendOutcome | Exception:
        try:
            return finish(prepared, deps.send_deps, tally)
        except Exception as exc:  # reported for this record alone, by its record handler
            return exc

    if len(ready) <= 1 or deps.settings.clock == "local":
        # The local cloud's virtual time: work takes no time, so in order each text is on its slot, and
        # each wait is one the time keeper knows (on this invocation's thread) and holds at its horizon.
        for record_id, prepared in ready:
            batch[record_id] = run(prepared)
        return
    with ThreadPoolExecutor(max_workers=len(ready), thread_name_prefix="send") as pool:
        for (record_id, _), result in zip(ready, pool.map(run, [p for _, p in ready]), strict=True):
            batch[record_id] = result


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    batch = _prepare_batch(event)
    tally = Tally()  # the batch's counts, written once at its end (domain/sending/tally.py)
    try:
        _finish_batch(batch, tally)
        # Report every failed record (even all of them) as a batch item failure instead of raising. A
        # processor per invocation: it holds the invocation's results.
        processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        return process_partial_response(
            event=event,
            record_handler=lambda record: record_handler(record, batch, tally),
            processor=processor,
            context=context,
        )
    finally:
        _flush(tally)


def _flush(tally: Tally) -> None:
    deps = get_deps()

    def failed(what: str, exc: Exception) -> None:
        logger.warning("could not write the batch's counts", counts=what, error=type(exc).__name__)

    tally.flush(deps.send_deps.measurement, deps.campaign_runs, failed)
