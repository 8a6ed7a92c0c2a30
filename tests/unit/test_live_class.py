"""The teacher's live view, headless: who is stuck first, the stuck score's terms, the lessons, and
a hostile folder that never stops the view nor gets written."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tutor.core.course import Course
from tutor.core.liveclass import IDLE_MINUTES, build_view
from tutor.core.progress import SCHEMA_VERSION, ProgressStore
from tutor.core.results import Diagnosis, DiagnosisKind, RunResult, Status

LESSON = "inplace-residual"


def run(saves: Path, learner: str, status: Status = Status.FAILED, kind: DiagnosisKind | None = None,
        block: str = "a block", lesson: str = LESSON) -> None:
    store = ProgressStore(saves, learner)
    store.record_opened(lesson)
    store.record_run(lesson, block, RunResult(lesson=lesson, status=status, message="",
                                              diagnosis=Diagnosis(kind=kind) if kind else None))


def order(saves: Path, course: Course, now: datetime | None = None) -> list[str]:
    return [row.learner for row in build_view(saves, course, now).rows]


def test_a_learner_repeating_the_same_diagnosis_rises_to_the_top_and_a_pass_brings_them_down(
        tmp_path: Path, course: Course) -> None:
    run(tmp_path, "ana", kind=DiagnosisKind.INPLACE_VERSION)
    run(tmp_path, "bob", kind=DiagnosisKind.SHAPE_MISMATCH)
    run(tmp_path, "bob", kind=DiagnosisKind.INPLACE_VERSION, block="another")
    assert order(tmp_path, course) == ["ana", "bob"]  # a tie, by name
    for n in range(3):
        run(tmp_path, "bob", kind=DiagnosisKind.INPLACE_VERSION, block=f"try {n}")
    view = build_view(tmp_path, course)
    bob = view.rows[0]
    assert [row.learner for row in view.rows] == ["bob", "ana"]
    assert (bob.last_problem, bob.repeats, bob.runs_since_progress) == ("inplace_version", 4, 5)
    assert bob.score >= 2 * 3
    run(tmp_path, "bob", Status.PASSED, block="the fix")
    bob = next(row for row in build_view(tmp_path, course).rows if row.learner == "bob")
    assert (bob.score, bob.repeats, bob.runs_since_progress, bob.solved, bob.last_problem) == (0, 0, 0, 1, "")
    assert order(tmp_path, course) == ["ana", "bob"]


def test_a_run_without_a_torch_error_is_named_by_its_verdict_and_repeats_count_on_one_lesson(
        tmp_path: Path, course: Course) -> None:
    run(tmp_path, "ana", Status.FAILED, block="1")
    run(tmp_path, "ana", Status.FAILED, block="2")
    run(tmp_path, "ana", Status.TIMEOUT, block="3")
    row = build_view(tmp_path, course).rows[0]
    assert (row.last_problem, row.repeats, row.runs_since_progress) == ("timeout", 1, 3)


def test_the_direct_hint_idling_and_time_against_the_median_add_to_the_score(tmp_path: Path, course: Course) -> None:
    for name in ("ana", "bob", "cyd"):
        run(tmp_path, name)
    ProgressStore(tmp_path, "bob").record_hint(LESSON, 3)
    now = datetime.now(timezone.utc)
    scores = {row.learner: row.score for row in build_view(tmp_path, course, now).rows}
    assert scores["bob"] - scores["ana"] == 3  # seconds into the lesson, time counts (almost) nothing
    later = {row.learner: row for row in build_view(tmp_path, course, now + timedelta(minutes=2 * IDLE_MINUTES)).rows}
    # all idle now (+2), everyone as long on the lesson as the median (+1)
    assert later["ana"].score == 2 + 1 and later["bob"].score == 3 + 2 + 1
    assert later["ana"].idle_minutes is not None and later["ana"].idle_minutes >= 2 * IDLE_MINUTES


def test_the_lesson_columns_count_who_is_on_each_lesson_who_solved_it_and_the_common_problem(
        tmp_path: Path, course: Course) -> None:
    run(tmp_path, "ana", kind=DiagnosisKind.INPLACE_VERSION)
    run(tmp_path, "bob", kind=DiagnosisKind.INPLACE_VERSION)
    run(tmp_path, "cyd", kind=DiagnosisKind.SHAPE_MISMATCH)
    run(tmp_path, "dee", Status.PASSED)
    second = course.lessons[1].id
    run(tmp_path, "dee", lesson=second)
    columns = {column.lesson: column for column in build_view(tmp_path, course).columns}
    first = columns[LESSON]
    assert (first.on_it, first.solved, first.common_problem, first.common_count) == (3, 1, "inplace_version", 2)
    assert (columns[second].on_it, columns[second].solved, columns[second].common_problem) == (1, 0, "failed")
    assert list(columns) == [lesson.id for lesson in course.lessons]


def test_a_hostile_folder_is_shown_as_such_and_never_written(tmp_path: Path, course: Course) -> None:
    run(tmp_path, "ana", kind=DiagnosisKind.INPLACE_VERSION)
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "evil\x1b[2J.json").write_text("{}")
    os.symlink("/etc/passwd", tmp_path / "link.json")
    naive = {"schema_version": SCHEMA_VERSION, "last_lesson": LESSON, "lessons": {LESSON: {"state": "attempted"}},
             "history": [{"at": "2999-01-01T00:00:00", "lesson": LESSON, "status": "failed", "hint_rung": 0,
                          "changed": True}]}
    (tmp_path / "zed.json").write_text(json.dumps(naive))  # a time with no zone, in the future
    before = {p.name: (p.lstat().st_mtime_ns, p.lstat().st_size) for p in tmp_path.iterdir()}
    view = build_view(tmp_path, course)
    assert [row.learner for row in view.rows] == ["ana", "zed"]
    assert next(row for row in view.rows if row.learner == "zed").idle_minutes == 0
    assert sorted(u["file"] for u in view.unreadable) == ["broken.json", "evil\\x1b[2J.json", "link.json"]
    assert {p.name: (p.lstat().st_mtime_ns, p.lstat().st_size) for p in tmp_path.iterdir()} == before


def test_a_learner_who_moves_on_leaves_the_last_lessons_problem_behind(tmp_path: Path, course: Course) -> None:
    for n in range(3):
        run(tmp_path, "ana", kind=DiagnosisKind.INPLACE_VERSION, block=str(n))
    ProgressStore(tmp_path, "ana").record_opened(course.lessons[1].id)
    row = build_view(tmp_path, course).rows[0]
    assert (row.lesson, row.last_problem, row.repeats, row.runs_since_progress) == (course.lessons[1].id, "", 0, 3)
    assert row.idle_minutes is not None  # still counted from their last run, wherever it was
