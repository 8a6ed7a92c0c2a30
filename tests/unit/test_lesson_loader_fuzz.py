"""The lesson loader on mutated TOML: a lesson, or a clear error naming the file; never a traceback."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutor.core.course import LessonFileError, load_course, load_lesson
from tutor.core.lessons import Lesson
from tutor.core.locations import lessons_dir

ORIGINAL = sorted(lessons_dir().glob("*.toml"))[0].read_bytes()
LINES = ORIGINAL.splitlines(keepends=True)
NAME = "99-fuzzed-lesson.toml"


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """The first lesson with a few edits: bytes flipped, lines dropped, doubled, swapped or cut."""
    lines = list(LINES)
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
