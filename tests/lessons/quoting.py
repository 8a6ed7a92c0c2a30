"""A claim several lessons make: their symptom quotes torch's own message, in every language."""

from __future__ import annotations

from tutor.core.lessons import Lesson
from tutor.core.runner import run_block


def assert_symptom_quotes_torch(lesson: Lesson) -> None:
    """The starter's real exception line, verbatim in a code block of the symptom's every language."""
    diagnosis = run_block(lesson, lesson.code.starter).diagnosis
    assert diagnosis is not None
    quoted = f"```\n{diagnosis.exception}: {diagnosis.message}\n```"
    for language in sorted(lesson.story.symptom.languages):
        assert quoted in lesson.story.symptom.get(language), language
