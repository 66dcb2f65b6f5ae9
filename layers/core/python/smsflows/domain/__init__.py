"""The domain: pure rules and use cases, grouped by capability. No boto3, botocore, twilio or moto here.

Capabilities, each a subpackage with its rules and use cases together, in the one allowed order: a module
may import its own capability, any capability after it in this list, and the kernel; never one before it.

    shopify → campaigns → flows → consent → sending → analytics → compliance → kernel

- shopify/     webhook authenticity and payloads, ingest, the shop-event use cases, stored records, privacy
- campaigns/   campaigns (variants, holdout, send time, state machine), assignment, the ETA, segments
- flows/       flow definitions and per-shop timing, the ASL compiler, the flow_step use case, templates
- consent/     the consent ledger, keywords, subscriptions (inbound SMS, forms, opt-outs), imports
- sending/     the send use case, pacing, encoding, provider errors, delivery statuses, retry backoff
- analytics/   short links and clicks, attribution and lift, counters, the deliverability guard
- compliance/  quiet hours, candidate locations and area codes, frequency caps
- kernel       the modules at this package's root: keys, phones, shops, messages, registration, profiles

Outside the domain, `smsflows.ports` (the interfaces the use cases take) and `smsflows.runtime.clock` and
`smsflows.runtime.errors` may be imported from anywhere in it. `tests/unit/test_architecture.py` enforces
all of this from the source.
"""
