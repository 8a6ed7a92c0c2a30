"""Running a lesson's scenario twice, control then learner, and comparing the two."""

from __future__ import annotations

import sys
import traceback
from types import CodeType

import torch

from tutor.core.graph import AutogradGraph
from tutor.core.job import ChildReport, InvalidReason, Job
from tutor.core.results import TensorComparison
from tutor.sandbox import forward_scenarios, training_scenarios  # noqa: F401  (they register scenarios)
from tutor.sandbox.block import BlockInvalid, Target, learner_line
from tutor.sandbox.returns import ReturnTypes, WrongReturnType
from tutor.sandbox.graph import GraphCapture
from tutor.sandbox.limits import cap_torch_threads
from tutor.sandbox.observe import SCENARIOS, Phases


def run_against_control(job: Job, code: CodeType) -> ChildReport:
    torch.set_num_threads(1)  # the tiny model gains nothing from threads, and forks stay safe
    cap_torch_threads(torch)
    target = Target.resolve(job.target)
    run = SCENARIOS[job.scenario]

    returns = ReturnTypes(target.name)
    target.install(returns.recording(target.original))
    try:
        control = run(job.settings, Phases())
    finally:
        target.restore()
    phases = Phases()
    phases("define")
    try:
        learner_function = target.learner_function(code)
    except BlockInvalid as problem:
        return invalid(problem.reason, problem.detail)
    except BaseException as error:  # the block's own top-level code raised
        return raised(error, phases)
    target.install(returns.checking(learner_function))
    capture = GraphCapture(target.owner, phases, enabled=job.capture_graph)
    try:
        with torch.autograd.set_detect_anomaly(job.detect_anomaly), capture:
            learner = run(job.settings, phases)
    except WrongReturnType as wrong:
        return invalid("return_type", str(wrong))
    except BaseException as error:  # SystemExit and KeyboardInterrupt from the block are results too
        return raised(error, phases, capture.graph)
    return ChildReport(
        outcome="compared",
        subject=control.subject,
        comparisons=compare(control.tensors, learner.tensors, job.tolerance),
        outputs=compare(dict(control.outputs), dict(learner.outputs), job.tolerance),
        evidence={**learner.evidence, **{f"control_{k}": v for k, v in control.evidence.items()}},
        graph=capture.graph,
    )


def invalid(reason: InvalidReason, detail: str) -> ChildReport:
    return ChildReport(outcome="invalid", invalid_reason=reason, detail=detail)


def raised(error: BaseException, phases: Phases, graph: AutogradGraph | None = None) -> ChildReport:
    traceback.print_exception(error, file=sys.stderr)
    sys.stderr.flush()
    return ChildReport(outcome="raised", phase=phases.current, exception=type(error).__name__, line=learner_line(error),
                       graph=graph)


def compare(
    control: dict[str, torch.Tensor | None], learner: dict[str, torch.Tensor | None], tolerance: float
) -> list[TensorComparison]:
    return [compare_one(name, expected, learner.get(name), tolerance) for name, expected in control.items()]


def compare_one(name: str, expected: torch.Tensor | None, actual: torch.Tensor | None, tolerance: float) -> TensorComparison:
    if expected is None or actual is None:
        both_absent = expected is None and actual is None
        return TensorComparison(name=name, max_abs_diff=0.0 if both_absent else None, missing=actual is None and not both_absent, matches=both_absent)
    if not isinstance(actual, torch.Tensor) or actual.shape != expected.shape:
        return TensorComparison(name=name, matches=False)
    difference = (actual.detach().double() - expected.detach().double()).abs()
    largest = difference.max().item() if difference.numel() else 0.0
    scale = expected.detach().double().abs().max().item() if expected.numel() else 0.0
    relative = largest / scale if scale else (0.0 if largest == 0.0 else None)
    close = torch.allclose(actual.detach().double(), expected.detach().double(), rtol=1e-5, atol=tolerance)
    return TensorComparison(name=name, max_abs_diff=largest, rel_diff=relative, matches=bool(close))
