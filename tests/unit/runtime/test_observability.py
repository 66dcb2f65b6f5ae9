"""Logs stay bounded and honest (issue 12 part 4): every field cut, phone numbers in free text masked, a record
that cannot be serialised still written, and the function that wrote it named even when functions share a
process (the local cloud)."""

import io
import json
import logging
import threading
import uuid

import pytest
from aws_lambda_powertools import Logger

from smsflows.runtime.observability import MAX_FIELD, bounded_json, invocation_function

logger: Logger


@pytest.fixture
def lines():
    """A Powertools logger configured as the handlers' (same serializer), writing to a buffer."""
    global logger
    buf = io.StringIO()
    logger = Logger(service=f"test-observability-{uuid.uuid4().hex}", level="INFO", json_serializer=bounded_json,
                    logger_handler=logging.StreamHandler(buf))  # fmt: skip
    return lambda: [json.loads(line) for line in buf.getvalue().splitlines()]


def test_a_300_kib_field_is_cut_to_a_bounded_line(lines):
    logger.warning("request rejected", detail="x" * 300 * 1024, values=list(range(1000)))
    [record] = lines()
    assert len(json.dumps(record)) < 4 * MAX_FIELD + 1000
    assert record["detail"].startswith("x" * MAX_FIELD) and "+306688 chars" in record["detail"]
    assert len(record["values"]) == 51 and record["values"][-1] == "…(+950 items)"


def test_a_phone_number_in_free_text_is_masked(lines):
    logger.warning("reply from +1 (512) 555-0123", detail="call 512-555-0199")
    [record] = lines()
    assert "555" not in record["message"] and record["message"].endswith("0123")
    assert "555" not in record["detail"]


def test_control_characters_are_escaped_and_a_line_stays_one_line(lines):
    logger.warning("x", detail="a\nb\r\x00\u2028c")
    assert len(lines()) == 1


def test_a_record_that_cannot_be_serialised_is_written_all_the_same(lines):
    class Unprintable:
        def __repr__(self):
            raise RuntimeError("no")

        __str__ = __repr__

    logger.warning("with an odd value", thing=Unprintable())
    [record] = lines()
    assert record["message"] == "log record not serialisable" and "thing" in record["keys"]


def test_each_thread_names_its_own_function(lines):
    def invoke(name):
        token = invocation_function.set(name)
        try:
            logger.warning("hello")
        finally:
            invocation_function.reset(token)

    threads = [threading.Thread(target=invoke, args=(f"fn{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r["function_name"] for r in lines()) == sorted(f"fn{i}" for i in range(8))


def test_the_serializer_leaves_short_fields_alone():
    assert json.loads(bounded_json({"a": "b", "n": 1, "ok": True, "none": None})) == {
        "a": "b", "n": 1, "ok": True, "none": None
    }  # fmt: skip
