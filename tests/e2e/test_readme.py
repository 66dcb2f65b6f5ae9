"""The README's commands work as shown.

Every shell block of the README is read. A block marked `<!-- readme-test: local -->` on the line before
its fence is run, command by command, against a local cloud started for the test (`smsflows local
--virtual` on a free port: `127.0.0.1:8787` in the block is rewritten to it); each command must exit 0.
In every other block (deploying, a fresh machine), each `smsflows` command must name a real command with
real options (the CLI parses it with `--help` added: an unknown command or option fails), and each `make`
target must exist in the Makefile.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import running_local

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MARK = "<!-- readme-test: local -->"


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    runs: bool  # marked to run against the local cloud
    commands: tuple[str, ...]


def blocks(text: str) -> list[Block]:
    found, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if lines[i].strip() in ("```bash", "```sh", "```console"):
            start, body = i, []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            runs = start > 0 and lines[start - 1].strip() == MARK
            found.append(Block(start + 1, runs, tuple(commands("\n".join(body)))))
        i += 1
    return found


def commands(body: str) -> list[str]:
    """One string per command: continuation lines joined, comments and blank lines dropped."""
    out, current = [], ""
    for raw in body.splitlines():
        line = raw.rstrip()
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        words = shlex.split(current, comments=True)
        if words:
            out.append(shlex.join(words) if not _has_shell_syntax(current) else current.split(" #", 1)[0])
        current = ""
    return out


def _has_shell_syntax(line: str) -> bool:
    return any(token in line for token in ("|", "&&", ">", "<", "$(", "&"))


def make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w-]*):", makefile, flags=re.M))


def test_every_phony_make_target_has_a_rule_and_a_description():
    makefile = (ROOT / "Makefile").read_text()
    phony = set(re.search(r"^\.PHONY:(.*)$", makefile, flags=re.M).group(1).split())  # type: ignore[union-attr]
    described = set(re.findall(r"^([a-z][\w-]*):.*## ", makefile, flags=re.M))
    assert phony <= make_targets(), f"phony targets without a rule: {sorted(phony - make_targets())}"
    assert phony <= described, f"targets `make help` does not list: {sorted(phony - described)}"


def smsflows_args(command: str) -> list[str] | None:
    words = shlex.split(command, comments=True)
    while words and "=" in words[0] and not words[0].startswith("-"):
        words = words[1:]  # VAR=value prefixes
    if words and words[0] in ("smsflows", ".venv/bin/smsflows"):
        return words[1:]
    return None


README_BLOCKS = blocks(README.read_text())


def test_the_readme_has_runnable_blocks_and_they_are_found():
    assert any(b.runs for b in README_BLOCKS), f"no block marked {MARK} in the README"
    assert sum(len(b.commands) for b in README_BLOCKS if b.runs) >= 10


@pytest.mark.parametrize("block", [b for b in README_BLOCKS if not b.runs], ids=lambda b: f"line-{b.line}")
def test_every_command_shown_exists(block):
    targets = make_targets()
    for command in block.commands:
        first = shlex.split(command, comments=True)[0]
        if first == "make":
            target = shlex.split(command)[1] if len(shlex.split(command)) > 1 else "help"
            assert target in targets, (
                f"README line {block.line}: `{command}`: no target {target!r} in the Makefile"
            )
        args = smsflows_args(command)
        if args is not None and not _has_shell_syntax(command):
            proc = subprocess.run([sys.executable, "-m", "smsflows.cli", *args, "--help"],
                                  capture_output=True, text=True, timeout=60)  # fmt: skip
            assert proc.returncode == 0, (
                f"README line {block.line}: `{command}`: {proc.stderr.strip()[-500:]}"
            )


def test_the_marked_blocks_run_against_the_local_cloud():
    with running_local(secret="local-shopify-secret") as (cloud, _):
        port = cloud.base_url.rsplit(":", 1)[1]
        env = {**os.environ, "SMSFLOWS_LOCAL_URL": cloud.base_url,
               "PATH": f"{ROOT / '.venv' / 'bin'}:{Path(sys.executable).parent}:{os.environ['PATH']}"}  # fmt: skip
        env.pop("TABLE_NAME", None)
        for block in (b for b in README_BLOCKS if b.runs):
            for command in block.commands:
                shown = command.replace("127.0.0.1:8787", f"127.0.0.1:{port}")
                proc = subprocess.run(["bash", "-o", "pipefail", "-c", shown], cwd=ROOT, env=env, input="",
                                      capture_output=True, text=True, timeout=120)  # fmt: skip
                assert proc.returncode == 0, (
                    f"README line {block.line}: `{command}` exited {proc.returncode}:\n"
                    f"{proc.stdout[-1500:]}\n{proc.stderr[-1500:]}"
                )


# Files the README names that are not in the repository: the merchant's own Shopify app configuration, and
# what `make mutate` writes.
NOT_OURS = {"shopify.app.toml", ".mutate/mutants/survivors.json"}


def test_every_file_the_readme_names_is_in_the_repository():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    tracked = files.splitlines() + [str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("*.py")]
    named = set(
        re.findall(r"`([\w./-]+\.(?:py|md|json|csv|toml|lock|in|txt))(?:::\w+)?`", README.read_text())
    )
    missing = sorted(n for n in named - NOT_OURS if not any(t == n or t.endswith("/" + n) for t in tracked))
    assert not missing, f"the README names files the repository does not have: {missing}"
