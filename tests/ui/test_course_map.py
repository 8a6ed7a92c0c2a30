"""The course screen as a map, driven with Pilot: topics in learning order with their line and the
share solved, the lesson to take next marked and under the cursor, and both moving as lessons are
solved through real sandboxed runs and the real save."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Static

from tutor.core.progress import LessonState, ProgressStore
from tutor.core.results import RunResult, Status
from tutor.ui.screens.course import CourseScreen
from tutor.ui.screens.lesson import LessonScreen
from tutor.ui.widgets.course_list import LessonList

from conftest import LEARNER, SHIPPED_LESSONS, AppFactory
from ui_helpers import pilot_test, plain, run_block, text_of

SIZE = (80, 24)
# Two autograd lessons and one shapes lesson: the map has two topics, the second one shorter.
MORE_LESSONS = ("02-autograd-inplace-softmax.toml", "09-shapes-view-after-transpose.toml")


@pytest.fixture
def three_lessons(course_dir: Path) -> Path:
    for name in MORE_LESSONS:
        shutil.copy(SHIPPED_LESSONS / name, course_dir / name)
    return course_dir


def rows(app) -> list[str]:
    """Every option of the course list as plain text: topic headings and lesson rows, in order."""
    lessons = app.screen.query_one(LessonList)
    return [plain(lessons.get_option_at_index(index).prompt) for index in range(lessons.option_count)]


def row_of(app, title: str) -> str:
    return next(row for row in rows(app) if title in row)


def next_text(app) -> str:
    return text_of(app.screen.query_one("#next", Static)).strip()


def highlighted(app) -> str | None:
    option = app.screen.query_one(LessonList).highlighted_option
    return option.id if option else None


@pilot_test
async def test_topics_in_learning_order_with_their_line_and_the_next_lesson_marked_and_focused(
        three_lessons: Path, make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE):
        assert isinstance(app.screen, CourseScreen)
        shown = rows(app)
        course = app.course
        first, second, shapes = course.lessons
        assert [topic.id for topic, _ in course.by_topic()] == ["autograd", "shapes"]
        autograd_heading, *_ = (row for row in shown if "Autograd hazards" in row)
        assert "0/2" in autograd_heading and course.topics[0].teaches.get("en") in autograd_heading
        assert "0/1" in row_of(app, "Shapes")
        assert shown.index(autograd_heading) < shown.index(row_of(app, first.title.get("en"))) \
            < shown.index(row_of(app, "Shapes")) < shown.index(row_of(app, shapes.title.get("en")))
        assert next_text(app) == f"▶ Next: {first.title.get('en')}"
        assert row_of(app, first.title.get("en")).lstrip().startswith("▶ ○")
        assert "▶" not in row_of(app, second.title.get("en"))
        assert highlighted(app) == first.id and app.screen.query_one(LessonList).has_focus


@pilot_test
async def test_the_map_in_spanish(three_lessons: Path, make_app: AppFactory) -> None:
    app = make_app(lang="es")
    async with app.run_test(size=SIZE):
        first = app.course.lessons[0]
        assert "Peligros de autograd" in row_of(app, "0/2")
        assert app.course.topics[0].teaches.get("es") in row_of(app, "Peligros de autograd")
        assert next_text(app) == f"▶ Siguiente: {first.title.get('es')}"


@pilot_test
async def test_solving_a_lesson_counts_in_its_topic_and_moves_the_next_lesson(three_lessons: Path, saves_dir: Path,
                                                                              make_app: AppFactory) -> None:
    store = ProgressStore(saves_dir, LEARNER)
    app = make_app()
    first, second, _ = app.course.lessons
    store.save_block(first.id, first.code.fix)  # the editor opens on the fix; the run is real
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        assert isinstance(app.screen, LessonScreen) and app.screen.lesson.id == first.id
        await run_block(pilot)
        await pilot.press("c")
        assert isinstance(app.screen, CourseScreen)
        assert "Solved 1 of 3" in text_of(app.screen.query_one("#progress-label"))
        assert "1/2" in row_of(app, "Autograd hazards") and "0/1" in row_of(app, "Shapes")
        assert row_of(app, first.title.get("en")).lstrip().startswith("● ")
        assert row_of(app, second.title.get("en")).lstrip().startswith("▶ ○")
        assert next_text(app) == f"▶ Next: {second.title.get('en')}"
        assert highlighted(app) == first.id  # back from a lesson, the cursor stays where it was
        await pilot.press("q")
    assert store.peek().state(first.id) is LessonState.SOLVED

    again = make_app()
    async with again.run_test(size=SIZE):
        assert highlighted(again) == second.id  # on open: the lesson to take next, not the last one worked on
        assert store.peek().last_lesson == first.id


@pilot_test
async def test_once_every_lesson_is_solved_the_screen_says_so(saves_dir: Path, make_app: AppFactory) -> None:
    app = make_app()
    lesson = app.course.lessons[0]
    ProgressStore(saves_dir, LEARNER).record_run(lesson.id, lesson.code.fix,
                                                 RunResult(lesson=lesson.id, status=Status.PASSED, message=""))
    app = make_app()
    async with app.run_test(size=SIZE):
        assert next_text(app) == "The only lesson is solved."
        assert "1/1" in row_of(app, "Autograd hazards")
        assert all("▶" not in row for row in rows(app))
        assert highlighted(app) == lesson.id  # the last lesson worked on
