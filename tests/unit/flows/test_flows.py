import json
from datetime import UTC, datetime, timedelta

import pytest

from smsflows.domain.consent.ledger import SubscriberState
from smsflows.domain.flows import asl, definitions, steps, templates
from smsflows.domain.profiles import ProfileRecord
from smsflows.domain.shops import FlowSettings, ShopConfig
from smsflows.runtime.clock import fixed_clock
from tests.fakes import FakeConsentStore, FakeFlows, FakeQueue, FakeShopConfigs, FakeShopData, onboarded_shop

SHOP = "demo-shop.myshopify.com"
PHONE = "+15125550123"
MONDAY_11_AUSTIN = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
VALUES = {
    "TableName": "t",
    "SendQueueUrl": "https://sqs/q",
    "FlowStepFunctionArn": "arn:aws:lambda:x:1:function:flow_step",
}
MACHINES = list(definitions.STATE_MACHINE_FLOWS.values())


def targets(state):
    return [
        t
        for t in [state.get("Next"), state.get("Default")] + [c["Next"] for c in state.get("Choices", [])]
        if t
    ]


@pytest.mark.parametrize("flow", MACHINES, ids=lambda f: f.name)
def test_every_flow_compiles_to_a_closed_reachable_state_graph(flow):
    document = asl.compile_flow(flow)
    states = document["States"]
    assert document["StartAt"] in states
    for name, state in states.items():
        assert len(name) <= 80
        assert all(t in states for t in targets(state)), name
    seen, todo = set(), [document["StartAt"]]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += targets(states[name])
    assert seen == set(states)


@pytest.mark.parametrize("flow", MACHINES, ids=lambda f: f.name)
def test_every_step_waits_until_due_plans_and_enqueues(flow):
    states = asl.compile_flow(flow)["States"]
    due = [s["TimestampPath"] for n, s in states.items() if n.endswith("wait until due")]
    assert due == [f"$.due.s{i}" for i in range(len(flow.steps))]
    quiet = [s for n, s in states.items() if n.endswith("wait for quiet hours")]
    assert len(quiet) == len(flow.steps) and all(s["TimestampPath"] == "$.plan.send_at" for s in quiet)
    resources = [s.get("Resource") for s in states.values() if s["Type"] == "Task"]
    assert resources.count("arn:aws:states:::lambda:invoke") == len(flow.steps)
    assert resources.count("arn:aws:states:::sqs:sendMessage") == len(flow.steps)
    if "checkout_completed" in flow.exits:  # a direct DynamoDB read and a Choice, no Lambda, for the exit
        assert resources.count("arn:aws:states:::dynamodb:getItem") == len(flow.steps)
        chooses = [s for n, s in states.items() if n.endswith("checkout completed?")]
        exit_choice = {"Variable": "$.subject.item.Item.completed_at", "IsPresent": True, "Next": "Exited"}
        assert len(chooses) == len(flow.steps) and all(s["Choices"][0] == exit_choice for s in chooses)


@pytest.mark.parametrize("flow", MACHINES, ids=lambda f: f.name)
def test_every_task_retries_transient_failures_for_minutes_not_seconds(flow):
    tasks = {n: s for n, s in asl.compile_flow(flow)["States"].items() if s["Type"] == "Task"}
    assert len(tasks) >= 2 * len(flow.steps)
    for name, task in tasks.items():
        retriers = task.get("Retry", [])
        covering = [r for r in retriers if set(r["ErrorEquals"]) & {"States.TaskFailed", "States.ALL"}]
        service = task["Resource"] != "arn:aws:states:::lambda:invoke"
        if service:  # SQS and DynamoDB throttling or 5xx surface as States.TaskFailed
            assert covering, name
            retry = covering[0]
            waits, wait = [], retry["IntervalSeconds"]
            for _ in range(retry["MaxAttempts"]):
                waits.append(min(wait, retry.get("MaxDelaySeconds", wait)))
                wait *= retry["BackoffRate"]
            assert sum(waits) >= 15 * 60, name  # the longest the retries may span, before jitter
        else:
            assert any("Lambda.TooManyRequestsException" in r["ErrorEquals"] for r in retriers), name


def test_playbook_timings():
    offsets = {f.name: [s.offset_s for s in f.steps] for f in MACHINES}
    assert offsets["welcome"] == [0, 2 * 86400, 5 * 86400]
    assert offsets["abandoned_checkout"] == [3600, 86400, 3 * 86400]
    assert offsets["post_purchase"] == [7 * 86400, 14 * 86400]
    assert offsets["winback"] == [0, 30 * 86400, 60 * 86400]  # started at 30 days: 30/60/90


def test_direct_flows_have_no_state_machine():
    with pytest.raises(ValueError):
        asl.compile_flow(definitions.SHIPPING)


def test_substitution_fills_every_placeholder():
    for flow in MACHINES:
        text = asl.substitute(asl.compile_flow(flow), VALUES)
        assert "${" not in text
        json.loads(text)
    with pytest.raises(KeyError):
        asl.substitute(asl.compile_flow(definitions.WELCOME), {"TableName": "t"})


def test_execution_names_are_deterministic_valid_and_short():
    a = definitions.execution_name(definitions.WELCOME, "a.myshopify.com", "123")
    assert a == definitions.execution_name(definitions.WELCOME, "a.myshopify.com", "123")
    assert a != definitions.execution_name(definitions.WELCOME, "b.myshopify.com", "123")
    long = definitions.execution_name(definitions.ABANDONED_CHECKOUT, "a.myshopify.com", "x/y z" * 40)
    assert len(long) <= 80 and " " not in long and "/" not in long


def test_due_times_follow_the_shops_timing():
    start = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    assert definitions.due_times([3600, 86400], start) == {
        "s0": "2026-11-23T16:00:00Z",
        "s1": "2026-11-24T15:00:00Z",
    }
    config = ShopConfig(shop=SHOP, flows={"abandoned_checkout": FlowSettings(offsets_s=(1800, 7200, 86400))})
    assert definitions.offsets(config, definitions.ABANDONED_CHECKOUT) == [1800, 7200, 86400]


# templates ---------------------------------------------------------------------------------------


def test_render_adds_brand_and_opt_out_and_fills_placeholders():
    text = templates.render("Hi {first_name}, 10% off: {discount_code}", {"discount_code": "X10"}, brand="Demo Shop",
                            marketing=True)  # fmt: skip
    assert text == "Demo Shop: Hi there, 10% off: X10 Reply STOP to opt out."


def test_lookalike_characters_are_transliterated_to_stay_gsm7():
    p = templates.preview("{shop_name}: It’s here — don’t miss it…", {"shop_name": "Demo Shop"}, brand="Demo Shop",
                          marketing=False)  # fmt: skip
    assert p.text == "Demo Shop: It's here - don't miss it..." and p.encoding == "GSM-7" and p.segments == 1


def test_preview_warns_when_a_template_forces_ucs2():
    p = templates.preview(
        "{shop_name}: Merci beaucoup 😀", {"shop_name": "Demo Shop"}, brand="Demo Shop", marketing=False
    )
    assert p.encoding == "UCS-2" and any("UCS-2" in w for w in p.warnings)


@pytest.mark.parametrize(
    ("char", "becomes"),
    [("\u2010", "-"), ("\u2011", "-"), ("\u2212", "-"), ("\u2032", "'"), ("\u2033", '"'), ("«", '"'), ("»", '"'),
     ("´", "'"), ("ʼ", "'"), ("`", "'"), ("\u200b", ""), ("\ufeff", ""), ("\u2060", ""), ("\u00ad", "")],
    ids=lambda c: f"U+{ord(c):04X}" if len(c) == 1 else repr(c),
)  # fmt: skip
def test_more_lookalikes_and_invisible_characters_keep_a_text_gsm7(char, becomes):
    body = "x" * 140
    p = templates.preview(f"{body}{char}end", {}, brand="Demo Shop", marketing=False)
    assert p.text == f"Demo Shop: {body}{becomes}end" and (p.encoding, p.segments) == ("GSM-7", 1)


def test_one_zero_width_space_no_longer_triples_a_text():
    template = "{shop_name}: your order {order_name} is on its way. Track it here: {tracking_url} " + "x" * 60
    values = {"shop_name": "Demo Shop", "order_name": "#1001", "tracking_url": "https://t.example/1Z"}
    clean = templates.preview(template, values, brand="Demo Shop", marketing=False)
    pasted = templates.preview(
        template.replace("here:", "here:\u200b"), values, brand="Demo Shop", marketing=False
    )
    assert (clean.segments, clean.encoding) == (1, "GSM-7")
    assert pasted == clean  # was UCS-2, 3 segments


def test_joiners_go_only_where_they_join_nothing():
    def text(template):
        return templates.render(template, {}, brand="Demo Shop", marketing=False)

    assert text("Hello\u200cthere\u200d, and\u200e\u200f bye") == "Demo Shop: Hellothere, and bye"
    woman_coding = "\U0001f469\u200d\U0001f4bb"  # one emoji, joined by U+200D: dropping it would make it two
    assert text(f"New drop {woman_coding}") == f"Demo Shop: New drop {woman_coding}"
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # U+200C shapes the word: kept
    assert text(persian) == f"Demo Shop: {persian}"


def test_the_brand_is_transliterated_too():
    p = templates.preview("Your order shipped.", {}, brand="Bob’s Bikes", marketing=False)
    assert p.text == "Bob's Bikes: Your order shipped." and p.encoding == "GSM-7"
    again = templates.render("Bob’s Bikes: hi", {}, brand="Bob’s Bikes", marketing=False)
    assert again == "Bob's Bikes: hi"  # a template that starts with the brand does not get it twice


def test_a_template_with_a_lone_surrogate_is_refused_with_a_clear_error():
    with pytest.raises(templates.TemplateError, match=r"position 4: a lone UTF-16 surrogate \(U\+D83D"):
        templates.validate("Hi! \ud83d See you")
    with pytest.raises(templates.TemplateError, match=r"U\+DCE9"):  # a Latin-1 byte read with surrogateescape
        templates.preview("Caf\udce9 {shop_name}", {}, brand="Demo Shop", marketing=False)


def test_the_cli_turns_a_broken_template_into_one_line(monkeypatch):
    from smsflows import admin

    monkeypatch.delenv("TABLE_NAME", raising=False)
    with pytest.raises(SystemExit, match=r"^template has a broken character at position 3"):
        admin.template_preview(SHOP, "welcome", 0, "Hi \ud83d")
    with pytest.raises(SystemExit, match=r"^step 0: template has a broken character"):
        admin.flow_set(SHOP, "welcome", None, None, {0: "Hi \ud83d"}, {})


def test_a_lone_surrogate_in_a_value_is_dropped_so_the_message_can_be_built():
    from smsflows.domain.messages import OutboundMessage

    text = templates.render(
        "Hi {first_name}!", {"first_name": "Ada\ud83d"}, brand="Demo Shop", marketing=False
    )
    assert text == "Demo Shop: Hi Ada!"
    alone = templates.render("Hi {first_name}!", {"first_name": "\ude00"}, brand="Demo Shop", marketing=False)
    assert alone == "Demo Shop: Hi there!"  # nothing left: the fallback
    OutboundMessage(message_id="m", shop=SHOP, to=PHONE, body=text, category="transactional",
                    created_at=MONDAY_11_AUSTIN)  # fmt: skip


def test_unknown_placeholders_are_refused():
    with pytest.raises(templates.TemplateError):
        templates.validate("Hi {firstname}")


@pytest.mark.parametrize("flow", list(definitions.FLOWS.values()), ids=lambda f: f.name)
def test_every_default_template_is_valid_gsm7_and_at_most_two_segments(flow):
    assert flow.steps
    for i, step in enumerate(flow.steps):
        p = templates.preview(step.template, {"first_name": "Ada", "shop_name": "Demo Shop", "order_name": "#1001",
                              "product": "Brass Compass", "checkout_url": "https://demo-shop.example/c/abc",
                              "shop_url": "https://demo-shop.example", "discount_code": step.discount_code or "",
                              "tracking_url": "https://t.example/1Z", "tracking_company": "UPS"},
                              brand="Demo Shop", marketing=flow.category == "marketing")  # fmt: skip
        assert p.encoding == "GSM-7" and p.segments <= 2, (flow.name, i, p)


# the plan task, with fakes --------------------------------------------------------------------------


def flow_deps(now=MONDAY_11_AUSTIN, status="subscribed", config=None, last_order_at=None):
    consent = FakeConsentStore()
    if status:
        consent.states[(SHOP, PHONE)] = SubscriberState(shop=SHOP, phone=PHONE, status=status, version=1)
    data = FakeShopData(consent)
    data.profile_items[(SHOP, "customer:1")] = ProfileRecord(shop=SHOP, customer_key="customer:1", first_name="Ada",
                                                             last_order_at=last_order_at, updated_at=now)  # fmt: skip
    shops = FakeShopConfigs() if config is False else FakeShopConfigs(config or onboarded_shop(SHOP))
    return steps.FlowDeps(
        shops=shops, starter=FakeFlows(), send_queue=FakeQueue(), clock=fixed_clock(now), reads=data
    )


def plan_event(flow="welcome", step=0, started=MONDAY_11_AUSTIN - timedelta(hours=1)):
    return {"action": "plan", "flow": flow, "step": step, "execution": "ex-1",
            "context": {"shop": SHOP, "phone": PHONE, "customer_key": "customer:1",
                        "started_at": started.isoformat()}}  # fmt: skip


def test_plan_sends_a_rendered_branded_message_with_a_stable_id():
    result = steps.plan(plan_event(), flow_deps())
    assert result["decision"] == "send"
    message = json.loads(result["message"])
    assert message["message_id"] == "flow:welcome:ex-1:0" and message["category"] == "marketing"
    assert message["body"].startswith("Demo Shop: Welcome to Demo Shop!") and "WELCOME10" in message["body"]


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"status": "unsubscribed"}, "opted out"),
        ({"status": None}, "no marketing consent"),
        ({"last_order_at": MONDAY_11_AUSTIN - timedelta(minutes=5)}, "ordered since the flow started"),
        (
            {"config": onboarded_shop(SHOP, flows={"welcome": FlowSettings(enabled=False)})},
            "flow disabled by the shop",
        ),
        ({"config": onboarded_shop(SHOP, status="uninstalled")}, "shop_uninstalled"),
        ({"config": onboarded_shop(SHOP, status="paused")}, "shop_paused"),
        ({"config": onboarded_shop(SHOP, status="deactivated")}, "shop_deactivated"),
        ({"config": False}, "shop_not_onboarded"),  # no config at all: none is made up
    ],
)
def test_plan_exits(kwargs, reason):
    assert steps.plan(plan_event(), flow_deps(**kwargs)) == {
        "decision": "exit",
        "reason": reason,
        "send_at": "",
        "message": "",
    }


def test_plan_waits_for_the_recipients_quiet_hours_to_end():
    night = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # 22:00 in Austin
    result = steps.plan(plan_event(started=night - timedelta(hours=1)), flow_deps(now=night))
    assert (
        result["decision"] == "wait" and result["send_at"] == "2026-11-24T15:00:00Z"
    )  # Tuesday 09:00 Austin
    assert "quiet hours" in result["reason"]


def test_shop_copy_and_codes_override_the_defaults():
    config = onboarded_shop(SHOP, flows={"welcome": FlowSettings(
        templates={0: "{shop_name}: Hello {first_name}, use {discount_code}"}, discount_codes={0: "HELLO15"})})  # fmt: skip
    message = json.loads(steps.plan(plan_event(), flow_deps(config=config))["message"])
    assert message["body"] == "Demo Shop: Hello Ada, use HELLO15 Reply STOP to opt out."


def test_start_is_idempotent_and_respects_disabled_flows():
    deps = flow_deps()
    assert steps.start(definitions.WELCOME, SHOP, "p1", {"phone": PHONE}, deps)
    assert steps.start(definitions.WELCOME, SHOP, "p1", {"phone": PHONE}, deps) is None
    off = flow_deps(config=onboarded_shop(SHOP, flows={"welcome": FlowSettings(enabled=False)}))
    assert steps.start(definitions.WELCOME, SHOP, "p1", {"phone": PHONE}, off) is None
    for stopped in (False, onboarded_shop(SHOP, status="deactivated"), onboarded_shop(SHOP, status="paused")):
        nobody = flow_deps(config=stopped)
        assert steps.start(definitions.WELCOME, SHOP, "p2", {"phone": PHONE}, nobody) is None
        assert nobody.starter.started == {}  # type: ignore[attr-defined]
        assert not steps.send_direct(definitions.ORDER_CONFIRMATION, SHOP, PHONE, "m-1", {}, nobody)
        assert nobody.send_queue.sent == []  # type: ignore[attr-defined]
