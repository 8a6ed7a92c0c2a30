"""What every sub-command shares: the course, the language, reading inputs, the console."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from rich.console import Console

from tutor.core.course import Course, load_course
from tutor.core.i18n import choose_language
from tutor.core.lessons import Lesson


class CommandError(Exception):
    """A usage or input error: printed plainly, exit code 2."""


def console_for(stream: TextIO | None = None) -> Console:
    """Rich honours NO_COLOR and plain pipes on its own."""
    return Console(file=stream, highlight=False)


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


def read_text_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"{path}: cannot be read: {error}") from None


def read_bytes_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except OSError as error:
        raise CommandError(f"{path}: cannot be read: {error}") from None
