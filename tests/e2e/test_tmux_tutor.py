"""The installed `minigpt-tutor` in a real terminal (tmux): a learner solves the first lesson.

Keys go in with `send-keys`, the screen comes back with `capture-pane`. The fix is typed the
way a learner may: `e` opens $EDITOR on the block, and this test's "editor" writes the fix.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tutor.core.course import load_course
from tutor.core.progress import LessonState, ProgressStore

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")

LEARNER = "e2e"
WAIT_S = 60.0  # a bound, not a speed claim: runs start real torch processes on a busy machine


class Terminal:
    """One tmux server of our own (its own socket), one session, 100x30 unless told."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        command = ["tmux", "-L", self.socket, "-f", "/dev/null", *args]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def start(self, command: str, size: tuple[int, int] = (100, 30)) -> None:
        """Type the command into a shell, as a learner does, once the terminal has its size."""
        self.tmux("new-session", "-d", "-s", "tutor", "-x", str(size[0]), "-y", str(size[1]), "sh")
        self.keys(f"exec {command}", "Enter")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "tutor", *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "tutor")

    def wait_for(self, *texts: str) -> str:
        """Poll the screen until every text is on it; fail with the last screen."""
        deadline = time.monotonic() + WAIT_S
        while True:
            shown = self.screen()
            if all(text in shown for text in texts):
                return shown
            if time.monotonic() > deadline:
                pytest.fail(f"never saw {texts!r}; the screen was:\n{shown}")
            time.sleep(0.2)

    def running(self) -> bool:
        try:
            return "tutor" in self.tmux("list-sessions", "-F", "#{session_name}")
        except subprocess.CalledProcessError:
            return False


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    term = Terminal(f"minigpt-tutor-e2e-{tmp_path.name}")
    try:
        yield term
    finally:
        subprocess.run(["tmux", "-L", term.socket, "kill-server"], capture_output=True)


def installed_tutor() -> str:
    beside_python = Path(sys.executable).with_name("minigpt-tutor")
    found = str(beside_python) if beside_python.exists() else shutil.which("minigpt-tutor")
    assert found, "minigpt-tutor is not installed: pip install -c constraints.txt -e ."
    return found


def test_a_learner_solves_the_first_lesson_in_a_real_terminal(terminal: Terminal, tmp_path: Path) -> None:
    lesson = load_course().lessons[0]
    fix = tmp_path / "fix.py"
    fix.write_text(lesson.code.fix, encoding="utf-8")
    saves = tmp_path / "saves"
    editor = f"cp {shlex.quote(str(fix))}"  # $EDITOR FILE becomes: cp fix.py FILE
    terminal.start(f"env EDITOR={shlex.quote(editor)} {shlex.quote(installed_tutor())} "
                   f"--learner {LEARNER} --saves-dir {shlex.quote(str(saves))} --lang en")

    terminal.wait_for("Solved 0 of", lesson.title.get("en")[:40], "q quit")
    terminal.keys("Enter")  # the first lesson is preselected
    terminal.wait_for("Your block", "h.add_(", "r/^r run")

    terminal.keys("r")
    shown = terminal.wait_for("✗ failed", "Version found", "Version expected")
    assert "Add" in shown and "[1, 8, 64]" in shown

    terminal.keys("e")  # suspends the tutor, runs $EDITOR on the block, reads it back
    terminal.wait_for("h = h + self.attn(self.ln1(h))", "Your block")
    edited = saves / f"{LEARNER}-blocks" / f"{lesson.id}.py"  # the file `minigpt-tutor watch` uses too
    assert edited.read_text(encoding="utf-8") == lesson.code.fix
    terminal.keys("r")
    terminal.wait_for("✓ passed", "match", "The break, mechanically")

    terminal.keys("c")
    terminal.wait_for("● ", "solved")
    terminal.keys("q")
    deadline = time.monotonic() + WAIT_S
    while terminal.running() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not terminal.running(), "q did not quit the tutor"

    progress = ProgressStore(saves, LEARNER).load().lessons[lesson.id]
    assert progress.state is LessonState.SOLVED
    assert progress.last_block == lesson.code.fix


CRASHING_TUTOR = """
import sys
from tutor import cli
from tutor.ui.screens import lesson

def broken(self):  # a fault put in on purpose: `h` meets an error the tutor does not expect
    raise LookupError("an injected fault")

lesson.LessonScreen.action_hint = broken
sys.exit(cli.main(sys.argv[1:]))
"""


def test_an_unexpected_error_keeps_the_block_and_names_its_log(terminal: Terminal, tmp_path: Path) -> None:
    lesson = load_course().lessons[0]
    script = tmp_path / "crashing_tutor.py"
    script.write_text(CRASHING_TUTOR, encoding="utf-8")
    saves, state = tmp_path / "saves", tmp_path / "state"
    terminal.start(f"sh -c 'XDG_STATE_HOME={shlex.quote(str(state))} {shlex.quote(sys.executable)} "
                   f"{shlex.quote(str(script))} --learner {LEARNER} --saves-dir {shlex.quote(str(saves))} "
                   f"--lang en --lesson {lesson.id}; echo tutor-exit=$?; sleep 60'")
    terminal.wait_for("Your block", "h.add_(", "i edit")
    terminal.keys("i")
    deadline = time.monotonic() + WAIT_S
    while "i edit" in terminal.screen() and time.monotonic() < deadline:  # the footer changes in the editor
        time.sleep(0.2)
    terminal.keys("-l", "# mine ")
    terminal.wait_for("# mine")
    terminal.keys("Escape")
    time.sleep(1.0)  # tmux reads Escape then h as one Alt+h when they come together
    terminal.keys("h")

    shown = "".join(terminal.wait_for("tutor-exit=1").split())  # the message wraps: compare without spaces
    assert "unexpectederror(LookupError)" in shown and "Yourblockandprogressweresaved" in shown
    assert "Traceback" not in shown and "format_version" not in shown  # no dump of locals
    logs = list((state / "minigpt-tutor").glob("crash-*.log"))
    assert len(logs) == 1 and str(logs[0]) in shown
    assert "LookupError: an injected fault" in logs[0].read_text(encoding="utf-8")
    block = ProgressStore(saves, LEARNER).load().lessons[lesson.id].last_block
    assert block is not None and "# mine" in block
