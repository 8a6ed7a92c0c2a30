"""A learner's progress: one JSON file per learner, shared safely between sessions.

Every change takes the learner's lock, re-reads the file, applies itself and
writes the file back atomically, so two sessions of one learner merge their
updates instead of overwriting each other. A state never goes backwards.

Everything in a save is bounded (numbers, lessons, blocks, the run history), so a save this
tutor writes always fits what it reads, and a hand-made one cannot make a reader slow.
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

from tutor.core.i18n import Wording
from tutor.core.learners import validate_learner_name
from tutor.core.results import DiagnosisKind, RunResult, Status
from tutor.core.savefiles import (MAX_OLD_SAVE_BYTES, MAX_SAVE_BYTES, SaveError, SaveUnreadable, ensure_folder,
                                  locked, quarantine, read_regular_file, refuse_if_not_mine, remove_stale_temporaries,
                                  write_atomic)

SCHEMA_VERSION = 4
MAX_HINT_RUNG = 3  # mild, medium, direct
# Bounds that keep any save small: MAX_LESSONS x 2 blocks x MAX_BLOCK_BYTES stays under MAX_SAVE_BYTES.
MAX_LESSONS = 48  # the course's lessons and ones it no longer has (kept, not shown)
MAX_LESSON_ID_CHARS = 64
MAX_BLOCK_BYTES = 32 * 1024  # as stored: JSON escapes a control character to 6 bytes
MAX_COUNT = 10**9
MAX_TIME_S = 10.0**8  # three years
MAX_HISTORY = 50  # the last runs a save keeps, for the teacher's live view (about 8 KB)
SAVE_SUFFIX = ".json"
LOCK_SUFFIX = ".lock"


class LessonState(str, Enum):
    NEW = "new"
    ATTEMPTED = "attempted"
    SOLVED = "solved"


_STATE_RANK = {LessonState.NEW: 0, LessonState.ATTEMPTED: 1, LessonState.SOLVED: 2}


class LessonProgress(BaseModel):
    state: LessonState = LessonState.NEW
    attempts: int = Field(default=0, ge=0, le=MAX_COUNT)  # runs of a block different from the previous run's
    runs: int = Field(default=0, ge=0, le=MAX_COUNT)
    hint_rung: int = Field(default=0, ge=0, le=MAX_HINT_RUNG)
    hints_at_solve: int | None = Field(default=None, ge=0, le=MAX_HINT_RUNG)
    attempts_at_solve: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    first_opened: datetime | None = None
    solved_at: datetime | None = None
    time_spent_s: float = Field(default=0.0, ge=0.0, le=MAX_TIME_S, allow_inf_nan=False)
    last_block: str | None = None  # what the editor held last
    solved_block: str | None = None  # the block whose run solved it, for `report --verify`
    last_status: Status | None = None  # the last run's verdict
    last_run_digest: str | None = None  # sha256 of the last run's block, to count attempts


class RunRecord(BaseModel):
    """One run of the learner's, as the history keeps it: enough to see who is stuck, no block."""

    at: datetime
    lesson: str = Field(max_length=MAX_LESSON_ID_CHARS)
    status: Status
    diagnosis: DiagnosisKind | None = None  # torch's error, read; None for a run without one
    hint_rung: int = Field(ge=0, le=MAX_HINT_RUNG)  # the hints revealed when it ran
    changed: bool  # the block differs from the one of the lesson's previous run


class LearnerSave(BaseModel):
    schema_version: int = SCHEMA_VERSION
    learner: str
    language: str | None = None
    last_lesson: str | None = None
    lessons: dict[str, LessonProgress] = Field(default_factory=dict)
    history: list[RunRecord] = Field(default_factory=list, max_length=MAX_HISTORY)  # oldest first

    def state(self, lesson_id: str) -> LessonState:
        """The lesson's state; new for a lesson never opened."""
        progress = self.lessons.get(lesson_id)
        return progress.state if progress else LessonState.NEW


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


def _from_v2(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 2 did not keep the block that solved a lesson: its solves are "without a block"."""
    return {**raw, "schema_version": 3}


def _from_v3(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 3 kept no run history: an older save's history starts empty."""
    return {**raw, "schema_version": 4, "history": []}


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _from_v1, 2: _from_v2, 3: _from_v3}


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


def stored_size(block: str) -> int:
    """The bytes `block` takes in a save."""
    return len(json.dumps(block, ensure_ascii=False).encode("utf-8", "surrogatepass"))


def block_fits(block: str) -> bool:
    return len(block) <= MAX_BLOCK_BYTES and stored_size(block) <= MAX_BLOCK_BYTES


def _bounded_lessons(raw: dict[str, Any]) -> list[str]:
    """Check the lessons' count and ids; drop any block over the cap (an older tutor kept blocks of
    any size): the lessons whose block was dropped. Raises SaveUnreadable."""
    lessons = raw.get("lessons", {})
    if not isinstance(lessons, dict):
        raise SaveUnreadable("lessons is not a JSON object")
    if len(lessons) > MAX_LESSONS:
        raise SaveUnreadable(f"{len(lessons)} lessons, more than a save can hold ({MAX_LESSONS})")
    dropped = []
    for lesson_id, lesson in lessons.items():
        if len(lesson_id) > MAX_LESSON_ID_CHARS or not lesson_id.isprintable():
            raise SaveUnreadable(f"{lesson_id[:MAX_LESSON_ID_CHARS]!r} is not a lesson id")
        for key in ("last_block", "solved_block"):
            if isinstance(lesson, dict) and isinstance(lesson.get(key), str) and not block_fits(lesson[key]):
                lesson[key] = None
                dropped.append(lesson_id)
    return sorted(set(dropped))


def _few_objects() -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    """A JSON object hook that stops the parse as soon as the save holds more objects than a save
    can (one per lesson, one per run kept, and two around them): a file of invented lessons or runs
    costs no more to refuse."""
    count = 0

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal count
        count += 1
        if count > MAX_LESSONS + MAX_HISTORY + 2 or len(pairs) > MAX_LESSONS + 16:
            raise SaveUnreadable(f"more lessons than a save can hold ({MAX_LESSONS}), or runs than it keeps "
                                     f"({MAX_HISTORY})")
        return dict(pairs)
    return hook


def parse_save(data: bytes, learner: str, dropped: list[str] | None = None) -> LearnerSave:
    """A save from the file's bytes (migrated to the current schema), or SaveUnreadable. The ids of
    lessons whose oversized block was dropped are added to `dropped`."""
    try:
        raw = json.loads(data.decode("utf-8"), object_pairs_hook=_few_objects())
        if not isinstance(raw, dict):
            raise SaveUnreadable("the file is not a JSON object")
        raw = migrate(raw)
        dropped_here = _bounded_lessons(raw)
        save = LearnerSave.model_validate({**raw, "learner": learner})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise SaveUnreadable(f"{where}: {first['msg']}"[:300]) from None
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:  # JSON, UTF-8, shape
        raise SaveUnreadable(str(error).splitlines()[0][:300]) from None
    if dropped is not None:
        dropped.extend(dropped_here)
    return save


def save_path(saves_dir: Path, learner: str) -> Path:
    return saves_dir / f"{learner}{SAVE_SUFFIX}"


def read_save(path: Path, limit: int = MAX_SAVE_BYTES, dropped: list[str] | None = None) -> LearnerSave:
    """The save in `path` (learner named by the file), without locking or changing anything."""
    return parse_save(read_regular_file(path, limit), path.name[: -len(SAVE_SUFFIX)], dropped)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def block_digest(block: str) -> str:
    return hashlib.sha256(block.encode("utf-8", "surrogatepass")).hexdigest()


class ProgressStore:
    """One learner's progress in `saves_dir`. Mutating calls return the merged, saved state."""

    def __init__(self, saves_dir: Path, learner: str) -> None:
        self.learner = validate_learner_name(learner)
        self.saves_dir = Path(saves_dir)
        self.path = save_path(self.saves_dir, self.learner)
        self.lock_path = self.saves_dir / f".{self.learner}{LOCK_SUFFIX}"
        self.notices: list[Wording] = []  # what the learner should hear about their save

    # --- reading ---

    def load(self) -> LearnerSave:
        """The save, creating the folder if needed. A corrupt save is moved aside (with a notice)
        and a fresh one started. Raises SaveError only when the folder cannot be used at all."""
        return self._update(lambda save: None)

    def take_notices(self) -> list[Wording]:
        """The notices so far (a save moved aside, a block not kept), each given once."""
        notices, self.notices = self.notices, []
        return notices

    def peek(self) -> LearnerSave:
        """The save as it is on disk, changing nothing (for read-only listings)."""
        refuse_if_not_mine(self.path)
        try:
            return read_save(self.path, MAX_OLD_SAVE_BYTES)
        except SaveError:
            if not os.path.lexists(self.path):  # a dangling symlink is not "no save"
                return self._fresh()
            raise
        except SaveUnreadable as error:
            self.notices.append(Wording(key="progress.unreadable_peek",
                                        values={"path": str(self.path), "detail": str(error)}))
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
            digest = block_digest(block)
            changed = digest != lesson.last_run_digest
            lesson.runs = min(lesson.runs + 1, MAX_COUNT)
            if changed:
                lesson.attempts = min(lesson.attempts + 1, MAX_COUNT)
            record = RunRecord(at=_now(), lesson=lesson_id, status=result.status, hint_rung=lesson.hint_rung,
                               diagnosis=result.diagnosis.kind if result.diagnosis else None, changed=changed)
            save.history = [*save.history, record][-MAX_HISTORY:]
            lesson.last_run_digest = digest
            if fits:
                lesson.last_block = block
            lesson.last_status = result.status
            if result.passed and lesson.state is not LessonState.SOLVED:
                lesson.solved_at = _now()
                lesson.hints_at_solve = lesson.hint_rung
                lesson.attempts_at_solve = lesson.attempts
            if result.passed and lesson.solved_block is None and fits:
                lesson.solved_block = block  # the first block that solved it (or re-solved an older save's)
            self._advance(lesson, LessonState.SOLVED if result.passed else LessonState.ATTEMPTED)
        fits = self._block_fits(block)
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
        return self._update(change if self._block_fits(block) else lambda save: None)

    def add_time(self, lesson_id: str, seconds: float) -> LearnerSave:
        if not 0 <= seconds <= MAX_TIME_S:
            raise ValueError(f"time spent must be within 0..{MAX_TIME_S:g} s, not {seconds}")

        def change(save: LearnerSave) -> None:
            lesson = self._lesson(save, lesson_id)
            lesson.time_spent_s = round(min(lesson.time_spent_s + seconds, MAX_TIME_S), 1)  # tenths: no float noise
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

    def _block_fits(self, block: str) -> bool:
        """Whether a save may keep `block`; if not, the learner is told (their progress is kept)."""
        if block_fits(block):
            return True
        self.notices.append(Wording(key="progress.block_too_large",
                                    values={"size": -(-stored_size(block) // 1024), "limit": MAX_BLOCK_BYTES // 1024}))
        return False

    def _read_locked(self) -> tuple[LearnerSave, bool]:
        """The save on disk (or a fresh one) and whether it must be written. Call under the lock."""
        if not os.path.lexists(self.path):  # a dangling symlink is not "no save"
            return self._fresh(), False
        refuse_if_not_mine(self.path)  # a classmate's file under this name: never read, move or replace it
        dropped: list[str] = []
        try:
            save = read_save(self.path, MAX_OLD_SAVE_BYTES, dropped)
        except SaveUnreadable as error:
            moved = quarantine(self.path)
            self.notices.append(Wording(key="progress.quarantined",
                                        values={"path": str(self.path), "moved": str(moved), "detail": str(error)}))
            return self._fresh(), True
        if dropped:
            self.notices.append(Wording(key="progress.blocks_dropped",
                                        values={"lessons": ", ".join(dropped), "limit": MAX_BLOCK_BYTES // 1024}))
        return save, bool(dropped)

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
