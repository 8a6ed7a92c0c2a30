"""The class report: every save in a class's saves folder, read so that no save can stop or slow it.

Each entry of the folder is read on its own, bounded (tutor.core.savefiles): one that
cannot be read is skipped and named, and the rest is reported. Only the course's
lessons are reported; a save's other lessons are counted, not shown. Each save carries
the account that owns its file, and names that look alike are flagged. `verify`
re-runs the block each solve was recorded with, in the sandbox, under the account
running the report.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import Enum
from functools import cache
from pathlib import Path
from statistics import median

from tutor.core.course import Course
from tutor.core.learners import LearnerNameError, validate_learner_name
from tutor.core.lookalikes import LookAlike, flag_lookalikes
from tutor.core.progress import (MAX_HINT_RUNG, SAVE_SUFFIX, LearnerSave, LessonProgress, LessonState, block_digest,
                                 read_save)
from tutor.core.results import RunResult
from tutor.core.savefiles import SaveError, SaveUnreadable, account_name

# The fields of a lesson that the report gives, in this order (the CSV's columns after learner and lesson).
LESSON_FIELDS = ("state", "attempts", "runs", "hint_rung", "hints_at_solve", "time_spent_s", "first_opened",
                 "solved_at")


class Verification(str, Enum):
    VERIFIED = "verified"  # the kept block passes again here
    NOT_REPRODUCED = "not_reproduced"  # the kept block does not pass here
    NO_BLOCK = "no_block"  # solved, but the save keeps no block that solved it


@dataclass(frozen=True)
class LearnerEntry:
    save: LearnerSave
    file: str
    owner: str  # the account that owns the file
    lookalike: LookAlike | None
    other_lessons: int  # lessons the save keeps that the course does not have

    @property
    def learner(self) -> str:
        return self.save.learner

    @property
    def owner_is_learner(self) -> bool:
        return self.owner == self.save.learner


@dataclass(frozen=True)
class LessonSummary:
    lesson: str
    learners: int
    attempted: int  # opened and ran at least once, solved or not
    solved: int
    median_attempts: float | None  # attempts it took those who solved it
    direct_hint: int  # learners who reached the last hint rung


@dataclass
class ClassReport:
    saves_dir: str
    lessons: list[str]  # the course's, in order
    entries: list[LearnerEntry]
    summary: list[LessonSummary]
    unreadable: list[dict[str, str]]  # file and error
    # (learner, lesson) -> how its solve held up when re-run; empty unless verified
    verification: dict[tuple[str, str], Verification] = field(default_factory=dict)
    verified: bool = False


def printable(text: str) -> str:
    """`text` with control, invisible and undecodable characters written as escapes: a file name
    anyone could choose can neither drive the teacher's terminal nor break the JSON."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


@cache
def _account(uid: int) -> str:
    return account_name(uid)


def read_entry(path: Path, course_ids: frozenset[str]) -> LearnerEntry:
    """One save of the folder; LearnerNameError, SaveError or SaveUnreadable if it cannot be reported."""
    validate_learner_name(path.name[: -len(SAVE_SUFFIX)])
    owner = os.lstat(path).st_uid
    save = read_save(path)  # a regular file only, bounded, never through a link
    other = sum(lesson_id not in course_ids for lesson_id in save.lessons)
    return LearnerEntry(save, path.name, _account(owner), None, other)


def read_class(saves_dir: Path, course: Course) -> tuple[list[LearnerEntry], list[dict[str, str]]]:
    """Every readable save in the folder, by learner name, and the entries that could not be read."""
    course_ids = frozenset(lesson.id for lesson in course.lessons)
    entries, unreadable = [], []
    with os.scandir(saves_dir) as folder:
        names = sorted(entry.name for entry in folder if entry.name.endswith(SAVE_SUFFIX))
    for name in names:
        try:
            entries.append(read_entry(saves_dir / name, course_ids))
        except (LearnerNameError, SaveError, SaveUnreadable, OSError) as error:
            unreadable.append({"file": printable(name), "error": printable(str(error))})
    flags = flag_lookalikes(entry.learner for entry in entries)
    entries = [LearnerEntry(e.save, e.file, e.owner, flags.get(e.learner), e.other_lessons) for e in entries]
    return sorted(entries, key=lambda entry: (entry.learner.casefold(), entry.learner)), unreadable


def summarise(lesson_id: str, saves: list[LearnerSave]) -> LessonSummary:
    progress = [save.lessons.get(lesson_id, LessonProgress()) for save in saves]
    solved = [p for p in progress if p.state is LessonState.SOLVED]
    attempts = [p.attempts_at_solve if p.attempts_at_solve is not None else p.attempts for p in solved]
    return LessonSummary(
        lesson=lesson_id, learners=len(saves),
        attempted=sum(p.state is not LessonState.NEW for p in progress), solved=len(solved),
        median_attempts=float(median(attempts)) if attempts else None,
        direct_hint=sum(p.hint_rung >= MAX_HINT_RUNG for p in progress))


def build_report(saves_dir: Path, course: Course) -> ClassReport:
    """The report of the folder; FileNotFoundError or another OSError if the folder cannot be listed."""
    if not saves_dir.is_dir():
        raise FileNotFoundError(saves_dir)
    entries, unreadable = read_class(saves_dir, course)
    lessons = [lesson.id for lesson in course.lessons]
    saves = [entry.save for entry in entries]
    return ClassReport(str(saves_dir), lessons, entries, [summarise(i, saves) for i in lessons], unreadable)


def solves(report: ClassReport) -> list[tuple[str, str, str | None]]:
    """(learner, lesson, the block kept for the solve or None) of every solved lesson of the course."""
    return [(entry.learner, lesson_id, progress.solved_block)
            for entry in report.entries for lesson_id in report.lessons
            if (progress := entry.save.lessons.get(lesson_id)) is not None and progress.state is LessonState.SOLVED]


def verify(report: ClassReport, course: Course, run: Callable[[str, str], RunResult],
           progress: Callable[[int, int], None] = lambda done, total: None) -> None:
    """Re-run every kept solving block with `run(lesson_id, block)` and mark each solve. A block that
    several learners kept (the same fix) runs once."""
    outcomes: dict[tuple[str, str], Verification] = {}
    to_check = solves(report)
    for done, (learner, lesson_id, block) in enumerate(to_check):
        progress(done, len(to_check))
        if block is None:
            report.verification[(learner, lesson_id)] = Verification.NO_BLOCK
            continue
        key = (lesson_id, block_digest(block))
        if key not in outcomes:
            passed = run(lesson_id, block).passed
            outcomes[key] = Verification.VERIFIED if passed else Verification.NOT_REPRODUCED
        report.verification[(learner, lesson_id)] = outcomes[key]
    progress(len(to_check), len(to_check))
    report.verified = True


def lesson_record(report: ClassReport, entry: LearnerEntry, lesson_id: str) -> dict[str, object]:
    """One learner's lesson as data with stable English keys (and `verified` once verified)."""
    progress = entry.save.lessons.get(lesson_id, LessonProgress())
    record = progress.model_dump(mode="json", include=set(LESSON_FIELDS))
    if report.verified:
        verification = report.verification.get((entry.learner, lesson_id))
        record["verified"] = verification.value if verification else None
    return {key: record[key] for key in (*LESSON_FIELDS, *(("verified",) if report.verified else ()))}


def as_data(report: ClassReport) -> dict[str, object]:
    """The whole report as JSON-ready data with stable English keys."""
    return {
        "saves_dir": report.saves_dir,
        "lessons": report.lessons,
        "verified": report.verified,
        "learners": [{"learner": entry.learner, "file": entry.file, "owner": entry.owner,
                      "owner_is_learner": entry.owner_is_learner,
                      "lookalike": asdict(entry.lookalike) if entry.lookalike else None,
                      "last_lesson": entry.save.last_lesson, "other_lessons": entry.other_lessons,
                      "lessons": {i: lesson_record(report, entry, i) for i in report.lessons}}
                     for entry in report.entries],
        "summary": [asdict(s) for s in report.summary],
        "unreadable": report.unreadable,
    }


CSV_FIELDS = ("learner", "owner", "lesson", *LESSON_FIELDS, "verified")


def csv_rows(report: ClassReport) -> list[dict[str, object]]:
    """One row per learner and lesson of the course; `verified` is empty unless verified."""
    return [{"learner": entry.learner, "owner": entry.owner, "lesson": lesson_id, "verified": "",
             **lesson_record(report, entry, lesson_id)}
            for entry in report.entries for lesson_id in report.lessons]
