"""One synthesized template per stage (dev, prod) per test session, with cdk-nag applied as in infra/app.py."""

from __future__ import annotations

import os
from typing import Any

# Before anything imports aws_cdk: jsii prints a Node 20 end-of-life banner otherwise.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import pytest
from aws_cdk.assertions import Template
from infra_synth import CANARY_STACK, NagFinding, Synthesized, synthesize


@pytest.fixture(scope="session", params=["dev", "prod"])
def synthesized(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """Every infra test runs against both stages."""
    # An empty stand-in for layers/deps/build: the template does not depend on its content, and hashing the
    # real ~170 MB layer would dominate the suite (and require `make layer` before `make test`).
    deps = tmp_path_factory.mktemp("deps")
    (deps / "python").mkdir()
    return synthesize(tmp_path_factory.mktemp("cdk.out"), deps, request.param)


@pytest.fixture(scope="session")
def template(synthesized: Synthesized) -> Template:
    return synthesized.template


@pytest.fixture(scope="session")
def resources(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    return synthesized.json["Resources"]


@pytest.fixture(scope="session")
def nag_findings(synthesized: Synthesized) -> list[NagFinding]:
    """Unacknowledged cdk-nag findings in the smsflows stack (the canary's are left out)."""
    return [f for f in synthesized.findings if not f.path.startswith(f"{CANARY_STACK}/")]


@pytest.fixture(scope="session")
def canary_findings(synthesized: Synthesized) -> list[NagFinding]:
    return [f for f in synthesized.findings if f.path.startswith(f"{CANARY_STACK}/")]
