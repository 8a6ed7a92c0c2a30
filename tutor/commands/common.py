"""What every sub-command shares: the course, the language, reading inputs."""

from __future__ import annotations

import argparse
from pathlib import Path

from tutor.core.course import Course, load_course
from tutor.core.i18n import choose_language
from tutor.core.lessons import Lesson
from tutor.core.results import RunResult
from tutor.core.runner import RunLimits, run_block


class CommandError(Exception):
    """A usage or input error: printed plainly, exit code 2."""


def language(args: argparse.Namespace) -> str:
    try:
        return choose_language(getattr(args, "lang", None))
    except ValueError as error:
        raise CommandError(str(error)) from None


def course() -> Course:
    return load_course()


def lesson(lesson_id: str) -> Lesson:
    try:
        return course().get(lesson_id)
    except KeyError as error:
        raise CommandError(error.args[0]) from None


def add_block_arguments(parser: argparse.ArgumentParser, file_help: str, json_help: str) -> None:
    """LESSON FILE [--json] [--timeout S]: what every command that runs a learner's block takes."""
    parser.add_argument("lesson", metavar="LESSON", help="lesson id, e.g. inplace-residual")
    parser.add_argument("file", metavar="FILE", help=file_help)
    parser.add_argument("--json", action="store_true", help=json_help)
    parser.add_argument("--timeout", type=float, default=RunLimits.timeout_s, metavar="S",
                        help=f"wall-clock limit in seconds (default {RunLimits.timeout_s:g})")


def run_learner_block(args: argparse.Namespace, **options: object) -> tuple[Lesson, RunResult, str]:
    """Run FILE for LESSON in the sandbox, as `add_block_arguments` parsed them."""
    if args.timeout <= 0:
        raise CommandError("--timeout must be a positive number of seconds")
    chosen = lesson(args.lesson)
    block = read_bytes_file(args.file)
    lang = language(args)
    result = run_block(chosen, block, limits=RunLimits(timeout_s=args.timeout), language=lang, **options)
    return chosen, result, lang


def read_bytes_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except OSError as error:
        raise CommandError(f"{path}: cannot be read: {error}") from None
