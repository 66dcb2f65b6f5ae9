"""The Queue port: a JSON body handed to the consumer as sent, not before its delay (SQS's 0..900 s)."""

from __future__ import annotations

from tests.contracts.conftest import NOW


def test_a_body_reaches_the_consumer_as_sent(queue):
    body = {"message_id": "m-1", "to": "+15125550123", "body": "Demo Shop: 20% off €5 ✓", "deferred": 2,
            "ticketed": True, "not_after": None, "nested": {"list": [1, 2.5, "x"]}}  # fmt: skip
    queue.port.send(body)
    got = queue.receive()
    assert len(got) == 1
    assert got == [body]
    assert queue.receive() == []  # taken once


def test_the_body_is_sent_as_json(queue):
    """What is not JSON does not survive the trip: a tuple comes back a list, a date must be sent as text."""
    queue.port.send({"at": NOW.isoformat(), "pair": ("a", "b")})
    got = queue.receive()
    assert len(got) == 1
    assert got == [{"at": NOW.isoformat(), "pair": ["a", "b"]}]


def test_a_delayed_message_is_not_received_before_its_delay(queue):
    queue.port.send({"n": 1}, delay_seconds=30)
    queue.port.send({"n": 2})
    got = queue.receive()
    assert len(got) == 1
    assert got == [{"n": 2}]
    queue.wait(29)
    assert queue.receive() == []
    queue.wait(1)
    got = queue.receive()
    assert len(got) == 1
    assert got == [{"n": 1}]


def test_delays_are_kept_to_what_sqs_allows(queue):
    queue.port.send({"n": "long"}, delay_seconds=3600)  # longer than SQS's 15 minutes: 900 s
    queue.port.send({"n": "negative"}, delay_seconds=-5)  # nothing to wait for
    got = queue.receive()
    assert len(got) == 1
    assert got == [{"n": "negative"}]
    queue.wait(899)
    assert queue.receive() == []
    queue.wait(1)
    got = queue.receive()
    assert len(got) == 1
    assert got == [{"n": "long"}]


def test_messages_with_different_delays_arrive_in_delay_order(queue):
    for n, delay in ((1, 60), (2, 10), (3, 0), (4, 10)):
        queue.port.send({"n": n}, delay_seconds=delay)
    seen = [[m["n"] for m in queue.receive()]]
    for wait in (10, 50):
        queue.wait(wait)
        seen.append(sorted(m["n"] for m in queue.receive()))
    assert len(seen) == 3
    assert seen == [[3], [2, 4], [1]]
