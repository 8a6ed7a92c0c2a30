"""`progress`, `reset` and `report` as a learner and a teacher run them: real processes, real files."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.core.progress import LessonState, ProgressStore
from tutor.core.results import RunResult, Status

LESSON = "inplace-residual"


def run_cli(*args: str, stdin: str = "", lang: str = "en") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tutor", *args], input=stdin, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "NO_COLOR": "1", "MINIGPT_TUTOR_LANG": lang,
                                           "COLUMNS": "160"})


def play(saves: Path, learner: str, blocks: list[tuple[str, Status]], rung: int = 0, seconds: float = 0.0) -> None:
    store = ProgressStore(saves, learner)
    store.record_opened(LESSON)
    if rung:
        store.record_hint(LESSON, rung)
    for block, status in blocks:
        store.record_run(LESSON, block, RunResult(lesson=LESSON, status=status, message=""))
    store.add_time(LESSON, seconds)


@pytest.fixture
def classroom(tmp_path: Path) -> Path:
    """Three learners: one solved at the third attempt with no hint, one at the second with the direct
    hint, one stuck after two attempts with the medium hint."""
    saves = tmp_path / "saves"
    play(saves, "ana", [("a", Status.FAILED), ("b", Status.FAILED), ("c", Status.PASSED)], rung=0, seconds=300)
    play(saves, "bruno", [("a", Status.FAILED), ("b", Status.PASSED)], rung=3, seconds=61)
    play(saves, "carla", [("a", Status.FAILED), ("b", Status.INVALID)], rung=2, seconds=30)
    return saves


def test_progress_prints_the_learners_table(classroom: Path) -> None:
    done = run_cli("--saves-dir", str(classroom), "--learner", "bruno", "progress")
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if LESSON in line)
    assert row.split()[:-1] == ["▸", LESSON, "solved", "2", "3/3", "1m", "01s"]  # then the date solved
    assert str(classroom / "bruno.json") in done.stdout


def test_progress_speaks_spanish(classroom: Path) -> None:
    done = run_cli("--saves-dir", str(classroom), "--learner", "carla", "progress", lang="es")
    assert "Progreso de carla" in done.stdout and "intentada" in done.stdout


def test_progress_of_a_learner_with_no_save_is_all_new_and_writes_nothing(tmp_path: Path) -> None:
    done = run_cli("--saves-dir", str(tmp_path / "none"), "--learner", "dora", "progress")
    assert done.returncode == 0, done.stderr
    assert "new" in done.stdout
    assert not (tmp_path / "none").exists()


def test_reset_asks_and_respects_no(classroom: Path) -> None:
    done = run_cli("--saves-dir", str(classroom), "--learner", "ana", "reset", LESSON, stdin="n\n")
    assert done.returncode == 1
    assert "Forget the progress of ana in inplace-residual?" in done.stdout
    assert ProgressStore(classroom, "ana").peek().lessons[LESSON].state is LessonState.SOLVED


def test_reset_with_yes_answered_or_given(classroom: Path) -> None:
    done = run_cli("--saves-dir", str(classroom), "--learner", "ana", "reset", LESSON, stdin="y\n")
    assert done.returncode == 0, done.stderr
    assert LESSON not in ProgressStore(classroom, "ana").peek().lessons
    done = run_cli("--saves-dir", str(classroom), "--learner", "bruno", "reset", "--all", "--yes", lang="es")
    assert done.returncode == 0 and "reiniciado" in done.stdout
    assert ProgressStore(classroom, "bruno").peek().lessons == {}
    assert ProgressStore(classroom, "carla").peek().lessons[LESSON].attempts == 2  # nobody else's


def test_reset_without_a_confirmation_on_a_closed_stdin_is_cancelled(classroom: Path) -> None:
    done = run_cli("--saves-dir", str(classroom), "--learner", "ana", "reset", "--all")
    assert done.returncode == 1
    assert ProgressStore(classroom, "ana").peek().lessons[LESSON].state is LessonState.SOLVED


@pytest.mark.parametrize("args", [["reset"], ["reset", LESSON, "--all"], ["reset", "no-such-lesson", "--yes"]])
def test_reset_usage_errors(classroom: Path, args: list[str]) -> None:
    done = run_cli("--saves-dir", str(classroom), "--learner", "ana", *args)
    assert done.returncode == 2 and "error:" in done.stderr


def test_report_json_has_every_learner_and_the_per_lesson_summary(classroom: Path) -> None:
    done = run_cli("report", "--saves-dir", str(classroom), "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [entry["learner"] for entry in report["learners"]] == ["ana", "bruno", "carla"]
    states = {e["learner"]: e["lessons"][LESSON]["state"] for e in report["learners"]}
    assert states == {"ana": "solved", "bruno": "solved", "carla": "attempted"}
    assert {e["learner"]: e["lessons"][LESSON]["hint_rung"] for e in report["learners"]} == {
        "ana": 0, "bruno": 3, "carla": 2}
    summary = next(s for s in report["summary"] if s["lesson"] == LESSON)
    assert summary == {"lesson": LESSON, "learners": 3, "attempted": 3, "solved": 2,
                       "median_attempts": 2.5, "direct_hint": 1}
    assert report["unreadable"] == []


def test_report_csv_is_one_row_per_learner_and_lesson(classroom: Path) -> None:
    done = run_cli("--saves-dir", str(classroom), "report", "--format", "csv")
    rows = [r for r in csv.DictReader(io.StringIO(done.stdout)) if r["lesson"] == LESSON]
    assert [(r["learner"], r["state"], r["attempts"], r["time_spent_s"]) for r in rows] == [
        ("ana", "solved", "3", "300.0"), ("bruno", "solved", "2", "61.0"), ("carla", "attempted", "2", "30.0")]


def test_report_table_shows_learners_and_the_summary(classroom: Path) -> None:
    done = run_cli("report", "--saves-dir", str(classroom))
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()
            if line.split()[:1] in (["ana"], ["bruno"], ["carla"])}
    assert rows == {"ana": [LESSON, "solved", "3", "0/3", "5m", "00s"],
                    "bruno": [LESSON, "solved", "2", "3/3", "1m", "01s"],
                    "carla": [LESSON, "attempted", "2", "2/3", "0m", "30s"]}
    summary_row = next(line.split() for line in done.stdout.splitlines()
                       if line.split()[:1] == [LESSON] and "3/3" in line)
    assert summary_row == [LESSON, "3/3", "2/3", "2.5", "1/3"]


def test_report_skips_an_unreadable_save_and_says_so(classroom: Path) -> None:
    (classroom / "eve.json").write_text("{not json")
    done = run_cli("report", "--saves-dir", str(classroom), "--format", "json")
    report = json.loads(done.stdout)
    assert [e["learner"] for e in report["learners"]] == ["ana", "bruno", "carla"]
    assert [u["file"] for u in report["unreadable"]] == ["eve.json"]
    table = run_cli("report", "--saves-dir", str(classroom))
    assert "eve.json was skipped" in table.stderr
    assert (classroom / "eve.json").read_text() == "{not json"  # the report never changes a save


def test_report_on_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    done = run_cli("report", "--saves-dir", str(tmp_path / "nowhere"))
    assert done.returncode == 2 and "no saves folder" in done.stderr


def test_report_neither_follows_a_symlink_nor_waits_on_a_fifo(classroom: Path, tmp_path: Path) -> None:
    """Anyone in a class folder can leave odd files under a save's name; the teacher's report must not
    read a file the link points to, nor hang on a FIFO."""
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"schema_version": 2, "learner": "x", "lessons": {}}))
    (classroom / "mallory.json").symlink_to(secret)
    os.mkfifo(classroom / "fifo.json")
    done = run_cli("report", "--saves-dir", str(classroom), "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [e["learner"] for e in report["learners"]] == ["ana", "bruno", "carla"]
    assert {u["file"]: u["error"] for u in report["unreadable"]} == {
        "fifo.json": "not a regular file", "mallory.json": "a symbolic link, not a save"}
