"""Print the mutation score per module from mutmut's results (run by `make mutate`, in .mutate/).

A mutant is *killed* when a test failed (or timed out) with it applied; it *survived* when every test that
runs the mutated function passed; *no tests* means no selected test runs that function at all. The score is
killed / (killed + survived + no tests); *pending* mutants (not yet run, e.g. an interrupted run that
`make mutate` will resume) are not scored. Surviving mutants are listed so that each one is either killed by
a new test or recorded in the README as equivalent (it cannot change behaviour)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

DETECTED = {"killed", "timeout", "segfault", "caught by type check"}
UNDETECTED = {"survived", "no tests"}


def module_of(mutant: str) -> str:
    parts = mutant.split(".")
    for i, part in enumerate(parts):
        if part.startswith(("x_", "xǁ")):
            return ".".join(parts[:i])
    return mutant.rsplit(".", 1)[0]


def main(argv: list[str]) -> int:
    mutmut = Path(sys.executable).with_name("mutmut")
    out = subprocess.run(
        [str(mutmut), "results", "--all", "true"], capture_output=True, text=True, check=True
    )
    if argv == ["--survivors"]:  # the names only, for `mutmut run NAME...` (make mutate RETEST=1)
        for line in out.stdout.splitlines():
            name, sep, status = line.strip().rpartition(": ")
            if sep and status in UNDETECTED:
                print(name)
        return 0
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    survivors: dict[str, list[str]] = defaultdict(list)
    for line in out.stdout.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if not sep:
            continue
        module = module_of(name)
        counts[module][status] += 1
        if status in UNDETECTED:
            survivors[module].append(f"{name} ({status})")
    if not counts:
        print("no mutation results: run `make mutate` first", file=sys.stderr)
        return 1
    total_detected = total = 0
    print(f"{'module':50} {'killed':>7} {'survived':>9} {'no tests':>9} {'pending':>8} {'score':>7}")
    for module in sorted(counts):
        c = counts[module]
        detected = sum(v for k, v in c.items() if k in DETECTED)
        scored = detected + sum(v for k, v in c.items() if k in UNDETECTED)
        total_detected += detected
        total += scored
        pending = c["not checked"] + c["check was interrupted by user"]
        score = f"{100.0 * detected / scored:6.1f}%" if scored else "    n/a"
        print(f"{module:50} {detected:7} {c['survived']:9} {c['no tests']:9} {pending:8} {score}")
    print(
        f"{'all':50} {total_detected:7} {'':9} {'':9} {'':8} {100.0 * total_detected / max(total, 1):6.1f}%"
    )
    Path("mutants/survivors.json").write_text(json.dumps(survivors, indent=1, ensure_ascii=False))
    print("surviving mutants: .mutate/mutants/survivors.json (`cd .mutate && ../.venv/bin/mutmut show NAME`)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
