"""Logging and metrics shared by every handler; phone numbers never reach a log in full."""

from __future__ import annotations

import re

from aws_lambda_powertools import Logger, Metrics

SERVICE = "smsflows"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="smsflows", service=SERVICE)

_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")


def mask_phone(phone: str | None) -> str:
    """+14155550123 -> +1******0123 (country code and last four kept)."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
    if len(digits) <= 4:
        return "*" * len(digits)
    head = "+" + digits[:1] if phone.strip().startswith("+") else digits[:1]
    return f"{head}{'*' * (len(digits) - 5)}{digits[-4:]}"


def scrub(text: str) -> str:
    """Mask anything that looks like a phone number inside free text."""
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)
