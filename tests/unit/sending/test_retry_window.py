"""Retries outlast a provider or AWS incident of half an hour before anything is dead-lettered."""

from __future__ import annotations

import pytest

from smsflows import topology
from smsflows.domain.sending.retry import backoff_s, shortest_retry_window_s
from smsflows.runtime.settings import Settings

HALF_AN_HOUR = 30 * 60


@pytest.mark.parametrize("key", [topology.SEND_QUEUE, topology.TRANSACTIONAL_QUEUE])
def test_a_text_failing_transiently_is_retried_for_at_least_half_an_hour(key):
    settings = Settings.model_validate({})
    receives = topology.QUEUES[key].max_receive_count
    window = shortest_retry_window_s(receives, settings.retry_base_s, settings.retry_cap_s)
    assert window >= HALF_AN_HOUR
    # the window is what the sender's draws add up to at their smallest, not a figure of its own
    draws = [
        backoff_s(a, settings.retry_base_s, settings.retry_cap_s, rng=lambda: 0.0) for a in range(1, receives)
    ]
    assert sum(draws) == window
    # and no single wait exceeds what SQS allows for a visibility timeout (12 h)
    assert (
        max(
            backoff_s(a, settings.retry_base_s, settings.retry_cap_s, rng=lambda: 0.999)
            for a in range(1, receives)
        )
        <= 12 * 3600
    )


@pytest.mark.parametrize("key", list(topology.QUEUES))
def test_a_consumer_that_dies_is_retried_for_at_least_half_an_hour(key):
    # a function that times out or crashes sets no backoff: the message comes back after the visibility timeout
    spec = topology.QUEUES[key]
    assert (spec.max_receive_count - 1) * spec.visibility_timeout_s >= HALF_AN_HOUR


def test_the_shortest_window_sums_the_smallest_draw_of_each_retry():
    # 3 receives: retries after attempt 1 (ceiling 2 s -> at least 1 s) and 2 (4 s -> at least 2 s)
    assert shortest_retry_window_s(3, 2, 300) == 3
    assert shortest_retry_window_s(1, 2, 300) == 0  # one receive: no retry at all
    assert shortest_retry_window_s(12, 5, 900) == 1988
    assert shortest_retry_window_s(12, 5, 60) == 3 + 5 + 10 + 20 + 30 * 7  # the cap bounds each wait
