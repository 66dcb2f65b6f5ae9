"""DynamoDB key layout of the one table.

Shared by the adapters and the compiled flows (their direct DynamoDB integrations).
"""

from __future__ import annotations

import hashlib


def webhook(shop: str, webhook_id: str) -> dict[str, str]:
    return {"pk": f"WEBHOOK#{shop}#{webhook_id}", "sk": "WEBHOOK"}


def webhook_part(shop: str, webhook_id: str, n: int) -> dict[str, str]:
    """One part of a webhook body too large for one item; same partition as the webhook's record."""
    return {"pk": f"WEBHOOK#{shop}#{webhook_id}", "sk": f"PART#{n:04d}"}


def profile(shop: str, customer_key: str) -> dict[str, str]:
    return {"pk": f"PROFILE#{shop}#{customer_key}", "sk": "PROFILE"}


def order(shop: str, order_id: str) -> dict[str, str]:
    return {"pk": f"ORDER#{shop}#{order_id}", "sk": "ORDER"}


def message(message_id: str) -> dict[str, str]:
    return {"pk": f"MSG#{message_id}", "sk": "MSG"}


def checkout(shop: str, token: str) -> dict[str, str]:
    return {"pk": f"CHECKOUT#{shop}#{token}", "sk": "CHECKOUT"}


def flow_lock(shop: str, flow: str, phone: str) -> dict[str, str]:
    return {"pk": f"FLOWLOCK#{shop}#{flow}#{phone}", "sk": "LOCK"}


def restock(shop: str, variant_id: str, phone: str) -> dict[str, str]:
    return {"pk": f"RESTOCK#{shop}#{variant_id}", "sk": f"PHONE#{phone}"}


def subscriber(shop: str, phone: str) -> dict[str, str]:
    return {"pk": f"SUB#{shop}#{phone}", "sk": "STATE"}


def consent_event(shop: str, phone: str, event_id: str) -> dict[str, str]:
    return {"pk": f"SUB#{shop}#{phone}", "sk": f"EVENT#{event_id}"}


def suppression(hashed: str) -> dict[str, str]:
    return {"pk": f"SUPPRESS#{hashed}", "sk": "SUPPRESS"}


def unreachable(shop: str, phone: str) -> dict[str, str]:
    return {"pk": f"UNREACHABLE#{shop}#{phone}", "sk": "UNREACHABLE"}


def shop_config(shop: str) -> dict[str, str]:
    return {"pk": f"SHOP#{shop}", "sk": "CONFIG"}


def sender(sender_id: str) -> dict[str, str]:
    return {"pk": f"SENDER#{sender_id}", "sk": "SENDER"}


def conversation(shop: str, phone: str, message_sid: str) -> dict[str, str]:
    return {"pk": f"CONVO#{shop}#{phone}", "sk": f"MSG#{message_sid}"}


def frequency(shop: str, phone: str) -> dict[str, str]:
    return {"pk": f"FREQ#{shop}#{phone}", "sk": "FREQ"}


def export(shop: str, request_id: str) -> dict[str, str]:
    return {"pk": f"EXPORT#{shop}#{request_id}", "sk": "EXPORT"}


# Secondary index keys: everything about one phone, or one Shopify customer, of one shop (privacy requests).
def phone_subject(shop: str, phone: str) -> str:
    return f"PHONE#{shop}#{phone}"


def customer_subject(shop: str, customer_id: str) -> str:
    return f"CUSTOMER#{shop}#{customer_id}"


BY_SUBJECT = "by_subject"  # partition gsi1pk, sort pk, keys only
BY_SHOP = "by_shop"  # partition shop, sort pk, keys only


def pace_bucket(bucket: str) -> dict[str, str]:
    return {"pk": f"PACE#{bucket}", "sk": "BUCKET"}


def daily_counter(brand: str, day: str) -> dict[str, str]:
    return {"pk": f"DAILY#{brand}#{day}", "sk": "DAILY"}


# POST /subscribe's limits against SMS pumping (domain/consent/subscriptions.py); both expire (expires_at).
def opt_in_request(shop: str, phone: str) -> dict[str, str]:
    """The number's one opt-in request (double opt-in text) of the last 24 h."""
    return {"pk": f"OPTIN#{shop}#{phone}", "sk": "REQUEST"}


def opt_in_source(shop: str, source: str, window: int) -> dict[str, str]:
    """Sign-ups counted from one source (a hashed address) in the window starting at epoch `window`."""
    return {"pk": f"OPTINSRC#{shop}#{source}", "sk": f"WINDOW#{window}"}


# The daily job (domain/shopify/events.py): the list of shops it fans out to, and its pages' done marks.
def shop_list(shop: str) -> dict[str, str]:
    """The shop's entry in the list of shops (one partition, read with Query): a copy of its config, written
    in the same transaction as the config itself (adapters/shop_configs.py)."""
    return {"pk": "SHOPS", "sk": shop}


def daily_page(shop: str, page_id: str) -> dict[str, str]:
    """A page of the daily job that was done (`page_id` is the day and a hash of the page's cursor): a
    redelivered page, or its duplicate next page, is skipped. Expires two days later (expires_at)."""
    return {"pk": f"DAYPAGE#{shop}#{page_id}", "sk": "DONE"}


# Scheduled campaigns (domain/campaigns/, adapters/campaigns.py): one partition per shop, so a shop's list is
# one Query (the adapter orders it newest first).
def campaign(shop: str, campaign_id: str) -> dict[str, str]:
    return {"pk": f"CAMPAIGN#{shop}", "sk": f"CAMPAIGN#{campaign_id}"}


# A campaign's runs (one per occurrence; "once" for a one-off campaign): progress and counters, beside the
# campaign in its shop's partition (the campaign list's begins_with(sk, "CAMPAIGN#") does not reach them).
def campaign_run(shop: str, campaign_id: str, run: str) -> dict[str, str]:
    return {"pk": f"CAMPAIGN#{shop}", "sk": f"RUN#{campaign_id}#{run}"}


# Who was assigned what in a campaign (holdout or a variant), one item per recipient, in the campaign's own
# partition (a million recipients page through it for the attribution's lift). Found by the customer's
# phone subject (by_subject) and by shop (by_shop), so both redactions erase it.
def campaign_assignment(shop: str, campaign_id: str, phone: str) -> dict[str, str]:
    return {"pk": f"CAMPASSIGN#{shop}#{campaign_id}", "sk": f"PHONE#{phone}"}


# Segments (docs/segments.md): the subscriber state item carries the member's summary; while the phone is
# subscribed it also carries `seg_pk`, which puts it in the sparse `by_segment` index, sharded per shop so
# that an import or a backfill writes to SEGMENT_SHARDS partitions instead of one.
BY_SEGMENT = "by_segment"  # partition seg_pk, sort pk, INCLUDE SEGMENT_PROJECTION
SEGMENT_SHARDS = 16
# The state item's attributes the index projects (besides its keys): every attribute a SegmentMember is read
# from (adapters/segment_members.py maps them; tests/infra checks that the index holds them all).
SEGMENT_PROJECTION = (
    "phone", "status", "opt_in_source", "since", "orders_count", "orders_seen", "total_spent", "spent_seen",
    "first_order_at", "last_order_at", "bought_p", "bought_v", "bought_c", "bought_truncated", "tags",
    "place_country", "place_state", "zones", "last_reply_at", "last_click_at",
)  # fmt: skip


def segment_shard(shop: str, phone: str) -> int:
    """The shard of a member: stable (sha256 of shop and phone), spread evenly over SEGMENT_SHARDS."""
    return int(hashlib.sha256(f"{shop}|{phone}".encode()).hexdigest()[:8], 16) % SEGMENT_SHARDS


def segment_shard_partition(shop: str, shard: int) -> str:
    """The `seg_pk` of one shard of a shop."""
    if not 0 <= shard < SEGMENT_SHARDS:
        raise ValueError(f"a shard from 0 to {SEGMENT_SHARDS - 1}, not {shard}")
    return f"SEG#{shop}#{shard:02d}"


def segment_partition(shop: str, phone: str) -> str:
    """The `seg_pk` a subscribed member's state item carries."""
    return segment_shard_partition(shop, segment_shard(shop, phone))


def segment(shop: str, name: str) -> dict[str, str]:
    """A saved segment document (`smsflows segment create`): one partition per shop, so `list` is one Query."""
    return {"pk": f"SEGMENT#{shop}", "sk": f"NAME#{name}"}


def shopify_segment_member(shop: str, campaign_id: str, run: str, phone: str) -> dict[str, str]:
    """A phone a Shopify segment listed, materialised for one campaign run (domain/campaigns/shopify_segments.py):
    one partition per run, paged by phone. Carries `shop` and the phone's subject, so both redactions erase it,
    and `expires_at`."""
    return {"pk": f"SHOPSEG#{shop}#{campaign_id}#{run}", "sk": f"PHONE#{phone}"}


# Measurement (issue 16, domain/analytics/): short links, the customer's touch record, counters, lift.
def link(code: str) -> dict[str, str]:
    """One recipient's short link: GET /l/{code} reads this one item."""
    return {"pk": f"LINK#{code}", "sk": "LINK"}


def touch(shop: str, phone: str) -> dict[str, str]:
    """What a customer's texts did (last click, last text, codes carried), beside their consent state."""
    return {"pk": f"SUB#{shop}#{phone}", "sk": "TOUCH"}


def attribution(shop: str, order_id: str) -> dict[str, str]:
    """An order's attribution, once, in the order's partition."""
    return {"pk": f"ORDER#{shop}#{order_id}", "sk": "ATTRIBUTION"}


def counter(shop: str, day: str, shard: int, scope: str) -> dict[str, str]:
    """One shard of one scope's counters on one day (domain/analytics/counters.py)."""
    return {"pk": f"MET#{shop}#{day}#{shard}", "sk": scope}


def lift_group(shop: str, root: str, group: str) -> dict[str, str]:
    """A holdout experiment's group ("sent" or "holdout") of a campaign or flow (`root`, e.g. campaign:spring):
    conversions, revenue and its sum of squares."""
    return {"pk": f"LIFT#{shop}#{root}", "sk": f"GROUP#{group}"}


def lift_entry(shop: str, root: str, execution: str) -> dict[str, str]:
    """One entry into a flow with a holdout (`root` flow:<name>), by its execution name: counted once."""
    return {"pk": f"LIFT#{shop}#{root}", "sk": f"ENTRY#{execution}"}


def lift_conversion(shop: str, root: str, phone: str) -> dict[str, str]:
    """One recipient's conversion in an experiment: counted once, their revenue summed on it."""
    return {"pk": f"LIFT#{shop}#{root}", "sk": f"CONV#{phone}"}


# Storefront events from the web pixel (domain/shopify/storefront_events.py); both expire (expires_at).
def storefront_count(scope: str, subject: str, window: int) -> dict[str, str]:
    """Events counted for one source address, pixel client (both hashed) or shop, in the fixed window
    starting at epoch `window`."""
    return {"pk": f"PIXELRATE#{scope}#{subject}", "sk": f"WINDOW#{window}"}


def storefront_day(shop: str, customer_id: str, day: str) -> dict[str, str]:
    """An identified customer's UTC day (YYYYMMDD) on the storefront: the products whose nudge was queued,
    and whether a checkout was started."""
    return {"pk": f"PIXELDAY#{shop}#{customer_id}", "sk": f"DAY#{day}"}


def consent_echo(shop: str, digest: str) -> dict[str, str]:
    """One consent write smsflows made to Shopify (adapters/consent_echoes.py): `digest` hashes the phone, the
    state and the consent time, so the echoing webhook finds it by those alone. Expires (expires_at)."""
    return {"pk": f"ECHO#{shop}#{digest}", "sk": "ECHO"}
