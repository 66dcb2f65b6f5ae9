"""Rotating the Twilio auth token or the Shopify secret in Secrets Manager applies without a redeploy.

The real `twilio` client talks to the fake Twilio on loopback, whose token is rotated under it; Secrets
Manager is moto's. Ages are on an injected monotonic clock (SecretsStore(monotonic=...)): nothing sleeps.
The provider's part runs on its own; the rest through the real handlers in the in-process cloud.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from moto import mock_aws
from twilio.request_validator import RequestValidator

from smsflows.adapters.secrets import SecretsStore
from smsflows.adapters.twilio_provider import SecretCredentials, TwilioProvider
from smsflows.local import samples
from smsflows.local.fake_twilio import FakeTwilio
from smsflows.local.provision import LOCAL_TWILIO_SID
from smsflows.ports import Sender
from smsflows.runtime import observability
from smsflows.runtime.errors import ProviderError
from tests.fakes import FakeMonotonic
from tests.integration.conftest import (
    INBOUND_URL,
    SHOPIFY_SECRET,
    TWILIO_TOKEN,
    api_event,
    inbound_params,
    shopify_headers,
    sqs_event,
    twilio_event,
)

OLD_TOKEN = "old-twilio-auth-token"
NEW_TOKEN = "new-twilio-auth-token"
SERVICE = Sender(messaging_service_sid="MG" + "0" * 31 + "1")
PHONE = "+15125550123"


class CountingSecretsManager:
    """moto's Secrets Manager client, counting get_secret_value calls (thread-safe)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.reads = 0

    def get_secret_value(self, **kwargs: Any) -> Any:
        with self._lock:
            self.reads += 1
        return self._client.get_secret_value(**kwargs)


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Everything logged meanwhile, INFO included (the tests' level is WARNING): to look for secrets in."""
    buf = io.StringIO()
    monkeypatch.setattr(observability.logger.registered_handler, "stream", buf)
    observability.logger.setLevel("INFO")
    yield buf.getvalue
    observability.logger.setLevel("WARNING")


# --- the provider: a 401 re-reads the secret, retries once, sends once ---------------------------------


@dataclass
class ProviderRig:
    provider: TwilioProvider
    twilio: FakeTwilio
    store: SecretsStore
    sm: CountingSecretsManager
    clock: FakeMonotonic
    secret_id: str

    def put_token(self, token: str) -> None:
        """The operator rotates the secret (aws secretsmanager put-secret-value)."""
        value = {"account_sid": LOCAL_TWILIO_SID, "auth_token": token}
        self.sm._client.put_secret_value(SecretId=self.secret_id, SecretString=json.dumps(value))

    def send(self, body: str = "Demo Shop: your order shipped", to: str = PHONE) -> Any:
        return self.provider.send(to=to, body=body, sender=SERVICE, status_callback=None)


@pytest.fixture
def rig() -> Iterator[ProviderRig]:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        secret = {"account_sid": LOCAL_TWILIO_SID, "auth_token": OLD_TOKEN}
        arn = client.create_secret(Name="rotation/twilio", SecretString=json.dumps(secret))["ARN"]
        sm, clock = CountingSecretsManager(client), FakeMonotonic(5000.0)
        store = SecretsStore(lambda: sm, ttl_s=300, min_refresh_s=30, monotonic=clock)
        twilio = FakeTwilio(LOCAL_TWILIO_SID, OLD_TOKEN).start()
        try:
            provider = TwilioProvider(
                credentials=SecretCredentials(store, arn), api_base=twilio.base_url, timeout_s=5
            )
            yield ProviderRig(provider, twilio, store, sm, clock, arn)
        finally:
            twilio.stop()


def test_the_fake_refuses_a_rotated_token_as_twilio_does(rig):
    import base64
    import urllib.error
    import urllib.request

    rig.twilio.auth_token = NEW_TOKEN
    url = f"{rig.twilio.base_url}/2010-04-01/Accounts/{LOCAL_TWILIO_SID}/Messages.json"
    auth = base64.b64encode(f"{LOCAL_TWILIO_SID}:{OLD_TOKEN}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 - the fake on loopback
        url, data=b"To=%2B15125550123&Body=hi", headers={"Authorization": f"Basic {auth}"}, method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310
    assert answer.value.code == 401
    assert answer.value.headers["WWW-Authenticate"].startswith("Basic")
    assert json.loads(answer.value.read()) == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
    with pytest.raises(ProviderError) as refused:  # and the real client reads it as Twilio's
        TwilioProvider(LOCAL_TWILIO_SID, OLD_TOKEN, api_base=rig.twilio.base_url).send(
            to=PHONE, body="hi", sender=SERVICE, status_callback=None
        )
    assert (refused.value.provider_code, refused.value.http_status, refused.value.retryable) == (
        20003,
        401,
        True,  # retried by the sender until the secret is fixed or the message is dead-lettered
    )
    assert rig.twilio.unauthorized == 2 and rig.twilio.requests == 0 and rig.twilio.outbox() == []


def test_a_rotated_token_is_picked_up_on_the_first_401_and_the_text_sent_once(rig, logs):
    rig.store.get(rig.secret_id)  # the container read the secret earlier
    rig.twilio.auth_token = NEW_TOKEN  # rotated at Twilio ...
    rig.put_token(NEW_TOKEN)  # ... and in Secrets Manager
    rig.clock.advance(31)
    receipt = rig.send()
    [sms] = rig.twilio.outbox()
    assert sms["sid"] == receipt.sid and sms["to"] == PHONE
    assert rig.twilio.unauthorized == 1  # the first attempt, with the old token
    assert rig.sm.reads == 2  # the first read, and the one after the 401
    assert rig.store.age(rig.secret_id) == 0
    rig.send(body="the next one")  # the rebuilt client keeps the new token
    assert (len(rig.twilio.outbox()), rig.twilio.unauthorized, rig.sm.reads) == (2, 1, 2)
    assert "secret re-read" in logs() and "twilio refused the credentials" in logs()
    assert OLD_TOKEN not in logs() and NEW_TOKEN not in logs()


def test_a_401_does_not_re_read_a_secret_read_less_than_30_s_ago(rig):
    rig.store.get(rig.secret_id)
    rig.twilio.auth_token = NEW_TOKEN
    rig.put_token(NEW_TOKEN)
    rig.clock.advance(29)
    with pytest.raises(ProviderError) as refused:
        rig.send()
    assert (refused.value.provider_code, refused.value.http_status) == (20003, 401)
    assert (rig.sm.reads, rig.twilio.unauthorized, rig.twilio.outbox()) == (1, 1, [])
    rig.clock.advance(1)
    rig.send()
    assert (rig.sm.reads, rig.twilio.unauthorized, len(rig.twilio.outbox())) == (2, 2, 1)


def test_a_401_with_the_secret_not_yet_rotated_fails_as_before_without_a_second_request(rig):
    rig.store.get(rig.secret_id)
    rig.twilio.auth_token = NEW_TOKEN  # rotated at Twilio only
    rig.clock.advance(31)
    with pytest.raises(ProviderError) as refused:
        rig.send()
    error = refused.value
    # a 401 nothing cured: retryable (the sender backs off and dead-letters it after half an hour, to be
    # replayed once the secret is fixed), never in doubt (Twilio created nothing)
    assert (error.provider_code, error.http_status, error.retryable, error.in_doubt) == (
        20003,
        401,
        True,
        False,
    )
    assert rig.sm.reads == 2  # re-read: the same token, so nothing to try again
    assert rig.twilio.unauthorized == 1 and rig.twilio.outbox() == []


def test_renewed_credentials_refused_too_are_tried_once_and_the_error_stands(rig):
    rig.store.get(rig.secret_id)
    rig.twilio.auth_token = NEW_TOKEN
    rig.put_token("a-typo-in-the-new-token")
    rig.clock.advance(31)
    with pytest.raises(ProviderError) as refused:
        rig.send()
    assert (refused.value.provider_code, refused.value.retryable) == (20003, True)
    assert (rig.twilio.unauthorized, rig.sm.reads, rig.twilio.outbox()) == (2, 2, [])  # one retry, no more


def test_repeated_401s_re_read_the_secret_at_most_once_per_30_s(rig):
    rig.twilio.auth_token = NEW_TOKEN  # the credentials are broken and nobody has fixed the secret
    for _ in range(60):
        with pytest.raises(ProviderError):
            rig.send()
        rig.clock.advance(1)
    # a read at 0 s (the first send) and one at 30 s: not one per 401
    assert rig.sm.reads == 2
    assert rig.twilio.unauthorized == 60  # and one request per send: the same token is never tried twice
    assert rig.twilio.outbox() == []


def test_after_the_ttl_a_rotated_token_is_used_without_a_401(rig):
    rig.send()
    rig.twilio.auth_token = NEW_TOKEN
    rig.put_token(NEW_TOKEN)
    rig.clock.advance(300)
    rig.send(body="after the rotation")
    assert (len(rig.twilio.outbox()), rig.twilio.unauthorized, rig.sm.reads) == (2, 0, 2)


def test_concurrent_sends_that_all_get_a_401_re_read_once_and_each_send_once(rig):
    rig.send(body="before")  # the client exists, with the old token
    rig.twilio.auth_token = NEW_TOKEN
    rig.put_token(NEW_TOKEN)
    rig.clock.advance(31)
    bodies = [f"text {i}" for i in range(8)]
    errors: list[BaseException] = []

    def send(body: str) -> None:
        try:
            rig.send(body=body)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    sent = [m["body"] for m in rig.twilio.outbox()]
    assert sorted(sent) == sorted(["before", *bodies])  # each exactly once
    assert rig.sm.reads == 2
    assert 1 <= rig.twilio.unauthorized <= len(bodies)


def test_find_after_a_rotation_re_reads_the_secret_and_finds_the_message(rig):
    accepted = rig.send()
    rig.twilio.auth_token = NEW_TOKEN
    rig.put_token(NEW_TOKEN)
    rig.clock.advance(31)
    since = datetime.now(UTC) - timedelta(minutes=5)
    found = rig.provider.find(to=PHONE, body="Demo Shop: your order shipped", since=since)
    assert found is not None and found.sid == accepted.sid
    assert (rig.twilio.unauthorized, rig.sm.reads) == (1, 2)


def _provider_without_secrets(rig: Any) -> TwilioProvider:
    """A provider whose Secrets Manager cannot be reached."""

    class Down:
        def get_secret_value(self, **kwargs: Any) -> Any:
            raise ConnectionError("secrets manager unreachable")

    store = SecretsStore(lambda: Down(), monotonic=rig.clock)
    return TwilioProvider(
        credentials=SecretCredentials(store, rig.secret_id), api_base=rig.twilio.base_url, timeout_s=5
    )


def test_credentials_that_cannot_be_read_are_a_retryable_error_before_any_request(rig):
    provider = _provider_without_secrets(rig)
    with pytest.raises(ProviderError) as refused:
        provider.send(to=PHONE, body="hi", sender=SERVICE, status_callback=None)
    assert (refused.value.retryable, refused.value.in_doubt) == (True, False)
    assert "ConnectionError" in str(refused.value)
    assert rig.twilio.requests == 0 and rig.twilio.unauthorized == 0


def test_warming_reads_the_credentials_and_builds_the_client_once_and_sends_nothing(rig):
    rig.provider.warm()
    rig.provider.warm()
    assert rig.sm.reads == 1 and rig.twilio.requests == 0  # ready, and nothing went to Twilio
    rig.send()
    assert rig.sm.reads == 1 and len(rig.twilio.outbox()) == 1  # the send found the client built


def test_warming_with_unreadable_credentials_is_left_for_the_send_to_report(rig, logs):
    provider = _provider_without_secrets(rig)
    provider.warm()  # never raises: the batch goes on and each send reports the failure as its own
    assert "could not get the twilio client ready" in logs()
    with pytest.raises(ProviderError) as refused:
        provider.send(to=PHONE, body="hi", sender=SERVICE, status_callback=None)
    assert refused.value.retryable and rig.twilio.requests == 0


# --- through the handlers, in the in-process cloud ----------------------------------------------------------


@dataclass
class Rotation:
    cloud: Any
    deps: Any
    store: SecretsStore
    sm: CountingSecretsManager
    clock: FakeMonotonic

    def put(self, secret_id: str, **changes: Any) -> None:
        client = self.sm._client
        value = json.loads(client.get_secret_value(SecretId=secret_id)["SecretString"])
        client.put_secret_value(SecretId=secret_id, SecretString=json.dumps({**value, **changes}))

    def put_twilio(self, **changes: Any) -> None:
        self.put(self.deps.settings.twilio_secret_id, **changes)

    def put_shopify(self, **changes: Any) -> None:
        self.put(self.deps.settings.shopify_secret_id, **changes)

    def webhook(self, secret: str, webhook_id: str | None = None) -> int:
        body = json.dumps(samples.order(42, 1001, PHONE)).encode()
        headers = shopify_headers(body, secret=secret, webhook_id=webhook_id)
        return int(self.cloud.invoke("shopify_webhook", api_event(body, headers))["statusCode"])

    def inbound(self, token: str, sid: str) -> int:
        event = twilio_event(inbound_params("HELP", sid), token=token)
        return int(self.cloud.invoke("twilio_inbound", event)["statusCode"])

    def status(self, token: str) -> int:
        url = INBOUND_URL.replace("/sms/inbound", "/sms/status") + "?mid=m1"
        params = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered", "NumSegments": "1"}
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)}  # fmt: skip
        event = api_event(urlencode(params).encode(), headers, path="/sms/status")
        event["queryStringParameters"], event["multiValueQueryStringParameters"] = (
            {"mid": "m1"},
            {"mid": ["m1"]},
        )
        return int(self.cloud.invoke("twilio_status", event)["statusCode"])


@pytest.fixture
def rotation(cloud) -> Rotation:
    """The cloud's deps with a secrets store on a clock the test moves (built as Deps.secrets builds it)."""
    from smsflows.runtime import deps as deps_module

    deps = deps_module.get_deps()
    assert "secrets" not in vars(deps) and "sms_provider" not in vars(deps)
    sm, clock = CountingSecretsManager(deps.client("secretsmanager")), FakeMonotonic(5000.0)
    deps.secrets = SecretsStore(lambda: sm, ttl_s=deps.settings.secret_ttl_s, monotonic=clock)
    return Rotation(cloud, deps, deps.secrets, sm, clock)


def test_the_sender_picks_up_a_rotated_twilio_token_on_its_first_401_and_texts_once(rotation, logs):
    cloud = rotation.cloud
    assert rotation.webhook(SHOPIFY_SECRET) == 200
    cloud.invoke("process_shop_event", sqs_event(*cloud.queue_bodies("shop_events_queue")))
    [send] = cloud.send_bodies()
    _ = rotation.deps.twilio_config  # the sender's container has read the Twilio secret already
    cloud.twilio.auth_token = NEW_TOKEN
    rotation.put_twilio(auth_token=NEW_TOKEN)
    rotation.clock.advance(31)
    assert cloud.invoke("send_message", sqs_event(send)) == {"batchItemFailures": []}
    [sms] = cloud.twilio.outbox()
    [msg] = cloud.items("MSG#")
    assert msg["state"] == "sent" and msg["sid"] == sms["sid"]
    assert cloud.twilio.unauthorized == 1
    assert TWILIO_TOKEN not in logs() and NEW_TOKEN not in logs()


def test_a_webhook_signed_with_a_rotated_shopify_secret_is_accepted_at_once(rotation, logs):
    assert rotation.webhook(SHOPIFY_SECRET) == 200
    rotation.put_shopify(api_secret="rotated-shopify-secret")
    rotation.clock.advance(30)
    reads = rotation.sm.reads
    assert rotation.webhook("rotated-shopify-secret") == 200  # not a 401: the mismatch re-read the secret
    assert rotation.sm.reads == reads + 1
    assert rotation.webhook("rotated-shopify-secret") == 200
    assert rotation.webhook(SHOPIFY_SECRET) == 401  # the old one no longer verifies ...
    assert rotation.sm.reads == reads + 1  # ... and, read just now, the secret is not read again
    assert SHOPIFY_SECRET not in logs() and "rotated-shopify-secret" not in logs()


def test_a_mismatch_re_reads_the_shopify_secret_only_once_it_is_30_s_old(rotation):
    assert rotation.webhook(SHOPIFY_SECRET) == 200
    rotation.put_shopify(api_secret="rotated-shopify-secret")
    rotation.clock.advance(29)
    reads = rotation.sm.reads
    for _ in range(5):  # forged or rotated: either way no read per request
        assert rotation.webhook("rotated-shopify-secret") == 401
    assert rotation.sm.reads == reads
    rotation.clock.advance(1)
    assert rotation.webhook("rotated-shopify-secret") == 200
    assert rotation.sm.reads == reads + 1


def test_a_forged_webhook_costs_at_most_one_secret_read_per_30_s(rotation):
    assert rotation.webhook(SHOPIFY_SECRET) == 200
    reads = rotation.sm.reads
    for _ in range(90):
        rotation.clock.advance(1)
        assert rotation.webhook("forged") == 401
    assert rotation.sm.reads - reads == 3  # at 30, 60 and 90 s


def test_during_a_shopify_rotation_the_previous_secret_verifies_too(rotation):
    rotation.put_shopify(api_secret="rotated-shopify-secret", previous_api_secret=SHOPIFY_SECRET)
    assert rotation.webhook(SHOPIFY_SECRET) == 200
    assert rotation.webhook("rotated-shopify-secret") == 200
    assert rotation.webhook("forged") == 401
    rotation.put_shopify(previous_api_secret=None)  # the rotation is over: the old one is dropped
    rotation.clock.advance(300)  # the TTL
    assert rotation.webhook("rotated-shopify-secret") == 200
    assert rotation.webhook(SHOPIFY_SECRET) == 401


def test_a_shop_with_its_own_secret_may_keep_its_previous_one(rotation):
    from tests.integration.conftest import SHOP

    rotation.put_shopify(shops={SHOP: "shop-own-new"}, previous_shops={SHOP: "shop-own-old"})
    assert rotation.webhook("shop-own-new") == 200
    assert rotation.webhook("shop-own-old") == 200
    assert rotation.webhook(SHOPIFY_SECRET) == 401  # a shop with its own secret: not the app's


def test_inbound_texts_signed_with_a_rotated_auth_token_are_accepted_at_once(rotation, logs):
    assert rotation.inbound(TWILIO_TOKEN, "SM" + "a" * 32) == 200
    rotation.put_twilio(auth_token=NEW_TOKEN)  # Twilio signs with the new token from now on
    rotation.clock.advance(29)
    assert rotation.inbound(NEW_TOKEN, "SM" + "b" * 32) == 403  # the cached token is too young to re-read
    rotation.clock.advance(1)
    assert rotation.inbound(NEW_TOKEN, "SM" + "c" * 32) == 200
    assert rotation.inbound(TWILIO_TOKEN, "SM" + "d" * 32) == 403
    assert rotation.inbound("forged", "SM" + "e" * 32) == 403
    assert TWILIO_TOKEN not in logs() and NEW_TOKEN not in logs()


def test_status_callbacks_signed_with_a_rotated_auth_token_are_accepted_at_once(rotation):
    assert rotation.status(TWILIO_TOKEN) == 200
    rotation.put_twilio(auth_token=NEW_TOKEN)
    rotation.clock.advance(30)
    reads = rotation.sm.reads
    assert rotation.status(NEW_TOKEN) == 200
    assert rotation.status(TWILIO_TOKEN) == 403
    assert rotation.sm.reads == reads + 1


def test_during_a_twilio_rotation_the_previous_auth_token_verifies_too(rotation):
    rotation.put_twilio(auth_token=NEW_TOKEN, previous_auth_token=TWILIO_TOKEN)
    assert rotation.inbound(TWILIO_TOKEN, "SM" + "a" * 32) == 200
    assert rotation.inbound(NEW_TOKEN, "SM" + "b" * 32) == 200
    assert rotation.status(TWILIO_TOKEN) == 200 and rotation.status(NEW_TOKEN) == 200
    assert rotation.status("forged") == 403


def test_an_unsigned_twilio_request_does_not_read_the_secret(rotation):
    rotation.inbound(TWILIO_TOKEN, "SM" + "a" * 32)
    rotation.clock.advance(60)
    reads = rotation.sm.reads
    event = twilio_event(inbound_params("HELP", "SM" + "b" * 32), sign=False)
    assert rotation.cloud.invoke("twilio_inbound", event)["statusCode"] == 403
    assert rotation.sm.reads == reads


def test_find_refused_even_after_a_re_read_is_a_retryable_lookup_failure(rig):
    rig.send()
    rig.twilio.auth_token = NEW_TOKEN  # rotated at Twilio only
    rig.clock.advance(31)
    with pytest.raises(ProviderError) as refused:
        rig.provider.find(to=PHONE, body="Demo Shop: your order shipped", since=datetime.now(UTC))
    assert (refused.value.retryable, refused.value.in_doubt) == (True, False)
    assert "lookup failed" in str(refused.value)
    assert (rig.twilio.unauthorized, rig.sm.reads) == (1, 2)
