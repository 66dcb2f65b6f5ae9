"""The third-party layer that `make layer` builds without Docker: arm64 wheels for Python 3.12, same pins."""

from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
LAYER = ROOT / "layers" / "deps" / "build" / "python"


@pytest.fixture(scope="module")
def layer() -> Path:
    if not (LAYER.parent / ".built").exists():
        pytest.skip("layer not built: `make test` builds it first (make layer)")
    return LAYER


def test_layer_holds_arm64_cpython_312_binaries(layer):
    [core] = list(layer.glob("pydantic_core/_pydantic_core.cpython-312-aarch64-linux-gnu.so"))
    assert core.read_bytes()[:4] == b"\x7fELF"
    assert core.read_bytes()[18] == 0xB7  # e_machine low byte: EM_AARCH64 (183)


def test_layer_versions_match_the_lock(layer):
    lock = (ROOT / "requirements" / "runtime.lock").read_text()
    for dist in ("twilio", "phonenumbers", "pydantic", "aws_lambda_powertools", "boto3"):
        [info] = list(layer.glob(f"{dist}-*.dist-info"))
        version = info.name.removeprefix(f"{dist}-").removesuffix(".dist-info")
        assert f"{dist.replace('_', '-')}=={version}" in lock


def test_layer_stays_under_lambdas_unzipped_limit(layer):
    size = sum(p.stat().st_size for p in layer.rglob("*") if p.is_file())
    assert size < 250 * 1024 * 1024
