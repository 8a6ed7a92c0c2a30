"""The tutor in a real terminal, as a learner sees it: start-up and quitting, timed through tmux.

Start-up runs from the moment the command is typed to the moment the course screen is on
the terminal; quitting, from `q` on an open lesson to the moment the tutor's process has
gone and the shell is back. The screen is read with `capture-pane` every few milliseconds,
so each figure is at most one poll late.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable

POLL_S = 0.01
GIVE_UP_S = 60.0  # a bound for a broken terminal, not a speed claim
COURSE_SCREEN = "Solved "  # the course screen's progress line ("Solved 0 of 17")
LESSON_SCREEN = "─ Your block ─"  # the border of the open lesson's editor
SHELL_BACK = "tutor-ended"  # printed once the tutor has exited (typed as `tutor ended`, so not matched early)


class TerminalGone(RuntimeError):
    """tmux is missing, or the tutor never reached the screen it was waiting for."""


def terminal_figures(rounds: int = 5) -> dict[str, float]:
    """Median start-up and quit times over `rounds` fresh tutors, in seconds."""
    if shutil.which("tmux") is None:
        raise TerminalGone("tmux is not installed")
    startups, quits = [], []
    for _ in range(rounds):
        startup, quit_ = _one_round()
        startups.append(startup)
        quits.append(quit_)
    startups.sort()
    quits.sort()
    return {"terminal_startup_s": round(startups[len(startups) // 2], 3),
            "terminal_quit_s": round(quits[len(quits) // 2], 3)}


def _one_round() -> tuple[float, float]:
    socket = f"minigpt-tutor-bench-{uuid.uuid4().hex[:8]}"

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", "-L", socket, "-f", "/dev/null", *args],
                              capture_output=True, text=True, check=True).stdout

    with tempfile.TemporaryDirectory(prefix="minigpt-tutor-bench-") as saves:
        command = shlex.join([sys.executable, "-m", "tutor", "--saves-dir", saves, "--learner", "bench", "--lang", "en"])
        tmux("new-session", "-d", "-s", "bench", "-x", "100", "-y", "30", "sh")
        try:
            tmux("send-keys", "-t", "bench", f"clear; {command}; clear; printf '%s-%s\\n' tutor ended", "Enter")
            started = time.perf_counter()
            _wait_for(tmux, COURSE_SCREEN)
            startup = time.perf_counter() - started
            tmux("send-keys", "-t", "bench", "Enter")
            _wait_for(tmux, LESSON_SCREEN)
            tmux("send-keys", "-t", "bench", "q")
            started = time.perf_counter()
            _wait_for(tmux, SHELL_BACK)
            return startup, time.perf_counter() - started
        finally:
            subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)


def _wait_for(tmux: Callable[..., str], text: str) -> None:
    deadline = time.perf_counter() + GIVE_UP_S
    while text not in tmux("capture-pane", "-p", "-t", "bench"):
        if time.perf_counter() > deadline:
            raise TerminalGone(f"the tutor never showed {text!r} in tmux")
        time.sleep(POLL_S)
