"""What every sub-command shares: the course, running a block, reading inputs."""

from __future__ import annotations

import argparse
import sys

from tutor.core.course import Course, UnknownLesson, load_course
from tutor.core.files import BLOCK_BYTES, UnreadableFile, read_regular_file
from tutor.core.i18n import say, tr
from tutor.core.lessons import Lesson
from tutor.core.progress import LessonState, ProgressStore, SaveError
from tutor.core.results import RunResult
from tutor.core.runner import RunLimits, run_block
from tutor.core.settings import Settings


class CommandError(Exception):
    """A usage or input error: printed plainly, exit code 2."""


def course(settings: Settings) -> Course:
    return load_course(settings.lessons_dir)


def lesson_named(settings: Settings, lesson_id: str) -> Lesson:
    """The course's lesson `lesson_id`, or a command error that names the id."""
    try:
        return course(settings).get(lesson_id)
    except UnknownLesson as error:
        raise CommandError(say(error.wording, settings.language)) from None


def open_store(settings: Settings) -> ProgressStore:
    """The store of the learner the settings name."""
    return ProgressStore(settings.saves_dir, settings.learner)


def confirmed(question: str, lang: str) -> bool:
    """Ask on stdout, read one line: yes only for a yes word of `lang`."""
    print(f"{question} [{tr('reset.answers', lang)}] ", end="", flush=True)
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        return False
    return answer.strip().lower() in tr("reset.yes_words", lang).split()


def solved(store: ProgressStore, lesson_id: str) -> bool:
    """Whether the learner solved the lesson; a save that cannot be read counts as not solved."""
    try:
        progress = store.peek().lessons.get(lesson_id)
    except SaveError:
        return False
    return progress is not None and progress.state is LessonState.SOLVED


def add_block_arguments(parser: argparse.ArgumentParser, file_help: str, json_help: str) -> None:
    """LESSON FILE [--json] [--timeout S]: what every command that runs a learner's block takes."""
    parser.add_argument("lesson", metavar="LESSON", help="lesson id, e.g. inplace-residual")
    parser.add_argument("file", metavar="FILE", help=file_help)
    parser.add_argument("--json", action="store_true", help=json_help)
    parser.add_argument("--timeout", type=float, default=RunLimits.timeout_s, metavar="S",
                        help=f"wall-clock limit in seconds (default {RunLimits.timeout_s:g})")


def run_learner_block(args: argparse.Namespace, settings: Settings, **options: object) -> tuple[Lesson, RunResult]:
    """Run FILE for LESSON in the sandbox, as `add_block_arguments` parsed them."""
    try:
        limits = RunLimits(timeout_s=args.timeout)
    except ValueError as error:
        raise CommandError(f"--timeout: {error}") from None
    chosen = lesson_named(settings, args.lesson)
    block = read_bytes_file(args.file)
    return chosen, run_block(chosen, block, limits=limits, **options)


def read_bytes_file(path: str) -> bytes:
    """A regular file, of at most BLOCK_BYTES: a FIFO, a device or a folder is refused, never waited on."""
    try:
        return read_regular_file(path, BLOCK_BYTES)
    except UnreadableFile as error:
        raise CommandError(str(error)) from None
