"""Every lesson's claims, run on real torch: the suite's `minigpt-tutor validate`."""

from __future__ import annotations

import pytest

from tutor.core.course import load_course
from tutor.core.validate import run_for_validation, validate

LESSONS = load_course().lessons


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_every_claim_of_the_lesson_holds(lesson) -> None:
    claims = validate([lesson], run_for_validation)
    failed = [f"{c.name}: {c.detail}" for c in claims if not c.ok]
    assert not failed, "\n".join(failed)
    assert {c.name for c in claims} >= {"starter", "fix", "wrong_fixes[0]"}
