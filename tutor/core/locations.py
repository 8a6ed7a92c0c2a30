"""Where the tutor's files are: the course, and the checkout's own folders."""

from __future__ import annotations

from pathlib import Path

import tutor

_PACKAGE = Path(tutor.__file__).resolve().parent


def lessons_dir() -> Path:
    """The course the tutor ships: the one a wheel carries, else the checkout's `lessons/`."""
    shipped = _PACKAGE / "lessons"
    return shipped if shipped.is_dir() else _PACKAGE.parent / "lessons"


def checkout_dir() -> Path | None:
    """The source checkout the tutor runs from, when it does (an editable install)."""
    root = _PACKAGE.parent
    return root if (root / "pyproject.toml").is_file() and (root / "lessons").is_dir() else None
