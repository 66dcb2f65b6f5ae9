"""Shopify: webhook authenticity and payloads, ingest, the shop-event use cases, stored records, privacy."""
