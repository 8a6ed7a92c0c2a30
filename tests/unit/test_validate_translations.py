"""`validate` refuses a lesson or a topic of the course map whose Spanish is missing or disagrees with the English."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tutor.core.lessons import Lesson, Text
from tutor.core.locations import lessons_dir
from tutor.core.topics import TOPICS_FILE
from tutor.core.validate import topics_claim, translation_problems


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


def test_every_topic_of_the_course_map_is_written_in_every_language(course) -> None:
    claim = topics_claim(course.topics)
    assert (claim.lesson, claim.name, claim.ok) == ("topics.toml", "translations", True), claim.detail
    assert claim.detail == f"{len(course.topics)} topics written in en, es"


def test_a_topic_without_its_spanish_line_is_named(course) -> None:
    first = course.topics[0]
    english_only = first.model_copy(update={"teaches": Text({"en": first.teaches.get("en")})})
    claim = topics_claim([english_only, *course.topics[1:]])
    assert not claim.ok
    assert claim.detail == f"{first.id}.teaches: no 'es' text"


def test_validate_fails_on_a_course_map_without_spanish(tmp_path: Path) -> None:
    course = tmp_path / "lessons"
    course.mkdir()
    shutil.copy(lessons_dir() / "01-autograd-inplace-residual.toml", course)
    english_only = "\n".join(line for line in (lessons_dir() / TOPICS_FILE).read_text(encoding="utf-8").splitlines()
                             if not line.startswith("teaches.es = "))
    (course / TOPICS_FILE).write_text(english_only, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "tutor", "validate", "--lessons-dir", str(course), "--json"],
                          capture_output=True, text=True, timeout=600)
    report = json.loads(done.stdout)
    assert done.returncode == 1 and report["ok"] is False
    topics = [claim for claim in report["claims"] if claim["lesson"] == TOPICS_FILE]
    assert [(claim["name"], claim["ok"]) for claim in topics] == [("translations", False)]
    assert "autograd.teaches: no 'es' text" in topics[0]["detail"]
    assert all(claim["ok"] for claim in report["claims"] if claim["lesson"] != TOPICS_FILE)
