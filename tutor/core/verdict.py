"""From what the child saw to a verdict the learner can read, in their language.

Each verdict is kept as a `Wording` (catalogue keys and values), so the tutor can say it
again when the learner switches language; `message` is it said in the run's language.
"""

from __future__ import annotations

import signal

from tutor.core.diagnose import diagnose
from tutor.core.i18n import say
from tutor.core.job import ChildReport
from tutor.core.results import DiagnosisKind, RunResult, Status, Wording

_NAMES_SHOWN = 4


def judge(lesson_id: str, report: ChildReport, stderr: str, language: str) -> RunResult:
    if report.outcome == "invalid":
        wording = Wording(key=f"verdict.invalid.{report.invalid_reason}", values={"detail": report.detail, "line": report.line})
        return _result(lesson_id, Status.INVALID, wording, language)
    if report.outcome == "raised":
        diagnosis = diagnose(stderr)
        terms = {"phase": Wording(key=f"phase.{report.phase}")}
        values = {}
        if diagnosis.kind is DiagnosisKind.UNKNOWN:  # torch's own words, which stay as they are
            first_line = diagnosis.message.splitlines()[0] if diagnosis.message else ""
            values["what"] = f"{report.exception}: {first_line}".rstrip(": ")
        else:
            terms["what"] = Wording(key=f"kind.{diagnosis.kind.value}")
        wording = Wording(key="verdict.raised", values=values, terms=terms)
        return _result(lesson_id, Status.FAILED, wording, language, diagnosis=diagnosis,
                       gradients=report.comparisons, evidence=report.evidence)
    return _compared(lesson_id, report, language)


def _compared(lesson_id: str, report: ChildReport, language: str) -> RunResult:
    subject = {"subject": Wording(key=f"subject.{report.subject}")}
    total = len(report.comparisons)
    missing = [c.name for c in report.comparisons if c.missing]
    differ = [c.name for c in report.comparisons if not c.matches and not c.missing]
    outputs = [c.name for c in report.outputs if not c.matches]
    status = Status.FAILED
    if missing:
        wording = Wording(key="verdict.missing", values={"count": len(missing), "total": total, "names": _names(missing)},
                          terms=subject)
    elif differ:
        wording = Wording(key="verdict.differ", values={"count": len(differ), "total": total, "names": _names(differ)},
                          terms=subject)
    elif outputs:
        wording = Wording(key="verdict.outputs_differ", values={"names": _names(outputs)})
    else:
        status, wording = Status.PASSED, Wording(key="verdict.passed", values={"total": total}, terms=subject)
    return _result(lesson_id, status, wording, language, gradients=report.comparisons, evidence=report.evidence)


def unfinished(lesson_id: str, status: Status, language: str, *, seconds: float = 0.0, returncode: int | None = None) -> RunResult:
    """A run that left no report: it timed out, or the child died."""
    if status is Status.TIMEOUT:
        return _result(lesson_id, status, Wording(key="verdict.timeout", values={"seconds": f"{seconds:g}"}), language)
    if returncode is not None and returncode < 0:
        how = Wording(key="crash.signal", values={"name": signal.Signals(-returncode).name})
    else:
        how = Wording(key="crash.exit", values={"code": returncode})
    return _result(lesson_id, status, Wording(key="verdict.crashed", terms={"how": how}), language)


def message_in(result: RunResult, language: str) -> str:
    """The verdict said in `language` (a result read back from JSON keeps only its message)."""
    return say(result.wording, language) if result.wording else result.message


def _result(lesson_id: str, status: Status, wording: Wording, language: str, **fields: object) -> RunResult:
    return RunResult(lesson=lesson_id, status=status, message=say(wording, language), wording=wording, **fields)


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:_NAMES_SHOWN])
    return shown if len(names) <= _NAMES_SHOWN else f"{shown} (+{len(names) - _NAMES_SHOWN})"
