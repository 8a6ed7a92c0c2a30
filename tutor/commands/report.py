"""`minigpt-tutor report`: the teacher's view of a class's saves folder.

Learners x lessons (state, attempts, hint rung, time), and per lesson how many
solved it, the median attempts it took them and how many reached the direct
hint, so the hardest breaks stand out. `--format json|csv` is data with stable
English keys; the table is for people.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import median

from rich import box
from rich.table import Table

from tutor.commands.common import CommandError, course, language
from tutor.core.course import Course
from tutor.core.i18n import tr
from tutor.core.learners import LearnerNameError, resolve_saves_dir, validate_learner_name
from tutor.core.progress import (MAX_HINT_RUNG, SAVE_SUFFIX, LearnerSave, LessonProgress, LessonState, SaveError,
                                 SaveUnreadable, read_save)
from tutor.present.console import console_for, print_notice
from tutor.present.progress import format_duration, state_width, state_word

FORMATS = ("table", "csv", "json")
CSV_FIELDS = ("learner", "lesson", "state", "attempts", "runs", "hint_rung", "hints_at_solve", "time_spent_s",
              "first_opened", "solved_at")


@dataclass(frozen=True)
class LessonSummary:
    lesson: str
    learners: int
    attempted: int  # opened and ran at least once, solved or not
    solved: int
    median_attempts: float | None  # attempts it took those who solved it
    direct_hint: int  # learners who reached the last hint rung


@dataclass(frozen=True)
class ClassReport:
    saves_dir: str
    lessons: list[str]
    saves: list[LearnerSave]
    summary: list[LessonSummary]
    unreadable: list[dict[str, str]]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="the class's progress, for the teacher",
                                   description="Read every learner's save in the saves folder and print learners x "
                                   "lessons and a per-lesson summary.")
    # SUPPRESS keeps a value given before the command (`minigpt-tutor --saves-dir DIR report`).
    parser.add_argument("--saves-dir", metavar="DIR", default=argparse.SUPPRESS,
                        help="the class's saves folder (default: as for the tutor)")
    parser.add_argument("--format", choices=FORMATS, default="table", help="table (default), csv or json")
    parser.set_defaults(handler=run)


def read_class(saves_dir: Path) -> tuple[list[LearnerSave], list[dict[str, str]]]:
    """Every readable save in the folder, by learner name, and the files that could not be read."""
    saves, unreadable = [], []
    for path in sorted(saves_dir.glob(f"*{SAVE_SUFFIX}")):
        try:
            validate_learner_name(path.name[: -len(SAVE_SUFFIX)])
            saves.append(read_save(path))
        except (LearnerNameError, SaveError, SaveUnreadable) as error:
            unreadable.append({"file": path.name, "error": str(error)})
    return sorted(saves, key=lambda save: save.learner.casefold()), unreadable


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
    if not saves_dir.is_dir():
        raise FileNotFoundError(saves_dir)
    saves, unreadable = read_class(saves_dir)
    lessons = course.ordered_ids(i for save in saves for i in save.lessons)
    return ClassReport(str(saves_dir), lessons, saves, [summarise(i, saves) for i in lessons], unreadable)


def lesson_record(save: LearnerSave, lesson_id: str) -> dict[str, object]:
    progress = save.lessons.get(lesson_id, LessonProgress())
    return progress.model_dump(mode="json", include={"state", "attempts", "runs", "hint_rung", "hints_at_solve",
                                                     "time_spent_s", "first_opened", "solved_at"})


def as_json(report: ClassReport) -> str:
    return json.dumps({
        "saves_dir": report.saves_dir,
        "lessons": report.lessons,
        "learners": [{"learner": save.learner, "last_lesson": save.last_lesson,
                      "lessons": {i: lesson_record(save, i) for i in report.lessons}} for save in report.saves],
        "summary": [asdict(s) for s in report.summary],
        "unreadable": report.unreadable,
    }, ensure_ascii=False, indent=2)


def write_csv(report: ClassReport) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for save in report.saves:
        for lesson_id in report.lessons:
            writer.writerow({"learner": save.learner, "lesson": lesson_id, **lesson_record(save, lesson_id)})


def print_tables(report: ClassReport, lang: str) -> None:
    """One row per learner and lesson opened (long, so it fits any terminal), then the summary."""
    console = console_for()
    rows = Table(title=tr("report.title", lang, learners=len(report.saves), folder=report.saves_dir),
                 title_justify="left", box=box.SIMPLE_HEAD)
    rows.add_column(tr("report.learner", lang), overflow="fold")
    rows.add_column(tr("report.column.lesson", lang), no_wrap=True)
    rows.add_column(tr("progress.column.state", lang), min_width=state_width(lang))
    for header in ("attempts", "hint", "time"):
        rows.add_column(tr(f"progress.column.{header}", lang), justify="right", no_wrap=header == "time")
    for save in report.saves:
        opened = [(i, save.lessons[i]) for i in report.lessons if i in save.lessons]
        if not opened:
            rows.add_row(save.learner, tr("report.nothing_opened", lang), "", "", "", "", end_section=True)
        for n, (lesson_id, progress) in enumerate(opened):
            rows.add_row(save.learner if n == 0 else "", lesson_id, state_word(progress.state, lang),
                         str(progress.attempts), f"{progress.hint_rung}/{MAX_HINT_RUNG}",
                         format_duration(progress.time_spent_s), end_section=n == len(opened) - 1)
    console.print(rows)

    summary = Table(title=tr("report.summary_title", lang), title_justify="left", box=box.SIMPLE_HEAD)
    for header in ("lesson", "attempted", "solved", "median_attempts", "direct_hint"):
        summary.add_column(tr(f"report.column.{header}", lang), justify="left" if header == "lesson" else "right",
                           no_wrap=header == "lesson")
    for s in report.summary:
        median_text = "-" if s.median_attempts is None else f"{s.median_attempts:g}"
        summary.add_row(s.lesson, f"{s.attempted}/{s.learners}", f"{s.solved}/{s.learners}", median_text,
                        f"{s.direct_hint}/{s.learners}")
    console.print(summary)
    for problem in report.unreadable:
        print_notice(tr("report.unreadable", lang, **problem))


def run(args: argparse.Namespace) -> int:
    lang = language(args)
    saves_dir = resolve_saves_dir(args.saves_dir)
    try:
        report = build_report(saves_dir, course())
    except FileNotFoundError:
        raise CommandError(tr("report.no_folder", lang, folder=str(saves_dir))) from None
    except OSError as error:
        raise CommandError(tr("report.folder_error", lang, folder=str(saves_dir), detail=error.strerror)) from None
    if args.format == "json":
        print(as_json(report))
    elif args.format == "csv":
        write_csv(report)
    else:
        print_tables(report, lang)
    return 0
