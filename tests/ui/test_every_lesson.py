"""Every lesson of the shipped course in the tutor: its starter and its fix run, and each
right-hand tab (result, graph, compare) is shown after each run, with a verdict on screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static, TabbedContent, Tree

from tests.ui.conftest import SHIPPED_LESSONS, AppFactory
from tests.ui.ui_helpers import pilot_test, plain, run_block, text_of
from tutor.core.course import load_course
from tutor.core.i18n import tr
from tutor.ui.widgets.editor import BlockEditor

SIZE = (120, 40)
LESSONS = [lesson.id for lesson in load_course(SHIPPED_LESSONS).lessons]


@pytest.fixture
def course_dir() -> Path:
    """The whole course, as a learner gets it (the suite's default is one lesson)."""
    return SHIPPED_LESSONS


async def show_every_tab(pilot, expected_status: str) -> None:
    screen = pilot.app.screen
    tabs = screen.query_one(TabbedContent)
    verdict = tr(f"status.{expected_status}", "en")
    for pane in ("result", "graph", "compare"):
        assert tabs.active == f"tab-{pane}"
        await pilot.pause()
        shown = text_of(screen.query_one(f"#{pane}"))
        if pane == "result":
            assert f"{'✓' if expected_status == 'passed' else '✗'} {verdict}:" in shown
        elif pane == "graph":  # the run's graph, or a sentence saying why there is none
            assert (plain(screen.query_one(Tree).root.label).strip()
                    or plain(screen.query_one("#graph-message", Static).content).strip())
        else:
            assert tr("compare.control", "en") in shown and tr("compare.yours", "en") in shown
        await pilot.press("t")
    assert tabs.active == "tab-result"


@pytest.mark.parametrize("lesson_id", LESSONS)
@pilot_test
async def test_the_starter_and_the_fix_run_and_every_tab_shows(make_app: AppFactory, lesson_id: str) -> None:
    app = make_app(lesson=lesson_id)
    lesson = app.course.get(lesson_id)
    async with app.run_test(size=SIZE) as pilot:
        await run_block(pilot)
        await show_every_tab(pilot, lesson.expect.status.value)
        app.screen.query_one(BlockEditor).load_text(lesson.code.fix)
        await run_block(pilot)
        await show_every_tab(pilot, "passed")
