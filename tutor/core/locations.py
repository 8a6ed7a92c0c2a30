"""Where the tutor's files are: the course, and the checkout's own folders."""

from __future__ import annotations

import os
from pathlib import Path

import tutor

LESSONS_ENV = "MINIGPT_TUTOR_LESSONS"

_PACKAGE = Path(tutor.__file__).resolve().parent


def lessons_dir() -> Path:
    """MINIGPT_TUTOR_LESSONS, else the course a wheel carries, else the checkout's `lessons/`."""
    if os.environ.get(LESSONS_ENV):
        return Path(os.environ[LESSONS_ENV])
    shipped = _PACKAGE / "lessons"
    return shipped if shipped.is_dir() else _PACKAGE.parent / "lessons"


def checkout_dir() -> Path | None:
    """The source checkout the tutor runs from, when it does (an editable install)."""
    root = _PACKAGE.parent
    return root if (root / "pyproject.toml").is_file() and (root / "lessons").is_dir() else None
