"""Flows as versioned Python data: their steps, timing, exits and execution names.

One definition compiles to one ASL document (`asl.py`). CDK deploys it (placeholders become DefinitionSubstitutions)
and the local cloud runs the very same document in moto. Every step of a state-machine flow is:

    Wait until the step is due (TimestampPath: the starter computed the due times from the shop's timing)
    -> [read the checkout with a direct DynamoDB getItem; Choice: completed => exit]   (checkout flows)
    -> Lambda flow_step "plan": enabled? consent? ordered since? quiet hours? render the text
    -> Choice: exit | wait for quiet hours (TimestampPath, then check again) | send
    -> SQS sendMessage to the send queue (the sender re-checks everything and sends exactly once)

Immediate transactional texts (order confirmation, shipping, delivered, delayed) are "direct" flows:
same definitions, templates and per-shop settings, but one step and no state machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from smsflows.domain.messages import stable_id
from smsflows.domain.shops import ShopConfig

HOUR, DAY = 3600, 86400


@dataclass(frozen=True)
class Step:
    key: str
    offset_s: int  # after the trigger; shops may retime
    template: str
    label: str
    discount_code: str | None = None  # the default code for the step (shops set their own)


@dataclass(frozen=True)
class FlowDefinition:
    name: str
    version: int
    description: str
    category: Literal["marketing", "transactional"]
    trigger: str
    steps: tuple[Step, ...]
    runner: Literal["state_machine", "direct"] = "state_machine"
    exits: tuple[str, ...] = ()  # checkout_completed | ordered_since_start | opted_out (marketing: always)
    reentry: str = ""


WELCOME = FlowDefinition(
    name="welcome",
    version=1,
    description="Welcome series after a confirmed opt-in",
    category="marketing",
    trigger="opt-in confirmed (double opt-in YES, keyword, Shopify consent)",
    steps=(
        Step("code", 0, "{shop_name}: Welcome to {shop_name}! Here's 10% off your first order: {discount_code}. {shop_url}",
             "Welcome code", "WELCOME10"),
        Step("best_sellers", 2 * DAY, "{shop_name}: Our best sellers are flying off the shelves. Take a look: {shop_url}",
             "Best sellers"),
        Step("code_expires", 5 * DAY, "{shop_name}: Your 10% code {discount_code} expires tomorrow. {shop_url}",
             "Code expires tomorrow", "WELCOME10"),
    ),
    exits=("ordered_since_start",),
    reentry="once per phone per 90 days (execution name by phone; Step Functions keeps names 90 days)",
)  # fmt: skip

ABANDONED_CHECKOUT = FlowDefinition(
    name="abandoned_checkout",
    version=1,
    description="Checkout reminders: +1 h, +24 h with a code, +3 d last chance",
    category="marketing",
    trigger="checkouts/create, checkouts/update with a consented phone",
    steps=(
        Step("reminder", 1 * HOUR,
             "{shop_name}: {first_name}, you left {product} in your cart. Finish your order: {checkout_url}", "Reminder"),
        Step("code", 24 * HOUR,
             "{shop_name}: Still thinking it over? Take 10% off {product} with {discount_code}: {checkout_url}",
             "Reminder with code", "COMEBACK10"),
        Step("last_chance", 3 * DAY, "{shop_name}: Last chance, your cart is about to expire: {checkout_url}",
             "Last chance"),
    ),
    exits=("checkout_completed", "ordered_since_start"),
    reentry="one flow per checkout; a newer checkout from the same phone replaces the older flow",
)  # fmt: skip

POST_PURCHASE = FlowDefinition(
    name="post_purchase",
    version=1,
    description="Review request 7 days after delivery (reply 1-5), cross-sell after 14 days",
    category="marketing",
    trigger="fulfillment_events/create with status delivered",
    steps=(
        Step("review", 7 * DAY, "{shop_name}: How are you liking {product}? Reply with a rating from 1 to 5.",
             "Review request"),
        Step("cross_sell", 14 * DAY, "{shop_name}: Customers who bought {product} also love our new arrivals: {shop_url}",
             "Cross-sell"),
    ),
    reentry="one flow per order",
)  # fmt: skip

WINBACK = FlowDefinition(
    name="winback",
    version=1,
    description="30/60/90 days without an order: 20% off, new arrivals, 25% last chance",
    category="marketing",
    trigger="daily schedule: last order 30 days ago",
    steps=(
        Step("twenty", 0, "{shop_name}: We miss you, {first_name}! 20% off your next order with {discount_code}: {shop_url}",
             "20% off", "MISSYOU20"),
        Step("new_arrivals", 30 * DAY, "{shop_name}: New arrivals just landed. Come take a look: {shop_url}", "New arrivals"),
        Step("last_chance", 60 * DAY, "{shop_name}: Last chance: 25% off with {discount_code} this week only. {shop_url}",
             "25% last chance", "MISSYOU25"),
    ),
    exits=("ordered_since_start",),
    reentry="once per customer per lapse (execution name by phone and last order)",
)  # fmt: skip

BROWSE_ABANDONMENT = FlowDefinition(
    name="browse_abandonment",
    version=1,
    description="A subscriber looked at a product and did not buy: one nudge",
    category="marketing",
    trigger="the web pixel's product_viewed (POST /storefront/events) of a logged-in subscriber",
    steps=(
        Step("nudge", 90 * 60, "{shop_name}: Still thinking about {product}, {first_name}? Take another look: {product_url}",
             "Still thinking"),
    ),
    exits=("ordered_since_start",),
    reentry="once per customer per product per day (3 products at most); a checkout started stops it",
)  # fmt: skip

ORDER_CONFIRMATION = FlowDefinition(
    name="order_confirmation", version=1, description="Order confirmation", category="transactional",
    trigger="orders/create", runner="direct",
    steps=(Step("confirm", 0, "{shop_name}: Hi {first_name}, thanks for your order {order_name}! "
                "We'll text you when it ships. Reply HELP for help, STOP to opt out.", "Confirmation"),),
)  # fmt: skip
SHIPPING = FlowDefinition(
    name="shipping", version=1, description="Shipped, with carrier and tracking link", category="transactional",
    trigger="fulfillments/create", runner="direct",
    steps=(Step("shipped", 0, "{shop_name}: Good news, {first_name}! Order {order_name} shipped with {tracking_company}. "
                "Track it: {tracking_url}", "Shipped"),),
)  # fmt: skip
DELIVERED = FlowDefinition(
    name="delivered", version=1, description="Delivered", category="transactional",
    trigger="fulfillment_events/create status delivered", runner="direct",
    steps=(Step("delivered", 0, "{shop_name}: Your order {order_name} was delivered. Enjoy!", "Delivered"),),
)  # fmt: skip
DELAYED = FlowDefinition(
    name="delayed", version=1, description="Delivery delayed or failed", category="transactional",
    trigger="fulfillment_events/create status delayed, attempted_delivery or failure", runner="direct",
    steps=(Step("delayed", 0, "{shop_name}: Your order {order_name} is delayed with {tracking_company}. "
                "We're sorry for the wait. Track it: {tracking_url}", "Delayed"),),
)  # fmt: skip

BIRTHDAY = FlowDefinition(
    name="birthday", version=1, description="On the customer's birthday, with a code", category="marketing",
    trigger="daily schedule: profile birthday (customer tag birthday:MM-DD) is today", runner="direct",
    steps=(Step("birthday", 0, "{shop_name}: Happy birthday, {first_name}! Here's 15% off to celebrate: {discount_code}. "
                "{shop_url}", "Birthday", "BDAY15"),),
    reentry="once per customer per year",
)  # fmt: skip
BACK_IN_STOCK = FlowDefinition(
    name="back_in_stock", version=1, description="A product someone asked about is available again",
    category="marketing", trigger="sign-up on /subscribe with restock_variant_id, then products/update with stock",
    runner="direct",
    steps=(Step("available", 0, "{shop_name}: Good news! {product} is back in stock: {product_url}", "Back in stock"),),
    reentry="once per sign-up (the sign-up is removed when the text is queued)",
)  # fmt: skip

FLOWS: dict[str, FlowDefinition] = {
    f.name: f
    for f in (
        WELCOME, ABANDONED_CHECKOUT, BROWSE_ABANDONMENT, POST_PURCHASE, WINBACK, ORDER_CONFIRMATION, SHIPPING,
        DELIVERED, DELAYED, BIRTHDAY, BACK_IN_STOCK,
    )
}  # fmt: skip
STATE_MACHINE_FLOWS = {name: f for name, f in FLOWS.items() if f.runner == "state_machine"}

_NAME_OK = re.compile(r"[^A-Za-z0-9_-]")


def shop_tag(shop: str) -> str:
    """The shop's part of execution names (lets an uninstall find and stop all of a shop's flows)."""
    return stable_id(shop)[:10]


def execution_name(flow: FlowDefinition, shop: str, subject_id: str) -> str:
    """Deterministic (so a redelivered trigger starts nothing twice) and within the 80-char limit."""
    subject = _NAME_OK.sub("-", subject_id)[:40]
    return f"{flow.name}-v{flow.version}-{shop_tag(shop)}-{subject}"[:80]


def sfn_timestamp(at: datetime) -> str:
    """The Wait state's timestamp format (UTC, whole seconds, 'Z')."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def due_times(offsets: list[int], start: datetime) -> dict[str, str]:
    return {f"s{i}": sfn_timestamp(start + timedelta(seconds=offset)) for i, offset in enumerate(offsets)}


def flow_input(context: dict[str, Any], offsets: list[int], start: datetime) -> dict[str, Any]:
    """Execution input: references and display values, never a full phone number in clear beyond what the
    send needs (the phone is the message's address; execution history is access-controlled like the table)."""
    return {"context": {**context, "started_at": start.isoformat()}, "due": due_times(offsets, start)}


# A shop's changes to a flow (`smsflows flow set`) -------------------------------------------------


def offsets(config: ShopConfig, definition: FlowDefinition) -> list[int]:
    custom = config.flow(definition.name).offsets_s
    if custom is not None and len(custom) == len(definition.steps):
        return list(custom)
    return [step.offset_s for step in definition.steps]


def template(config: ShopConfig, definition: FlowDefinition, index: int) -> str:
    return config.flow(definition.name).templates.get(index) or definition.steps[index].template


def discount_code(config: ShopConfig, definition: FlowDefinition, index: int) -> str | None:
    return config.flow(definition.name).discount_codes.get(index) or definition.steps[index].discount_code
