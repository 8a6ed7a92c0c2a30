"""One `Settings`, resolved once: flags, then the environment, then the learner's saved choice
(the language), then defaults; the same for the tutor and every command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.cli import build_parser
from tutor.core.learners import LearnerNameError
from tutor.core.progress import ProgressStore
from tutor.core.settings import Settings


def test_the_language_comes_from_the_flag_then_the_save_then_the_environment(tmp_path: Path) -> None:
    environ = {"MINIGPT_TUTOR_LANG": "en", "LANG": "en_GB.UTF-8"}
    assert Settings.resolve(learner="ana", saves_dir=str(tmp_path), environ=environ).language == "en"
    ProgressStore(tmp_path, "ana").set_language("es")  # `l` in the tutor
    assert Settings.resolve(learner="ana", saves_dir=str(tmp_path), environ=environ).language == "es"
    assert Settings.resolve(learner="ana", saves_dir=str(tmp_path), language="en", environ=environ).language == "en"
    assert Settings.resolve(learner="bea", saves_dir=str(tmp_path), environ=environ).language == "en"  # her own save
    with pytest.raises(ValueError, match="unknown language 'xx'"):
        Settings.resolve(learner="ana", saves_dir=str(tmp_path), language="xx", environ=environ)


def test_every_setting_comes_from_its_flag_then_its_environment_variable(tmp_path: Path) -> None:
    environ = {"MINIGPT_TUTOR_LEARNER": "env-learner", "MINIGPT_TUTOR_SAVES": str(tmp_path / "env-saves"),
               "MINIGPT_TUTOR_LESSONS": str(tmp_path / "env-lessons"), "MINIGPT_TUTOR_LANG": "es"}
    from_env = Settings.resolve(environ=environ)
    assert from_env == Settings("env-learner", tmp_path / "env-saves", "es", tmp_path / "env-lessons")
    from_flags = Settings.resolve(learner="ana", saves_dir=str(tmp_path / "s"), language="en",
                                  lessons=str(tmp_path / "l"), environ=environ)
    assert from_flags == Settings("ana", tmp_path / "s", "en", tmp_path / "l")
    with pytest.raises(LearnerNameError):
        Settings.resolve(environ={**environ, "MINIGPT_TUTOR_LEARNER": "../up"})


def test_root_options_stand_before_or_after_the_command() -> None:
    parser = build_parser()
    for argv in (["--learner", "ana", "progress"], ["progress", "--learner", "ana"]):
        assert parser.parse_args(argv).learner == "ana"
    assert parser.parse_args(["--saves-dir", "a", "report", "--saves-dir", "b"]).saves_dir == "b"
    assert parser.parse_args(["--lang", "es", "list"]).lang == "es"  # not reset by the command's own default


def test_progress_takes_the_learner_after_the_command(tmp_path: Path) -> None:
    ProgressStore(tmp_path, "ana").record_opened("inplace-residual")
    done = subprocess.run([sys.executable, "-m", "tutor", "progress", "--learner", "ana", "--saves-dir", str(tmp_path),
                           "--lang", "en"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "NO_COLOR": "1", "COLUMNS": "120"})
    assert done.returncode == 0, done.stderr
    assert "Progress of ana" in done.stdout and "attempted" not in done.stderr
