"""Test-wide settings: UTC (moto computes timestamp waits in local time), fake AWS credentials, no real
Shopify, and the Hypothesis profiles."""

from __future__ import annotations

import os

from hypothesis import settings

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
    # No test may reach the real Shopify: where no fake Shopify is started, the Admin API is a closed port on
    # loopback (refused at once); the local clouds and the contract tests point it at their fake.
    "SMSFLOWS_SHOPIFY_API_BASE": "http://127.0.0.1:9",
}.items():
    os.environ[key] = value
for key in ("AWS_PROFILE", "SMSFLOWS_AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL"):
    os.environ.pop(key, None)

# Hypothesis: "ci" (CI=true, as CI services set it) at full strength, "dev" (anywhere else) with a fifth
# of the examples; HYPOTHESIS_PROFILE=ci|dev chooses explicitly. Tests that need more examples than a
# profile's default ask for a multiple of it (`examples(...)` in their module), so that they scale too.
settings.register_profile("ci", settings.get_profile("ci"), max_examples=100)  # Hypothesis' CI settings
settings.register_profile("dev", settings.get_profile("default"), max_examples=20)  # its defaults otherwise
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("ci" if os.environ.get("CI", "").lower() in ("true", "1", "yes") else "dev")
)


_recording = None  # (context manager, recorder) while SMSFLOWS_LEAST_PRIVILEGE_DIR is set
_privilege_report: list[str] = []


def pytest_sessionstart(session):  # type: ignore[no-untyped-def]
    """Record which AWS calls each function makes (see tests/aws_calls.py), when `make test` asks."""
    global _recording
    from tests.aws_calls import LEAST_PRIVILEGE_ENV, recording

    if os.environ.get(LEAST_PRIVILEGE_ENV):
        manager = recording()
        _recording = (manager, manager.__enter__())


def pytest_sessionfinish(session, exitstatus):  # type: ignore[no-untyped-def]
    """Workers write what they recorded; the process that ends the run compares it with the grants."""
    import json
    from pathlib import Path

    from tests.aws_calls import LEAST_PRIVILEGE_ENV, privilege_findings

    global _recording
    folder = os.environ.get(LEAST_PRIVILEGE_ENV)
    if not folder or _recording is None:
        return
    manager, recorder = _recording
    manager.__exit__(None, None, None)
    _recording = None
    name = getattr(session.config, "workerinput", {}).get("workerid", "main")
    (Path(folder) / f"{name}.json").write_text(
        json.dumps({f: sorted(map(list, calls)) for f, calls in recorder.calls.items()})
    )
    if hasattr(session.config, "workerinput") or exitstatus != 0:
        return  # a worker; or a failing run, whose missing calls would only add noise
    calls: dict[str, set[tuple[str, str, str]]] = {}
    for path in Path(folder).glob("*.json"):
        for function, seen in json.loads(path.read_text()).items():
            calls.setdefault(function, set()).update(tuple(c) for c in seen)
    _privilege_report[:] = privilege_findings(calls)
    if _privilege_report:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    """The revocation classifier's figures by family (issue 11), when its tests were part of the run; the
    least-privilege findings, when `make test` asked for them."""
    from tests.aws_calls import LEAST_PRIVILEGE_ENV

    if os.environ.get(LEAST_PRIVILEGE_ENV) and not hasattr(config, "workerinput"):
        terminalreporter.write_sep("-", "least privilege (each function's calls against its grants)")
        for line in _privilege_report or ["every call granted, every grant used"]:
            terminalreporter.write_line(line)
    wanted = ("tests", "tests/unit", "tests/unit/consent", "tests/unit/consent/test_revocation_tables.py")
    if not any(str(arg).rstrip("/").split("::")[0].endswith(wanted) for arg in config.args):
        return
    from tests.unit.consent.revocation_report import render

    terminalreporter.write_sep("-", "revocations by family")
    terminalreporter.write_line(render())


def pytest_make_parametrize_id(config, val, argname):  # type: ignore[no-untyped-def]
    """Plain ASCII test ids, at most 60 characters: an id with escapes (an accent, an emoji) cannot be passed
    back on a command line, which is how `make mutate` selects the tests of each mutant."""
    from tests.ids import safe_id

    if isinstance(val, bytes):
        return safe_id(val.decode("latin-1"))
    return safe_id(val) if isinstance(val, str) else None
