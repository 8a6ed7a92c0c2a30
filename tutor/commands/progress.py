"""`minigpt-tutor progress` and `minigpt-tutor reset LESSON|--all`: one learner's saved progress."""

from __future__ import annotations

import argparse

from rich import box
from rich.table import Table

from tutor.commands.common import CommandError, confirmed, course, open_store
from tutor.core.course import UnknownLesson
from tutor.core.i18n import say, tr
from tutor.core.progress import MAX_HINT_RUNG, LearnerSave, LessonProgress, SaveError
from tutor.core.settings import Settings
from tutor.present.console import console_for, print_notice
from tutor.present.progress import format_duration, state_width, state_word


def register(subparsers: argparse._SubParsersAction) -> None:
    shown = subparsers.add_parser("progress", help="show your progress, lesson by lesson",
                                  description="Print the learner's saved progress as a table (see --learner and "
                                  "--saves-dir).")
    shown.set_defaults(handler=run_progress)

    reset = subparsers.add_parser("reset", help="forget your progress in one lesson, or in all",
                                  description="Forget the saved progress of LESSON (or of every lesson with --all). "
                                  "Asks for confirmation unless --yes is given. Exit code: 0 reset, 1 cancelled.")
    reset.add_argument("lesson", metavar="LESSON", nargs="?", help="the lesson to reset")
    reset.add_argument("--all", action="store_true", help="reset every lesson")
    reset.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    reset.set_defaults(handler=run_reset)


def progress_table(save: LearnerSave, lesson_ids: list[str], lang: str) -> Table:
    table = Table(title=tr("progress.title", lang, learner=save.learner), title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column(tr("progress.column.lesson", lang), no_wrap=True)
    for header in ("state", "attempts", "hint", "time"):
        table.add_column(tr(f"progress.column.{header}", lang), justify="left" if header == "state" else "right",
                         min_width=state_width(lang) if header == "state" else None, no_wrap=header == "time")
    table.add_column(tr("progress.column.solved_at", lang), no_wrap=True, min_width=10)
    for lesson_id in lesson_ids:
        lesson = save.lessons.get(lesson_id, LessonProgress())
        solved = lesson.solved_at.astimezone().strftime("%Y-%m-%d") if lesson.solved_at else "-"
        marker = "▸ " if lesson_id == save.last_lesson else "  "  # the last lesson worked on
        table.add_row(marker + lesson_id, state_word(lesson.state, lang),
                      str(lesson.attempts), f"{lesson.hint_rung}/{MAX_HINT_RUNG}",
                      format_duration(lesson.time_spent_s), solved)
    return table


def run_progress(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.language
    store = open_store(settings)
    try:
        save = store.peek()
    except SaveError as error:
        raise CommandError(say(error.wording, lang)) from None
    console = console_for()
    for notice in store.notices:
        print_notice(say(notice, lang))
    console.print(progress_table(save, course(settings).ordered_ids(save.lessons), lang))
    console.print(tr("progress.file", lang, path=str(store.path)))
    return 0


def has_progress(save: LearnerSave, lesson_id: str | None) -> bool:
    """Whether the save holds anything a reset of `lesson_id` (None: every lesson) would forget."""
    if lesson_id is not None:
        return lesson_id in save.lessons
    return bool(save.lessons) or save.last_lesson is not None


def run_reset(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.language
    if args.all == (args.lesson is not None):
        raise CommandError(tr("reset.usage", lang))
    store = open_store(settings)
    try:
        saved = store.peek()
        if args.lesson is not None:
            known = course(settings).ordered_ids(saved.lessons)
            if args.lesson not in known:
                raise CommandError(say(UnknownLesson(args.lesson, known).wording, lang))
        what = tr("reset.all", lang) if args.all else args.lesson
        if not has_progress(saved, args.lesson):  # nothing to forget: no question, no lock, no file
            console_for().print(tr("reset.nothing", lang, what=what, learner=store.learner))
            return 0
        if not args.yes and not confirmed(tr("reset.question", lang, what=what, learner=store.learner), lang):
            console_for().print(tr("reset.cancelled", lang))
            return 1
        store.reset(None if args.all else args.lesson)
    except SaveError as error:
        raise CommandError(say(error.wording, lang)) from None
    for notice in store.notices:
        print_notice(say(notice, lang))
    console_for().print(tr("reset.done", lang, what=what, learner=store.learner))
    return 0
