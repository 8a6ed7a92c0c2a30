"""`minigpt-tutor class` in a real 80x24 terminal (tmux) on a class of 60: a learner's tutor, in
another process, records runs that repeat one error, and that learner comes up to the top."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_tmux_tutor import WAIT_S, Terminal, installed_tutor, terminal  # noqa: F401 (the fixture)

from tutor.core.progress import ProgressStore
from tutor.core.results import RunResult, Status

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")

LESSON = "inplace-residual"

# One learner's tutor recording five runs that each meet the same torch error.
STUCK_RUNS = f"""
from pathlib import Path
from tutor.core.progress import ProgressStore
from tutor.core.results import Diagnosis, DiagnosisKind, RunResult, Status
store = ProgressStore(Path({{saves!r}}), "learner59")
for n in range(5):
    store.record_run("{LESSON}", f"try {{{{n}}}}", RunResult(lesson="{LESSON}", status=Status.FAILED, message="",
                     diagnosis=Diagnosis(kind=DiagnosisKind.INPLACE_VERSION)))
"""


def test_class_shows_sixty_learners_at_80x24_and_follows_a_run(terminal: Terminal, tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    for n in range(60):
        store = ProgressStore(saves, f"learner{n:02d}")
        store.record_opened(LESSON)
        store.record_run(LESSON, "a block", RunResult(lesson=LESSON, status=Status.FAILED, message=""))
    (saves / "mallory.json").write_text("[" * 100_000)
    terminal.start(f"{shlex.quote(installed_tutor())} --lang en class --saves-dir {shlex.quote(str(saves))}",
                   size=(80, 24))
    shown = terminal.wait_for("60 learners", "Stuck", "learner00", "mallory.json cannot be read", "q quit")
    assert "learner59" not in shown  # below the fold: everyone is as stuck, by name
    assert all(len(line) <= 80 for line in shown.splitlines())

    subprocess.run([sys.executable, "-c", STUCK_RUNS.format(saves=str(saves))], check=True, timeout=60)
    shown = terminal.wait_for("learner59", "inplace_version x5")
    rows = [line for line in shown.splitlines() if line.strip().startswith("learner")]
    assert rows[0].split()[0] == "learner59"

    terminal.keys("q")
    deadline = time.monotonic() + WAIT_S
    while terminal.running() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not terminal.running(), "q did not quit the class view"
    assert sorted(p.name for p in saves.glob("*.json*"))[-1] == "mallory.json"  # nothing moved aside
