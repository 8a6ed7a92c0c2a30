"""Editing the block in the learner's own editor: suspend the app, edit a scratch file, read it back."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from textual.app import App


def editor_command() -> list[str]:
    """$VISUAL, else $EDITOR, else vi: what a shell user expects."""
    return shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")


def edit_externally(app: App, text: str, name: str) -> str:
    """The text after the editor exits. Raises SuspendNotSupported (no real terminal) or OSError
    (the editor cannot be started)."""
    with tempfile.TemporaryDirectory(prefix="minigpt-tutor-edit-") as folder:
        path = Path(folder) / f"{name}.py"
        path.write_text(text, encoding="utf-8")
        with app.suspend():
            subprocess.run([*editor_command(), str(path)], check=False)
        return path.read_text(encoding="utf-8", errors="replace")
