"""Editing the block in the learner's own editor: suspend the app, edit the block's file, read it back.

The file is the one `minigpt-tutor watch` uses (`tutor.core.workfile`), so both paths edit one file."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from textual.app import App

from tutor.core.workfile import read_block, write_block


def editor_command() -> list[str]:
    """$VISUAL, else $EDITOR, else vi: what a shell user expects."""
    return shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")


def edit_externally(app: App, text: str, path: Path) -> str:
    """The text after the editor exits. Raises SuspendNotSupported (no real terminal), OSError
    (the editor cannot be started) or SaveError (the file cannot be written)."""
    write_block(path, text)
    with app.suspend():
        subprocess.run([*editor_command(), str(path)], check=False)
    return read_block(path)
