"""What the screens read of the app's session, so that they need not import the app itself."""

from __future__ import annotations

from typing import Protocol

from tutor.core.course import Course
from tutor.core.progress import LearnerSave, ProgressStore
from tutor.core.warm import RunnerSession


class TutorState(Protocol):
    course: Course
    save: LearnerSave  # the learner's progress as last stored
    store: ProgressStore  # where it is stored; the block file `e` edits lives beside it
    language: str
    anomaly: bool  # anomaly detection for the next run
    runner_session: RunnerSession  # the warm runner every run of this session forks from
