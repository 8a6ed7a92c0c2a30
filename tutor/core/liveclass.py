"""The teacher's live view of a class: who is stuck right now, from each save's run history.

The saves are read by the class report (tutor.core.classreport): bounded, one at a time, a
broken one named and skipped. From each learner's run history (tutor.core.progress) comes a
row: where they are, how long, what keeps going wrong, and a stuck score that sorts the room.

The stuck score of a learner whose current lesson is not solved (0 otherwise):

    2 x (times in a row the last problem repeated - 1)
    + minutes on the lesson / the class's median minutes on it, at least 1 (at most 5)
    + 3 if the direct hint is revealed
    + 2 if idle for IDLE_MINUTES or more
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from statistics import median

from tutor.core.classreport import LearnerEntry, read_class
from tutor.core.course import Course
from tutor.core.progress import MAX_HINT_RUNG, LessonProgress, LessonState, RunRecord
from tutor.core.results import Status

IDLE_MINUTES = 5.0
MAX_TIME_RATIO = 5.0
MIN_MEDIAN_MINUTES = 1.0  # seconds into a lesson, a ratio of seconds would be noise
REPEAT_WEIGHT, DIRECT_HINT_WEIGHT, IDLE_WEIGHT = 2.0, 3.0, 2.0


def problem(run: RunRecord) -> str:
    """What went wrong in a run: torch's error read into a kind, else the verdict (`failed` for a
    wrong result, `timeout`...). A passed run has none: ''."""
    if run.status is Status.PASSED:
        return ""
    return run.diagnosis.value if run.diagnosis is not None else run.status.value


@dataclass(frozen=True)
class LearnerRow:
    entry: LearnerEntry
    lesson: str | None  # the lesson they work on (last opened or run)
    solved_here: bool  # that lesson is solved
    minutes_on_lesson: float | None  # since the first of their latest runs on it in a row (else since opened)
    runs_since_progress: int  # runs since their last pass (in the history kept)
    last_problem: str  # problem() of their last run on the lesson, '' if none or passed
    repeats: int  # how many of their runs in a row on it ended with that problem
    hint_rung: int  # on the current lesson
    idle_minutes: float | None  # since their last run
    solved: int  # lessons of the course solved
    score: float = 0.0

    @property
    def learner(self) -> str:
        return self.entry.learner


@dataclass(frozen=True)
class LessonColumn:
    lesson: str
    on_it: int  # learners whose current lesson it is
    solved: int
    common_problem: str  # the most common last problem there of those who have not solved it, '' if none
    common_count: int


@dataclass(frozen=True)
class ClassView:
    rows: list[LearnerRow]  # stuck first
    columns: list[LessonColumn]
    unreadable: list[dict[str, str]]  # file and error, as printable text


def _minutes(since: datetime | None, now: datetime) -> float | None:
    """Minutes from `since` to `now`; a time without a zone (a hand-made save) is taken as UTC, one
    in the future as now."""
    if since is None:
        return None
    since = since if since.tzinfo is not None else since.replace(tzinfo=timezone.utc)
    return max(0.0, (now - since).total_seconds() / 60)


def _trailing(history: list[RunRecord], keep: Callable[[RunRecord], bool]) -> list[RunRecord]:
    """The history's last runs for which `keep(run)` holds, in a row."""
    tail: list[RunRecord] = []
    for run in reversed(history):
        if not keep(run):
            break
        tail.append(run)
    return tail[::-1]


def learner_row(entry: LearnerEntry, course_ids: set[str], now: datetime) -> LearnerRow:
    save = entry.save
    history = save.history
    lesson = save.last_lesson
    progress = save.lessons.get(lesson, LessonProgress()) if lesson else LessonProgress()
    on_lesson = _trailing(history, lambda run: run.lesson == lesson)
    started = on_lesson[0].at if on_lesson else progress.first_opened
    last = history[-1] if history else None
    last_problem = problem(on_lesson[-1]) if on_lesson else ""  # a lesson just opened has none yet
    repeats = len(_trailing(on_lesson, lambda run: problem(run) == last_problem)) if last_problem else 0
    return LearnerRow(
        entry=entry, lesson=lesson, solved_here=progress.state is LessonState.SOLVED,
        minutes_on_lesson=_minutes(started, now),
        runs_since_progress=len(_trailing(history, lambda run: run.status is not Status.PASSED)),
        last_problem=last_problem, repeats=repeats, hint_rung=progress.hint_rung,
        idle_minutes=_minutes(last.at if last else None, now),
        solved=sum(p.state is LessonState.SOLVED for i, p in save.lessons.items() if i in course_ids))


def stuck_score(row: LearnerRow, lesson_median: float | None) -> float:
    """The formula of the module's docstring, the screen's help and the README."""
    if row.lesson is None or row.solved_here:
        return 0.0
    score = REPEAT_WEIGHT * max(0, row.repeats - 1)
    if row.minutes_on_lesson is not None and lesson_median is not None:
        score += min(row.minutes_on_lesson / max(lesson_median, MIN_MEDIAN_MINUTES), MAX_TIME_RATIO)
    if row.hint_rung >= MAX_HINT_RUNG:
        score += DIRECT_HINT_WEIGHT
    if row.idle_minutes is not None and row.idle_minutes >= IDLE_MINUTES:
        score += IDLE_WEIGHT
    return round(score, 1)


def lesson_column(lesson_id: str, rows: list[LearnerRow]) -> LessonColumn:
    not_past = [row for row in rows
                if row.entry.save.lessons.get(lesson_id, LessonProgress()).state is not LessonState.SOLVED]
    problems = Counter(p for row in not_past
                       if (p := next((problem(r) for r in reversed(row.entry.save.history) if r.lesson == lesson_id),
                                     "")))
    common, count = problems.most_common(1)[0] if problems else ("", 0)
    return LessonColumn(lesson=lesson_id, on_it=sum(row.lesson == lesson_id for row in rows),
                        solved=len(rows) - len(not_past), common_problem=common, common_count=count)


def build_view(saves_dir: Path, course: Course, now: datetime | None = None) -> ClassView:
    """The class as the live view shows it; FileNotFoundError or another OSError if the folder
    cannot be listed. Reads only: never writes, moves or locks a save."""
    if not saves_dir.is_dir():
        raise FileNotFoundError(saves_dir)
    now = now or datetime.now(timezone.utc)
    entries, unreadable = read_class(saves_dir, course)
    course_ids = {lesson.id for lesson in course.lessons}
    rows = [learner_row(entry, course_ids, now) for entry in entries]
    medians = {}
    for lesson_id in {row.lesson for row in rows if row.lesson is not None}:
        minutes = [row.minutes_on_lesson for row in rows if row.lesson == lesson_id and not row.solved_here
                   and row.minutes_on_lesson is not None]
        medians[lesson_id] = median(minutes) if minutes else None
    rows = [replace(row, score=stuck_score(row, medians.get(row.lesson or ""))) for row in rows]
    rows.sort(key=lambda row: (-row.score, row.learner.casefold(), row.learner))
    return ClassView(rows, [lesson_column(lesson.id, rows) for lesson in course.lessons], unreadable)
