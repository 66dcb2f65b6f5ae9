"""Sending: the send use case, pacing, encoding, provider errors, delivery statuses, retry backoff."""
