"""`bench`'s terminal figures: the real tutor started and quit in tmux, as a learner does."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tutor.bench.terminal import terminal_figures

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")


def tutors_running() -> set[str]:
    """The pids of tutors started for the bench's learner (`--learner bench`)."""
    running = set()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue  # ended while we looked
        if b"tutor" in words and b"bench" in words:
            running.add(cmdline.parent.name)
    return running


def test_one_round_reaches_the_course_screen_then_quits_from_a_lesson() -> None:
    before = tutors_running()
    figures = terminal_figures(rounds=1)
    assert set(figures) == {"terminal_startup_s", "terminal_quit_s"}
    assert all(isinstance(value, float) and value > 0 for value in figures.values())
    assert tutors_running() <= before  # the tutor it started has ended, and its tmux server with it
