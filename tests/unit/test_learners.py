"""Learner names: hostile names are refused before they touch the disk; the defaults resolve in order."""

from __future__ import annotations

import os
import subprocess
import sys
import pwd
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.core.i18n import say
from tutor.core import settings as tutor_settings
from tutor.core.learners import LearnerNameError, validate_learner_name
from tutor.core.settings import resolve_learner, resolve_saves_dir
from tutor.core.locations import checkout_dir
from tutor.core.progress import ProgressStore, save_path

HOSTILE = {
    "": "is empty",
    "   \t ": "is empty",
    "a" * 65: "65 characters long; the limit is 64",
    "../evil": "path separator",
    "..": "contains '..'",
    "x..y": "contains '..'",
    "a/b": "path separator",
    "/etc/passwd": "path separator",
    "a\\b": "path separator",
    "nul\x00byte": "control or invisible character (U+0000)",
    "line\nbreak": "control or invisible character (U+000A)",
    "\x1b[31mred": "control or invisible character (U+001B)",
    "del\x7f": "control or invisible character (U+007F)",
    "right\u202eto-left": "control or invisible character (U+202E)",
    "zero\u200bwidth": "control or invisible character (U+200B)",
    ".hidden": "starts with '.'",
    "😀" * 60: "longer than 200 bytes",
}


@pytest.mark.parametrize("name", list(HOSTILE), ids=[repr(n)[:20] for n in HOSTILE])
def test_hostile_names_are_refused_with_a_plain_reason(name: str, tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    with pytest.raises(LearnerNameError) as caught:
        validate_learner_name(name)
    assert HOSTILE[name] in str(caught.value)
    with pytest.raises(LearnerNameError):
        ProgressStore(saves, name)
    assert list(tmp_path.iterdir()) == []


def test_the_reason_is_translated() -> None:
    with pytest.raises(LearnerNameError) as caught:
        validate_learner_name("a/b")
    assert "separador" in say(caught.value.wording, "es")
    assert "separator" in str(caught.value)


@pytest.mark.parametrize("name, kept", [
    ("ana", "ana"),
    ("  bob  ", "bob"),
    ("Ana María", "Ana María"),
    ("Jose\u0301", "José"),  # decomposed accent: one learner, one file, whichever way it was typed
    ("a" * 64, "a" * 64),
    ("o'brien-2", "o'brien-2"),
])
def test_ordinary_names_are_kept_trimmed_and_normalised(name: str, kept: str) -> None:
    assert validate_learner_name(name) == kept
    assert unicodedata.is_normalized("NFC", validate_learner_name(name))


@settings(max_examples=400, deadline=None)
@given(st.text(min_size=0, max_size=80))
def test_no_name_ever_leaves_the_saves_folder(name: str) -> None:
    saves = Path("/srv/class/saves")
    try:
        accepted = validate_learner_name(name)
    except LearnerNameError:
        return
    path = save_path(saves, accepted)
    assert path.parent == saves
    assert os.path.normpath(path) == str(path)
    assert not path.name.startswith(".")


def test_learner_comes_from_the_option_then_the_environment_then_the_login() -> None:
    environ = {"MINIGPT_TUTOR_LEARNER": "from-env", "LOGNAME": "from-login", "USER": "other"}
    assert resolve_learner("from-cli", environ) == "from-cli"
    assert resolve_learner(None, environ) == "from-env"
    assert resolve_learner(None, {"MINIGPT_TUTOR_LEARNER": "", "LOGNAME": "from-login"}) == "from-login"
    assert resolve_learner(None, {"USER": "just-user"}) == "just-user"
    assert resolve_learner(None, {}) == pwd.getpwuid(os.getuid()).pw_name


def test_a_hostile_name_from_any_source_is_refused() -> None:
    with pytest.raises(LearnerNameError):
        resolve_learner("", {"LOGNAME": "fine"})  # an empty --learner is a mistake, not "use the default"
    with pytest.raises(LearnerNameError):
        resolve_learner(None, {"MINIGPT_TUTOR_LEARNER": "../up"})


def test_saves_folder_comes_from_the_option_then_the_environment_then_the_checkout(tmp_path: Path) -> None:
    environ = {"MINIGPT_TUTOR_SAVES": str(tmp_path / "env")}
    assert resolve_saves_dir(str(tmp_path / "cli"), environ) == tmp_path / "cli"
    assert resolve_saves_dir(None, environ) == tmp_path / "env"
    root = checkout_dir()
    assert root is not None, "these tests run from the checkout"
    assert resolve_saves_dir(None, {}) == root / "saves"


def test_outside_a_checkout_saves_go_to_the_user_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # An installed wheel has no checkout; this machine only has the editable install.
    monkeypatch.setattr(tutor_settings, "checkout_dir", lambda: None)
    assert resolve_saves_dir(None, {"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "minigpt-tutor" / "saves"
    assert resolve_saves_dir(None, {"HOME": str(tmp_path)}) == tmp_path / ".local/share/minigpt-tutor/saves"


def test_the_command_line_refuses_a_hostile_name_and_creates_nothing(tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    for name in ("../../escape", "a\x1bb", ""):
        done = subprocess.run([sys.executable, "-m", "tutor", "--learner", name, "--saves-dir", str(saves),
                               "reset", "--all", "--yes"], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "NO_COLOR": "1", "MINIGPT_TUTOR_LANG": "en"})
        assert done.returncode == 2, done
        assert "learner name" in done.stderr
        assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []
