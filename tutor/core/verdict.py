"""From what the child saw to a verdict the learner can read, in their language."""

from __future__ import annotations

import signal

from tutor.core.diagnose import diagnose
from tutor.core.i18n import tr
from tutor.core.job import ChildReport
from tutor.core.results import DiagnosisKind, RunResult, Status

_NAMES_SHOWN = 4


def judge(lesson_id: str, report: ChildReport, stderr: str, language: str) -> RunResult:
    if report.outcome == "invalid":
        message = tr(f"verdict.invalid.{report.invalid_reason}", language, detail=report.detail, line=report.line)
        return RunResult(lesson=lesson_id, status=Status.INVALID, message=message)
    if report.outcome == "raised":
        diagnosis = diagnose(stderr)
        if diagnosis.kind is DiagnosisKind.UNKNOWN:
            what = f"{report.exception}: {(diagnosis.message or '').splitlines()[0] if diagnosis.message else ''}".rstrip(": ")
        else:
            what = tr(f"kind.{diagnosis.kind.value}", language)
        phase = tr(f"phase.{report.phase}", language)
        message = tr("verdict.raised", language, phase=phase, what=what)
        return RunResult(lesson=lesson_id, status=Status.FAILED, message=message, diagnosis=diagnosis,
                         gradients=report.comparisons, evidence=report.evidence)
    return _compared(lesson_id, report, language)


def _compared(lesson_id: str, report: ChildReport, language: str) -> RunResult:
    subject = tr(f"subject.{report.subject}", language)
    total = len(report.comparisons)
    missing = [c.name for c in report.comparisons if c.missing]
    differ = [c.name for c in report.comparisons if not c.matches and not c.missing]
    outputs = [c.name for c in report.outputs if not c.matches]
    if missing:
        message = tr("verdict.missing", language, count=len(missing), total=total, subject=subject, names=_names(missing))
    elif differ:
        message = tr("verdict.differ", language, count=len(differ), total=total, subject=subject, names=_names(differ))
    elif outputs:
        message = tr("verdict.outputs_differ", language, names=_names(outputs))
    else:
        message = tr("verdict.passed", language, total=total, subject=subject)
        return RunResult(lesson=lesson_id, status=Status.PASSED, message=message,
                         gradients=report.comparisons, evidence=report.evidence)
    return RunResult(lesson=lesson_id, status=Status.FAILED, message=message,
                     gradients=report.comparisons, evidence=report.evidence)


def unfinished(lesson_id: str, status: Status, language: str, *, seconds: float = 0.0, returncode: int | None = None) -> RunResult:
    """A run that left no report: it timed out, or the child died."""
    if status is Status.TIMEOUT:
        return RunResult(lesson=lesson_id, status=status, message=tr("verdict.timeout", language, seconds=f"{seconds:g}"))
    if returncode is not None and returncode < 0:
        how = tr("crash.signal", language, name=signal.Signals(-returncode).name)
    else:
        how = tr("crash.exit", language, code=returncode)
    return RunResult(lesson=lesson_id, status=status, message=tr("verdict.crashed", language, how=how))


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:_NAMES_SHOWN])
    return shown if len(names) <= _NAMES_SHOWN else f"{shown} (+{len(names) - _NAMES_SHOWN})"

