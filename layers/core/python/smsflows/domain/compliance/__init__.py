"""Compliance: quiet hours, candidate locations and area codes, frequency caps."""
