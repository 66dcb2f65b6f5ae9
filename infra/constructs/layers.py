"""Layers: the `smsflows` package (core) and its third-party dependencies (deps), both for arm64."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

# Lambda runtime of every function. The deps layer is built for exactly this CPython (cp312 wheels).
RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.ARM_64

_ASSET_EXCLUDES = ["**/__pycache__", "**/*.pyc", "**/.mypy_cache", "**/.pytest_cache"]


class LayerBuildMissingError(RuntimeError):
    """The dependencies layer has not been built yet."""


class Layers(Construct):
    """`core` ships `layers/core/python/smsflows`; `deps` ships `layers/deps/build/python` (`make layer`)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, repo_root: Path, deps_dir: Path | None = None
    ) -> None:
        """`deps_dir` replaces `layers/deps/build` (tests use an empty stand-in to skip hashing ~170 MB)."""
        super().__init__(scope, construct_id)
        core_dir = repo_root / "layers" / "core"
        if not (core_dir / "python" / "smsflows" / "__init__.py").is_file():
            raise FileNotFoundError(
                f"{core_dir}/python/smsflows is missing: the core layer has nothing to ship"
            )
        deps_dir = deps_dir or repo_root / "layers" / "deps" / "build"
        if not (deps_dir / "python").is_dir():
            raise LayerBuildMissingError(
                f"{deps_dir}/python does not exist. Build the dependencies layer first: run `make layer` "
                "(pip install --platform manylinux2014_aarch64 --only-binary=:all: --python-version 3.12 "
                "--implementation cp --target layers/deps/build/python -r requirements/runtime.lock)."
            )
        self.core = lambda_.LayerVersion(
            self,
            "Core",
            code=lambda_.Code.from_asset(str(core_dir), exclude=_ASSET_EXCLUDES),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="smsflows application package",
        )
        self.deps = lambda_.LayerVersion(
            self,
            "Deps",
            code=lambda_.Code.from_asset(str(deps_dir), exclude=_ASSET_EXCLUDES),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="smsflows third-party dependencies (requirements/runtime.lock)",
        )

    @property
    def all(self) -> list[lambda_.ILayerVersion]:
        return [self.deps, self.core]
