"""The course loader on mutated TOML (a lesson, the course map): loaded, or a clear error naming the
file; never a traceback."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutor.core.course import LessonFileError, load_course, load_lesson, load_topics
from tutor.core.lessons import Lesson
from tutor.core.locations import lessons_dir
from tutor.core.topics import TOPICS_FILE

ORIGINAL = (lessons_dir() / "01-autograd-inplace-residual.toml").read_bytes()
MAP = (lessons_dir() / TOPICS_FILE).read_bytes()
NAME = "99-fuzzed-lesson.toml"


@st.composite
def mutated(draw: st.DrawFn, original: bytes = ORIGINAL) -> bytes:
    """A course file with a few edits: bytes flipped, lines dropped, doubled, swapped or cut."""
    lines = original.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["drop", "double", "swap", "cut", "byte", "insert"]))
        if edit == "drop":
            del lines[at]
        elif edit == "double":
            lines.insert(at, lines[at])
        elif edit == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif edit == "cut":
            lines = lines[:at]
        elif edit == "byte" and lines[at]:
            spot = draw(st.integers(0, len(lines[at]) - 1))
            lines[at] = lines[at][:spot] + bytes([draw(st.integers(0, 255))]) + lines[at][spot + 1 :]
        else:
            lines.insert(at, draw(st.binary(max_size=40)) + b"\n")
        if not lines:
            break
    return b"".join(lines)


def test_the_unmutated_lesson_loads(tmp_path: Path) -> None:
    (tmp_path / NAME).write_bytes(ORIGINAL)
    assert isinstance(load_lesson(tmp_path / NAME), Lesson)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated())
def test_a_mutated_lesson_loads_or_fails_naming_its_file(tmp_path: Path, text: bytes) -> None:
    path = tmp_path / NAME
    path.write_bytes(text)
    try:
        lesson = load_lesson(path)
    except LessonFileError as error:
        assert str(error).startswith(f"{NAME}: ")
        assert "Traceback" not in str(error)
    else:
        assert isinstance(lesson, Lesson)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated())
def test_a_course_with_a_mutated_lesson_keeps_loading(tmp_path: Path, text: bytes) -> None:
    (tmp_path / NAME).write_bytes(text)
    (tmp_path / TOPICS_FILE).write_bytes(MAP)
    course = load_course(tmp_path)
    assert len(course.lessons) + len(course.problems) == 1
    for problem in course.problems:
        assert problem.message.startswith(f"{NAME}: ")


@given(depth=st.integers(50, 5000))
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_absurd_nesting_is_a_clear_error(tmp_path: Path, depth: int) -> None:
    path = tmp_path / NAME
    path.write_text("x = " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    try:
        load_lesson(path)
    except LessonFileError as error:
        assert str(error).startswith(f"{NAME}: ")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated(MAP))
def test_a_mutated_course_map_loads_or_fails_naming_its_file(tmp_path: Path, text: bytes) -> None:
    path = tmp_path / TOPICS_FILE
    path.write_bytes(text)
    try:
        topics = load_topics(path)
    except LessonFileError as error:
        assert str(error).startswith(f"{TOPICS_FILE}: ")
        assert "Traceback" not in str(error)
        return
    (tmp_path / NAME).write_bytes(ORIGINAL)
    course = load_course(tmp_path)  # the lesson is placed, or named as a problem: never lost in silence
    assert len(course.lessons) + len(course.problems) == 1
    assert [topic.id for topic in course.topics] == [topic.id for topic in topics]
