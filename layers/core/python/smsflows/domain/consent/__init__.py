"""Consent: the ledger, keywords, subscriptions (inbound SMS, forms, opt-outs), imports with proof."""
