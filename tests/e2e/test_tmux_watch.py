"""`minigpt-tutor watch` in a real terminal (tmux): the learner edits the block file with another
program (here `sed`), and the verdict follows each save without a key press."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from test_tmux_tutor import WAIT_S, Terminal, installed_tutor, terminal  # noqa: F401 (the fixture)

from tutor.core.course import load_course
from tutor.core.progress import LessonState, ProgressStore

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")

LEARNER = "watcher"
LESSON = "inplace-residual"


def test_watch_runs_the_check_on_each_save_and_takes_single_keys(terminal: Terminal, tmp_path: Path) -> None:
    lesson = load_course().get(LESSON)
    saves = tmp_path / "saves"
    block = saves / f"{LEARNER}-blocks" / f"{LESSON}.py"
    terminal.start(f"{shlex.quote(installed_tutor())} --learner {LEARNER} --saves-dir {shlex.quote(str(saves))} "
                   f"--lang en watch {LESSON}")

    terminal.wait_for("Your block is in", "Keys: h hint", "✗ failed", "Version expected")
    assert block.read_text(encoding="utf-8") == lesson.code.starter

    # Another program saves the file (sed -i writes a new file and renames it over the old one).
    subprocess.run(["sed", "-i", "-e", "s/h.add_(self.attn(self.ln1(h)))/h = h + self.attn(self.ln1(h))/",
                    "-e", "s/h.add_(self.mlp(self.ln2(h)))/h = h + self.mlp(self.ln2(h))/", str(block)], check=True)
    assert "add_" not in block.read_text(encoding="utf-8")
    terminal.wait_for("✓ passed", "Press n for the next lesson")  # no key was pressed

    terminal.keys("h")
    first_hint = lesson.hints.mild.get("en").strip()[:30]
    terminal.wait_for("Hint 1 of 3 (mild)", first_hint)

    terminal.keys("q")
    deadline = time.monotonic() + WAIT_S
    while terminal.running() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not terminal.running(), "q did not quit watch"

    save = ProgressStore(saves, LEARNER).load()
    assert [(run.lesson, run.status.value, run.changed) for run in save.history] == [
        (LESSON, "failed", True), (LESSON, "passed", True)]  # watch keeps the run history as the tutor does
    progress = save.lessons[LESSON]
    assert progress.state is LessonState.SOLVED
    assert progress.runs == 2 and progress.attempts == 2  # the starter, then the saved fix
    assert progress.hint_rung == 1
    assert progress.last_block == block.read_text(encoding="utf-8")
