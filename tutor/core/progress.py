"""A learner's progress: one JSON file per learner, shared safely between sessions.

Every change takes the learner's lock, re-reads the file, applies itself and
writes the file back atomically, so two sessions of one learner merge their
updates instead of overwriting each other. A state never goes backwards.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from tutor.core.i18n import DEFAULT_LANGUAGE, tr
from tutor.core.learners import validate_learner_name
from tutor.core.results import RunResult, Status
from tutor.core.savefiles import (SaveError, SaveUnreadable, ensure_folder, locked, quarantine, read_regular_file,
                                  remove_stale_temporaries, write_atomic)

SCHEMA_VERSION = 2
MAX_HINT_RUNG = 3  # mild, medium, direct
SAVE_SUFFIX = ".json"
LOCK_SUFFIX = ".lock"


class LessonState(str, Enum):
    NEW = "new"
    ATTEMPTED = "attempted"
    SOLVED = "solved"


_STATE_RANK = {LessonState.NEW: 0, LessonState.ATTEMPTED: 1, LessonState.SOLVED: 2}


class LessonProgress(BaseModel):
    state: LessonState = LessonState.NEW
    attempts: int = Field(default=0, ge=0)  # runs of a block different from the previous run's
    runs: int = Field(default=0, ge=0)
    hint_rung: int = Field(default=0, ge=0, le=MAX_HINT_RUNG)
    hints_at_solve: int | None = Field(default=None, ge=0, le=MAX_HINT_RUNG)
    attempts_at_solve: int | None = Field(default=None, ge=0)
    first_opened: datetime | None = None
    solved_at: datetime | None = None
    time_spent_s: float = Field(default=0.0, ge=0.0)
    last_block: str | None = None  # what the editor held last
    last_status: Status | None = None  # the last run's verdict
    last_run_digest: str | None = None  # sha256 of the last run's block, to count attempts


class LearnerSave(BaseModel):
    schema_version: int = SCHEMA_VERSION
    learner: str
    language: str | None = None
    last_lesson: str | None = None
    lessons: dict[str, LessonProgress] = Field(default_factory=dict)


# --- Schema migrations: each turns version N's raw JSON into version N+1's. ---

def _from_v1(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 1 kept `solved: bool` and `hints: int` per lesson, and no run count."""
    lessons = {}
    for lesson_id, old in raw.get("lessons", {}).items():
        attempts = old.get("attempts", 0)
        state = LessonState.SOLVED if old.get("solved") else (LessonState.ATTEMPTED if attempts else LessonState.NEW)
        lessons[lesson_id] = {"state": state.value, "attempts": attempts, "runs": attempts,
                              "hint_rung": old.get("hints", 0), "last_block": old.get("last_block"),
                              "time_spent_s": old.get("time_spent_s", 0.0)}
    return {**raw, "schema_version": 2, "lessons": lessons}


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _from_v1}


def migrate(raw: dict[str, Any]) -> dict[str, Any]:
    version = raw.get("schema_version", 1)
    if not isinstance(version, int) or version < 1:
        raise SaveUnreadable(f"schema_version {version!r} is not a version")
    if version > SCHEMA_VERSION:
        raise SaveError("save.newer_schema", version=version, supported=SCHEMA_VERSION)
    while version < SCHEMA_VERSION:
        raw = MIGRATIONS[version](raw)
        version = raw["schema_version"]
    return raw


def parse_save(data: bytes, learner: str) -> LearnerSave:
    """A save from the file's bytes (migrated to the current schema), or SaveUnreadable."""
    try:
        raw = json.loads(data.decode("utf-8"))
        if not isinstance(raw, dict):
            raise SaveUnreadable("the file is not a JSON object")
        raw = migrate(raw)
        return LearnerSave.model_validate({**raw, "learner": learner})
    except (UnicodeDecodeError, json.JSONDecodeError, ValidationError, KeyError, TypeError, AttributeError) as error:
        raise SaveUnreadable(str(error).splitlines()[0]) from None


def save_path(saves_dir: Path, learner: str) -> Path:
    return saves_dir / f"{learner}{SAVE_SUFFIX}"


def read_save(path: Path) -> LearnerSave:
    """The save in `path` (learner named by the file), without locking or changing anything."""
    return parse_save(read_regular_file(path), path.name[: -len(SAVE_SUFFIX)])


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _digest(block: str) -> str:
    return hashlib.sha256(block.encode("utf-8", "surrogatepass")).hexdigest()


class ProgressStore:
    """One learner's progress in `saves_dir`. Mutating calls return the merged, saved state."""

    def __init__(self, saves_dir: Path, learner: str, language: str = DEFAULT_LANGUAGE) -> None:
        self.learner = validate_learner_name(learner)
        self.saves_dir = Path(saves_dir)
        self.path = save_path(self.saves_dir, self.learner)
        self.lock_path = self.saves_dir / f".{self.learner}{LOCK_SUFFIX}"
        self.language = language  # of the notices
        self.notices: list[str] = []

    # --- reading ---

    def load(self) -> LearnerSave:
        """The save, creating the folder if needed. A corrupt save is moved aside (with a notice)
        and a fresh one started. Raises SaveError only when the folder cannot be used at all."""
        return self._update(lambda save: None)

    def peek(self) -> LearnerSave:
        """The save as it is on disk, changing nothing (for read-only listings)."""
        try:
            return read_save(self.path)
        except SaveError:
            if not os.path.lexists(self.path):  # a dangling symlink is not "no save"
                return self._fresh()
            raise
        except SaveUnreadable as error:
            self.notices.append(tr("progress.unreadable_peek", self.language, path=str(self.path), detail=str(error)))
            return self._fresh()

    # --- changing ---

    def record_opened(self, lesson_id: str) -> LearnerSave:
        def change(save: LearnerSave) -> None:
            save.last_lesson = lesson_id
            lesson = self._lesson(save, lesson_id)
            lesson.first_opened = lesson.first_opened or _now()
        return self._update(change)

    def record_run(self, lesson_id: str, block: str, result: RunResult) -> LearnerSave:
        def change(save: LearnerSave) -> None:
            save.last_lesson = lesson_id
            lesson = self._lesson(save, lesson_id)
            lesson.first_opened = lesson.first_opened or _now()
            digest = _digest(block)
            lesson.runs += 1
            if digest != lesson.last_run_digest:
                lesson.attempts += 1
            lesson.last_run_digest = digest
            lesson.last_block = block
            lesson.last_status = result.status
            if result.passed and lesson.state is not LessonState.SOLVED:
                lesson.solved_at = _now()
                lesson.hints_at_solve = lesson.hint_rung
                lesson.attempts_at_solve = lesson.attempts
            self._advance(lesson, LessonState.SOLVED if result.passed else LessonState.ATTEMPTED)
        return self._update(change)

    def record_hint(self, lesson_id: str, rung: int) -> LearnerSave:
        if not 0 <= rung <= MAX_HINT_RUNG:
            raise ValueError(f"hint rung {rung} is outside 0..{MAX_HINT_RUNG}")

        def change(save: LearnerSave) -> None:
            lesson = self._lesson(save, lesson_id)
            lesson.hint_rung = max(lesson.hint_rung, rung)
        return self._update(change)

    def save_block(self, lesson_id: str, block: str) -> LearnerSave:
        def change(save: LearnerSave) -> None:
            self._lesson(save, lesson_id).last_block = block
        return self._update(change)

    def add_time(self, lesson_id: str, seconds: float) -> LearnerSave:
        if seconds < 0:
            raise ValueError("time spent cannot be negative")

        def change(save: LearnerSave) -> None:
            self._lesson(save, lesson_id).time_spent_s += seconds
        return self._update(change)

    def set_language(self, code: str) -> LearnerSave:
        def change(save: LearnerSave) -> None:
            save.language = code
        return self._update(change)

    def reset(self, lesson_id: str | None) -> LearnerSave:
        """Forget one lesson's progress, or every lesson's (None)."""
        def change(save: LearnerSave) -> None:
            if lesson_id is None:
                save.lessons.clear()
                save.last_lesson = None
            else:
                save.lessons.pop(lesson_id, None)
        return self._update(change)

    # --- internals ---

    def _fresh(self) -> LearnerSave:
        return LearnerSave(learner=self.learner)

    @staticmethod
    def _lesson(save: LearnerSave, lesson_id: str) -> LessonProgress:
        return save.lessons.setdefault(lesson_id, LessonProgress())

    @staticmethod
    def _advance(lesson: LessonProgress, state: LessonState) -> None:
        if _STATE_RANK[state] > _STATE_RANK[lesson.state]:
            lesson.state = state

    def _read_locked(self) -> tuple[LearnerSave, bool]:
        """The save on disk (or a fresh one) and whether it must be written. Call under the lock."""
        if not os.path.lexists(self.path):  # a dangling symlink is not "no save"
            return self._fresh(), False
        try:
            return read_save(self.path), False
        except SaveUnreadable as error:
            moved = quarantine(self.path)
            self.notices.append(tr("progress.quarantined", self.language, path=str(self.path),
                                   moved=str(moved), detail=str(error)))
            return self._fresh(), True

    def _update(self, change: Callable[[LearnerSave], None]) -> LearnerSave:
        ensure_folder(self.saves_dir)
        with locked(self.lock_path):
            remove_stale_temporaries(self.path)
            save, dirty = self._read_locked()
            before = save.model_dump_json()
            change(save)
            if dirty or save.model_dump_json() != before:
                write_atomic(self.path, save.model_dump_json(indent=2) + "\n")
        return save
