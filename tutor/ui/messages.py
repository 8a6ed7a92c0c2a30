"""What happened, told upward: screens post these, the app records them in the progress store."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from tutor.core.results import RunResult


@dataclass
class LessonChosen(Message):
    """The learner asked for a lesson (from the course, or next/previous)."""

    lesson_id: str


@dataclass
class CourseChosen(Message):
    """The learner asked to go back to the course."""


@dataclass
class BlockEdited(Message):
    """The learner changed the block; the app saves it (soon, not on every key)."""

    lesson_id: str
    block: str


@dataclass
class RunFinished(Message):
    lesson_id: str
    block: str
    result: RunResult


@dataclass
class HintRevealed(Message):
    lesson_id: str
    rung: int  # 1 (mild) to 3 (direct)
