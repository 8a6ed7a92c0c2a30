"""Saves nobody's tutor wrote: odd numbers, too many lessons, huge blocks, folders, FIFOs, other people's files.

A save in a class folder can be edited by its learner or planted by a classmate; none
of it may crash the tutor, `progress` or `report`, and none of it may cost a learner
progress the tutor can still read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tutor.core.i18n import say
from tutor.core.progress import MAX_BLOCK_BYTES, MAX_LESSONS, LessonState, ProgressStore, SaveError, read_save
from tutor.core.results import RunResult, Status
from tutor.core.savefiles import LOCK_WAIT_S, MAX_SAVE_BYTES
from tutor.core.settings import Settings

LESSON = "inplace-residual"
NOBODY = 65534


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tutor", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1", "MINIGPT_TUTOR_LANG": "en", "COLUMNS": "160"})


def strict_json(text: str) -> object:
    """JSON as the standard says: Infinity and NaN are not JSON."""
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in the output")
    return json.loads(text, parse_constant=refuse)


def save_text(lessons: dict[str, object], version: int = 3) -> str:
    return json.dumps({"schema_version": version, "learner": "x", "lessons": lessons})


def passed() -> RunResult:
    return RunResult(lesson=LESSON, status=Status.PASSED, message="")


@pytest.mark.parametrize("field, value", [("time_spent_s", "1e999"), ("time_spent_s", "-1"), ("runs", "1e30"),
                                          ("attempts", "123456789012345678901234567890"), ("time_spent_s", "NaN")])
def test_numbers_out_of_bounds_crash_neither_report_nor_progress(tmp_path: Path, field: str, value: str) -> None:
    saves = tmp_path / "saves"
    ProgressStore(saves, "ana").record_hint(LESSON, 1)
    (saves / "eve.json").write_text(f'{{"schema_version": 3, "lessons": {{"{LESSON}": {{"{field}": {value}}}}}}}')

    report = run_cli("report", "--saves-dir", str(saves), "--format", "json")
    assert report.returncode == 0, report.stderr
    data = strict_json(report.stdout)
    assert [e["learner"] for e in data["learners"]] == ["ana"]
    assert [u["file"] for u in data["unreadable"]] == ["eve.json"] and field in data["unreadable"][0]["error"]
    for form in ("table", "csv"):
        shown = run_cli("report", "--saves-dir", str(saves), "--format", form)
        assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr
        assert "inf" not in shown.stdout.lower().replace("info", "")
    progress = run_cli("--saves-dir", str(saves), "--learner", "eve", "progress")
    assert progress.returncode == 0 and "Traceback" not in progress.stderr, progress.stderr
    assert "could not be read" in progress.stderr and field in progress.stderr


def test_time_and_counts_saturate_instead_of_leaving_their_bounds(tmp_path: Path) -> None:
    store = ProgressStore(tmp_path, "ana")
    for _ in range(3):
        store.add_time(LESSON, 9e7)
    assert read_save(store.path).lessons[LESSON].time_spent_s == 1e8
    with pytest.raises(ValueError, match="time spent"):
        store.add_time(LESSON, float("inf"))


def test_lessons_the_course_does_not_have_are_kept_but_not_reported(tmp_path: Path) -> None:
    (tmp_path / "ana.json").write_text(save_text({"retired-lesson": {"state": "solved", "runs": 3},
                                                  LESSON: {"state": "attempted", "runs": 1}}))
    store = ProgressStore(tmp_path, "ana")
    store.record_hint(LESSON, 2)
    assert read_save(store.path).lessons["retired-lesson"].runs == 3  # kept
    data = strict_json(run_cli("report", "--saves-dir", str(tmp_path), "--format", "json").stdout)
    assert "retired-lesson" not in data["lessons"]
    (entry,) = data["learners"]
    assert entry["other_lessons"] == 1 and "retired-lesson" not in entry["lessons"]
    assert "retired-lesson" not in run_cli("report", "--saves-dir", str(tmp_path)).stdout


@pytest.mark.parametrize("count", [MAX_LESSONS + 1, 10**5])
def test_a_save_with_too_many_lessons_is_not_read(tmp_path: Path, count: int) -> None:
    (tmp_path / "eve.json").write_text(save_text({f"invented-{i}": {} for i in range(count)}))
    ProgressStore(tmp_path, "ana").record_hint(LESSON, 1)
    data = strict_json(run_cli("report", "--saves-dir", str(tmp_path), "--format", "json").stdout)
    assert [e["learner"] for e in data["learners"]] == ["ana"]
    (skipped,) = data["unreadable"]
    assert skipped["file"] == "eve.json" and f"than a save can hold ({MAX_LESSONS})" in skipped["error"]


BIG_BLOCKS = {"17 MB": "x" * 17_000_000, "3 MB of control characters": "\x01" * 3_000_000}


@pytest.mark.parametrize("kind", list(BIG_BLOCKS))
def test_a_block_over_the_cap_is_not_kept_the_learner_is_told_and_the_progress_is(tmp_path: Path, kind: str) -> None:
    store = ProgressStore(tmp_path, "ana")
    store.save_block(LESSON, "my block")
    store.record_run(LESSON, BIG_BLOCKS[kind], passed())
    (notice,) = [say(taken, "en") for taken in store.take_notices()]
    assert f"more than the {MAX_BLOCK_BYTES // 1024} KB" in notice and "not saved" in notice
    store.save_block(LESSON, BIG_BLOCKS[kind])
    assert len(store.take_notices()) == 1
    lesson = read_save(store.path).lessons[LESSON]
    assert (lesson.state, lesson.runs, lesson.last_block, lesson.solved_block) == (LessonState.SOLVED, 1, "my block",
                                                                                  None)
    assert store.path.stat().st_size < MAX_SAVE_BYTES


@pytest.mark.parametrize("kind", list(BIG_BLOCKS))
def test_an_older_save_holding_a_huge_block_keeps_its_progress(tmp_path: Path, kind: str) -> None:
    """What an older tutor wrote (blocks of any size) loses its block, never its solved lessons."""
    (tmp_path / "ana.json").write_text(save_text({LESSON: {"state": "solved", "runs": 5, "last_block": BIG_BLOCKS[kind]},
                                                  "inplace-softmax": {"state": "attempted", "last_block": "small"}},
                                                 version=2))
    store = ProgressStore(tmp_path, "ana")
    save = store.load()
    assert (save.lessons[LESSON].state, save.lessons[LESSON].runs, save.lessons[LESSON].last_block) == (
        LessonState.SOLVED, 5, None)
    assert save.lessons["inplace-softmax"].last_block == "small"
    (notice,) = [say(taken, "en") for taken in store.take_notices()]
    assert LESSON in notice and "dropped" in notice and "rest of your progress is kept" in notice
    assert not [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]  # nothing quarantined
    assert store.path.stat().st_size < 10_000  # rewritten without the block
    assert read_save(store.path).lessons[LESSON].state is LessonState.SOLVED


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_folder_or_fifo_under_the_learners_name_never_crashes_the_tutor(tmp_path: Path, kind: str) -> None:
    from tutor.ui.app import build_app

    path = tmp_path / "ana.json"
    path.mkdir() if kind == "folder" else os.mkfifo(path)
    progress = run_cli("--saves-dir", str(tmp_path), "--learner", "ana", "progress")
    assert progress.returncode == 0 and "Traceback" not in progress.stderr, progress.stderr
    expected = "a folder, not a save" if kind == "folder" else "not a regular file"
    assert expected in progress.stderr
    app = build_app(Settings.resolve(saves_dir=str(tmp_path), learner="ana"))
    assert app.save.lessons == {} and any(expected in say(notice, "en") for notice in app.notices)
    moved = [p for p in tmp_path.iterdir() if p.name.startswith("ana.json.corrupt-")]
    assert len(moved) == 1  # the learner's own odd file is moved aside, as any unreadable save
    app.store.record_hint(LESSON, 1)
    assert read_save(path).lessons[LESSON].hint_rung == 1


def test_the_report_skips_and_names_a_folder_named_like_a_save(tmp_path: Path) -> None:
    ProgressStore(tmp_path, "ana").record_hint(LESSON, 1)
    (tmp_path / "zed.json").mkdir()
    (tmp_path / "\x1b[31mred.json").write_text("{}")
    done = run_cli("report", "--saves-dir", str(tmp_path))
    assert done.returncode == 0 and "ana" in done.stdout, done.stderr
    assert "zed.json was skipped: a folder, not a save" in done.stderr
    assert "\x1b" not in done.stderr and "\\x1b[31mred.json was skipped" in done.stderr
    data = strict_json(run_cli("report", "--saves-dir", str(tmp_path), "--format", "json").stdout)
    assert {u["file"] for u in data["unreadable"]} == {"zed.json", "\\x1b[31mred.json"}


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another account needs root")


@needs_root
@pytest.mark.parametrize("planted", ["ana.json", ".ana.lock"])
def test_a_file_of_another_account_under_the_learners_name_is_refused(tmp_path: Path, planted: str) -> None:
    """The unit form of the classroom test (tests/e2e/test_ssh_classroom.py has two real accounts)."""
    path = tmp_path / planted
    path.write_text(save_text({LESSON: {"state": "solved"}}))
    os.chown(path, NOBODY, NOBODY)
    before = path.read_bytes()
    store = ProgressStore(tmp_path, "ana")
    with pytest.raises(SaveError) as refused:
        store.record_hint(LESSON, 1)
    message = str(refused.value)
    assert str(path) in message and "not to you (root)" in message and "The saves folder is yours" in message
    assert path.read_bytes() == before and path.stat().st_uid == NOBODY
    if planted == "ana.json":
        with pytest.raises(SaveError, match="belongs to nobody"):
            store.peek()


HOLDER = textwrap.dedent("""
    import fcntl, os, sys, time
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_SH)
    print("held", flush=True)
    time.sleep(120)
""")


def test_a_lock_held_elsewhere_is_waited_on_only_a_moment(tmp_path: Path) -> None:
    store = ProgressStore(tmp_path, "ana")
    store.record_hint(LESSON, 1)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(store.lock_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(SaveError, match="locked"):
            store.record_hint(LESSON, 2)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert LOCK_WAIT_S <= 2.0
    assert store.record_hint(LESSON, 2).lessons[LESSON].hint_rung == 2
