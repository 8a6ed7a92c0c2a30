"""From what the runs saw to a verdict the learner can read.

The learner's run and the control's each report raw results; the verdict is decided
here, in the tutor's process, which runs no learner code. A pass needs at least one
compared tensor, and every one of them matching the control's.

A verdict is a status and its `Wording` (catalogue keys and values), which the front ends
say in the learner's language, again after a switch; `message` is the English text, for
logs and validate's report.
"""

from __future__ import annotations

import signal

from tutor.core.closeness import compare_all
from tutor.core.diagnose import diagnose
from tutor.core.i18n import DEFAULT_LANGUAGE, Wording, say
from tutor.core.job import OTHER_SHAPE, RawResult
from tutor.core.rawresult import Observed
from tutor.core.results import SCALE_RTOL, DiagnosisKind, RunResult, Status

_NAMES_SHOWN = 4


def judge(lesson_id: str, learner: Observed, control: Observed | None, stderr: str, tolerance: float) -> RunResult:
    """The learner's run held against the control's (None only when the learner's run needs none)."""
    report = learner.header
    if report.outcome == "error":
        return _result(lesson_id, Status.ERROR, Wording(key="verdict.error", values={"detail": report.detail}))
    if report.outcome == "invalid":
        wording = Wording(key=f"verdict.invalid.{report.invalid_reason}", values={"detail": report.detail, "line": report.line})
        return _result(lesson_id, Status.INVALID, wording)
    assert control is not None
    wrong = wrong_return_type(control.header, report)
    if wrong:
        return _result(lesson_id, Status.INVALID, Wording(key="verdict.invalid.return_type", values={"detail": wrong}))
    if report.outcome == "raised":
        diagnosis = diagnose(stderr)
        terms = {"phase": Wording(key=f"phase.{report.phase}", values=_other_shape())}
        values = {}
        if diagnosis.kind is DiagnosisKind.UNKNOWN:  # torch's own words, which stay as they are
            first_line = diagnosis.message.splitlines()[0] if diagnosis.message else ""
            values["what"] = f"{report.exception}: {first_line}".rstrip(": ")
        else:
            terms["what"] = Wording(key=f"kind.{diagnosis.kind.value}")
        wording = Wording(key="verdict.raised", values=values, terms=terms)
        return _result(lesson_id, Status.FAILED, wording, diagnosis=diagnosis, evidence=report.evidence)
    return _compared(lesson_id, learner, control, tolerance)


def wrong_return_type(control: RawResult, learner: RawResult) -> str | None:
    """"int ≠ Tensor" for the first call whose result is not of the type the original's was, call for call."""
    for call, names in enumerate(learner.returns):
        if not control.returns:
            return None
        expected = control.returns[min(call, len(control.returns) - 1)][0]
        if expected not in names:
            return f"{names[0] if names else '?'} ≠ {expected}"
    return None


def _compared(lesson_id: str, learner: Observed, control: Observed, tolerance: float) -> RunResult:
    subject = {"subject": Wording(key=f"subject.{control.header.subject}")}
    scale_rtol = SCALE_RTOL.get(control.header.subject, 0.0)
    comparisons = compare_all(control.tensors, learner.tensors, tolerance, scale_rtol)
    outputs = [c.name for c in compare_all(control.outputs, learner.outputs, tolerance, scale_rtol) if not c.matches]
    other_shape = [c.name for c in compare_all(control.other_shape, learner.other_shape, tolerance) if not c.matches]
    evidence = {**learner.header.evidence, **{f"control_{k}": v for k, v in control.header.evidence.items()}}
    total = len(comparisons)
    missing = [c.name for c in comparisons if c.missing]
    differ = [c.name for c in comparisons if not c.matches and not c.missing]
    status = Status.FAILED
    if total == 0:  # nothing compared proves nothing
        status, wording = Status.ERROR, Wording(key="verdict.nothing_compared")
    elif missing:
        wording = Wording(key="verdict.missing", values={"count": len(missing), "total": total, "names": _names(missing)},
                          terms=subject)
    elif differ:
        wording = Wording(key="verdict.differ", values={"count": len(differ), "total": total, "names": _names(differ)},
                          terms=subject)
    elif outputs:
        wording = Wording(key="verdict.outputs_differ", values={"names": _names(outputs)})
    elif other_shape:
        wording = Wording(key="verdict.other_shape", values={**_other_shape(), "count": len(other_shape),
                                                              "total": len(control.other_shape), "names": _names(other_shape)})
    else:
        status, wording = Status.PASSED, Wording(key="verdict.passed", values={"total": total}, terms=subject)
    return _result(lesson_id, status, wording, subject=control.header.subject, gradients=comparisons,
                   evidence=evidence)


def unreadable(lesson_id: str, why: Wording) -> RunResult:
    """The run ended cleanly, but what it sent is not a result (too large, malformed)."""
    return _result(lesson_id, Status.CRASHED, Wording(key="verdict.unreadable", terms={"why": why}))


def control_failed(lesson_id: str, why: Wording) -> RunResult:
    """The control could not be computed: the tutor cannot judge this run."""
    return _result(lesson_id, Status.ERROR, Wording(key="verdict.control_failed", terms={"why": why}))


def sandbox_failed(lesson_id: str, reason: str) -> RunResult:
    """Not even a fresh runner could take the run (`reason`: a `runner.fallback.*` key's last part)."""
    why = Wording(key=f"runner.fallback.{reason}")
    return _result(lesson_id, Status.ERROR, Wording(key="verdict.no_runner", terms={"why": why}))


def crash_how(returncode: int) -> Wording:
    """How a process ended: by a signal, or with an exit code."""
    if returncode < 0:
        return Wording(key="crash.signal", values={"name": signal.Signals(-returncode).name})
    return Wording(key="crash.exit", values={"code": returncode})


def unfinished(lesson_id: str, status: Status, *, seconds: float = 0.0, returncode: int | None = None,
               progress: tuple[int, int] | None = None, began: bool = True) -> RunResult:
    """A run that left no report: it timed out (`progress`: the steps it did, if it trains;
    `began`: whether its scenario started at all), or the child died."""
    if status is Status.TIMEOUT and not began:
        return _result(lesson_id, status, Wording(key="verdict.timeout_unstarted", values={"seconds": f"{seconds:g}"}))
    if status is Status.TIMEOUT and progress is not None:
        done, total = progress
        return _result(lesson_id, status, Wording(key="verdict.timeout_steps",
                                                  values={"seconds": f"{seconds:g}", "done": done, "total": total}))
    if status is Status.TIMEOUT:
        return _result(lesson_id, status, Wording(key="verdict.timeout", values={"seconds": f"{seconds:g}"}))
    how = crash_how(returncode) if returncode is not None else Wording(key="crash.exit", values={"code": returncode})
    return _result(lesson_id, status, Wording(key="verdict.crashed", terms={"how": how}))


def failed_to_start(lesson_id: str, error: OSError) -> RunResult:
    """The tutor itself could not start the run: its scratch folder, its pipes or its process could not be made."""
    wording = Wording(key="verdict.not_started", values={"detail": error.strerror or str(error)})
    return _result(lesson_id, Status.ERROR, wording)


def _result(lesson_id: str, status: Status, wording: Wording, **fields: object) -> RunResult:
    return RunResult(lesson=lesson_id, status=status, message=say(wording, DEFAULT_LANGUAGE), wording=wording, **fields)


def _other_shape() -> dict[str, object]:
    batch_size, length = OTHER_SHAPE
    return {"sequences": batch_size, "tokens": length}


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:_NAMES_SHOWN])
    return shown if len(names) <= _NAMES_SHOWN else f"{shown} (+{len(names) - _NAMES_SHOWN})"
