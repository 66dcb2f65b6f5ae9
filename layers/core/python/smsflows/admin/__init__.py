"""The operator's use cases behind the `smsflows` command: shops, consent, imports, flows, dead letters,
stored webhooks, privacy exports and Twilio test events.

They talk to a deployment through the same adapters and domain use cases as the functions: a stage (its
TABLE_NAME, queue URLs, region and AWS credentials in the environment) or the local cloud
(`use_local_cloud(URL)`). A refusal raises an `OperatorError` (a SystemExit) with one line naming what is
wrong and the accepted form, after which nothing has changed.
"""

from __future__ import annotations

from smsflows.admin.consent import consent_opt_out, consent_phone, consent_show
from smsflows.admin.dlq import QUEUE_KEYS, ROW_KEYS, dlq_counts, dlq_list, dlq_replay, dlq_urls
from smsflows.admin.errors import BadValue, Failed, NoTarget, NotOnboarded, OperatorError, one_line
from smsflows.admin.flows import flow_list, flow_set, template_preview
from smsflows.admin.imports import count_rows, import_csv
from smsflows.admin.privacy import privacy_export
from smsflows.admin.shops import (
    shop_add,
    shop_deactivate,
    shop_delete,
    shop_list,
    shop_set,
    shop_show,
    shops_reindex,
)
from smsflows.admin.simulate import (
    LOCAL_ACCOUNT_SID,
    LOCAL_TWILIO_TOKEN,
    message_id_for,
    new_sid,
    simulate_inbound,
    simulate_status,
)
from smsflows.admin.target import check_url, deps, use_local_cloud
from smsflows.admin.webhooks import webhooks_list, webhooks_replay

__all__ = [
    "LOCAL_ACCOUNT_SID",
    "LOCAL_TWILIO_TOKEN",
    "QUEUE_KEYS",
    "ROW_KEYS",
    "BadValue",
    "Failed",
    "NoTarget",
    "NotOnboarded",
    "OperatorError",
    "check_url",
    "consent_opt_out",
    "consent_phone",
    "consent_show",
    "count_rows",
    "deps",
    "dlq_counts",
    "dlq_list",
    "dlq_replay",
    "dlq_urls",
    "flow_list",
    "flow_set",
    "import_csv",
    "message_id_for",
    "new_sid",
    "one_line",
    "privacy_export",
    "shop_add",
    "shop_deactivate",
    "shop_delete",
    "shop_list",
    "shop_set",
    "shop_show",
    "shops_reindex",
    "simulate_inbound",
    "simulate_status",
    "template_preview",
    "use_local_cloud",
    "webhooks_list",
    "webhooks_replay",
]
