"""The block as a file a learner's own editor can open: one per learner and lesson.

`minigpt-tutor watch` and the tutor's `e` key both use it, so a learner who moves
between them edits one file. It lives beside the learner's save, in a folder private
to them: `<saves>/<learner>-blocks/<lesson>.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

from tutor.core.progress import LearnerSave, ProgressStore
from tutor.core.savefiles import PRIVATE_DIR_MODE, save_error

BLOCKS_SUFFIX = "-blocks"


def block_path(store: ProgressStore, lesson_id: str) -> Path:
    return store.saves_dir / f"{store.learner}{BLOCKS_SUFFIX}" / f"{lesson_id}.py"


def write_block(path: Path, text: str) -> None:
    """Write the block for an editor to open; raises SaveError with a plain reason."""
    try:
        path.parent.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise save_error(error, path) from None


def read_block(path: Path) -> str:
    """The file as the editor left it (bytes that are not UTF-8 become U+FFFD, never an exception)."""
    return path.read_bytes().decode("utf-8", errors="replace")


def open_block_file(store: ProgressStore, save: LearnerSave, lesson_id: str, starter: str) -> tuple[Path, str]:
    """The lesson's block file and its text: the file as it is when it was edited after the save last
    changed (the learner worked in their editor with nothing watching), else the saved block written out."""
    path = block_path(store, lesson_id)
    progress = save.lessons.get(lesson_id)
    saved = progress.last_block if progress and progress.last_block is not None else starter
    if path.is_file() and _newer(path, store.path):
        text = read_block(path)
        if text != saved:
            return path, text
    write_block(path, saved)
    return path, saved


def _newer(path: Path, than: Path) -> bool:
    try:
        return path.stat().st_mtime > os.stat(than).st_mtime
    except FileNotFoundError:
        return True
