"""Test-wide settings: UTC (moto computes timestamp waits in local time), fake AWS credentials."""

from __future__ import annotations

import os

os.environ["TZ"] = "UTC"
for key, value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_METRICS_NAMESPACE": "smsflows",
    "POWERTOOLS_SERVICE_NAME": "smsflows",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
}.items():
    os.environ[key] = value
for key in ("AWS_PROFILE", "SMSFLOWS_AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL"):
    os.environ.pop(key, None)
