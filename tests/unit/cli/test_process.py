"""`smsflows` as its own process: --version, shell completion, a closed stdout pipe, and options refused
before anything starts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from importlib import metadata

import pytest

# Under mutmut (`make mutate`) the CLI started here would run mutmut's instrumented copy of the package in a
# process of its own, where no mutant is active: these tests cannot kill a mutant, and its stats pass fails.
pytestmark = pytest.mark.skipif(
    "MUTANT_UNDER_TEST" in os.environ, reason="a new process: no mutant reaches it"
)

SMSFLOWS = [sys.executable, "-m", "smsflows.cli"]
ENV = {
    k: v for k, v in os.environ.items() if not k.startswith(("SMSFLOWS_", "_SMSFLOWS")) and k != "TABLE_NAME"
}


def smsflows(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SMSFLOWS, *args], capture_output=True, text=True, timeout=timeout, env={**ENV, **(env or {})}
    )


def test_version_is_the_installed_packages():
    ran = smsflows("--version")
    assert ran.returncode == 0 and ran.stdout == f"smsflows {metadata.version('smsflows')}\n"


def test_shell_completion_script_and_completions():
    script = smsflows("--show-completion", "bash")
    assert (
        script.returncode == 0
        and "_smsflows_completion" in script.stdout
        and "_SMSFLOWS_COMPLETE" in script.stdout
    )
    words = smsflows(
        env={"_SMSFLOWS_COMPLETE": "complete_bash", "COMP_WORDS": "smsflows sh", "COMP_CWORD": "1"}
    )
    assert words.stdout.split() == ["shop", "shops", "shopify"]
    options = smsflows(env={"_SMSFLOWS_COMPLETE": "complete_bash", "COMP_WORDS": "smsflows dlq list --q",
                            "COMP_CWORD": "3"})  # fmt: skip
    assert options.stdout.split() == ["--queue"]


@pytest.mark.parametrize("command", ["flow list --json", "flow list", "--version", "shop --help"])
def test_a_closed_stdout_pipe_ends_quietly(command):
    """The reader is gone before the command writes (`smsflows flow list --json | head -c0`)."""
    proc = subprocess.Popen(
        [*SMSFLOWS, *command.split()], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1  # as click ends a closed pipe
    assert err == ""  # no BrokenPipeError, no "Exception ignored", no traceback


@pytest.mark.parametrize("command", ["flow list", "flow list --json", "--help"])
def test_piping_into_head_prints_the_first_line_and_nothing_on_stderr(command):
    pipeline = f"{' '.join(SMSFLOWS)} {command} | head -1"  # as a person types it
    ran = subprocess.run(  # noqa: S602 - a fixed pipeline of our own
        pipeline, shell=True, capture_output=True, text=True, timeout=60, env=ENV, executable="/bin/bash"
    )
    assert ran.returncode == 0 and len(ran.stdout.splitlines()) == 1
    assert ran.stderr == ""


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--time-scale", "0"], "--time-scale"),
        (["--start", "tomorrow"], "--start"),
        (["--port", "99999"], "--port"),
    ],
)
def test_local_refuses_a_bad_option_at_once(argv, says):
    started = time.monotonic()
    ran = smsflows("local", *argv, timeout=30)
    assert ran.returncode == 2 and time.monotonic() - started < 15
    [line] = ran.stderr.splitlines()
    assert line.startswith(f"smsflows: {says}: ") and "Traceback" not in ran.stderr
    assert ran.stdout == ""


def test_an_unreachable_local_cloud_is_one_line_and_exit_1():
    ran = smsflows("flow", "set", "--flow", "welcome", "--enabled", "off", "--local", "http://127.0.0.1:9")
    assert ran.returncode == 1
    assert ran.stderr == "smsflows: no local cloud answers at http://127.0.0.1:9: connection refused\n"
