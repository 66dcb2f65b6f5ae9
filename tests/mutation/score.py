"""Print the mutation score per module from mutmut's results (run by `make mutate`, in .mutate/).

A mutant is *killed* when a test failed (or timed out) with it applied; it *survived* when every test that
runs the mutated function passed; *no tests* means no selected test runs that function at all. The score is
killed / (killed + survived + no tests); *pending* mutants (not yet run, e.g. an interrupted run that
`make mutate` will resume) are not scored. Surviving mutants are listed so that each one is either killed by
a new test or recorded in the README as equivalent (it cannot change behaviour).

`--seed DIR` (what `make mutate FROM=.mutate-fast` uses): a mutant this run did not check takes the verdict
of the run in DIR when that run detected it. A mutant killed by fewer tests is killed by more, so with the
same code and tests only the seed run's survivors need the full selection of tests."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

DETECTED = {"killed", "timeout", "segfault", "caught by type check"}
UNDETECTED = {"survived", "no tests"}
PENDING = {"not checked", "check was interrupted by user"}


def module_of(mutant: str) -> str:
    parts = mutant.split(".")
    for i, part in enumerate(parts):
        if part.startswith(("x_", "xǁ")):
            return ".".join(parts[:i])
    return mutant.rsplit(".", 1)[0]


def verdicts(where: Path) -> dict[str, str]:
    """Every mutant's status as `mutmut results --all true` prints it, run in `where`."""
    mutmut = Path(sys.executable).with_name("mutmut")
    out = subprocess.run(
        [str(mutmut), "results", "--all", "true"],
        capture_output=True,
        text=True,
        check=True,
        cwd=where,
    )
    found: dict[str, str] = {}
    for line in out.stdout.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep:
            found[name] = status
    return found


def seeded(own: dict[str, str], seed: dict[str, str]) -> tuple[dict[str, str], int]:
    """`own` with each unchecked mutant given the seed run's verdict when that run detected it."""
    merged = dict(own)
    taken = 0
    for name, status in own.items():
        if status in PENDING and seed.get(name) in DETECTED:
            merged[name] = seed[name]
            taken += 1
    return merged, taken


def main(argv: list[str]) -> int:
    seed_dir: Path | None = None
    names_only = False
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--survivors":  # the names only, for `mutmut run NAME...` (make mutate RETEST=1)
            names_only = True
        elif arg == "--seed" and args:
            seed_dir = Path(args.pop(0))
        else:
            print(f"usage: score.py [--survivors] [--seed DIR]; not understood: {arg}", file=sys.stderr)
            return 2
    results = verdicts(Path.cwd())
    taken = 0
    if seed_dir is not None:
        if not (seed_dir / "mutants").is_dir():
            print(f"no mutation results in {seed_dir}: run it first (make mutate-fast)", file=sys.stderr)
            return 1
        results, taken = seeded(results, verdicts(seed_dir))
    if names_only:
        for name, status in results.items():
            if status in UNDETECTED:
                print(name)
        return 0
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    survivors: dict[str, list[str]] = defaultdict(list)
    for name, status in results.items():
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
        pending = sum(v for k, v in c.items() if k in PENDING)
        score = f"{100.0 * detected / scored:6.1f}%" if scored else "    n/a"
        print(f"{module:50} {detected:7} {c['survived']:9} {c['no tests']:9} {pending:8} {score}")
    print(
        f"{'all':50} {total_detected:7} {'':9} {'':9} {'':8} {100.0 * total_detected / max(total, 1):6.1f}%"
    )
    if seed_dir is not None:
        print(f"{taken} verdicts taken from {seed_dir} (mutants it killed, not run again here)")
    Path("mutants/survivors.json").write_text(json.dumps(survivors, indent=1, ensure_ascii=False))
    print(f"surviving mutants: {Path.cwd().name}/mutants/survivors.json (`mutmut show NAME` there)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
