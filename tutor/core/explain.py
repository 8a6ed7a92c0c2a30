"""A learner's own error, explained: the diagnosis, their own frame, what to check first,
and the lessons of the course that teach this kind of error.

Pure text work on a traceback (no torch, no textual): `explain`, `run` and the tutor's
"explain an error" screen all say what `explain_error` returns.
"""

from __future__ import annotations

import linecache
import re
from dataclasses import dataclass

from tutor.core.course import Course
from tutor.core.diagnose import Frame, Reading, read_error
from tutor.core.lessons import Lesson
from tutor.core.results import DiagnosisKind

# Files that are not the learner's: installed packages, the standard library, torch itself.
_LIBRARY = re.compile(
    r"[\\/](?:site|dist)-packages[\\/]"
    r"|[\\/]lib[\\/]python\d[\d.]*[\\/]"
    r"|[\\/]Lib[\\/]"  # Windows' standard library
    r"|\A<frozen |\A<string>\Z"
    r"|[\\/]torch[\\/](?:nn|autograd|utils|optim|distributed|cuda|_[\w]+)[\\/]"
    r"|[\\/]torch[\\/]_tensor\.py\Z"
)


@dataclass(frozen=True)
class Explanation:
    reading: Reading
    frame: Frame | None  # the learner's own frame that called into torch
    forward_frame: Frame | None  # anomaly mode: the learner's forward line that made the saved tensor
    lessons: tuple[Lesson, ...]  # the lessons that teach this kind, most direct first
    frame_code: str | None = None  # the source line of `frame`, when its file is here
    forward_code: str | None = None

    @property
    def found(self) -> bool:
        """The text held an error at all."""
        diagnosis = self.reading.diagnosis
        return diagnosis.exception is not None or diagnosis.message is not None

    @property
    def kind(self) -> DiagnosisKind:
        return self.reading.diagnosis.kind

    @property
    def recognised(self) -> bool:
        return self.kind is not DiagnosisKind.UNKNOWN

    def contract(self) -> dict[str, object]:
        """The `explain --json` object."""
        return {
            "diagnosis": self.reading.diagnosis.model_dump(mode="json"),
            "frame": _frame_json(self.frame),
            "forward_frame": _frame_json(self.forward_frame),
            "lessons": [lesson.id for lesson in self.lessons],
        }


def explain_error(text: str, course: Course) -> Explanation:
    reading = read_error(text)
    frame, forward = learner_frame(reading.frames), learner_frame(reading.forward_frames)
    return Explanation(
        reading=reading,
        frame=frame,
        forward_frame=forward,
        lessons=lessons_teaching(reading.diagnosis.kind, course),
        frame_code=source_line(frame),
        forward_code=source_line(forward),
    )


def learner_frame(frames: tuple[Frame, ...] | list[Frame]) -> Frame | None:
    """The innermost frame in the learner's own files: where their code called into a library."""
    for frame in reversed(frames):
        if not _LIBRARY.search(frame.path):
            return frame
    return None


def source_line(frame: Frame | None) -> str | None:
    """The line of code a frame points at, when its file is on this machine."""
    if frame is None or frame.path.startswith("<"):
        return None
    return linecache.getline(frame.path, frame.line).strip() or None


def lessons_teaching(kind: DiagnosisKind, course: Course) -> tuple[Lesson, ...]:
    """Lessons whose starter raises this kind first, then those where a wrong fix does."""
    if kind is DiagnosisKind.UNKNOWN:
        return ()
    starters = [lesson for lesson in course.lessons if _expects(lesson.expect, kind)]
    wrong = [
        lesson for lesson in course.lessons
        if lesson not in starters and any(_expects(fix.expect, kind) for fix in lesson.wrong_fixes)
    ]
    return tuple(starters + wrong)


def _expects(expectation: object, kind: DiagnosisKind) -> bool:
    diagnosis = getattr(expectation, "diagnosis", None)
    return diagnosis is not None and diagnosis.kind is kind


def _frame_json(frame: Frame | None) -> dict[str, object] | None:
    return None if frame is None else {"path": frame.path, "line": frame.line, "function": frame.function}
