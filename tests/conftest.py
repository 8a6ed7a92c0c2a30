"""Fixtures shared by every layer of the suite."""

from __future__ import annotations

import os
from pathlib import Path

# Two workers share the cores: a test's idle torch threads must sleep, not spin, or a test
# with 2 threads beside another runs many times slower (the sandbox does the same). Set
# before any test module imports torch, which reads it once.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest

from tutor.core.course import Course, load_course
from tutor.core.lessons import Lesson


@pytest.fixture(scope="session")
def course() -> Course:
    return load_course()


@pytest.fixture(scope="session")
def inplace_lesson(course: Course) -> Lesson:
    return course.get("inplace-residual")


# The claim sweeps are the suite's longest tests: they start first, one per worker, and the
# rest of the suite fills the time the workers have left.
FIRST = ("test_claims_anywhere.py", "test_claims_native.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: Path(item.path).name not in FIRST)  # stable: the rest keep their order
