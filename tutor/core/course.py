"""Loading the course: the course map and every lesson file, read and validated, problems kept per file.

One bad lesson never hides the others: it becomes a `LessonProblem` that names
the file and the line (TOML syntax) or the field (validation). The course map
(`topics.toml`) places every lesson: without it no lesson is shown.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tutor.core.files import LESSON_BYTES, UnreadableFile, read_regular_file
from tutor.core.i18n import DEFAULT_LANGUAGE, Wording, say
from tutor.core.lessons import Lesson
from tutor.core.locations import lessons_dir
from tutor.core.tomlread import TomlSyntaxError, load_toml_text
from tutor.core.topics import TOPICS_FILE, CourseMap, Topic


@dataclass(frozen=True)
class LessonProblem:
    path: Path
    message: str  # starts with the file name, then the line or the field

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Course:
    lessons: list[Lesson]  # in course order: topic by topic, by `order` within a topic
    problems: list[LessonProblem] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)  # the course map, in learning order

    def get(self, lesson_id: str) -> Lesson:
        for lesson in self.lessons:
            if lesson.id == lesson_id:
                return lesson
        raise UnknownLesson(lesson_id, [lesson.id for lesson in self.lessons])

    def by_topic(self) -> list[tuple[Topic, list[Lesson]]]:
        """The topics that have lessons, in learning order, each with its lessons in course order."""
        grouped = [(topic, [lesson for lesson in self.lessons if lesson.topic == topic.id]) for topic in self.topics]
        return [(topic, lessons) for topic, lessons in grouped if lessons]

    def neighbour(self, lesson_id: str, step: int) -> Lesson | None:
        """The lesson `step` places after (or before) `lesson_id`, if any."""
        ids = [lesson.id for lesson in self.lessons]
        index = ids.index(lesson_id) + step
        return self.lessons[index] if 0 <= index < len(ids) else None

    def ordered_ids(self, saved_ids: Iterable[str] = ()) -> list[str]:
        """The course's lesson ids in order, then any saved lesson id the course no longer has."""
        known = [lesson.id for lesson in self.lessons]
        return known + sorted(set(saved_ids) - set(known))


def _read_course_file(path: Path) -> dict[str, Any]:
    """A lesson file or the course map as TOML; raises `LessonFileError` with a message naming the file."""
    try:
        text = read_regular_file(path, LESSON_BYTES).decode("utf-8")
    except UnreadableFile as error:
        raise LessonFileError(str(error).replace(str(path), path.name, 1)) from None
    except UnicodeDecodeError as error:
        raise LessonFileError(f"{path.name}: cannot be read: {error}") from None
    try:
        return load_toml_text(text, path.name)
    except TomlSyntaxError as error:
        raise LessonFileError(str(error)) from None


def load_lesson(path: Path) -> Lesson:
    """One lesson file; raises `LessonFileError` with a message naming the file."""
    data = _read_course_file(path)
    try:
        return Lesson.model_validate(data)
    except ValidationError as error:
        raise LessonFileError(f"{path.name}: {_describe(error)}") from None


def load_topics(path: Path) -> list[Topic]:
    """The course map's topics in learning order; raises `LessonFileError` naming the file."""
    data = _read_course_file(path)
    try:
        return CourseMap.model_validate(data).topics
    except ValidationError as error:
        raise LessonFileError(f"{path.name}: {_describe(error)}") from None


def load_course(directory: Path | None = None) -> Course:
    directory = directory or lessons_dir()
    problems: list[LessonProblem] = []
    try:
        topics = load_topics(directory / TOPICS_FILE)
    except LessonFileError as error:
        topics = []  # every lesson is placed by its topic: without the map none can be shown
        problems.append(LessonProblem(directory / TOPICS_FILE, f"{error} (the course map: no lesson is shown without it)"))
    rank = {topic.id: index for index, topic in enumerate(topics)}  # the map's learning order
    lessons: list[Lesson] = []
    for path in sorted(directory.glob("*.toml")):
        if path.name == TOPICS_FILE:
            continue
        try:
            lesson = load_lesson(path)
        except LessonFileError as error:
            problems.append(LessonProblem(path, str(error)))
            continue
        if any(other.id == lesson.id for other in lessons):
            problems.append(LessonProblem(path, f"{path.name}: id: {lesson.id!r} is already used by another lesson"))
            continue
        if topics and lesson.topic not in rank:
            problems.append(LessonProblem(path, f"{path.name}: topic: {lesson.topic!r} is not in {TOPICS_FILE}, "
                                          f"which has: {', '.join(rank)}"))
            continue
        lessons.append(lesson)
    if not topics:
        return Course([], problems)
    lessons.sort(key=lambda lesson: (rank[lesson.topic], lesson.order, lesson.id))
    return Course(lessons, problems, topics)


class LessonFileError(ValueError):
    """A lesson file or the course map that does not load; the message starts with the file's name."""


class UnknownLesson(KeyError):
    """A lesson id the course does not have; its `wording` names the closest id and all the others."""

    def __init__(self, lesson_id: str, known: list[str]) -> None:
        self.lesson_id = lesson_id
        values: dict[str, str | int | float | None] = {"lesson": lesson_id, "known": ", ".join(known)}
        suggestions = difflib.get_close_matches(lesson_id, known, n=1, cutoff=0.6)
        if suggestions:
            self.wording = Wording(key="lesson.did_you_mean", values={**values, "suggestion": suggestions[0]})
        else:
            self.wording = Wording(key="lesson.unknown", values=values)
        super().__init__(say(self.wording, DEFAULT_LANGUAGE))


def _describe(error: ValidationError) -> str:
    """pydantic's errors as 'field.path: what is wrong', one per line."""
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"{where}: {item['msg']}")
    return "; ".join(lines)
