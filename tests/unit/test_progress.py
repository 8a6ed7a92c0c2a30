"""A learner's progress: what each event records, resume, merging sessions, migration, quarantine."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tutor.core.i18n import say
from tutor.core.lessons import Lesson
from tutor.core.progress import (MAX_HISTORY, SCHEMA_VERSION, LearnerSave, LessonState, ProgressStore, SaveError,
                                 read_save, save_path)
from tutor.core.results import Diagnosis, DiagnosisKind, RunResult, Status
from tutor.core.savefiles import SaveUnreadable
from tutor.core.runner import run_block

LESSON = "inplace-residual"


def result(status: Status) -> RunResult:
    return RunResult(lesson=LESSON, status=status, message="")


@pytest.fixture
def store(tmp_path: Path) -> ProgressStore:
    return ProgressStore(tmp_path / "saves", "ana")


def on_disk(store: ProgressStore) -> LearnerSave:
    """What a fresh session would read: the file, not the object in memory."""
    return LearnerSave.model_validate_json(store.path.read_text(encoding="utf-8"))


def test_a_new_learner_starts_empty_and_the_folder_is_created_private(store: ProgressStore) -> None:
    save = store.load()
    assert save.learner == "ana" and save.lessons == {} and save.last_lesson is None
    assert store.saves_dir.is_dir()
    assert stat.S_IMODE(store.saves_dir.stat().st_mode) == 0o700
    assert store.notices == []


def test_runs_count_attempts_only_for_a_changed_block(store: ProgressStore) -> None:
    store.record_opened(LESSON)
    store.record_run(LESSON, "block one", result(Status.FAILED))
    store.record_run(LESSON, "block one", result(Status.FAILED))  # ran again, nothing changed
    store.record_run(LESSON, "block two", result(Status.FAILED))
    lesson = on_disk(store).lessons[LESSON]
    assert (lesson.runs, lesson.attempts) == (3, 2)
    assert lesson.state is LessonState.ATTEMPTED
    assert lesson.last_block == "block two" and lesson.last_status is Status.FAILED
    assert lesson.solved_at is None and lesson.hints_at_solve is None


def test_solving_records_when_and_with_how_many_hints_and_is_never_undone(store: ProgressStore) -> None:
    store.record_opened(LESSON)
    store.record_hint(LESSON, 2)
    store.record_hint(LESSON, 1)  # looking at an earlier hint again does not lower the rung
    store.record_run(LESSON, "wrong", result(Status.FAILED))
    solved = store.record_run(LESSON, "right", result(Status.PASSED)).lessons[LESSON]
    assert solved.state is LessonState.SOLVED and solved.solved_at is not None
    assert (solved.hint_rung, solved.hints_at_solve, solved.attempts_at_solve) == (2, 2, 2)
    store.record_hint(LESSON, 3)
    later = store.record_run(LESSON, "broken again", result(Status.FAILED)).lessons[LESSON]
    assert later.state is LessonState.SOLVED
    assert later.solved_at == solved.solved_at
    assert (later.hint_rung, later.hints_at_solve, later.attempts) == (3, 2, 3)
    assert later.last_status is Status.FAILED


def test_resume_returns_the_last_lesson_block_and_hints(store: ProgressStore) -> None:
    store.set_language("es")
    store.record_opened(LESSON)
    first_opened = on_disk(store).lessons[LESSON].first_opened
    store.record_hint(LESSON, 1)
    store.save_block(LESSON, "h = h + self.attn(x)\n")
    store.add_time(LESSON, 12.5)
    store.add_time(LESSON, 7.5)
    store.record_opened(LESSON)  # reopening does not move first_opened

    reopened = ProgressStore(store.saves_dir, "ana").load()
    lesson = reopened.lessons[LESSON]
    assert reopened.last_lesson == LESSON and reopened.language == "es"
    assert lesson.last_block == "h = h + self.attn(x)\n" and lesson.hint_rung == 1
    assert lesson.time_spent_s == 20.0 and lesson.first_opened == first_opened
    assert lesson.state is LessonState.NEW  # opening and typing are not attempts


def test_reset_forgets_one_lesson_or_all(store: ProgressStore) -> None:
    store.record_run(LESSON, "x", result(Status.PASSED))
    store.record_run("other-lesson", "y", result(Status.FAILED))
    assert set(store.reset(LESSON).lessons) == {"other-lesson"}
    assert on_disk(store).last_lesson == "other-lesson"
    cleared = store.reset(None)
    assert cleared.lessons == {} and cleared.last_lesson is None
    assert on_disk(store).lessons == {}


def test_hint_rungs_and_times_are_bounded(store: ProgressStore) -> None:
    with pytest.raises(ValueError):
        store.record_hint(LESSON, 4)
    with pytest.raises(ValueError):
        store.add_time(LESSON, -1.0)
    assert not store.path.exists()


def test_two_sessions_of_one_learner_merge(tmp_path: Path) -> None:
    laptop = ProgressStore(tmp_path, "ana")
    classroom = ProgressStore(tmp_path, "ana")
    laptop.load()
    classroom.load()
    laptop.record_hint(LESSON, 2)
    classroom.record_run(LESSON, "a", result(Status.FAILED))
    laptop.add_time(LESSON, 5.0)
    merged = classroom.record_run(LESSON, "b", result(Status.PASSED)).lessons[LESSON]
    assert (merged.hint_rung, merged.runs, merged.time_spent_s, merged.hints_at_solve) == (2, 2, 5.0, 2)


def test_the_save_file_is_readable_by_the_folder_group_and_writable_by_its_owner_only(store: ProgressStore) -> None:
    store.record_opened(LESSON)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o640
    assert stat.S_IMODE(store.lock_path.stat().st_mode) == 0o600
    assert sorted(p.name for p in store.saves_dir.iterdir()) == [".ana.lock", "ana.json"]


def test_a_real_run_is_recorded(inplace_lesson: Lesson, store: ProgressStore) -> None:
    """The runner's own results, from real torch in a child process, drive the record."""
    for block in (inplace_lesson.code.starter, inplace_lesson.code.fix):
        store.record_run(inplace_lesson.id, block, run_block(inplace_lesson, block))
    lesson = on_disk(store).lessons[inplace_lesson.id]
    assert lesson.state is LessonState.SOLVED and lesson.attempts == 2
    assert lesson.last_block == inplace_lesson.code.fix


# --- corrupted saves ---

CORRUPT = {
    "not json": b"{\"learner\": \"ana\", \"lessons\": {",
    "empty file": b"",
    "not utf-8": b"\xff\xfe\x00garbage",
    "wrong shape": json.dumps({"schema_version": 2, "learner": "ana", "lessons": {LESSON: "solved"}}).encode(),
    "a list": b"[1, 2, 3]",
    "bad state": json.dumps({"schema_version": 2, "learner": "ana",
                             "lessons": {LESSON: {"state": "won"}}}).encode(),
    "bad version": json.dumps({"schema_version": "two", "learner": "ana"}).encode(),
}


@pytest.mark.parametrize("kind", list(CORRUPT))
def test_a_corrupted_save_is_moved_aside_reported_and_replaced(kind: str, tmp_path: Path) -> None:
    tmp_path.joinpath("ana.json").write_bytes(CORRUPT[kind])
    store = ProgressStore(tmp_path, "ana")
    save = store.load()
    assert save.lessons == {}
    moved = [p for p in tmp_path.iterdir() if p.name.startswith("ana.json.corrupt-")]
    assert len(moved) == 1 and moved[0].read_bytes() == CORRUPT[kind]  # kept, not lost
    assert len(store.notices) == 1
    assert str(moved[0]) in say(store.notices[0], "en") and "fresh save" in say(store.notices[0], "en")
    assert on_disk(store).lessons == {}  # a valid save is in place again
    store.record_opened(LESSON)
    assert ProgressStore(tmp_path, "ana").load().last_lesson == LESSON


def test_a_second_corruption_does_not_overwrite_the_first_quarantine(tmp_path: Path) -> None:
    for text in (b"first", b"second"):
        tmp_path.joinpath("ana.json").write_bytes(text)
        ProgressStore(tmp_path, "ana").load()
    kept = sorted(p.read_bytes() for p in tmp_path.iterdir() if ".corrupt-" in p.name)
    assert kept == [b"first", b"second"]


def test_the_quarantine_notice_speaks_the_learners_language(tmp_path: Path) -> None:
    tmp_path.joinpath("ana.json").write_bytes(b"???")
    store = ProgressStore(tmp_path, "ana")
    store.load()
    assert "Se ha movido" in say(store.notices[0], "es")


def test_peek_changes_nothing_even_for_a_corrupted_save(tmp_path: Path) -> None:
    tmp_path.joinpath("ana.json").write_bytes(b"???")
    store = ProgressStore(tmp_path, "ana")
    assert store.peek().lessons == {}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ana.json"]
    assert len(store.notices) == 1


# --- schema versions ---

VERSION_1 = {
    "schema_version": 1, "learner": "ana", "language": "es", "last_lesson": LESSON,
    "lessons": {LESSON: {"solved": True, "attempts": 4, "hints": 2, "last_block": "fixed\n", "time_spent_s": 90.0},
                "other-lesson": {"solved": False, "attempts": 1, "hints": 0, "last_block": None}},
}


def test_a_version_1_save_is_migrated_and_rewritten_as_the_current_version(tmp_path: Path) -> None:
    tmp_path.joinpath("ana.json").write_text(json.dumps(VERSION_1))
    store = ProgressStore(tmp_path, "ana")
    save = store.load()
    assert store.notices == []
    solved, tried = save.lessons[LESSON], save.lessons["other-lesson"]
    assert (solved.state, solved.attempts, solved.hint_rung, solved.last_block, solved.time_spent_s) == (
        LessonState.SOLVED, 4, 2, "fixed\n", 90.0)
    assert (tried.state, tried.attempts) == (LessonState.ATTEMPTED, 1)
    assert save.language == "es" and save.last_lesson == LESSON
    store.record_hint("other-lesson", 1)
    assert json.loads(store.path.read_text())["schema_version"] == SCHEMA_VERSION
    assert on_disk(store).lessons[LESSON].state is LessonState.SOLVED


def test_a_save_from_a_newer_tutor_is_left_alone(tmp_path: Path) -> None:
    newer = json.dumps({"schema_version": SCHEMA_VERSION + 1, "learner": "ana", "lessons": {}})
    tmp_path.joinpath("ana.json").write_text(newer)
    with pytest.raises(SaveError, match="newer tutor"):
        ProgressStore(tmp_path, "ana").load()
    assert tmp_path.joinpath("ana.json").read_text() == newer
    assert not [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]


# --- many processes, and a process killed while saving ---

RECORDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from tutor.core.progress import ProgressStore
    from tutor.core.results import RunResult, Status
    from tutor.core.savefiles import SaveError
    saves, start, worker, count = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    deadline = time.monotonic() + 60
    while not start.exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    store = ProgressStore(saves, "ana")

    def patiently(record):
        # On a loaded machine a lock holder can be descheduled past the tutor's wait; "busy" is
        # then the tutor's honest answer, and this test is about lost updates, not about waits.
        while True:
            try:
                return record()
            except SaveError as error:
                if error.wording.key != "save.lock_busy":
                    raise

    for k in range(count):
        patiently(lambda: store.record_run("inplace-residual", f"block {worker}-{k}",
                  RunResult(lesson="inplace-residual", status=Status.FAILED, message="")))
        patiently(lambda: store.add_time("inplace-residual", 1.0))
""")


def test_twenty_processes_recording_at_once_lose_no_update(tmp_path: Path) -> None:
    workers, each = 20, 5
    start = tmp_path / "go"
    processes = [subprocess.Popen([sys.executable, "-c", RECORDER, str(tmp_path / "saves"), str(start), str(w),
                                   str(each)], stderr=subprocess.PIPE) for w in range(workers)]
    start.touch()  # all start together, to collide
    for process in processes:
        _, stderr = process.communicate(timeout=180)
        assert process.returncode == 0, stderr.decode()
    text = save_path(tmp_path / "saves", "ana").read_text()
    lesson = LearnerSave.model_validate(json.loads(text)).lessons[LESSON]
    assert lesson.runs == workers * each
    assert lesson.attempts == workers * each  # every block was different
    assert lesson.time_spent_s == workers * each * 1.0


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from tutor.core.progress import ProgressStore
    from tutor.core.savefiles import locked, write_atomic
    store = ProgressStore(Path(sys.argv[1]), "ana")
    n = 0
    while True:  # saves as the store does, padded to 3 MB (within a save's bounds) to be slow, until killed
        n += 1
        save = store.load()
        save.lessons["inplace-residual"].last_block = str(n)
        with locked(store.lock_path):
            write_atomic(store.path, save.model_dump_json() + " " * 3_000_000)
""")


def partly_written_temporaries(folder: Path, known: set[Path]) -> list[Path]:
    """Temporary saves not in `known` that already hold some bytes: a write in progress."""
    found = []
    for path in set(folder.glob(".ana.json.*.tmp")) - known:
        try:
            if path.stat().st_size > 0:
                found.append(path)
        except FileNotFoundError:
            pass  # renamed into place meanwhile
    return found


def test_a_process_killed_while_saving_leaves_the_previous_save_valid(tmp_path: Path) -> None:
    store = ProgressStore(tmp_path, "ana")
    store.save_block(LESSON, "the previous block")
    for _ in range(3):
        known = set(tmp_path.glob(".ana.json.*.tmp"))  # left by the last kill
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)])
        try:
            deadline = time.monotonic() + 60
            while not partly_written_temporaries(tmp_path, known):
                assert time.monotonic() < deadline, "the writer never started a save"
                assert writer.poll() is None, "the writer died on its own"
                time.sleep(0.0005)
        finally:
            writer.kill()
            writer.wait(timeout=30)
        survivor = read_save(store.path)  # parses: old or new, never half-written
        block = survivor.lessons[LESSON].last_block or ""
        assert block == "the previous block" or block.isdigit()
    store.record_hint(LESSON, 1)  # the next save cleans up whatever a killed one left
    assert not list(tmp_path.glob(".ana.json.*.tmp"))
    assert read_save(store.path).lessons[LESSON].hint_rung == 1


def test_a_save_that_is_a_symlink_is_moved_aside_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps({"schema_version": 2, "learner": "ana", "lessons": {LESSON: {"runs": 9}}}))
    saves = tmp_path / "saves"
    saves.mkdir()
    (saves / "ana.json").symlink_to(elsewhere)
    store = ProgressStore(saves, "ana")
    assert store.load().lessons == {}
    assert "symbolic link" in say(store.notices[0], "en")
    store.record_hint(LESSON, 1)
    assert not store.path.is_symlink()
    assert json.loads(elsewhere.read_text())["lessons"][LESSON]["runs"] == 9  # untouched


# --- the run history ---

def test_each_run_is_kept_in_the_history_with_its_verdict_hint_rung_and_whether_the_block_changed(
        store: ProgressStore) -> None:
    store.record_run(LESSON, "a", result(Status.FAILED))
    store.record_hint(LESSON, 2)
    store.record_run(LESSON, "a", RunResult(lesson=LESSON, status=Status.FAILED, message="",
                                            diagnosis=Diagnosis(kind=DiagnosisKind.SHAPE_MISMATCH)))
    store.record_run("other-lesson", "b", result(Status.PASSED))
    history = on_disk(store).history
    assert [(r.lesson, r.status, r.diagnosis, r.hint_rung, r.changed) for r in history] == [
        (LESSON, Status.FAILED, None, 0, True),
        (LESSON, Status.FAILED, DiagnosisKind.SHAPE_MISMATCH, 2, False),
        ("other-lesson", Status.PASSED, None, 0, True)]
    assert history[0].at <= history[1].at <= history[2].at


def test_the_history_keeps_only_the_last_runs_and_the_save_stays_small(store: ProgressStore) -> None:
    for n in range(MAX_HISTORY + 10):
        store.record_run(LESSON, f"block {n % 3}", result(Status.FAILED))
    history = on_disk(store).history
    assert len(history) == MAX_HISTORY
    assert on_disk(store).lessons[LESSON].runs == MAX_HISTORY + 10  # the counts are not bounded by the history
    assert store.path.stat().st_size < 16 * 1024


def test_a_version_3_save_is_migrated_with_an_empty_history(tmp_path: Path) -> None:
    version_3 = {"schema_version": 3, "learner": "ana", "last_lesson": LESSON,
                 "lessons": {LESSON: {"state": "attempted", "runs": 2, "attempts": 1, "last_block": "x"}}}
    tmp_path.joinpath("ana.json").write_text(json.dumps(version_3))
    store = ProgressStore(tmp_path, "ana")
    assert store.load().history == [] and store.notices == []
    store.record_run(LESSON, "x", result(Status.FAILED))
    written = json.loads(store.path.read_text())
    assert written["schema_version"] == SCHEMA_VERSION == 4
    assert len(written["history"]) == 1 and written["history"][0]["changed"] is True  # v3 kept no digest
    assert written["lessons"][LESSON]["runs"] == 3


def test_a_history_longer_than_a_save_keeps_is_unreadable(tmp_path: Path) -> None:
    run = {"at": "2026-01-01T00:00:00Z", "lesson": LESSON, "status": "failed", "hint_rung": 0, "changed": True}
    for count, error in ((MAX_HISTORY + 1, "history"), (10**4, "runs than it keeps")):
        tmp_path.joinpath("eve.json").write_text(json.dumps(
            {"schema_version": SCHEMA_VERSION, "lessons": {}, "history": [run] * count}))
        with pytest.raises(SaveUnreadable, match=error):
            read_save(tmp_path / "eve.json")
