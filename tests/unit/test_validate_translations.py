"""`validate` refuses a lesson whose Spanish is missing or disagrees with the English."""

from __future__ import annotations

from typing import Any

import pytest

from tutor.core.lessons import Lesson
from tutor.core.validate import translation_problems


def edited(lesson: Lesson, change) -> Lesson:
    data: dict[str, Any] = lesson.model_dump(mode="json")
    change(data)
    return Lesson.model_validate(data)


def test_the_first_lesson_agrees_in_both_languages(inplace_lesson) -> None:
    assert translation_problems(inplace_lesson, ["en", "es"]) == []


def test_a_missing_spanish_hint_is_named(inplace_lesson) -> None:
    lesson = edited(inplace_lesson, lambda d: d["hints"]["medium"].pop("es"))
    assert translation_problems(lesson, ["en", "es"]) == ["hints.medium: no 'es' text"]


@pytest.mark.parametrize(
    ("field", "old", "new", "part"),
    [
        ("symptom", "[1, 8, 64]` es `h`", "[1, 8, 32]` es `h`", "shapes"),
        ("symptom", "is at version 2; expected version 1 instead.\n```", "is at version 3.\n```", "code blocks"),
        ("ladder", "4. Si nada falla", "Si nada falla", "list items"),
        ("fix", "`h = h + self.mlp(self.ln2(h))`", "`h += self.mlp(self.ln2(h))`", "inline code"),
    ],
)
def test_structure_that_must_survive_translation(inplace_lesson, field: str, old: str, new: str, part: str) -> None:
    def change(data: dict[str, Any]) -> None:
        assert old in data["story"][field]["es"]
        data["story"][field]["es"] = data["story"][field]["es"].replace(old, new)

    problems = translation_problems(edited(inplace_lesson, change), ["en", "es"])
    assert f"story.{field}: 'es' differs from 'en' in its {part}" in problems
