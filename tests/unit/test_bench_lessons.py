"""`bench`'s per-lesson figures: every lesson of the course, its starter and its fix, warm."""

from __future__ import annotations

from rich.console import Console

from tutor.bench.lessons import LESSON_ONE_TARGET_S, MEDIAN_TARGET_S, lesson_figures
from tutor.commands.bench import lessons_table
from tutor.core.course import Course


def test_each_lesson_gets_its_starter_and_fix_timed_against_its_target(course: Course) -> None:
    chosen = Course([course.get("inplace-residual"), course.get("no-grad-forward")], [])
    figures = lesson_figures(chosen, runs=1)
    assert [row["lesson"] for row in figures] == ["inplace-residual", "no-grad-forward"]
    assert [row["target_s"] for row in figures] == [LESSON_ONE_TARGET_S, MEDIAN_TARGET_S]
    for row in figures:
        assert 0 < row["starter_median_s"] <= row["slowest_s"]
        assert 0 < row["fix_median_s"] <= row["slowest_s"]
    console = Console(width=80, record=True)
    console.print(lessons_table(figures, 1, "en"))
    text = console.export_text()
    assert " 1 inplace-residual" in text and " 7 no-grad-forward" in text  # whole ids, even at 80 columns
    assert text.count("≤ 0.5 s") == 1 and text.count("≤ 0.1 s") == 1
