"""The tutor's settings, resolved once and passed to the app and to every command.

Every MINIGPT_TUTOR_* variable is read here, and nowhere else. Each setting is taken from its
flag, else its environment variable, else (the language only) the learner's saved choice,
else a default: the login name, the checkout's `saves/` (or the user's data folder), the
locale's language, the course the tutor ships.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tutor.core.i18n import DEFAULT_LANGUAGE, available_languages
from tutor.core.learners import login_name, validate_learner_name
from tutor.core.locations import checkout_dir, lessons_dir
from tutor.core.progress import SaveError, SaveUnreadable, read_save, save_path

LEARNER_ENV = "MINIGPT_TUTOR_LEARNER"
SAVES_ENV = "MINIGPT_TUTOR_SAVES"
LANGUAGE_ENV = "MINIGPT_TUTOR_LANG"
LESSONS_ENV = "MINIGPT_TUTOR_LESSONS"


@dataclass(frozen=True)
class Settings:
    learner: str  # a checked name: it is a file name in the saves folder
    saves_dir: Path
    language: str
    lessons_dir: Path

    @classmethod
    def resolve(cls, *, learner: str | None = None, saves_dir: str | None = None, language: str | None = None,
                lessons: str | None = None, environ: Mapping[str, str] = os.environ) -> Settings:
        """From the flags given (None: not given). Raises ValueError saying what is wrong: a
        LearnerNameError (to be said in `error_language`) or an unknown language."""
        name = resolve_learner(learner, environ)
        saves = resolve_saves_dir(saves_dir, environ)
        if language is not None:
            chosen = checked_language(language)
        else:
            chosen = _saved_language(saves, name) or choose_language(None, environ)
        folder = Path(lessons or environ.get(LESSONS_ENV) or lessons_dir()).expanduser()
        return cls(name, saves, chosen, folder)


def resolve_learner(flag: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """`--learner`, else MINIGPT_TUTOR_LEARNER, else the login name; always validated."""
    if flag is not None:
        return validate_learner_name(flag)  # an empty --learner is a mistake, not "use the default"
    return validate_learner_name(environ.get(LEARNER_ENV) or login_name(environ))


def resolve_saves_dir(flag: str | None, environ: Mapping[str, str] = os.environ) -> Path:
    """`--saves-dir`, else MINIGPT_TUTOR_SAVES, else the checkout's saves/, else the user's data folder."""
    for candidate in (flag, environ.get(SAVES_ENV)):
        if candidate:
            return Path(candidate).expanduser()
    checkout = checkout_dir()
    if checkout is not None:
        return checkout / "saves"
    data_home = environ.get("XDG_DATA_HOME") or str(Path(environ.get("HOME") or Path.home()) / ".local" / "share")
    return Path(data_home) / "minigpt-tutor" / "saves"


def checked_language(code: str) -> str:
    if code not in available_languages():
        raise ValueError(f"unknown language {code!r}; choose one of: {', '.join(available_languages())}")
    return code


def choose_language(flag: str | None = None, environ: Mapping[str, str] = os.environ) -> str:
    """`--lang`, else MINIGPT_TUTOR_LANG, else the locale, else English (the learner's save aside)."""
    for candidate in (flag, environ.get(LANGUAGE_ENV)):
        if candidate:
            return checked_language(candidate)
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        prefix = environ.get(variable, "")[:2].lower()
        if prefix in available_languages():
            return prefix
    return DEFAULT_LANGUAGE


def error_language(flag: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """The language to say a settings error in, when the settings themselves could not be resolved."""
    try:
        return choose_language(flag, environ)
    except ValueError:
        return DEFAULT_LANGUAGE


def _saved_language(saves_dir: Path, learner: str) -> str | None:
    """The language the learner last chose in the tutor (`l`), if their save can be read."""
    try:
        saved = read_save(save_path(saves_dir, learner)).language
    except (SaveError, SaveUnreadable, OSError):
        return None  # whatever is wrong with the save is said when it is used
    return saved if saved in available_languages() else None
