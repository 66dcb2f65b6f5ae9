"""The local cloud is robust enough to be tested against (issue 12): `smsflows local` in its own process,
driven over real HTTP. A burst of clients is answered, malformed requests get a 400 (never a drop or a
hang), API functions serve concurrent requests correctly, and the fake Twilio's fault injection
(`--provider-faults`, `/_local/faults`) fails message creates that the retries and the DLQ then handle."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from smsflows.local import client, samples
from tests.e2e.conftest import Output, RunningCloud, running_local, wait_for_outbox, wait_idle
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e
SHOP = "demo-shop.myshopify.com"
SECRET = "robust-shopify-secret"
WAIT_S = 30
SEED = 7
DEAD = ("dead_lettered", "retry")  # the message log's state of a text whose last attempt failed


def running(
    *extra: str, env: dict[str, str] | None = None
) -> contextlib.AbstractContextManager[tuple[RunningCloud, Output]]:
    return running_local(*extra, secret=SECRET, env=env)


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningCloud]:
    with running("--concurrency", "10") as (c, _):
        yield c


@pytest.fixture(scope="module")
def faulty() -> Iterator[tuple[RunningCloud, Output]]:
    # Every message create fails; retries come back within about a second (whole SQS seconds). The provider
    # client gives up after 3 s (a loopback answer takes milliseconds, even on a busy machine), so a "late"
    # answer (a second after that) is a lost one.
    env = {"SMSFLOWS_RETRY_BASE_S": "0.1", "SMSFLOWS_PROVIDER_TIMEOUT_S": "3"}
    with running("--provider-faults", "1.0", "--provider-faults-seed", str(SEED), env=env) as started:
        yield started


def together(n: int, work: Callable[[int], Any]) -> list[Any]:
    """`work(i)` for i in range(n) in n threads released at once; each result, or the exception's repr."""
    go = threading.Barrier(n, timeout=WAIT_S)
    results: list[Any] = [None] * n

    def one(i: int) -> None:
        try:
            go.wait()
            results[i] = work(i)
        except Exception as exc:  # a refused or reset connection is what these tests look for
            results[i] = repr(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=WAIT_S * 4)
    return results


def host_port(base_url: str) -> tuple[str, int]:
    host, port = base_url.rsplit("/", 1)[-1].split(":")
    return host, int(port)


def raw(base_url: str, data: bytes) -> tuple[int, bytes]:
    """Send raw bytes on a new connection; (status, everything the server sent) once it closes."""
    with socket.create_connection(host_port(base_url), timeout=WAIT_S) as conn:
        conn.sendall(data)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1."), received
    return int(received.split(b" ", 2)[1]), received


# The front door -------------------------------------------------------------------------------------------
def test_a_burst_of_100_clients_each_gets_an_answer(cloud):
    def health(_: int) -> int:
        conn = http.client.HTTPConnection(*host_port(cloud.base_url), timeout=WAIT_S)
        try:
            conn.request("GET", "/_local/health")
            return conn.getresponse().status
        finally:
            conn.close()

    assert together(100, health) == [200] * 100


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"NONSENSE\r\n\r\n",
        b"GET /_local/health\r\n\r\n",
        b"POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Length: many\r\n\r\n{}",
    ],
    ids=["one-word", "no-version", "negative-length", "letters-length"],
)
def test_malformed_requests_are_400_and_the_cloud_keeps_serving(cloud, request_bytes):
    status, answer = raw(cloud.base_url, request_bytes)
    assert status == 400 and b"Connection: close" in answer
    assert client.request("GET", cloud.base_url + "/_local/health").status == 200


def test_head_is_answered_without_a_body_and_post_only_routes_say_what_they_allow(cloud):
    status, answer = raw(
        cloud.base_url, b"HEAD /_local/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert status == 200 and body == b"" and b"Content-Length: " in head
    status, answer = raw(
        cloud.base_url, b"HEAD /webhooks/shopify HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert status == 405 and b"Allow: POST" in head and body == b""


def test_concurrent_signed_webhooks_are_all_answered_and_each_processed_once(cloud):
    orders = [samples.order(8100 + i, 8100 + i, f"+1 512 555 {2100 + i}") for i in range(20)]

    def post(i: int) -> tuple[int, Any]:
        result = client.post_shopify(
            cloud.base_url, orders[i], secret=SECRET, topic="orders/create", shop=SHOP
        )
        return result.status, result.json()

    assert together(20, post) == [(200, {"status": "queued"})] * 20
    names = [f"#{8100 + i}" for i in range(20)]

    def confirmations(box: list[dict]) -> dict[str, int]:
        return {
            n: sum(1 for m in box if n in m["body"] and "thanks for your order" in m["body"]) for n in names
        }

    wait_for_outbox(cloud.base_url, lambda box: all(confirmations(box).values()), "20 order confirmations")
    wait_idle(cloud.base_url)  # a second text for any order would have been sent by now
    assert confirmations(client.outbox(cloud.base_url)) == dict.fromkeys(names, 1)
    assert {m["to"] for m in client.outbox(cloud.base_url) if "#81" in m["body"]} == {
        f"+1512555{2100 + i}" for i in range(20)
    }


def test_one_webhook_delivered_to_six_clients_at_once_is_accepted_once(cloud):
    order = samples.order(8200, 8200, "+1 512 555 2200")

    def post(_: int) -> tuple[int, Any]:
        result = client.post_shopify(cloud.base_url, order, secret=SECRET, topic="orders/create", shop=SHOP,
                                     webhook_id="robust-same-8200")  # fmt: skip
        return result.status, result.json()

    answers = together(6, post)
    # one takes it; the others see it taken (200 duplicate) or still being taken (409: Shopify retries)
    assert answers.count((200, {"status": "queued"})) == 1, answers
    assert all(
        a == (200, {"status": "duplicate"}) or a[0] == 409 for a in answers if a[1] != {"status": "queued"}
    )
    wait_for_outbox(cloud.base_url, lambda box: any("#8200" in m["body"] for m in box), "the SMS for #8200")
    wait_idle(cloud.base_url)
    assert sum(1 for m in client.outbox(cloud.base_url) if "#8200" in m["body"]) == 1


# Fault injection ------------------------------------------------------------------------------------------
def faults(base_url: str) -> dict[str, Any]:
    result = client.request("GET", base_url + "/_local/faults")
    assert result.status == 200, result.body
    return result.json()


def set_faults(base_url: str, settings: Any) -> client.HttpResult:
    return client.request("POST", base_url + "/_local/faults", json.dumps(settings).encode(),
                          {"Content-Type": "application/json"})  # fmt: skip


def enqueue(base_url: str, message_id: str, to: str) -> None:
    message = {"message_id": message_id, "shop": SHOP, "to": to, "body": f"Demo Shop: your order {message_id} shipped",
               "category": "transactional"}  # fmt: skip
    result = client.request("POST", base_url + "/_local/enqueue", json.dumps(message).encode())
    assert result.status == 200 and result.json()["message_id"] == message_id, result.body


def logged(base_url: str, message_id: str) -> dict[str, Any]:
    return client.request("GET", f"{base_url}/_local/message?id={message_id}").json() or {}


def dead(base_url: str) -> int:
    return int(client.request("GET", base_url + "/_local/dlq").json()["transactional_queue"])


def injected(state: dict[str, Any]) -> int:
    return sum(state["injected"].values())


def test_the_cli_options_set_the_share_and_the_seed(faulty):
    cloud, output = faulty
    state = faults(cloud.base_url)
    assert (state["share"], state["seed"], state["kinds"]) == (1.0, SEED, ["500", "429", "503", "late"])
    assert state["late_s"] == 4.0  # the provider client's timeout (3 s here) and a second

    def banner(lines: list[str]) -> bool:
        return any(
            "fake Twilio fails 100% of message creates" in line and f"seed {SEED}" in line for line in lines
        )

    wait_until(lambda: list(output.lines), banner, what="the line saying that faults are on")


def test_bad_settings_are_400_and_change_nothing(faulty):
    cloud, _ = faulty
    before = faults(cloud.base_url)
    bad = ({"share": 2}, {"share": "all"}, {"share": 1, "kinds": ["418"]}, {"share": 1, "seed": "x"},
           {"share": 1, "bogus": 1}, {"kinds": ["500"]}, [0.2], {})  # fmt: skip
    for settings in bad:
        assert set_faults(cloud.base_url, settings).status == 400, settings
    assert client.request("POST", cloud.base_url + "/_local/faults", b"not json").status == 400
    assert client.request("PUT", cloud.base_url + "/_local/faults", b"{}").status == 405
    assert faults(cloud.base_url) == before


def test_a_post_is_whole_its_seed_defaults_to_the_command_lines(faulty):
    cloud, _ = faulty
    assert set_faults(cloud.base_url, {"share": 0.5, "seed": 99}).json()["seed"] == 99
    assert set_faults(cloud.base_url, {"share": 0}).json()["seed"] == SEED


def test_with_share_one_every_create_fails_and_the_retries_end_in_the_dlq(faulty):
    cloud, _ = faulty
    assert set_faults(cloud.base_url, {"share": 1.0, "kinds": ["500", "429", "503"]}).status == 200
    before, dead_before = faults(cloud.base_url), dead(cloud.base_url)
    ids = [f"fault-dlq-{i}" for i in range(3)]
    for i, mid in enumerate(ids):
        enqueue(cloud.base_url, mid, f"+1512555{3100 + i}")
    wait_idle(cloud.base_url, timeout=90)  # tried, retried, then dead-lettered
    assert dead(cloud.base_url) == dead_before + 3
    after = faults(cloud.base_url)
    calls = after["calls"] - before["calls"]
    assert injected(after) - injected(before) == calls  # every create call failed
    assert calls >= 2 * len(ids)  # and each was tried again
    assert after["injected"]["late"] == before["injected"]["late"]  # only the kinds asked for
    for mid in ids:  # a dead-lettered message says why
        entry = logged(cloud.base_url, mid)
        assert entry.get("state") in DEAD and entry.get("reason", "").startswith("provider 20"), entry
    assert not [m for m in client.outbox(cloud.base_url) if "fault-dlq" in m["body"]]


def test_late_answers_leave_the_sender_in_doubt_and_each_text_is_sent_once(faulty):
    cloud, _ = faulty
    assert set_faults(cloud.base_url, {"share": 1.0, "kinds": ["late"]}).status == 200
    before = faults(cloud.base_url)
    ids = [f"fault-late-{i}" for i in range(2)]
    for i, mid in enumerate(ids):
        enqueue(cloud.base_url, mid, f"+1512555{3200 + i}")
    # Twilio took each text at once, answered after the client gave up; the retry asks Twilio and settles it
    wait_idle(cloud.base_url, timeout=90)
    assert [logged(cloud.base_url, mid).get("state") for mid in ids] == ["sent"] * 2
    texts = [m for m in client.outbox(cloud.base_url) if "fault-late" in m["body"]]
    assert sorted(m["to"] for m in texts) == ["+15125553200", "+15125553201"]  # once each
    after = faults(cloud.base_url)
    assert after["injected"]["late"] - before["injected"]["late"] == after["calls"] - before["calls"] >= 2


def test_mixed_faults_lose_nothing_and_send_nothing_twice(faulty):
    cloud, _ = faulty
    state = set_faults(cloud.base_url, {"share": 1.0}).json()  # a POST is whole: every kind, the CLI's seed
    assert (state["kinds"], state["seed"]) == (["500", "429", "503", "late"], SEED)
    ids = [f"fault-mixed-{i}" for i in range(6)]
    phones = {mid: f"+1512555{3300 + i}" for i, mid in enumerate(ids)}
    dead_before = dead(cloud.base_url)
    for mid in ids:
        enqueue(cloud.base_url, mid, phones[mid])
    wait_idle(cloud.base_url, timeout=120)  # every message sent, or retried until the DLQ took it
    texts = [m["to"] for m in client.outbox(cloud.base_url) if "fault-mixed" in m["body"]]
    assert len(texts) == len(set(texts))  # nobody got a text twice
    entries = {mid: logged(cloud.base_url, mid) for mid in ids}
    sent = [mid for mid, e in entries.items() if e.get("state") == "sent"]
    assert {phones[mid] for mid in sent} <= set(texts)
    assert dead(cloud.base_url) - dead_before == len(ids) - len(sent)  # nothing lost
    for mid, entry in entries.items():
        if mid in sent:
            continue
        if entry.get("in_doubt"):  # its last answer was lost: Twilio may have it (then it went once)
            assert entry["reason"].startswith("twilio in doubt"), entry
        else:
            assert entry["state"] in DEAD and entry["reason"].startswith("provider 20"), entry
            assert phones[mid] not in texts


def test_share_zero_turns_the_faults_off(faulty):
    cloud, _ = faulty
    assert set_faults(cloud.base_url, {"share": 0}).json()["share"] == 0
    before = faults(cloud.base_url)
    ids = [f"fault-off-{i}" for i in range(3)]
    for i, mid in enumerate(ids):
        enqueue(cloud.base_url, mid, f"+1512555{3400 + i}")
    wait_for_outbox(
        cloud.base_url, lambda box: len([m for m in box if "fault-off" in m["body"]]) == 3, "3 texts"
    )
    wait_idle(cloud.base_url)
    after = faults(cloud.base_url)
    assert after["calls"] - before["calls"] == 3 and after["injected"] == before["injected"]
    assert [logged(cloud.base_url, mid).get("state") for mid in ids] == ["sent"] * 3
