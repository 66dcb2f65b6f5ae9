"""DynamoDB key layout of the one table.

Shared by the adapters and the compiled flows (their direct DynamoDB integrations).
"""

from __future__ import annotations


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
