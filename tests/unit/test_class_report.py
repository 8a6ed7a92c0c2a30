"""The teacher's report against a hostile class: a huge save, markup and look-alike names, planted files,
and `--verify` re-running the blocks that solved each lesson."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.core.lessons import Lesson
from tutor.core.progress import ProgressStore
from tutor.core.results import RunResult, Status
from tutor.core.runner import run_block

LESSON = "inplace-residual"
NOBODY = 65534


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tutor", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "NO_COLOR": "1", "MINIGPT_TUTOR_LANG": "en", "COLUMNS": "200"})


def record(saves: Path, learner: str, status: Status = Status.FAILED, block: str = "a block") -> None:
    store = ProgressStore(saves, learner)
    store.record_opened(LESSON)
    store.record_run(LESSON, block, RunResult(lesson=LESSON, status=status, message=""))


@pytest.mark.parametrize("invented", [10**5, 10**6])
def test_a_class_of_sixty_with_one_hostile_save_is_reported_whole(tmp_path: Path, invented: int) -> None:
    saves = tmp_path / "saves"
    for n in range(60):
        record(saves, f"learner{n:02d}", Status.PASSED if n % 3 == 0 else Status.FAILED)
    hostile = {"schema_version": 3, "lessons": {f"invented-{i}": {"state": "solved"} for i in range(invented)}}
    (saves / "mallory.json").write_text(json.dumps(hostile))

    data = json.loads(run_cli("report", "--saves-dir", str(saves), "--format", "json").stdout)
    assert len(data["learners"]) == 60 and data["lessons"][0] == LESSON
    assert [u["file"] for u in data["unreadable"]] == ["mallory.json"]
    summary = next(s for s in data["summary"] if s["lesson"] == LESSON)
    assert (summary["learners"], summary["attempted"], summary["solved"]) == (60, 60, 20)
    table = run_cli("report", "--saves-dir", str(saves))
    assert table.returncode == 0 and "learner59" in table.stdout and "mallory.json was skipped" in table.stderr


def test_names_are_shown_as_text_and_look_alikes_are_flagged_with_their_scripts(tmp_path: Path) -> None:
    for name in ("ana", "аna", "ａｎａ", "[bold red]boss", "[link=file:x]click"):
        record(tmp_path, name)
    table = run_cli("report", "--saves-dir", str(tmp_path))
    assert table.returncode == 0, table.stderr
    assert "[bold red]boss" in table.stdout and "[link=file:x]click" in table.stdout
    assert "look-alike name (Cyrillic+Latin) resembles: ana, ａｎａ" in table.stdout
    assert "look-alike name (Fullwidth) resembles: ana, аna" in table.stdout
    assert "look-alike name (Latin) resembles: аna, ａｎａ" in table.stdout
    data = json.loads(run_cli("report", "--saves-dir", str(tmp_path), "--format", "json").stdout)
    flags = {entry["learner"]: entry["lookalike"] for entry in data["learners"]}
    assert flags["аna"] == {"scripts": ["Cyrillic", "Latin"], "looks_like": ["ana", "ａｎａ"]}
    assert flags["[bold red]boss"] is None


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another account needs root")
def test_a_save_owned_by_another_account_than_its_name_shows_the_owner(tmp_path: Path) -> None:
    record(tmp_path, "ana")
    record(tmp_path, "bea")
    os.chown(tmp_path / "bea.json", NOBODY, NOBODY)  # as if planted by the account "nobody"
    data = json.loads(run_cli("report", "--saves-dir", str(tmp_path), "--format", "json").stdout)
    owners = {entry["learner"]: (entry["owner"], entry["owner_is_learner"]) for entry in data["learners"]}
    assert owners == {"ana": ("root", False), "bea": ("nobody", False)}
    table = run_cli("report", "--saves-dir", str(tmp_path)).stdout
    assert "the file belongs to nobody" in table
    rows = list(csv.DictReader(io.StringIO(run_cli("report", "--saves-dir", str(tmp_path), "--format", "csv").stdout)))
    assert {row["learner"]: row["owner"] for row in rows if row["lesson"] == LESSON} == {"ana": "root", "bea": "nobody"}


def test_verify_marks_each_solve_verified_not_reproduced_or_without_a_block(tmp_path: Path,
                                                                           inplace_lesson: Lesson) -> None:
    """ana solves the lesson for real; bruno's save was edited to "solved" (an older save, no block);
    carla's save was edited to claim the unchanged starter solved it."""
    fix, starter = inplace_lesson.code.fix, inplace_lesson.code.starter
    store = ProgressStore(tmp_path, "ana")
    store.record_run(LESSON, fix, run_block(inplace_lesson, fix))
    assert store.load().lessons[LESSON].solved_block == fix
    (tmp_path / "bruno.json").write_text(json.dumps(
        {"schema_version": 2, "lessons": {LESSON: {"state": "solved", "last_block": fix}}}))
    (tmp_path / "carla.json").write_text(json.dumps(
        {"schema_version": 3, "lessons": {LESSON: {"state": "solved", "solved_block": starter},
                                          "inplace-softmax": {"state": "attempted"}}}))

    done = run_cli("report", "--saves-dir", str(tmp_path), "--verify", "--format", "json", timeout=600)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["verified"] is True
    marks = {entry["learner"]: entry["lessons"][LESSON]["verified"] for entry in data["learners"]}
    assert marks == {"ana": "verified", "bruno": "no_block", "carla": "not_reproduced"}
    carla = next(entry for entry in data["learners"] if entry["learner"] == "carla")
    assert carla["lessons"]["inplace-softmax"]["verified"] is None  # not solved: nothing to verify

    rows = list(csv.DictReader(io.StringIO(
        run_cli("report", "--saves-dir", str(tmp_path), "--verify", "--format", "csv", timeout=600).stdout)))
    assert {row["learner"]: row["verified"] for row in rows if row["lesson"] == LESSON} == {
        "ana": "verified", "bruno": "no_block", "carla": "not_reproduced"}
    table = run_cli("report", "--saves-dir", str(tmp_path), "--verify", timeout=600)
    lines = {line.split()[0]: line for line in table.stdout.splitlines() if line.split()[:1] in (["ana"], ["bruno"],
                                                                                                   ["carla"])}
    assert lines["ana"].rstrip().endswith("verified")
    assert lines["bruno"].rstrip().endswith("without a block")
    assert lines["carla"].rstrip().endswith("not reproduced")
    assert "Re-running 2 saved solving blocks" in table.stderr
    plain = json.loads(run_cli("report", "--saves-dir", str(tmp_path), "--format", "json").stdout)
    assert plain["verified"] is False and "verified" not in plain["learners"][0]["lessons"][LESSON]
