"""The commands behave like Unix tools: a reader that goes away early, or a bug of the
tutor's, ends with a short message (or none) and a status, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.core.progress import ProgressStore

COMMANDS_THAT_PRINT = (["list"], ["list", "--json"], ["show", "inplace-residual"], ["progress"],
                       ["report", "--format", "csv"], ["report", "--format", "json"], ["report"])


@pytest.fixture
def class_saves(tmp_path: Path) -> Path:
    saves = tmp_path / "saves"
    for learner in ("ana", "ben", "chloe"):
        store = ProgressStore(saves, learner)
        store.record_opened("inplace-residual")
        store.record_hint("inplace-residual", 1)
    return saves


@pytest.mark.parametrize("arguments", COMMANDS_THAT_PRINT, ids=" ".join)
def test_a_reader_that_is_gone_ends_the_command_quietly(arguments: list[str], class_saves: Path) -> None:
    reader, writer = os.pipe()
    os.close(reader)  # like `| head -0`: every write meets a closed pipe
    try:
        ended = subprocess.run([sys.executable, "-m", "tutor", "--learner", "ana", "--saves-dir", str(class_saves),
                                *arguments], stdout=writer, stderr=subprocess.PIPE, text=True)
    finally:
        os.close(writer)
    assert ended.stderr == ""
    assert ended.returncode == 1


def test_a_bug_in_a_command_is_a_short_message_and_a_log(tmp_path: Path) -> None:
    # A fault put in on purpose: the `list` command raises what no command expects.
    fault = ("import sys\nfrom tutor import cli\nfrom tutor.commands import lessons\n"
             "def broken(args, settings):\n    raise LookupError('an injected fault')\n"
             "lessons.run_list = broken\nsys.exit(cli.main(['list']))\n")
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    ended = subprocess.run([sys.executable, "-c", fault], capture_output=True, text=True, env=env)
    assert ended.returncode == 70
    assert "Traceback" not in ended.stderr
    assert "internal error: LookupError: an injected fault" in ended.stderr
    logs = list((tmp_path / "state" / "minigpt-tutor").glob("crash-*.log"))
    assert len(logs) == 1 and str(logs[0]) in ended.stderr.replace("\n", "")
    assert "Traceback" in logs[0].read_text() and "LookupError: an injected fault" in logs[0].read_text()
    assert oct(logs[0].stat().st_mode & 0o777) == "0o600"
