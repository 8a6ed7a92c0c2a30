"""The teacher's live view, driven with Pilot while other processes write saves through the tutor's
own progress code, as learners' tutors do: the order follows who is stuck, Enter shows a learner's
block and history, both follow new runs, and a broken save is named without stopping anything."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable

from tutor.core.course import load_course
from tutor.ui.classview import ClassApp
from tutor.ui.screens.class_learner import ClassLearnerScreen
from tutor.ui.screens.class_lessons import ClassLessonsScreen
from tutor.ui.screens.help import HelpScreen
from ui_helpers import pilot_test, text_of

LESSON = "inplace-residual"
SIZE = (80, 24)
WAIT_S = 30.0  # a loaded machine; the view itself reacts within a fraction of a second

# A learner's tutor recording runs (and hints): `python -c LEARNER SAVES NAME HINT STATUS KIND BLOCK...`.
LEARNER = """
import sys
from pathlib import Path
from tutor.core.progress import ProgressStore
from tutor.core.results import Diagnosis, DiagnosisKind, RunResult, Status
saves, name, hint, status, kind, *blocks = sys.argv[1:]
store = ProgressStore(Path(saves), name)
store.record_opened("inplace-residual")
if int(hint):
    store.record_hint("inplace-residual", int(hint))
for block in blocks:
    store.record_run("inplace-residual", block, RunResult(lesson="inplace-residual", status=Status(status), message="",
                     diagnosis=Diagnosis(kind=DiagnosisKind(kind)) if kind != "-" else None))
"""


def learner_runs(saves: Path, name: str, *blocks: str, status: str = "failed", kind: str = "inplace_version",
                 hint: int = 0) -> None:
    subprocess.run([sys.executable, "-c", LEARNER, str(saves), name, str(hint), status, kind, *blocks],
                   check=True, timeout=60)


def order(app: ClassApp) -> list[str]:
    table = app.query_one("#class-table", DataTable)
    return [str(table.coordinate_to_cell_key((row, 0)).row_key.value) for row in range(table.row_count)]


async def until(pilot: Pilot, condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "the view did not follow the saves folder"
        await pilot.pause(0.1)


@pilot_test
async def test_the_view_follows_learners_as_they_run(tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    learner_runs(saves, "ana", "a1", kind="shape_mismatch", hint=3)
    learner_runs(saves, "bob", "b1")
    learner_runs(saves, "cyd", "c1", status="failed", kind="-")
    app = ClassApp(load_course(), saves, "en")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: order(app) == ["ana.json", "bob.json", "cyd.json"])  # ana took the direct hint
        assert "3 learners" in text_of(app.query_one("#class-title"))

        # bob meets the same error again and again: he goes above ana
        await asyncio.to_thread(learner_runs, saves, "bob", "b2", "b3", "b4 = the same mistake")
        await until(pilot, lambda: order(app)[0] == "bob.json")
        assert order(app) == ["bob.json", "ana.json", "cyd.json"]
        table = app.query_one("#class-table", DataTable)
        assert "inplace_version x4" in table.get_row("bob.json")[4].plain

        # a broken save appears: it is named, and the others stay
        (saves / "eve.json").write_text("{not json")
        await until(pilot, lambda: "eve.json cannot be read" in text_of(app.query_one("#class-unreadable")))
        assert order(app)[:3] == ["bob.json", "ana.json", "cyd.json"]

        # Enter on bob: his block, his last run, his history, and a new run shows at once
        await pilot.press("ctrl+home", "enter")
        assert isinstance(app.screen, ClassLearnerScreen) and app.screen.file == "bob.json"
        assert "b4 = the same mistake" in text_of(app.screen.query_one("#learner-block"))
        assert "x4 in a row" in text_of(app.screen.query_one("#learner-verdict"))
        history = text_of(app.screen.query_one("#learner-history"))
        assert history.count("inplace_version") == 4 and history.count(LESSON) == 4
        await asyncio.to_thread(learner_runs, saves, "bob", "the fix", status="passed", kind="-")
        await until(pilot, lambda: text_of(app.screen.query_one("#learner-history")).count(LESSON) == 5)
        assert "the fix" in text_of(app.screen.query_one("#learner-block"))
        assert "passed" in text_of(app.screen.query_one("#learner-verdict"))

        # back: bob solved it, so he is no longer stuck
        await pilot.press("escape")
        assert not isinstance(app.screen, ClassLearnerScreen)
        assert order(app)[0] == "ana.json"
        assert app.view is not None and next(row for row in app.view.rows if row.learner == "bob").score == 0

        # the lessons, and the help that states the score
        await pilot.press("c")
        assert isinstance(app.screen, ClassLessonsScreen)
        lessons = app.screen.query_one("#lessons-table", DataTable)
        assert [cell.plain.strip() for cell in lessons.get_row(LESSON)][:3] == [LESSON, "3", "1/3"]
        await pilot.press("escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "Stuck score" in text_of(app.screen)
    assert sorted(p.name for p in saves.iterdir() if not p.name.startswith(".")) == [
        "ana.json", "bob.json", "cyd.json", "eve.json"]  # nothing written, nothing moved aside


def test_the_class_view_never_imports_torch() -> None:
    probe = "import sys, tutor.cli, tutor.ui.classview; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, timeout=120).stdout.strip() == "False"


@pilot_test
async def test_a_saves_folder_removed_under_the_view_is_named_and_the_view_stays(tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    learner_runs(saves, "ana", "a1")
    app = ClassApp(load_course(), saves, "en")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: order(app) == ["ana.json"])
        shutil.rmtree(saves)
        await until(pilot, lambda: "there is no saves folder" in text_of(app.query_one("#class-unreadable")))
        assert app.is_running and order(app) == ["ana.json"]  # the last view stays on screen
