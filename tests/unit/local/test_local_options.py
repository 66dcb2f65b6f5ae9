"""`smsflows local`'s options reach the local cloud's configuration, with the documented defaults; a bad
value is refused before anything starts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smsflows.cli import main
from smsflows.local import cloud as cloud_module
from smsflows.local.fake_twilio import DEFAULT_FAULT_SEED
from smsflows.local.lambda_runtime import DEFAULT_CONCURRENCY


def configured(monkeypatch, capsys, *argv: str) -> cloud_module.LocalConfig:
    """The LocalConfig `smsflows local <argv>` starts a cloud with (the cloud itself is not started)."""
    seen: list[cloud_module.LocalConfig] = []

    class NotStarted:
        def __init__(self, config: cloud_module.LocalConfig) -> None:
            seen.append(config)

        def start(self) -> None:
            raise cloud_module.PortInUse(
                "port 8787 on 127.0.0.1 is already in use: stop what uses it or pass --port"
            )

    monkeypatch.setattr(cloud_module, "LocalCloud", NotStarted)
    assert main(["local", *argv]) == 2  # what `smsflows local` returns when the cloud cannot start
    assert capsys.readouterr().err.startswith("smsflows: --port: port 8787 on 127.0.0.1 is already in use")
    [config] = seen
    return config


def test_the_defaults(monkeypatch, capsys):
    config = configured(monkeypatch, capsys)
    assert config.concurrency == DEFAULT_CONCURRENCY == 10
    assert config.provider_faults == 0.0 and config.provider_faults_seed == DEFAULT_FAULT_SEED
    assert (config.port, config.host, config.time_scale, config.start_at) == (8787, "127.0.0.1", 1.0, None)
    assert config.log_level == "WARNING" and config.virtual_time is False


def test_the_options_reach_the_config(monkeypatch, capsys):
    config = configured(
        monkeypatch, capsys, "--provider-faults", "0.2", "--provider-faults-seed", "7", "--concurrency", "3",
        "--time-scale", "3600", "--start", "2026-11-23T09:00:00-06:00", "--port", "0", "--log-level", "info",
    )  # fmt: skip
    assert (config.provider_faults, config.provider_faults_seed, config.concurrency) == (0.2, 7, 3)
    assert (config.time_scale, config.port, config.log_level) == (3600.0, 0, "INFO")
    assert config.start_at == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_virtual_is_passed_only_when_given(monkeypatch, capsys):
    calls: list[dict] = []
    real = cloud_module.LocalConfig.from_env

    def from_env(**overrides):
        calls.append(overrides)
        return real(**overrides)

    monkeypatch.setattr(cloud_module.LocalConfig, "from_env", staticmethod(from_env))
    assert configured(monkeypatch, capsys, "--virtual").virtual_time is True
    configured(monkeypatch, capsys)
    assert calls[0]["virtual_time"] is True and "virtual_time" not in calls[1]


@pytest.mark.parametrize(
    "argv, option",
    [
        (["--provider-faults", "1.5"], "--provider-faults"),
        (["--provider-faults", "-0.1"], "--provider-faults"),
        (["--provider-faults", "nan"], "--provider-faults"),
        (["--provider-faults", "some"], "--provider-faults"),
        (["--concurrency", "0"], "--concurrency"),
        (["--concurrency", "two"], "--concurrency"),
        (["--provider-faults-seed", "x"], "--provider-faults-seed"),
        (["--time-scale", "0"], "--time-scale"),
        (["--start", "tomorrow"], "--start"),
        (["--port", "65536"], "--port"),
    ],
)
def test_bad_values_are_usage_errors(monkeypatch, capsys, argv, option):
    monkeypatch.setattr(cloud_module, "LocalCloud", lambda config: pytest.fail("started with a bad option"))
    assert main(["local", *argv]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"smsflows: {option}: ")
