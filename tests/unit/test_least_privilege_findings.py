"""The least-privilege check `make test` runs over the whole suite's recorded calls (tests/aws_calls.py)."""

from __future__ import annotations

from smsflows import topology
from tests.aws_calls import privilege_findings, queue_key


def exactly_what_is_granted() -> dict[str, set[tuple[str, str, str]]]:
    calls: dict[str, set[tuple[str, str, str]]] = {}
    for spec in topology.FUNCTIONS:
        mine = {("dynamodb", op, "") for op in spec.table_actions}
        mine |= {("dynamodb", "Query", f"index/{i}") for i in spec.table_indexes}
        mine |= {("sqs", "SendMessage", f"it-{k}") for k in spec.writes if k in topology.QUEUES}
        mine.add(("sqs", "ReceiveMessage", ""))  # harmless: not a send
        calls[spec.name] = mine
    return calls


def test_calls_that_match_the_grants_exactly_are_fine():
    assert privilege_findings(exactly_what_is_granted()) == []


def test_a_call_not_granted_is_reported():
    calls = exactly_what_is_granted()
    calls["subscribe"].add(("dynamodb", "Scan", ""))
    calls["twilio_status"].add(("sqs", "SendMessage", "it-send_queue"))
    calls["flow_step"].add(("dynamodb", "Query", "index/by_subject"))
    calls["shopify_webhook"].add(("stepfunctions", "StartExecution", ""))
    assert privilege_findings(calls) == [
        "shopify_webhook: calls stepfunctions, which its role does not allow",
        "subscribe: calls dynamodb:Scan but topology does not grant it (table_actions)",
        "twilio_status: sends to send_queue but may not (writes)",
        "flow_step: Query on index by_subject is not granted (table_indexes)",
    ]


def test_a_grant_no_test_used_is_reported():
    calls = exactly_what_is_granted()
    calls["process_shop_event"].discard(("dynamodb", "DeleteItem", ""))
    calls["process_shop_event"].discard(("dynamodb", "Query", "index/by_shop"))
    calls["process_shop_event"].discard(("sqs", "SendMessage", "it-send_queue"))
    del calls["twilio_status"]
    assert privilege_findings(calls) == [
        "process_shop_event: granted dynamodb:DeleteItem that no test saw it call",
        "process_shop_event: granted Query on index by_shop that no test saw it query",
        "process_shop_event: may send to send_queue, which no test saw it do",
        "twilio_status: no call recorded at all (is it run through the local runtime?)",
    ]


def test_queue_names_map_to_their_topology_key():
    assert queue_key("it-transactional_queue") == topology.TRANSACTIONAL_QUEUE
    assert queue_key("smsflows-local-send_queue") == topology.SEND_QUEUE
    assert queue_key("Smsflows-prod-ShopEventsQueue-abc") is None  # deployed names are the stack's
