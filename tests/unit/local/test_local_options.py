"""`smsflows local`'s options reach the local cloud's configuration, with the documented defaults."""

from __future__ import annotations

import pytest

from smsflows import cli
from smsflows.local import cloud as cloud_module
from smsflows.local.fake_twilio import DEFAULT_FAULT_SEED
from smsflows.local.lambda_runtime import DEFAULT_CONCURRENCY


def configured(monkeypatch, *argv: str) -> cloud_module.LocalConfig:
    """The LocalConfig `smsflows local <argv>` starts a cloud with (the cloud itself is not started)."""
    seen: list[cloud_module.LocalConfig] = []

    class NotStarted:
        def __init__(self, config: cloud_module.LocalConfig) -> None:
            seen.append(config)

        def start(self) -> None:
            raise cloud_module.PortInUse("not started by this test")

    monkeypatch.setattr(cloud_module, "LocalCloud", NotStarted)
    args = cli.build_parser().parse_args(["local", *argv])
    assert args.func(args) == 2  # what `smsflows local` returns when the cloud cannot start
    [config] = seen
    return config


def test_the_defaults(monkeypatch):
    config = configured(monkeypatch)
    assert config.concurrency == DEFAULT_CONCURRENCY == 10
    assert config.provider_faults == 0.0 and config.provider_faults_seed == DEFAULT_FAULT_SEED


def test_the_options_reach_the_config(monkeypatch):
    config = configured(
        monkeypatch, "--provider-faults", "0.2", "--provider-faults-seed", "7", "--concurrency", "3"
    )
    assert (config.provider_faults, config.provider_faults_seed, config.concurrency) == (0.2, 7, 3)


@pytest.mark.parametrize(
    "argv",
    [
        ["--provider-faults", "1.5"],
        ["--provider-faults", "-0.1"],
        ["--provider-faults", "nan"],
        ["--provider-faults", "some"],
        ["--concurrency", "0"],
        ["--concurrency", "two"],
        ["--provider-faults-seed", "x"],
    ],
)
def test_bad_values_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.build_parser().parse_args(["local", *argv])
    assert exited.value.code == 2 and "error: argument" in capsys.readouterr().err
