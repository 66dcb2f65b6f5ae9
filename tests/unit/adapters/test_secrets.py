"""SecretsStore: a secret cached for its TTL on an injected monotonic clock (nothing sleeps), re-read early on
a refusal at most once per `min_refresh_s`, a failed re-read keeping the old value, and no value in a log."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from smsflows.adapters.secrets import DEFAULT_TTL_S, MIN_REFRESH_S, SecretsStore
from smsflows.runtime import observability
from smsflows.runtime.deps import Deps, shopify_signing_secrets
from smsflows.runtime.settings import Settings
from tests.fakes import FakeMonotonic

SECRET_ID = "smsflows/test/twilio"
TOKEN = "first-token-value"
ROTATED = "rotated-token-value"


class SecretsManager:
    """get_secret_value over a dict of secret strings; counts the calls; fails while `down` is set."""

    def __init__(self, **values: Any) -> None:
        self.values = {SECRET_ID: json.dumps(values or {"auth_token": TOKEN})}
        self.calls = 0
        self.down: Exception | None = None

    def put(self, value: Any, secret_id: str = SECRET_ID) -> None:
        self.values[secret_id] = value if isinstance(value, str) else json.dumps(value)

    def get_secret_value(self, SecretId: str) -> dict[str, str]:  # boto3's spelling
        self.calls += 1
        if self.down is not None:
            raise self.down
        return {"SecretString": self.values[SecretId]}


@pytest.fixture
def sm() -> SecretsManager:
    return SecretsManager()


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def store(sm: SecretsManager, clock: FakeMonotonic) -> SecretsStore:
    return SecretsStore(lambda: sm, ttl_s=300, min_refresh_s=30, monotonic=clock)


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch):
    """Every log line written meanwhile, INFO included (the tests' level is WARNING)."""
    buf = io.StringIO()
    monkeypatch.setattr(observability.logger.registered_handler, "stream", buf)
    observability.logger.setLevel("INFO")
    yield lambda: [json.loads(line) for line in buf.getvalue().splitlines()]
    observability.logger.setLevel("WARNING")


def test_a_secret_is_read_once_and_kept_for_its_ttl(store, sm, clock):
    assert store.get(SECRET_ID) == {"auth_token": TOKEN}
    sm.put({"auth_token": ROTATED})
    clock.advance(299.9)
    assert store.get(SECRET_ID) == {"auth_token": TOKEN}
    assert sm.calls == 1
    assert store.age(SECRET_ID) == pytest.approx(299.9)


def test_after_its_ttl_a_secret_is_read_again(store, sm, clock):
    store.get(SECRET_ID)
    sm.put({"auth_token": ROTATED})
    clock.advance(300)
    assert store.get(SECRET_ID) == {"auth_token": ROTATED}
    assert sm.calls == 2
    assert store.age(SECRET_ID) == 0
    clock.advance(299)
    store.get(SECRET_ID)
    assert sm.calls == 2  # the TTL runs from the new read


def test_a_ttl_of_zero_reads_every_time(sm, clock):
    store = SecretsStore(lambda: sm, ttl_s=0, monotonic=clock)
    store.get(SECRET_ID)
    store.get(SECRET_ID)
    assert sm.calls == 2


def test_refresh_reads_a_value_older_than_the_minimum_age(store, sm, clock):
    store.get(SECRET_ID)
    sm.put({"auth_token": ROTATED})
    clock.advance(30)
    assert store.refresh(SECRET_ID) == {"auth_token": ROTATED}
    assert store.get(SECRET_ID) == {"auth_token": ROTATED}
    assert sm.calls == 2


def test_refresh_is_throttled_to_once_per_minimum_age(store, sm, clock):
    store.get(SECRET_ID)
    clock.advance(29.9)
    assert store.refresh(SECRET_ID) is None  # read 29.9 s ago: not again
    clock.advance(0.1)
    assert store.refresh(SECRET_ID) == {"auth_token": TOKEN}
    for _ in range(100):  # a burst of refusals: no more reads
        clock.advance(0.25)
        assert store.refresh(SECRET_ID) is None
    assert sm.calls == 2
    clock.advance(5)  # 30 s after the last read
    assert store.refresh(SECRET_ID) is not None
    assert sm.calls == 3


def test_refresh_of_a_secret_never_read_reads_it(store, sm):
    assert store.refresh(SECRET_ID) == {"auth_token": TOKEN}
    assert sm.calls == 1


def test_invalidate_forgets_the_value_without_a_rate_limit(store, sm):
    store.get(SECRET_ID)
    sm.put({"auth_token": ROTATED})
    store.invalidate(SECRET_ID)
    assert store.age(SECRET_ID) is None
    assert store.get(SECRET_ID) == {"auth_token": ROTATED}
    assert sm.calls == 2


def test_a_first_read_that_fails_raises(store, sm):
    sm.down = ConnectionError("secrets manager unreachable")
    with pytest.raises(ConnectionError):
        store.get(SECRET_ID)
    sm.down = None
    assert store.get(SECRET_ID) == {"auth_token": TOKEN}


def test_a_failed_re_read_keeps_the_value_and_backs_off(store, sm, clock, logs):
    store.get(SECRET_ID)
    clock.advance(300)
    sm.down = ConnectionError("secrets manager unreachable")
    assert store.get(SECRET_ID) == {"auth_token": TOKEN}  # stale, rather than failing every request
    assert store.get(SECRET_ID) == {"auth_token": TOKEN}
    assert store.refresh(SECRET_ID) is None
    assert sm.calls == 2  # one failed read, then a back-off of min_refresh_s
    clock.advance(30)
    assert store.refresh(SECRET_ID) is None  # failed again: still the old value
    assert sm.calls == 3
    sm.down = None
    sm.put({"auth_token": ROTATED})
    clock.advance(30)
    assert store.get(SECRET_ID) == {"auth_token": ROTATED}
    [warning, *_] = [r for r in logs() if r["level"] == "WARNING"]
    assert warning["error"] == "ConnectionError" and warning["secret_id"] == SECRET_ID


def test_a_secret_that_is_not_a_json_object_is_refused(store, sm):
    sm.put('["not", "an", "object"]')
    with pytest.raises(ValueError, match="not a JSON object"):
        store.get(SECRET_ID)


def test_an_operator_typo_on_rotation_keeps_the_working_value(store, sm, clock):
    store.get(SECRET_ID)
    sm.put('{"auth_token": "rotated-but-broken"')  # no closing brace
    clock.advance(300)
    assert store.get(SECRET_ID) == {"auth_token": TOKEN}


def test_first_verifying_takes_the_current_then_the_previous_key(store, sm):
    sm.put({"auth_token": ROTATED, "previous_auth_token": TOKEN})

    def keys(value):
        return [value["auth_token"], value["previous_auth_token"]]

    assert store.first_verifying(SECRET_ID, keys, lambda k: k == ROTATED) == ROTATED
    assert store.first_verifying(SECRET_ID, keys, lambda k: k == TOKEN) == TOKEN
    assert sm.calls == 1


def test_first_verifying_re_reads_a_secret_old_enough_when_nothing_verifies(store, sm, clock):
    def keys(value):
        return [value["auth_token"]]

    store.get(SECRET_ID)
    sm.put({"auth_token": ROTATED})
    clock.advance(29)
    tried: list[str] = []
    assert store.first_verifying(SECRET_ID, keys, lambda k: tried.append(k) or k == ROTATED) is None
    assert (tried, sm.calls) == ([TOKEN], 1)  # the cached value is too young to re-read
    clock.advance(1)
    tried.clear()
    assert store.first_verifying(SECRET_ID, keys, lambda k: tried.append(k) or k == ROTATED) == ROTATED
    assert (tried, sm.calls) == ([TOKEN, ROTATED], 2)


def test_first_verifying_does_not_try_a_key_twice(store, sm, clock):
    def keys(value):
        return [value["auth_token"]]

    store.get(SECRET_ID)
    clock.advance(60)
    tried: list[str] = []
    assert store.first_verifying(SECRET_ID, keys, lambda k: tried.append(k) or False) is None
    assert tried == [TOKEN] and sm.calls == 2  # re-read, unchanged: nothing new to try


def test_no_log_line_holds_a_secret_value(store, sm, clock, logs):
    store.get(SECRET_ID)
    sm.put({"auth_token": ROTATED})
    clock.advance(31)
    store.refresh(SECRET_ID, reason="twilio 401")
    clock.advance(300)
    sm.down = RuntimeError(f"boom {ROTATED}")  # even an error that quotes one
    store.get(SECRET_ID)
    records = logs()
    assert [r["message"] for r in records] == [
        "secret re-read",
        "secret re-read failed: the cached value is kept",
    ]
    assert records[0]["changed"] is True and records[0]["reason"] == "twilio 401"
    for line in map(json.dumps, records):
        assert TOKEN not in line and ROTATED not in line


def test_the_ttl_is_a_setting_and_the_deps_use_it():
    assert Settings.from_env({}).secret_ttl_s == DEFAULT_TTL_S == 300
    settings = Settings.from_env({"SMSFLOWS_SECRET_TTL_S": "42"})
    assert settings.secret_ttl_s == 42
    store = Deps(settings).secrets
    assert (store.ttl_s, store.min_refresh_s) == (42, MIN_REFRESH_S)
    with pytest.raises(ValueError):
        Settings.from_env({"SMSFLOWS_SECRET_TTL_S": "-1"})


@pytest.mark.parametrize(
    ("value", "shop", "expected"),
    [
        ({"api_secret": "new"}, "a.myshopify.com", [b"new"]),
        ({"api_secret": "new", "previous_api_secret": "old"}, "a.myshopify.com", [b"new", b"old"]),
        ({"api_secret": "new", "previous_api_secret": "new"}, "a.myshopify.com", [b"new"]),
        ({"api_secret": "app", "shops": {"a.myshopify.com": "own"}}, "a.myshopify.com", [b"own"]),
        (
            {
                "api_secret": "app",
                "previous_api_secret": "app0",
                "shops": {"a.myshopify.com": "own"},
                "previous_shops": {"a.myshopify.com": "own0"},
            },
            "a.myshopify.com",
            [b"own", b"own0"],
        ),
        ({"api_secret": "app", "shops": {"a.myshopify.com": "own"}}, "b.myshopify.com", [b"app"]),
        ({"api_secret": ""}, "a.myshopify.com", []),
        ({}, "a.myshopify.com", []),
    ],
    ids=["app", "app-and-previous", "same-twice", "own", "own-and-previous", "other-shop", "empty", "none"],
)
def test_the_shopify_signing_secrets_of_a_shop(value, shop, expected):
    assert shopify_signing_secrets(value, shop) == expected
