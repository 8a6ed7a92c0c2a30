"""Building the tutor app for Pilot and snapshot tests: a fixed course, a fresh saves folder, a fixed learner."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tutor.core.locations import lessons_dir
from tutor.core.settings import Settings
from tutor.core.topics import TOPICS_FILE
from tutor.ui.app import TutorApp, build_app

LEARNER = "ada"
FIRST_LESSON_FILE = "01-autograd-inplace-residual.toml"
SHIPPED_LESSONS = lessons_dir()  # read before any test points the tutor at its own course

AppFactory = Callable[..., TutorApp]


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    """A course of the first lesson only, with the course map, so screens do not change as lessons are added."""
    folder = tmp_path / "lessons"
    folder.mkdir()
    for name in (FIRST_LESSON_FILE, TOPICS_FILE):
        shutil.copy(SHIPPED_LESSONS / name, folder / name)
    return folder


@pytest.fixture
def saves_dir(tmp_path: Path) -> Path:
    return tmp_path / "saves"


@pytest.fixture
def make_app(course_dir: Path, saves_dir: Path) -> AppFactory:
    """The app as `minigpt-tutor` builds it from its root options."""

    def make(lang: str | None = "en", lesson: str | None = None) -> TutorApp:
        settings = Settings.resolve(learner=LEARNER, saves_dir=str(saves_dir), language=lang, lessons=str(course_dir))
        return build_app(settings, lesson)

    return make
