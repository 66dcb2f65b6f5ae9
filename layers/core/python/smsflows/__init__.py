"""smsflows: consent-first SMS marketing automation for Shopify merchants."""

__version__ = "0.1.0"
