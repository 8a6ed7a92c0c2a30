"""An error nothing caught, in the tutor or a command: its traceback goes to a log file of the learner's own.

The log is plain text with the traceback only: Textual's default report dumps the
locals of every frame, whole lessons included, on the learner's terminal.
"""

from __future__ import annotations

import os
import tempfile
import time
import traceback
from pathlib import Path


def crash_log_dir() -> Path:
    """$XDG_STATE_HOME/minigpt-tutor, else ~/.local/state/minigpt-tutor: private to the account."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "minigpt-tutor"


def write_crash_log(error: BaseException, *notes: str) -> Path:
    """Write the traceback (and any notes) to a new file, mode 0600, and return its path.

    Falls back to the temporary folder when the state folder cannot be written."""
    text = "".join(traceback.format_exception(error)) + "".join(f"\n{note}\n" for note in notes)
    name = f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    try:
        folder = crash_log_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / name
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as log:
            log.write(text)
        return path
    except OSError:
        handle, fallback = tempfile.mkstemp(prefix="minigpt-tutor-crash-", suffix=".log")
        with open(handle, "w", encoding="utf-8") as log:
            log.write(text)
        return Path(fallback)
