"""Who is learning, and where their progress is kept.

A learner's name becomes a file name in the saves folder, so it is checked
before it touches the disk: nothing it names can land outside that folder.
"""

from __future__ import annotations

import os
import pwd
import unicodedata
from collections.abc import Mapping

from tutor.core.explained import ExplainedError

MAX_NAME_CHARS = 64
# File names are limited to 255 bytes; leave room for the save's suffixes.
MAX_NAME_BYTES = 200
# Control, format (invisible), surrogate and line/paragraph separator characters.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
_LOGIN_VARIABLES = ("LOGNAME", "USER", "LNAME", "USERNAME")


class LearnerNameError(ExplainedError, ValueError):
    """A learner name that cannot be used; the message says why, plainly."""


def validate_learner_name(name: str) -> str:
    """The name, trimmed and in Unicode NFC form, or LearnerNameError saying what is wrong."""
    cleaned = unicodedata.normalize("NFC", name.strip())
    if not cleaned:
        raise LearnerNameError("learner.name_empty")
    if len(cleaned) > MAX_NAME_CHARS:
        raise LearnerNameError("learner.name_too_long", length=len(cleaned), limit=MAX_NAME_CHARS)
    bad = next((c for c in cleaned if unicodedata.category(c) in _REFUSED_CATEGORIES), None)
    if bad is not None:
        raise LearnerNameError("learner.name_control", code=f"U+{ord(bad):04X}")
    if "/" in cleaned or "\\" in cleaned:
        raise LearnerNameError("learner.name_separator")
    if ".." in cleaned:
        raise LearnerNameError("learner.name_dotdot")
    if cleaned.startswith("."):
        raise LearnerNameError("learner.name_dot")
    if len(cleaned.encode("utf-8")) > MAX_NAME_BYTES:
        raise LearnerNameError("learner.name_too_many_bytes", limit=MAX_NAME_BYTES)
    return cleaned


def login_name(environ: Mapping[str, str] = os.environ) -> str:
    """The login name, as getpass finds it, but from the given environment."""
    for variable in _LOGIN_VARIABLES:
        if environ.get(variable):
            return environ[variable]
    return pwd.getpwuid(os.getuid()).pw_name
