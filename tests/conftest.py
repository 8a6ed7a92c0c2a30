"""Fixtures shared by every layer of the suite."""

from __future__ import annotations

import pytest

from tutor.core.course import Course, load_course
from tutor.core.lessons import Lesson


@pytest.fixture(scope="session")
def course() -> Course:
    return load_course()


@pytest.fixture(scope="session")
def inplace_lesson(course: Course) -> Lesson:
    return course.get("inplace-residual")
