"""Every lesson's claims, run on real torch: the suite's `minigpt-tutor validate`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tutor.core.course import load_course
from tutor.core.validate import course_runner, validate
from tutor.core.warm import RunnerSession

LESSONS = load_course().lessons


@pytest.fixture(scope="module")
def session() -> Iterator[RunnerSession]:
    with RunnerSession(optimizers=True) as warm:
        yield warm


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_every_claim_of_the_lesson_holds(lesson, session: RunnerSession) -> None:
    claims = validate([lesson], course_runner(session))
    failed = [f"{c.name}: {c.detail}" for c in claims if not c.ok]
    assert not failed, "\n".join(failed)
    assert {c.name for c in claims} >= {"starter", "fix", "wrong_fixes[0]"}
