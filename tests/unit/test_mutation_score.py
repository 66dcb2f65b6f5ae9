"""`tests/mutation/score.py`: the score per module, and a full run seeded with the fast run's kills."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.mutation import score

SEND = "smsflows.domain.sending.send"
PACING = "smsflows.domain.sending.pacing"


def test_a_mutant_takes_the_seed_runs_verdict_only_when_unchecked_here_and_detected_there() -> None:
    own = {
        f"{SEND}.x_prepare__mutmut_1": "not checked",  # killed by the fast run: taken
        f"{SEND}.x_prepare__mutmut_2": "not checked",  # survived the fast run: stays pending
        f"{SEND}.x_prepare__mutmut_3": "survived",  # run here: its own verdict stands
        f"{SEND}.x_prepare__mutmut_4": "check was interrupted by user",  # timed out there: taken
        f"{SEND}.x_prepare__mutmut_5": "not checked",  # unknown to the seed run: stays pending
    }
    seed = {
        f"{SEND}.x_prepare__mutmut_1": "killed",
        f"{SEND}.x_prepare__mutmut_2": "survived",
        f"{SEND}.x_prepare__mutmut_3": "killed",
        f"{SEND}.x_prepare__mutmut_4": "timeout",
    }
    merged, taken = score.seeded(own, seed)
    assert taken == 2
    assert merged == {
        f"{SEND}.x_prepare__mutmut_1": "killed",
        f"{SEND}.x_prepare__mutmut_2": "not checked",
        f"{SEND}.x_prepare__mutmut_3": "survived",
        f"{SEND}.x_prepare__mutmut_4": "timeout",
        f"{SEND}.x_prepare__mutmut_5": "not checked",
    }
    assert own[f"{SEND}.x_prepare__mutmut_1"] == "not checked"  # the input is not changed


def test_module_of_a_function_and_of_a_method() -> None:
    assert score.module_of(f"{SEND}.x_prepare__mutmut_7") == SEND
    assert score.module_of(f"{PACING}.xǁPacerǁbook__mutmut_3") == PACING


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    full, fast = tmp_path / ".mutate", tmp_path / ".mutate-fast"
    for d in (full, fast):
        (d / "mutants").mkdir(parents=True)
    monkeypatch.chdir(full)
    by_dir = {
        full.resolve(): {
            f"{SEND}.x_prepare__mutmut_1": "not checked",
            f"{SEND}.x_prepare__mutmut_2": "killed",  # a fast survivor the full run kills
            f"{SEND}.x_prepare__mutmut_3": "survived",  # a fast survivor the full run lets through
            f"{PACING}.x_late_limit__mutmut_1": "not checked",
        },
        fast.resolve(): {
            f"{SEND}.x_prepare__mutmut_1": "killed",
            f"{SEND}.x_prepare__mutmut_2": "survived",
            f"{SEND}.x_prepare__mutmut_3": "survived",
            f"{PACING}.x_late_limit__mutmut_1": "timeout",
        },
    }
    monkeypatch.setattr(score, "verdicts", lambda where: by_dir[Path(where).resolve()])
    return full, fast


def _rows(out: str) -> dict[str, list[str]]:
    return {
        line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith(("smsflows", "all"))
    }


def test_a_seeded_run_scores_every_mutant_and_lists_only_its_own_survivors(
    runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    full, fast = runs
    assert score.main(["--seed", str(fast)]) == 0
    out = capsys.readouterr().out
    rows = _rows(out)
    # killed, survived, no tests, pending, score
    assert rows[SEND] == ["2", "1", "0", "0", "66.7%"]
    assert rows[PACING] == ["1", "0", "0", "0", "100.0%"]
    assert rows["all"] == ["3", "75.0%"]
    assert f"2 verdicts taken from {fast}" in out
    survivors = json.loads((full / "mutants" / "survivors.json").read_text())
    assert survivors == {SEND: [f"{SEND}.x_prepare__mutmut_3 (survived)"]}


def test_unseeded_the_unchecked_mutants_are_pending_and_not_scored(
    runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert score.main([]) == 0
    rows = _rows(capsys.readouterr().out)
    assert rows[SEND] == ["1", "1", "0", "1", "50.0%"]
    assert rows[PACING] == ["0", "0", "0", "1", "n/a"]
    assert rows["all"] == ["1", "50.0%"]


def test_survivor_names_for_a_rerun_leave_out_what_the_seed_killed(
    runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, fast = runs
    assert score.main(["--survivors", "--seed", str(fast)]) == 0
    assert capsys.readouterr().out.split() == [f"{SEND}.x_prepare__mutmut_3"]


def test_a_seed_without_results_and_an_unknown_argument_are_one_clear_line(
    runs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert score.main(["--seed", str(tmp_path / "nowhere")]) == 1
    assert (
        capsys.readouterr().err.strip()
        == f"no mutation results in {tmp_path / 'nowhere'}: run it first (make mutate-fast)"
    )
    assert score.main(["--seeds"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "usage: score.py [--survivors] [--seed DIR]; not understood: --seeds"
    assert len(err.splitlines()) == 1
