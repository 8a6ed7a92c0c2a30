"""Whole flows of the tutor, driven with Textual's Pilot; every run is a real sandboxed subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Static

from tutor.core.course import load_course
from tutor.core.i18n import tr
from tutor.core.progress import LessonState, ProgressStore
from tutor.ui.screens.confirm import ConfirmScreen
from tutor.ui.screens.course import CourseScreen
from tutor.ui.screens.help import HelpScreen
from tutor.ui.screens.lesson import LessonScreen
from tutor.ui.widgets.course_list import LessonList
from tutor.ui.widgets.editor import BlockEditor
from tutor.ui.widgets.hints import HintPanel
from tutor.ui.widgets.result import Phase, ResultPanel

from conftest import LEARNER, SHIPPED_LESSONS, AppFactory
from ui_helpers import pilot_test, plain, replace_block, run_block, text_of, wait_for_run

SIZE = (80, 24)


def result_text(screen) -> str:
    return text_of(screen.query_one(ResultPanel))


def hints_text(screen) -> str:
    return text_of(screen.query_one(HintPanel))


def status_text(screen) -> str:
    return text_of(screen.query_one("#status", Static))


def store_for(saves_dir: Path) -> ProgressStore:
    return ProgressStore(saves_dir, LEARNER)


@pilot_test
async def test_solving_the_inplace_lesson_from_the_starter(make_app: AppFactory, saves_dir: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, CourseScreen)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, LessonScreen) and screen.lesson.id == "inplace-residual"
        starter = screen.lesson.code.starter
        assert screen.query_one(BlockEditor).text == starter

        await run_block(pilot)
        shown = result_text(screen)
        assert "✗" in shown and "failed" in shown
        assert "a tensor saved for backward was modified in place" in shown
        assert "Op" in shown and "Add" in shown
        assert "Version found" in shown and "Version expected" in shown
        card = screen.query_one(ResultPanel).view.result.diagnosis
        assert (card.op, card.version_found, card.version_expected) == ("Add", 2, 1)
        assert "is at version 2; expected version 1" in shown  # torch's words, verbatim

        for _ in range(2):
            await pilot.press("h")
        assert "Hint 2 of 3 (medium)" in hints_text(screen)
        await pilot.press("h")
        assert isinstance(app.screen, ConfirmScreen)  # the direct rung asks first
        await pilot.press("y")
        shown = hints_text(screen)
        assert "Hint 3 of 3 (direct)" in shown
        for rung in screen.lesson.hints.rungs():
            assert rung.get("en") in shown  # every revealed rung stays visible
        assert store_for(saves_dir).load().lessons["inplace-residual"].hint_rung == 3

        await replace_block(pilot, screen.lesson.code.fix)
        assert screen.query_one(BlockEditor).text == screen.lesson.code.fix
        await run_block(pilot)
        shown = result_text(screen)
        assert "✓ passed" in shown
        total = len(screen.query_one(ResultPanel).view.result.gradients)
        assert total > 0 and f"all {total} parameter gradients match the control" in shown
        for section in ("The break, mechanically", "Fix", "When it is safe"):
            assert section in shown
        assert "last lesson of the course" in shown  # this course has one lesson

        await pilot.press("c")
        assert isinstance(app.screen, CourseScreen)
        course_screen = app.screen
        assert "Solved 1 of 1" in text_of(course_screen.query_one("#progress-label"))
        row = course_screen.query_one(LessonList).get_option("inplace-residual")
        assert "solved with hints (3 of 3)" in plain(row.prompt)

    save = store_for(saves_dir).load()
    saved = save.lessons["inplace-residual"]
    assert saved.state is LessonState.SOLVED and saved.hints_at_solve == 3
    assert [(run.status.value, run.diagnosis.value if run.diagnosis else None, run.hint_rung, run.changed)
            for run in save.history] == [("failed", "inplace_version", 0, True), ("passed", None, 3, True)]


@pilot_test
async def test_anomaly_mode_names_the_failed_backward_and_marks_the_learners_line(make_app: AppFactory) -> None:
    app = make_app(lesson="inplace-residual")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert "anomaly: off" in status_text(screen)
        await pilot.press("a")
        assert "anomaly: on" in status_text(screen)
        await run_block(pilot)
        diagnosis = screen.query_one(ResultPanel).view.result.diagnosis
        assert diagnosis.failed_backward == "NativeLayerNormBackward0"
        assert "NativeLayerNormBackward0" in result_text(screen)
        editor = screen.query_one(BlockEditor)
        assert diagnosis.line is not None and editor.offending_line == diagnosis.line
        assert "ln2" in editor.document.get_line(diagnosis.line - 1)  # the LayerNorm whose backward failed
        await pilot.press("i", "end", "space")  # an edit may move lines: the mark goes
        assert editor.offending_line is None


@pilot_test
async def test_a_different_error_is_noticed_by_the_hint_panel(make_app: AppFactory) -> None:
    app = make_app(lesson="inplace-residual")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.press("h")
        assert "different problem" not in hints_text(screen)
        await replace_block(pilot, "def forward(self, h):\n    h = h + self.attn(self.ln1(h))\n"
                                   "    return h + self.mlp(self.ln2(h)).view(-1)\n")
        await run_block(pilot)
        shown = hints_text(screen)
        assert "different problem" in shown and "the shapes of two tensors do not fit together" in shown
        assert screen.query_one(BlockEditor).offending_line == 3


@pilot_test
async def test_reset_puts_the_starter_back_after_confirmation(make_app: AppFactory, saves_dir: Path) -> None:
    app = make_app(lesson="inplace-residual")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        editor = screen.query_one(BlockEditor)
        await replace_block(pilot, "def forward(self, h):\n    return h\n")
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert editor.text == "def forward(self, h):\n    return h\n"
        await pilot.press("x", "y")
        assert editor.text == screen.lesson.code.starter
        await pilot.press("q")
    assert store_for(saves_dir).load().lessons["inplace-residual"].last_block == app.course.lessons[0].code.starter


def _processes() -> dict[int, tuple[int, str]]:
    """Every process: pid -> (parent pid, state letter)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # it ended while we looked
            table[int(entry.name)] = (int(fields[1]), fields[0])
    return table


def descendants() -> set[int]:
    """Living processes started, directly or not, by this test process."""
    table = _processes()
    found: set[int] = set()
    frontier = {os.getpid()}
    while frontier:
        frontier = {pid for pid, (parent, state) in table.items() if parent in frontier and state != "Z"} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    state = _processes().get(pid)
    return state is not None and state[1] != "Z"


@pilot_test
async def test_escape_cancels_a_long_run_and_kills_its_process(make_app: AppFactory) -> None:
    app = make_app(lesson="inplace-residual")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await replace_block(pilot, "def forward(self, h):\n    while True:\n        pass\n")
        before = descendants()  # the warm runner, if it has started, is not the run
        await pilot.press("r")
        run_processes: set[int] = set()
        for _ in range(400):  # bounded: until the run's process is there
            run_processes = descendants() - before - {app.runner_session.server_pid}
            if run_processes:
                break
            await pilot.pause(0.05)
        assert run_processes, "the run never started a process"
        assert screen.running and screen.query_one(ResultPanel).view.phase is Phase.RUNNING
        assert "Escape cancels" in result_text(screen)
        await pilot.press("escape")
        await wait_for_run(pilot)
        assert not screen.running
        assert screen.query_one(ResultPanel).view.phase is Phase.CANCELLED
        assert "Run cancelled" in result_text(screen)
        assert [pid for pid in run_processes if alive(pid)] == []


@pilot_test
async def test_quitting_and_reopening_restores_the_block_hints_and_lesson(make_app: AppFactory) -> None:
    edited = "def forward(self, h):\n    # my attempt\n    return h\n"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await replace_block(pilot, edited)
        await pilot.press("h")
        await pilot.press("q")
    assert app.return_code == 0

    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        lessons = again.screen.query_one(LessonList)
        assert lessons.highlighted_option.id == "inplace-residual"  # the last lesson worked on
        await pilot.press("enter")
        screen = again.screen
        assert screen.query_one(BlockEditor).text == edited
        assert "Hint 1 of 3 (mild)" in hints_text(screen)


@pilot_test
async def test_spanish_labels_and_hints_with_torchs_message_verbatim_then_english_live(make_app: AppFactory,
                                                                                      saves_dir: Path) -> None:
    app = make_app(lang="es")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        screen = app.screen
        await run_block(pilot)
        shown = result_text(screen)
        for label in ("Operación", "Versión encontrada", "Versión esperada", "Forma", "torch dice"):
            assert label in shown
        assert "fallido" in shown
        assert "el backward lanzó" in shown  # the verdict itself, in Spanish
        assert "modified by an inplace operation" in shown  # torch is never translated
        await pilot.press("h")
        assert screen.lesson.hints.mild.get("es") in hints_text(screen)
        assert "Pista 1 de 3 (suave)" in hints_text(screen)

        await pilot.press("l")
        shown = result_text(screen)
        assert "Version found" in shown and "Versión encontrada" not in shown
        assert "backward raised" in shown and "el backward lanzó" not in shown  # the verdict is said again
        assert screen.lesson.hints.mild.get("en") in hints_text(screen)
        assert "English" in status_text(screen)
    assert store_for(saves_dir).load().language == "en"  # remembered for next time


@pilot_test
async def test_help_lists_every_key_of_the_lesson(make_app: AppFactory) -> None:
    app = make_app(lesson="inplace-residual")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        listed = text_of(app.screen.query_one("#help-keys"))
        for binding in (*LessonScreen.BINDINGS, *type(app).BINDINGS):
            assert binding.description.startswith("key.")
            assert tr(binding.description, "en") in listed
        await pilot.press("escape")
        assert isinstance(app.screen, LessonScreen)


@pilot_test
async def test_a_malformed_lesson_is_reported_and_the_others_still_work(course_dir: Path,
                                                                        make_app: AppFactory) -> None:
    (course_dir / "02-broken.toml").write_text('format_version = 1\nid = "broken"\norder = \n', encoding="utf-8")
    assert load_course(course_dir).problems  # the core sees it too
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        problems = text_of(app.screen.query_one("#problems"))
        assert "02-broken.toml" in problems and "lesson not loaded" in problems
        await pilot.press("enter")
        assert isinstance(app.screen, LessonScreen)


@pilot_test
async def test_no_color_is_respected(make_app: AppFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert make_app().no_color


def test_the_ui_process_never_imports_torch() -> None:
    code = "import tutor.ui.app, sys; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


@pilot_test
async def test_next_previous_zoom_and_back_to_the_course(course_dir: Path, make_app: AppFactory,
                                                       saves_dir: Path) -> None:
    second = sorted(SHIPPED_LESSONS.glob("*.toml"))[1]
    shutil.copy(second, course_dir / second.name)
    first_id, second_id = (lesson.id for lesson in load_course(course_dir).lessons[:2])
    app = make_app(lesson=first_id)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")  # no lesson before the first: nothing happens
        assert app.screen.lesson.id == first_id
        await pilot.press("n")
        assert app.screen.lesson.id == second_id and "lesson 2 of 2" in status_text(app.screen)
        await pilot.press("z")
        assert app.screen.maximized is app.screen.query_one("#story")
        await pilot.press("z")
        assert app.screen.maximized is None
        await pilot.press("p")
        assert app.screen.lesson.id == first_id
        await pilot.press("c")
        assert isinstance(app.screen, CourseScreen)
        assert len(app.screen_stack) == 2  # the default screen and the course: lessons were replaced
    saved = store_for(saves_dir).load()
    assert saved.last_lesson == first_id and {first_id, second_id} <= set(saved.lessons)


@pilot_test
async def test_progress_that_cannot_be_saved_is_said_and_the_tutor_keeps_working(saves_dir: Path,
                                                                                 make_app: AppFactory) -> None:
    saves_dir.write_text("a file where the saves folder should be", encoding="utf-8")
    app = make_app(lesson="inplace-residual")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        said = [note for note in app._notifications if str(saves_dir) in note.message]
        assert said and any(note.severity == "error" for note in said)
        await run_block(pilot)
        assert app.screen.query_one(ResultPanel).view.result.diagnosis.op == "Add"
