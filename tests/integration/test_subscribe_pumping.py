"""POST /subscribe against SMS pumping through the real handler under moto (DynamoOptInLimits on the real
table): ten submissions of one number with distinct submission ids enqueue one double opt-in text; past the
per-address limit the route answers 429 with Retry-After; a number of a country the shop does not text is
a 400 naming it. Refusals write nothing."""

import json
from datetime import UTC, datetime

import pytest

from smsflows.domain import keys
from smsflows.domain.consent.subscriptions import SIGN_UPS_PER_SOURCE_PER_HOUR
from tests.integration.conftest import SHOP, api_event
from tests.integration.test_consent import form

PHONE = "+15125550123"
AT = datetime(2026, 11, 23, 17, 10, tzinfo=UTC)  # ten minutes into the hour


@pytest.fixture
def clock(monkeypatch):
    from smsflows.runtime import deps as deps_module

    monkeypatch.setattr(deps_module.Deps, "clock", property(lambda self: lambda: AT))
    return AT


def post(cloud, payload, ip="34.123.45.67"):
    headers = {
        "Content-Type": "application/json",
        "Origin": "https://demo-shop.example",
    }  # the storefront's form
    event = api_event(json.dumps(payload).encode(), headers, path="/subscribe")
    event["requestContext"]["identity"]["sourceIp"] = ip
    return cloud.invoke("subscribe", event)


def limit_items(cloud):
    return cloud.items("OPTIN")  # both kinds: OPTIN# (a number's request), OPTINSRC# (a source's count)


def test_ten_submissions_of_one_number_with_distinct_submission_ids_enqueue_one_request(cloud, clock):
    from smsflows.runtime.deps import get_deps

    answers = [post(cloud, form(submission_id=f"sub-{i}"), ip=f"198.51.100.{i}") for i in range(10)]
    assert {(a["statusCode"], a["body"]) for a in answers} == {(202, json.dumps({"status": "pending"}))}
    [doi] = [json.loads(b) for b in cloud.send_bodies()]
    assert (
        doi["to"] == PHONE
        and doi["message_id"] == "doi:web_form:sub-0"
        and "Reply Y to confirm" in doi["body"]
    )
    [event] = get_deps().consent_store.events(SHOP, PHONE)
    assert (event.event_id, event.kind) == ("web_form:sub-0", "opt_in_requested")
    [hold] = [i for i in limit_items(cloud) if i["pk"] == keys.opt_in_request(SHOP, PHONE)["pk"]]
    assert hold["request_id"] == "web_form:sub-0"
    assert int(hold["expires_at"]) == int(AT.timestamp()) + 24 * 3600  # the table's TTL attribute


def test_past_the_per_address_limit_the_route_answers_429_with_retry_after(cloud, clock):
    for i in range(SIGN_UPS_PER_SOURCE_PER_HOUR):
        assert post(cloud, form(phone=f"(512) 555-02{i:02d}", submission_id=f"s{i}"))["statusCode"] == 202
    cloud.send_bodies()
    before = (cloud.items("SUB#"), limit_items(cloud))
    response = post(cloud, form(phone="(512) 555-0299", submission_id="one-too-many"))
    assert response["statusCode"] == 429
    assert response["multiValueHeaders"]["Retry-After"] == ["3000"]  # the hour ends at 18:00
    assert response["multiValueHeaders"]["Access-Control-Expose-Headers"] == [
        "Retry-After"
    ]  # the form reads it
    assert json.loads(response["body"]) == {
        "error": "too_many_requests",
        "message": "too many sign-ups from this address; try again in 50 min",
    }
    assert (cloud.items("SUB#"), limit_items(cloud)) == before and cloud.send_bodies() == []
    assert (
        post(cloud, form(phone="(512) 555-0299", submission_id="s9"), ip="198.51.100.9")["statusCode"] == 202
    )


def test_a_number_of_a_country_the_shop_does_not_text_is_a_400_naming_it(cloud, clock):
    response = post(cloud, form(phone="+44 7400 123456", country=None))
    assert response["statusCode"] == 400
    assert (
        json.loads(response["body"])["message"] == "this shop does not text numbers in GB: only numbers in US"
    )
    assert cloud.items("SUB#") == [] and limit_items(cloud) == [] and cloud.send_bodies() == []

    from smsflows.runtime.deps import get_deps

    configs = get_deps().shop_configs
    configs.put(configs.get(SHOP).model_copy(update={"sms_countries": ("US", "GB")}))  # the shop texts the UK
    assert post(cloud, form(phone="+44 7400 123456", country=None))["statusCode"] == 202
